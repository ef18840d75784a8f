"""The store-credit ledger (F7): grants and the debits against them, never a balance.

A customer's balance is the sum of their entries. Every debit (a use at checkout, a
withdrawal by staff, the write-off when a grant lapses) names the grant it draws from,
so each grant's remainder, its expiry (F7: 2 years; P1 partner credit: 1 year) and the
notice before it (D6) are exact per grant. Entries are never changed or deleted; the
one mark a grant gets later is `closed_on`, the day nothing was left of it, so the
chaser reads only grants that still hold credit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    GRANT = "grant", _("granted")
    USE = "use", _("used")
    WITHDRAWAL = "withdrawal", _("withdrawn by staff")
    EXPIRY = "expiry", _("expired")


class LedgerEntryImmutable(Exception):
    """Ledger entries are written once; corrections are new entries."""


class StoreCreditEntry(models.Model):
    customer = models.ForeignKey(
        "orders.Customer",
        on_delete=models.PROTECT,
        related_name="store_credit",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind)
    # Positive for a grant, negative for every debit: the balance is the plain sum.
    amount = models.DecimalField(_("amount (EUR)"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("booked"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    # Where it came from or went: the ticket it refunds, the order it paid for.
    ticket = models.ForeignKey(
        "rma.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="store_credit",
        verbose_name=_("ticket"),
    )
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="store_credit",
        verbose_name=_("order"),
    )
    # Grants only: the policy whose terms set the validity and the notice (F7, D6) …
    policy = models.ForeignKey(
        "policies.ReturnPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy"),
    )
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    closed_on = models.DateField(_("nothing left since"), null=True, blank=True)
    # … debits only: the grant drawn from.
    grant = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="debits",
        verbose_name=_("grant"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("store credit entry")
        verbose_name_plural = _("store credit entries")
        constraints = [
            models.CheckConstraint(
                name="store_credit_grant_shape",
                condition=~Q(kind="grant")
                | Q(
                    amount__gt=0,
                    grant__isnull=True,
                    policy__isnull=False,
                    issued_on__isnull=False,
                    valid_until__isnull=False,
                ),
            ),
            models.CheckConstraint(
                name="store_credit_debit_shape",
                condition=Q(kind="grant")
                | Q(amount__lt=0, grant__isnull=False, valid_until__isnull=True),
            ),
            # A grant lapses once: one write-off at most.
            models.UniqueConstraint(
                fields=["grant"], condition=Q(kind="expiry"), name="store_credit_one_expiry"
            ),
        ]
        indexes = [
            # D6 and F7: grants that still hold credit, by their last valid day.
            models.Index(
                fields=["valid_until"],
                condition=Q(kind="grant", closed_on__isnull=True),
                name="store_credit_open_grant_idx",
            ),
            # The staff list: newest first and its filters.
            models.Index(fields=["created_at", "id"], name="store_credit_created_idx"),
            models.Index(fields=["kind", "created_at", "id"], name="store_credit_kind_idx"),
            models.Index(fields=["valid_until"], name="store_credit_valid_until_idx"),
            models.Index(fields=["closed_on"], name="store_credit_closed_on_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.customer_id})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerEntryImmutable(f"store credit entry {self.pk} is booked; add an entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerEntryImmutable(f"store credit entry {self.pk} is booked; add an entry")
