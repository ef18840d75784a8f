"""Return policies and RMA tickets with their lifecycle (SPEC §2).

The transitions below only change the state and check their conditions; locking, the
transition log, e-mails and PDFs live in `rma/services.py`, the only caller.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from orders.models import Order, OrderLine
from rma.terms import DEFAULT_PRESET, PRESET_NAMES, PRESETS, Reason, Terms

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def _days(verbose_name, default, **kwargs):
    return models.PositiveSmallIntegerField(verbose_name, default=default, **kwargs)


def _percent(verbose_name, default):
    return models.DecimalField(
        verbose_name, max_digits=5, decimal_places=2, default=Decimal(default), validators=PERCENT
    )


class ReturnPolicy(models.Model):
    """Every number and switch of a shop's return policy, editable by staff.

    Mirrors `rma.terms.Terms` field for field; `terms()` hands the values to the rules.
    """

    preset = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default policy"), default=False)

    withdrawal_days = _days(
        _("withdrawal period (days)"), 14, validators=[MinValueValidator(14)]
    )  # W1, W10: never less than the statutory 14
    offers_order_error = models.BooleanField(_("offers order-error returns"), default=False)
    order_error_days = _days(_("order-error window (days)"), 30)
    order_error_restocking_percent = _percent(_("order-error restocking fee (%)"), "0")
    offers_delivery_error = models.BooleanField(_("offers delivery-error returns"), default=True)
    delivery_error_days = _days(_("delivery-error window (days)"), 30)
    offers_defective = models.BooleanField(_("offers warranty returns"), default=True)
    offers_dead_on_arrival = models.BooleanField(_("offers dead-on-arrival returns"), default=True)
    doa_days = models.PositiveSmallIntegerField(
        _("dead-on-arrival window (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: the vendor's window."),
    )
    offers_damaged_in_transit = models.BooleanField(
        _("offers transit-damage returns"), default=True
    )
    damaged_in_transit_days = _days(_("transit-damage report window (days)"), 7)
    strict_ineligibility = models.BooleanField(_("strict ineligibility list (R11)"), default=False)
    transaction_fee_percent = _percent(_("transaction fee (%)"), "0")
    store_credit_by_choice = models.BooleanField(
        _("store credit at the customer's choice"), default=False
    )
    hourly_rate = models.DecimalField(
        _("hourly IT rate"), max_digits=8, decimal_places=2, default=Decimal("75.00")
    )
    partner_restocking = models.BooleanField(_("partner restocking (P1)"), default=False)
    partner_restocking_months = _days(_("partner restocking window (months)"), 2)
    partner_restocking_percent = _percent(_("partner restocking fee (%)"), "20")
    partner_credit_valid_months = _days(_("partner store credit valid (months)"), 12)
    store_credit_valid_months = _days(_("store credit valid (months)"), 24)
    business_only = models.BooleanField(_("business customers only"), default=False)
    legal_guarantee_months = _days(
        _("legal guarantee (months)"), 24, validators=[MinValueValidator(24)]
    )  # R14: at least two years
    response_days = _days(_("response time (days)"), 2)
    ship_reminder_days = _days(_("remind to ship after (days)"), 7)
    authorization_valid_days = _days(_("authorization valid (days)"), 30)
    tracking_reminder_days = _days(_("remind for tracking after (days)"), 3)
    refund_alert_days = _days(_("alert accountants before refund deadline (days)"), 3)
    store_credit_notice_days = _days(_("store credit expiry notice (days)"), 30)

    class Meta:
        ordering = ["preset"]
        verbose_name = _("return policy")
        verbose_name_plural = _("return policies")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_policy"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def terms(self) -> Terms:
        return Terms(
            preset=self.preset, **{name: getattr(self, name) for name in Terms.field_names()}
        )

    @classmethod
    def default(cls) -> ReturnPolicy:
        return cls.objects.get(is_default=True)

    @classmethod
    def ensure_presets(cls) -> None:
        """Create the preset policies that are missing (the data migration's job, again
        after a test flushed the tables); webstore4 is the default."""
        for preset in PRESETS:
            if not cls.objects.filter(preset=preset).exists():
                policy = cls.from_preset(preset)
                policy.is_default = preset == DEFAULT_PRESET
                policy.save()

    @classmethod
    def from_preset(cls, preset: str) -> ReturnPolicy:
        """An unsaved policy with a preset's values."""
        terms = PRESETS[preset]
        return cls(
            preset=preset,
            name=PRESET_NAMES[preset],
            **{name: getattr(terms, name) for name in Terms.field_names()},
        )


