"""The e-mail outbox: every message is a row before it is a send (SPEC §6–§7).

A row is written in the same transaction as the change it announces, so an e-mail is
never lost when the broker is down and never sent for a change that was rolled back.
`dedupe_key` is unique: that is what makes "sent once per ticket and stage" hold even
when a chaser runs twice or two workers overlap.
"""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower
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
    # What the e-mail is about (a ticket), named generically: the outbox serves every app
    # and knows none of them. The owning app declares a GenericRelation back to it.
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    # The subject as staff name it (an RMA number), kept so the outbox list needs no join.
    about = models.CharField(_("about"), max_length=100, blank=True)
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
            # The chasers ask whether a subject's staff alert is queued already.
            models.Index(fields=["subject_type", "subject_id"], name="email_subject"),
            # The staff list: newest first, its filters, and its search by recipient
            # (bounced addresses are kept in lower case). `about` has a trigram index
            # on PostgreSQL (migration 0002, `core.pg`).
            models.Index(fields=["created_at", "id"], name="email_created_idx"),
            models.Index(fields=["kind", "created_at", "id"], name="email_kind_created_idx"),
            models.Index(
                fields=["language", "created_at", "id"], name="email_language_created_idx"
            ),
            models.Index(Lower("to"), name="email_to_lower_idx"),
            models.Index(fields=["provider_message_id"], name="email_provider_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to}"


class BouncedAddress(models.Model):
    """An address the e-mail provider reported as bouncing (hard bounce), so staff see it
    beside the e-mails and the customer. The first bounce is the one kept."""

    address = models.EmailField(_("e-mail address"), unique=True)
    first_bounced_at = models.DateTimeField(_("first bounced"))

    class Meta:
        ordering = ["-first_bounced_at"]
        verbose_name = _("bounced address")
        verbose_name_plural = _("bounced addresses")

    def __str__(self) -> str:
        return self.address
