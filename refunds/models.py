"""Refunds, credit notes, SEPA batches and the store-credit ledger (F1–F8, W7).

The store-credit ledger (F7): grants and the debits against them, never a balance.

A customer's balance is the sum of their entries. Every debit (a use at checkout, a
withdrawal by staff, the write-off when a grant lapses) names the grant it draws from,
so each grant's remainder, its expiry (F7: 2 years; P1 partner credit: 1 year) and the
notice before it (D6) are exact per grant. Entries are never changed or deleted; the
one mark a grant gets later is `closed_on`, the day nothing was left of it, so the
chaser reads only grants that still hold credit.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.events import Event, person_field


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


# --- refunds, their payment and their credit notes (F1, F6, F8, W7; issue 18) ----------


def _money(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


def _private_storage():
    # Credit notes and SEPA files name customers and their bank accounts: served only by
    # views that check who asks, never by the web server.
    return storages["private"]


class RefundState(models.TextChoices):
    """F8: proposed → approved → paid; a payment the bank refused is failed, then retried."""

    PROPOSED = "proposed", _("proposed")
    APPROVED = "approved", _("approved")
    PAID = "paid", _("paid")
    FAILED = "failed", _("payment failed")
    CANCELLED = "cancelled", _("cancelled")


class Channel(models.TextChoices):
    """How a part of a refund reaches the customer (F6)."""

    SEPA = "sepa", _("bank transfer (SEPA batch)")
    STORE_CREDIT = "store_credit", _("store credit (ledger)")
    # Billink, Bitcoin, card and PayPal through their providers, gift vouchers and savings
    # points in kind: done outside Retour, booked here with the reference.
    OUTSIDE = "outside", _("paid outside Retour")


class Refund(ConcurrentTransitionMixin, models.Model):
    """Money (or store credit) owed to a customer for a ticket, itemized by the calculator.

    The items are the calculator's quote as it was proposed, each with its rule id (F1);
    an accountant may adjust an item's amount only with a reason, and the original stays
    beside it. Whoever proposed or adjusted a refund cannot approve it (four eyes).
    """

    number = models.CharField(_("refund number"), max_length=20, unique=True, editable=False)
    ticket = models.ForeignKey(
        "rma.Ticket", on_delete=models.PROTECT, related_name="refunds", verbose_name=_("ticket")
    )
    state = FSMField(_("state"), default=RefundState.PROPOSED, choices=RefundState, protected=True)
    # W7: a withdrawal's refund is due by this day (the ticket's `refund_due_on`); the
    # accountants' queue sorts by it, the rest (no legal due day) after.
    due_on = models.DateField(_("due by"), null=True, blank=True)
    total = _money(_("total"))
    # F5: what the customer owes for an investigation, charged separately, never netted.
    charges_total = _money(_("charged separately"), default=0)
    # F7 / P1: months a store-credit part is valid (24, partner restocking credit 12).
    store_credit_valid_months = models.PositiveSmallIntegerField(
        _("store credit valid (months)"), null=True, blank=True
    )
    # F6: the customer's account for the bank-transfer parts (asked in the portal when
    # the order has none), checked by its checksum before it is stored.
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    account_holder = models.CharField(_("account holder"), max_length=70, blank=True)
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    proposed_by = person_field(_("proposed by"))
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = person_field(_("approved by"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    paid_by = person_field(_("paid by"))
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    failure_reason = models.TextField(_("why the payment failed"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = person_field(_("cancelled by"))

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        permissions = [
            ("approve_refund", _("Can approve a refund")),
            ("pay_refund", _("Can pay a refund")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="refund_total_not_negative"),
        ]
        indexes = [
            # The accountants' queue: by state, the W7 due day first.
            models.Index(fields=["state", "due_on", "id"], name="refund_state_due_idx"),
            models.Index(fields=["proposed_at", "id"], name="refund_proposed_idx"),
            # The period exports and the customer's "paid on".
            models.Index(fields=["paid_at", "id"], name="refund_paid_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @transition(
        field=state,
        source=RefundState.PROPOSED,
        target=RefundState.APPROVED,
        permission="refunds.approve_refund",
    )
    def approve(self) -> None:
        pass

    @transition(
        field=state,
        source=RefundState.APPROVED,
        target=RefundState.PAID,
        permission="refunds.pay_refund",
    )
    def pay(self) -> None:
        pass

    @transition(
        field=state,
        source=RefundState.APPROVED,
        target=RefundState.FAILED,
        permission="refunds.pay_refund",
    )
    def fail(self) -> None:
        pass

    @transition(
        field=state,
        source=RefundState.FAILED,
        target=RefundState.APPROVED,
        permission="refunds.pay_refund",
    )
    def retry(self) -> None:
        pass

    @transition(
        field=state,
        source=[RefundState.PROPOSED, RefundState.FAILED],
        target=RefundState.CANCELLED,
        permission="refunds.add_refund",
    )
    def cancel(self) -> None:
        pass

    for _method in (approve, pay, fail, retry, cancel):
        _method.alters_data = True  # templates must not be able to call them
    del _method


class RefundEventKind(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    ADJUSTED = "adjusted", _("item adjusted")
    APPROVED = "approved", _("approved")
    ACCOUNT = "account", _("bank account given")
    PAID = "paid", _("paid in full")
    FAILED = "failed", _("payment failed")
    RETRIED = "retried", _("payment retried")
    CANCELLED = "cancelled", _("cancelled")


class RefundEvent(Event):
    """One row per step of a refund: who, when, what and why (F8: an auditor reads why
    every cent moved; a refund may fail and be retried more than once)."""

    refund = models.ForeignKey("Refund", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=10, choices=RefundEventKind)

    class Meta:
        ordering = ["refund", "at", "id"]
        verbose_name = _("refund event")
        verbose_name_plural = _("refund events")

    def __str__(self) -> str:
        return f"{self.refund_id} {self.kind}"


class RefundItem(models.Model):
    """One item of a refund as the calculator quoted it (F1–F4, P1, W8, W10).

    `original_amount` is the calculator's and never changes; `amount` is what is paid,
    different only after an adjustment, which names its reason and who made it.
    """

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    rule = models.CharField(_("rule"), max_length=10)
    # In the customer's language, as it was quoted: the credit note prints it.
    description = models.TextField(_("description"))
    line_id = models.CharField(_("order line"), max_length=20, blank=True)
    # The order line's VAT rate; delivery has the order's; fees and W8/W10 notes none
    # (`refunds.vat` spreads them over the goods' rates).
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    original_amount = _money(_("amount quoted"))
    amount = _money(_("amount"))
    adjustment_reason = models.TextField(_("reason for the adjustment"), blank=True)
    adjusted_by = person_field(_("adjusted by"))
    adjusted_at = models.DateTimeField(_("adjusted"), null=True, blank=True)

    class Meta:
        ordering = ["refund", "position"]
        verbose_name = _("refund item")
        verbose_name_plural = _("refund items")
        constraints = [
            models.UniqueConstraint(fields=["refund", "position"], name="refund_item_position"),
            # An adjusted amount always carries its reason.
            models.CheckConstraint(
                condition=Q(amount=models.F("original_amount")) | ~Q(adjustment_reason=""),
                name="refund_item_adjustment_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.amount}"

    @property
    def adjusted(self) -> bool:
        return self.amount != self.original_amount


class RefundLine(models.Model):
    """How many units of a ticket line a refund pays for (the ticket line's
    `refunded_quantity` counts them, bounded by the database)."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    ticket_line = models.ForeignKey(
        "rma.TicketLine", on_delete=models.PROTECT, related_name="refund_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("refunded line")
        verbose_name_plural = _("refunded lines")
        constraints = [
            models.UniqueConstraint(fields=["refund", "ticket_line"], name="refund_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="refund_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.refund} {self.quantity}× {self.ticket_line_id}"


class RefundUnit(models.Model):
    """F8: a returned unit a refund pays for. A unit belongs to one refund at most, which
    the database enforces, whoever proposes at the same time; a cancelled refund lets
    its units go (the rows are deleted, the refund's items keep what it was)."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="units")
    unit = models.OneToOneField(
        "rma.ReturnedUnit", on_delete=models.PROTECT, related_name="refund_unit"
    )

    class Meta:
        verbose_name = _("refunded unit")
        verbose_name_plural = _("refunded units")

    def __str__(self) -> str:
        return f"{self.refund} {self.unit_id}"


class SepaBatch(models.Model):
    """A SEPA credit-transfer file (pain.001) of approved bank-transfer parts.

    The parts are claimed when the batch is made, so a part is in one batch at most;
    booking the batch as executed pays each refund once, however often it is run.
    """

    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = person_field(_("created by"))
    execution_date = models.DateField(_("requested execution date"))
    count = models.PositiveIntegerField(_("transfers"))
    total = _money(_("total"))
    xml = models.FileField(_("pain.001 file"), storage=_private_storage, upload_to="sepa/%Y/")
    executed_at = models.DateTimeField(_("executed"), null=True, blank=True)
    executed_by = person_field(_("booked by"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("SEPA batch")
        verbose_name_plural = _("SEPA batches")

    def __str__(self) -> str:
        return self.message_id


class RefundPart(models.Model):
    """F6: the part of a refund paid back one way (the calculator's method split)."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="parts")
    method = models.CharField(_("paid with"), max_length=20)  # orders.enums.PaymentMethod
    channel = models.CharField(_("paid back by"), max_length=20, choices=Channel)
    amount = _money(_("amount"))
    batch = models.ForeignKey(
        SepaBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts",
        verbose_name=_("SEPA batch"),
    )
    # The SEPA end-to-end id, the provider's or the voucher's reference.
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    grant = models.OneToOneField(
        StoreCreditEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund_part",
        verbose_name=_("store credit granted"),
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        ordering = ["refund", "id"]
        verbose_name = _("refund part")
        verbose_name_plural = _("refund parts")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_part_positive"),
            # F7: store credit is never paid out as money.
            models.CheckConstraint(
                condition=~Q(method="store_credit") | Q(channel="store_credit"),
                name="refund_part_store_credit_in_kind",
            ),
        ]
        indexes = [
            # The next SEPA batch: approved bank-transfer parts not yet in one.
            models.Index(
                fields=["refund"],
                condition=Q(channel="sepa", batch__isnull=True, paid_at__isnull=True),
                name="refund_part_unbatched_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.refund} {self.method} {self.amount}"


class CreditNoteImmutable(Exception):
    """A credit note is issued once; a correction is a new refund."""


class CreditNote(models.Model):
    """F8: the credit note of a paid refund, numbered without gaps per year (CN-YYYY-NNNNN).

    What it says is fixed when it is issued: the items and the VAT per rate are copied
    into `lines` and `vat` (`refunds.vat`), so the PDF, the e-mail and the bookkeeping
    export read the same figures forever. Only the PDF file is added, once, afterwards.
    """

    number = models.CharField(_("credit note number"), max_length=20, unique=True)
    refund = models.OneToOneField(
        Refund, on_delete=models.PROTECT, related_name="credit_note", verbose_name=_("refund")
    )
    issued_at = models.DateTimeField(_("issued"))
    total = _money(_("total"))
    # [{"rule", "description", "line_id", "vat_rate", "amount"}], amounts as strings.
    lines = models.JSONField(_("lines"))
    # [{"rate", "gross", "vat", "net"}] per VAT rate, amounts as strings; sums to total.
    vat = models.JSONField(_("VAT per rate"))
    pdf = models.FileField(
        _("PDF"), storage=_private_storage, upload_to="credit-notes/%Y/", blank=True
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        indexes = [models.Index(fields=["issued_at", "id"], name="credit_note_issued_idx")]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        # Issued once; afterwards only its PDF is stored, once.
        if not self._state.adding and kwargs.get("update_fields") != ["pdf"]:
            raise CreditNoteImmutable(f"credit note {self.number} is issued")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise CreditNoteImmutable(f"credit note {self.number} is issued")


class ExportKind(models.TextChoices):
    """The bookkeeping exports a file can hold (`refunds.exports.EXPORTS`)."""

    CREDIT_NOTES = "credit_notes", _("Credit notes issued")
    REFUNDS = "refunds", _("Refunds paid")
    STORE_CREDIT = "store_credit", _("Store-credit movements")


class ExportFile(models.Model):
    """An XLSX of a bookkeeping export, built by a worker for the person who asked.

    A large period takes longer to write than a web worker may take for a request, so the
    page asks for the file and lists it; a worker writes it (`refunds.export_files`). It
    names customers and amounts: it is stored privately, served only to its requester.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    kind = models.CharField(_("export"), max_length=20, choices=ExportKind.choices)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file = models.FileField(
        _("file"), storage=_private_storage, upload_to="exports/%Y/", blank=True
    )
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("export file")
        verbose_name_plural = _("export files")
        indexes = [
            models.Index(fields=["requested_by", "requested_at"], name="export_file_requester_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.first_day}–{self.last_day}"
