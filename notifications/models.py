"""The e-mail outbox: every message is a row before it is a send (SPEC §6–§7).

A row is written in the same transaction as the change it announces, so an e-mail is
never lost when the broker is down and never sent for a change that was rolled back.
`dedupe_key` is unique: that is what makes "sent once per ticket and stage" hold even
when a chaser runs twice or two workers overlap.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailStatus(models.TextChoices):
    READY = "ready", _("ready")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Email(models.Model):
    kind = models.CharField(_("kind"), max_length=40)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    to = models.EmailField(_("recipient"))
    language = models.CharField(_("language"), max_length=5)
    ticket = models.ForeignKey(
        "rma.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("ticket"),
    )
    context = models.JSONField(_("context"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("status"), max_length=10, choices=EmailStatus, default=EmailStatus.READY
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # When the current claim was taken: a `sending` row claimed long ago belongs to a
    # worker that died mid-send (see services.outbox_sweep).
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # When the sweep last re-published a `ready` row (so a backlog is not multiplied).
    queued_at = models.DateTimeField(_("re-queued"), null=True, blank=True)
    # For a `failed` row: when the sweep may try again; empty means "gave up".
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        indexes = [
            # The sweep asks for old `ready`, stuck `sending` and due `failed` rows.
            models.Index(fields=["status", "created_at"], name="email_status_created"),
            models.Index(fields=["status", "next_attempt_at"], name="email_status_next_attempt"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to}"