class State(models.TextChoices):
    REQUESTED = "requested", _("requested")
    AUTHORIZED = "authorized", _("authorized")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")
    RECEIVED = "received", _("received")
    DIAGNOSED = "diagnosed", _("diagnosed")
    RESOLVED = "resolved", _("resolved")


# Tickets in these states no longer hold order quantities: the goods stay with the customer.
RELEASING_STATES = (State.REJECTED, State.CANCELLED, State.EXPIRED)
OPEN_STATES = (State.REQUESTED, State.AUTHORIZED, State.RECEIVED, State.DIAGNOSED)


class ReasonChoice(models.TextChoices):
    WITHDRAWAL = Reason.WITHDRAWAL, _("withdrawal")
    ORDER_ERROR = Reason.ORDER_ERROR, _("order error")
    DELIVERY_ERROR = Reason.DELIVERY_ERROR, _("delivery error")
    DEFECTIVE = Reason.DEFECTIVE, _("defective / warranty")
    DEAD_ON_ARRIVAL = Reason.DEAD_ON_ARRIVAL, _("dead on arrival")
    DAMAGED_IN_TRANSIT = Reason.DAMAGED_IN_TRANSIT, _("damaged in transit")


class Resolution(models.TextChoices):
    REFUND = "refund", _("refund")
    STORE_CREDIT = "store_credit", _("store credit")
    CREDIT_NOTE = "credit_note", _("credit note")
    REPLACEMENT = "replacement", _("replacement")
    REPAIR = "repair", _("repair")
    RETURN_AS_IS = "return_as_is", _("returned to the customer as is")
    INVESTIGATION_CHARGED = "investigation_charged", _("investigation charged")


# The customer gets goods back: the order line's quantity is returnable again later
# (e.g. a repaired unit may fail again within its warranty).
GOODS_GO_BACK = (
    Resolution.REPLACEMENT,
    Resolution.REPAIR,
    Resolution.RETURN_AS_IS,
    Resolution.INVESTIGATION_CHARGED,
)


def _is_own_ticket_or_may_cancel(ticket: Ticket, user) -> bool:
    return user.has_perm("rma.cancel_ticket") or (
        user.is_authenticated and ticket.order.customer.user_id == user.pk
    )


class Ticket(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("RMA number"), max_length=20, unique=True, editable=False)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("order")
    )
    policy = models.ForeignKey(
        ReturnPolicy, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("policy")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=ReasonChoice)
    state = FSMField(_("state"), default=State.REQUESTED, choices=State, protected=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    state_changed_at = models.DateTimeField(_("state changed"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # W3: for a withdrawal the date of notice is what counts (W6, W7 deadlines run from it).
    notice_on = models.DateField(_("notice received on"), null=True, blank=True)
    customer_note = models.TextField(_("customer's description"), blank=True)
    # R8: devices with a login must be factory reset; the customer confirms it on submit.
    factory_reset_confirmed = models.BooleanField(_("factory reset confirmed"), default=False)
    vendor_ticket_number = models.CharField(  # V3: vendor support confirmed the fault
        _("vendor support ticket"), max_length=60, blank=True
    )
    vendor_rma_number = models.CharField(  # V2: the RMA opened at the vendor's portal
        _("vendor RMA number"), max_length=60, blank=True
    )
    shipped_on = models.DateField(_("customer shipped on"), null=True, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=80, blank=True)  # R10
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    resolution = models.CharField(_("resolution"), max_length=30, choices=Resolution, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        # Staff filter by state and age; the deadline chasers (D1–D3) ask for the due ones.
        indexes = [
            models.Index(fields=["state", "state_changed_at"]),
            # D2 ship reminder and expiry: authorized, not shipped, by authorization time.
            models.Index(
                fields=["state_changed_at"],
                condition=Q(state="authorized", shipped_on__isnull=True),
                name="ticket_d2_unshipped_idx",
            ),
            # D3 tracking reminder: authorized, no tracking number, by the shipping day.
            models.Index(
                fields=["shipped_on"],
                condition=Q(state="authorized", tracking_number=""),
                name="ticket_d3_no_tracking_idx",
            ),
            # D4 refund alert (W7): open withdrawals by their date of notice.
            models.Index(
                fields=["notice_on"],
                condition=Q(
                    reason="withdrawal",
                    state__in=["requested", "authorized", "received", "diagnosed"],
                ),
                name="ticket_d4_open_notice_idx",
            ),
        ]
        permissions = [
            ("authorize_ticket", _("Can authorize a ticket")),
            ("reject_ticket", _("Can reject a ticket")),
            ("cancel_ticket", _("Can cancel any ticket")),
            ("expire_ticket", _("Can expire a ticket")),
            ("receive_ticket", _("Can receive a ticket's parcel")),
            ("diagnose_ticket", _("Can diagnose a ticket")),
            ("resolve_ticket", _("Can resolve a ticket")),
        ]

    def __str__(self) -> str:
        return self.number

    # Transitions: state change and conditions only (services do the rest).

    def _has_lines(self) -> bool:
        return self.lines.exists()

    def _vendor_validated(self) -> bool:
        # V3: a defect on a validation-first vendor needs the vendor's support ticket.
        if self.reason not in (Reason.DEFECTIVE, Reason.DEAD_ON_ARRIVAL):
            return True
        needs_ticket = self.lines.filter(
            order_line__product__vendor__route="vendor_validation_first"
        ).exists()
        return bool(self.vendor_ticket_number) or not needs_ticket

    def _has_rejection_reason(self) -> bool:
        return bool(self.rejection_reason.strip())

    def _has_resolution(self) -> bool:
        return bool(self.resolution)

    @transition(
        field=state,
        source=State.REQUESTED,
        target=State.AUTHORIZED,
        permission="rma.authorize_ticket",
        conditions=[_has_lines, _vendor_validated],
    )
    def authorize(self) -> None:
        pass

    @transition(
        field=state,
        source=State.REQUESTED,
        target=State.REJECTED,
        permission="rma.reject_ticket",
        conditions=[_has_rejection_reason],
    )
    def reject(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.REQUESTED, State.AUTHORIZED],
        target=State.CANCELLED,
        permission=_is_own_ticket_or_may_cancel,
    )
    def cancel(self) -> None:
        pass

    @transition(
        field=state,
        source=State.AUTHORIZED,
        target=State.EXPIRED,
        permission="rma.expire_ticket",
    )
    def expire(self) -> None:
        pass

    @transition(
        field=state,
        source=State.AUTHORIZED,
        target=State.RECEIVED,
        permission="rma.receive_ticket",
    )
    def receive(self) -> None:
        pass

    @transition(
        field=state,
        source=State.RECEIVED,
        target=State.DIAGNOSED,
        permission="rma.diagnose_ticket",
    )
    def diagnose(self) -> None:
        pass

    @transition(
        field=state,
        source=State.DIAGNOSED,
        target=State.RESOLVED,
        permission="rma.resolve_ticket",
        conditions=[_has_resolution],
    )
    def resolve(self) -> None:
        pass

    for _method in (authorize, reject, cancel, expire, receive, diagnose, resolve):
        _method.alters_data = True  # templates must not be able to call them
    del _method

    @property
    def holds_quantities(self) -> bool:
        if self.state in RELEASING_STATES:
            return False
        return not (self.state == State.RESOLVED and self.resolution in GOODS_GO_BACK)


class TicketLine(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="ticket_lines", verbose_name=_("line")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)
    detail = models.TextField(_("what is wrong"), blank=True)

    class Meta:
        verbose_name = _("ticket line")
        verbose_name_plural = _("ticket lines")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "order_line"], name="ticket_line_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="ticket_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}× {self.order_line.name}"


class TicketTransition(models.Model):
    """One row per state change: who, when, from, to and why (the timeline and the audit)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transitions")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_state = models.CharField(_("from"), max_length=20, choices=State, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=State)
    note = models.TextField(_("note"), blank=True)
    # Internal notes are for staff only; the customer's timeline leaves them out.
    internal = models.BooleanField(_("internal"), default=False)

    class Meta:
        ordering = ["ticket", "at", "id"]
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")

    def __str__(self) -> str:
        return f"{self.ticket} {self.from_state} → {self.to_state}"


class ReturnLabel(models.Model):
    """The stored PDF return label of an authorized ticket (SPEC §7, R7).

    Rendered once per authorization; `content_digest` is the hash of what is printed on
    it, so it is rendered again only when that content changes (silver's derived documents).
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="label")
    pdf = models.FileField(_("label (PDF)"), upload_to="labels/%Y/")
    content_digest = models.CharField(max_length=64)
    rendered_at = models.DateTimeField(_("rendered"), auto_now=True)
    render_ms = models.PositiveIntegerField(_("render time (ms)"), default=0)

    class Meta:
        verbose_name = _("return label")
        verbose_name_plural = _("return labels")

    def __str__(self) -> str:
        return f"{self.ticket} label"
