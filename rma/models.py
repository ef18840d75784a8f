"""RMA tickets, their lines, their history and their labels (SPEC §2, §7).

The transitions below only change the state and check their conditions; locking, the
transition log, e-mails and PDFs live in `rma/services/`, the only caller.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.events import Event, person_field
from orders.enums import Route
from orders.models import Order, OrderLine, Vendor
from policies.models import ReturnPolicy
from policies.reasons import Reason, binds_the_shop
from rma.deadlines import TicketDates, overdue_from
from rma.routes import needs_vendor_ticket
from rma.states import REFUND_OWED_STATES, Resolution, State, holds_quantities

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date

    from django.contrib.auth.models import AnonymousUser
    from django_fsm import Transition

    from accounts.models import User
    from policies.terms import Terms


def _is_own_ticket_or_may_cancel(ticket: Ticket, user: User | AnonymousUser) -> bool:
    return user.has_perm("rma.cancel_ticket") or (
        user.is_authenticated and ticket.order.customer.user_id == user.pk
    )


# What `Ticket.deadline_dates` reads: saving one of them recomputes `overdue_from`.
DEADLINE_FIELDS = frozenset(
    {
        "policy",
        "policy_id",
        "state",
        "state_changed_at",
        "reason",
        "notice_on",
        "refund_due_on",
        "refund_paid_on",
        "shipped_on",
        "tracking_number",
        "goods_to_return",
    }
)
# The queue, "needs a person": a new request, a deadline passed, a customer waiting.
IN_THE_QUEUE = (
    Q(state=str(State.REQUESTED)) | Q(overdue=True) | Q(customer_waiting_since__isnull=False)
)


class NoticeChannel(models.TextChoices):
    """W3: the ways a withdrawal's notice reaches the shop."""

    ONLINE = "online", _("the withdrawal function on the site")
    POST = "post", _("post (a letter or the model form)")
    EMAIL = "email", _("e-mail")


class ParcelCondition(models.TextChoices):
    """The outer packaging of a returned parcel at receipt."""

    INTACT = "intact", _("intact")
    DAMAGED = "damaged", _("damaged")


class Ticket(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("RMA number"), max_length=20, unique=True, editable=False)
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("order"),
        db_index=False,  # ticket_order_idx, with the ticket's id
    )
    policy = models.ForeignKey(
        ReturnPolicy, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("policy")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason)
    state = FSMField(_("state"), default=State.REQUESTED, choices=State, protected=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    # A default, not auto_now_add: `save` reads it for `overdue_from` before the INSERT.
    state_changed_at = models.DateTimeField(_("state changed"), default=timezone.now)
    created_by = person_field(_("created by"))
    # W3: for a withdrawal the date of notice is what counts (W6, W7 deadlines run from it).
    notice_on = models.DateField(_("notice received on"), null=True, blank=True)
    # W7: a withdrawal's refund is due by this day (notice + 14, moved past weekends and
    # holidays by W2); D4 chases it.
    refund_due_on = models.DateField(_("refund due by"), null=True, blank=True)
    # D4 chases a withdrawal's refund until the customer has the money: set by
    # `refunds.refunding` when a refund of the ticket is paid.
    refund_paid_on = models.DateField(_("refund paid on"), null=True, blank=True)
    # W3: how a withdrawal's notice reached the shop, and for a letter or an e-mail the
    # scan staff keep of it (the evidence of its date).
    notice_channel = models.CharField(
        _("notice received by"), max_length=10, choices=NoticeChannel, blank=True
    )
    notice_scan = models.FileField(_("scan of the notice"), upload_to="notices/%Y/", blank=True)
    customer_note = models.TextField(_("customer's description"), blank=True)
    # R8: devices with a login must be factory reset; the customer confirms it on submit.
    factory_reset_confirmed = models.BooleanField(_("factory reset confirmed"), default=False)
    # F6: where the policy allows it (`store_credit_by_choice`), the customer takes the
    # refund as store credit instead of the way they paid; the refund's quote follows it.
    store_credit_chosen = models.BooleanField(_("customer chose store credit (F6)"), default=False)
    vendor_ticket_number = models.CharField(  # V3: vendor support confirmed the fault
        _("vendor support ticket"), max_length=60, blank=True
    )
    vendor_rma_number = models.CharField(  # V2: the RMA opened at the vendor's portal
        _("vendor RMA number"), max_length=60, blank=True
    )
    # False when every unit was withdrawn before delivery (W1): nothing to send back, so
    # no label and no reminder to ship (D2).
    goods_to_return = models.BooleanField(_("goods to send back"), default=True)
    shipped_on = models.DateField(_("customer shipped on"), null=True, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=80, blank=True)  # R10
    carrier = models.CharField(_("carrier"), max_length=40, blank=True)  # R10: who carries it
    # The staff member who looks after the ticket now ("assign to me" in the queue).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assigned to"),
    )
    # The vendor and route of the ticket, copied from its lines when it is opened (the
    # rule of `rma.emails.ticket_context`: for a defect the first vendor that takes it
    # directly, else the first line's vendor) so the queue filters on them through an
    # index; a ticket's lines are a multi-valued join no index serves at a million rows.
    vendor = models.ForeignKey(
        Vendor,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vendor"),
    )
    route = models.CharField(_("RMA route"), max_length=30, choices=Route, default=Route.VIA_SHOP)
    # The outer packaging as the warehouse found it at receipt (a photo when damaged is an
    # Attachment of the ticket); blank until the parcel is in.
    parcel_condition = models.CharField(
        _("parcel's condition"), max_length=10, choices=ParcelCondition, blank=True
    )
    # Since when the customer waits for an answer to their message (None: nobody waits);
    # set by a customer's message, cleared by staff's answer. The queue shows it.
    customer_waiting_since = models.DateTimeField(
        _("customer waiting since"), null=True, blank=True
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    resolution = models.CharField(_("resolution"), max_length=30, choices=Resolution, blank=True)
    # The queue's "a deadline passed" (D1–D4), stored so a million tickets sort by it
    # through an index: the first day a stage is due as the ticket is now (None: none
    # ever will be), recomputed by `save` from `DEADLINE_FIELDS` and the policy, and
    # whether that day has come, set by `save` and, as the days pass, by
    # `rma.services.overdue.mark_overdue` (the chaser's beat, the first list of a day).
    overdue_from = models.DateField(_("overdue from"), null=True, blank=True, editable=False)
    overdue = models.BooleanField(_("overdue"), default=False, editable=False)
    # The outbox's rows about this ticket (`Email.objects.filter(ticket=...)` reads them).
    emails = GenericRelation(
        "notifications.Email",
        content_type_field="subject_type",
        object_id_field="subject_id",
        related_query_name="ticket",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        # The staff list (backoffice.admin.TicketAdmin) sorts by `created_at` or
        # `state_changed_at` (then pk) and filters by state, reason and policy: one index
        # each, so a page of a million tickets reads a page of an index. The search's
        # exact lookups have theirs too (number: unique); serials and names have GIN
        # indexes on PostgreSQL (migration 0002, `core.pg`).
        # The deadline chasers (D1–D3) ask for the due ones through the partial indexes.
        indexes = [
            models.Index(fields=["created_at", "id"], name="ticket_created_idx"),
            models.Index(fields=["state_changed_at", "id"], name="ticket_changed_idx"),
            models.Index(fields=["state", "created_at", "id"], name="ticket_state_created_idx"),
            models.Index(fields=["reason", "created_at", "id"], name="ticket_reason_created_idx"),
            models.Index(fields=["policy", "created_at", "id"], name="ticket_policy_created_idx"),
            models.Index(fields=["tracking_number"], name="ticket_tracking_idx"),
            models.Index(fields=["assignee", "created_at", "id"], name="ticket_assignee_idx"),
            models.Index(fields=["vendor", "created_at", "id"], name="ticket_vendor_created_idx"),
            models.Index(fields=["route", "created_at", "id"], name="ticket_route_created_idx"),
            # An order's tickets; with the id, a search for a customer's name reads the
            # tickets of their orders from the index alone (`rma.search`).
            models.Index(fields=["order", "id"], name="ticket_order_idx"),
            # The queue's "customer waiting" filter and mark: only the few that wait.
            models.Index(
                fields=["customer_waiting_since"],
                condition=Q(customer_waiting_since__isnull=False),
                name="ticket_customer_waiting_idx",
            ),
            models.Index(fields=["state", "state_changed_at"]),
            # The queue (backoffice.admin_filters.QueueFilter): its rows in its order, so
            # a page of it is a page of this index.
            models.Index(
                fields=["-overdue", "customer_waiting_since", "created_at", "id"],
                condition=IN_THE_QUEUE,
                name="ticket_queue_idx",
            ),
            # The queue searched for a customer's name: the queue's tickets of the named
            # customers' orders, from this small index alone rather than every ticket of
            # those orders read to be checked (at a million tickets, 2,800 read for 25
            # kept: 5.8 ms; with it, 1 ms).
            models.Index(
                fields=["order", "id"], condition=IN_THE_QUEUE, name="ticket_queue_order_idx"
            ),
            # The day's turn (`mark_overdue`): the tickets not yet overdue, by the day.
            models.Index(
                fields=["overdue_from"],
                condition=Q(overdue=False, overdue_from__isnull=False),
                name="ticket_overdue_soon_idx",
            ),
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
            # D4 refund alert (W7): withdrawals whose refund is not paid, by its due day.
            models.Index(
                fields=["refund_due_on"],
                condition=Q(
                    reason="withdrawal",
                    state__in=[str(state) for state in REFUND_OWED_STATES],
                    refund_paid_on__isnull=True,
                ),
                name="ticket_d4_unpaid_refund_idx",
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

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or not DEADLINE_FIELDS.isdisjoint(update_fields):
            self.recompute_overdue(self.policy.terms(), timezone.localdate())
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "overdue_from", "overdue"}
        super().save(*args, **kwargs)

    def recompute_overdue(self, terms: Terms, today: date) -> bool:
        """Set `overdue_from` and `overdue` from the ticket as it is, under `terms` on
        `today`; True if either changed."""
        day = overdue_from(self.deadline_dates(), terms)
        marks = (day, day is not None and day <= today)
        changed = marks != (self.overdue_from, self.overdue)
        self.overdue_from, self.overdue = marks
        return changed

    def deadline_dates(self) -> TicketDates:
        """What the deadline rules (D1–D4) read of this ticket."""
        return TicketDates(
            state=self.state,
            state_changed_on=timezone.localdate(self.state_changed_at),
            reason=self.reason,
            notice_on=self.notice_on,
            refund_due_on=self.refund_due_on,
            refund_paid_on=self.refund_paid_on,
            shipped_on=self.shipped_on,
            has_tracking=bool(self.tracking_number),
            goods_to_return=self.goods_to_return,
        )

    # Transitions: state change and conditions only (services do the rest).

    def _has_lines(self) -> bool:
        return self.lines.exists()

    def _vendor_validated(self) -> bool:
        # V3: a defect on a validation-first vendor needs the vendor's support ticket.
        routes = self.lines.values_list("order_line__product__vendor__route", flat=True)
        return bool(self.vendor_ticket_number) or not needs_vendor_ticket(self.reason, routes)

    def _may_be_refused(self) -> bool:
        # W10: a consumer's withdrawal binds the shop; it is neither rejected nor expired.
        return not binds_the_shop(self.reason)

    def _has_rejection_reason(self) -> bool:
        return bool(self.rejection_reason.strip())

    def _has_resolution(self) -> bool:
        return bool(self.resolution)

    @transition(
        field=state,
        source=State.REQUESTED,
        target=State.AUTHORIZED,
        permission="rma.authorize_ticket",
        # django-fsm-2 types conditions as taking any Model; ours take a Ticket.
        conditions=[_has_lines, _vendor_validated],  # type: ignore[list-item]
    )
    def authorize(self) -> None:
        pass

    @transition(
        field=state,
        source=State.REQUESTED,
        target=State.REJECTED,
        permission="rma.reject_ticket",
        conditions=[_may_be_refused, _has_rejection_reason],  # type: ignore[list-item]
    )
    def reject(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.REQUESTED, State.AUTHORIZED],
        target=State.CANCELLED,
        # django-fsm-2 types a permission callable as taking any Model; this takes a Ticket.
        permission=_is_own_ticket_or_may_cancel,  # type: ignore[arg-type]
    )
    def cancel(self) -> None:
        pass

    @transition(
        field=state,
        source=State.AUTHORIZED,
        target=State.EXPIRED,
        permission="rma.expire_ticket",
        conditions=[_may_be_refused],  # type: ignore[list-item]  # takes a Ticket
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
        conditions=[_has_resolution],  # type: ignore[list-item]  # takes a Ticket
    )
    def resolve(self) -> None:
        pass

    if TYPE_CHECKING:
        # Added by the FSMField `state` when the class is prepared.
        def get_all_state_transitions(self) -> Iterator[Transition]: ...

    for _method in (authorize, reject, cancel, expire, receive, diagnose, resolve):
        _method.alters_data = True  # templates must not be able to call them
    del _method

    @property
    def holds_quantities(self) -> bool:
        return holds_quantities(self.state, self.resolution)


class TicketLine(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="ticket_lines", verbose_name=_("line")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    # W1, CRD 9(3): units withdrawn before they were delivered (or digital content not yet
    # supplied): nothing to send back, no label; only the delivered rest is held.
    undelivered_quantity = models.PositiveIntegerField(_("of which not delivered"), default=0)
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)
    detail = models.TextField(_("what is wrong"), blank=True)
    # How many of the line's units the warehouse received and diagnosed, and accounting
    # refunded: counted with the units (ReturnedUnit) and bounded by the database, so no
    # unit is received, diagnosed or refunded twice, whoever acts at the same time.
    received_quantity = models.PositiveIntegerField(_("received"), default=0)
    diagnosed_quantity = models.PositiveIntegerField(_("diagnosed"), default=0)
    refunded_quantity = models.PositiveIntegerField(_("refunded"), default=0)

    class Meta:
        verbose_name = _("ticket line")
        verbose_name_plural = _("ticket lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    received_quantity__lte=models.F("quantity") - models.F("undelivered_quantity")
                ),
                name="ticket_line_received_within_sent_back",
            ),
            models.CheckConstraint(
                condition=Q(diagnosed_quantity__lte=models.F("received_quantity")),
                name="ticket_line_diagnosed_within_received",
            ),
            models.CheckConstraint(
                condition=Q(refunded_quantity__lte=models.F("quantity")),
                name="ticket_line_refunded_within_quantity",
            ),
            models.UniqueConstraint(fields=["ticket", "order_line"], name="ticket_line_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="ticket_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(undelivered_quantity__lte=models.F("quantity")),
                name="ticket_line_undelivered_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}× {self.order_line.name}"

    @property
    def to_send_back(self) -> int:
        """The units the customer sends back: those that were delivered."""
        return self.quantity - self.undelivered_quantity


class EventKind(models.TextChoices):
    TRANSITION = "transition", _("state change")
    CHANGE = "change", _("details changed")


class TicketEvent(Event):
    """One row per change of a ticket: who, when, what and why (the timeline and the audit).

    A state change fills `from_state` and `to_state`; an edit of a detail that drives a
    deadline (tracking number, shipping day, vendor numbers) names the field and its old
    and new value in `data` (`{"field": "tracking_number", "old": "", "new": "3S…"}`).
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(
        _("kind"), max_length=10, choices=EventKind, default=EventKind.TRANSITION
    )
    from_state = models.CharField(_("from"), max_length=20, choices=State, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=State, blank=True)
    # Internal notes are for staff only; the customer's timeline leaves them out.
    internal = models.BooleanField(_("internal"), default=False)

    class Meta:
        ordering = ["ticket", "at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        constraints = [
            models.CheckConstraint(
                name="ticket_event_shape",
                condition=Q(kind="transition", to_state__gt="") | Q(kind="change", to_state=""),
            ),
        ]

    def __str__(self) -> str:
        if self.kind == EventKind.CHANGE:
            return f"{self.ticket} {self.data.get('field')}"
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


class Grade(models.TextChoices):
    """The condition of a returned unit at diagnosis (SPEC §2)."""

    SEALED = "sealed", _("sealed")
    OPENED_AS_NEW = "opened_as_new", _("opened, as new")
    SIGNS_OF_USE = "signs_of_use", _("signs of use")
    DAMAGED = "damaged", _("damaged")
    INCOMPLETE = "incomplete", _("incomplete")


class Outcome(models.TextChoices):
    """What happens to a unit after its diagnosis: the next step it proposes."""

    REFUND = "refund", _("refund (back to stock)")
    VENDOR_CASE = "vendor_case", _("send to the vendor (R13)")
    REPAIR = "repair", _("repair")
    RETURN_AS_IS = "return_as_is", _("return to the customer as is")


class ReturnedUnit(models.Model):
    """One unit of a ticket line that came back (per serial where there is one): its
    receipt, its diagnosis, the R15 wipe and the outcome. Made when the parcel is
    received; the line's counters move with it."""

    ticket_line = models.ForeignKey(
        TicketLine,
        on_delete=models.CASCADE,
        related_name="returned_units",
        verbose_name=_("line"),
    )
    number = models.PositiveSmallIntegerField(_("unit"))  # 1..n within its line
    serial = models.CharField(_("serial number"), max_length=80, blank=True)
    received_at = models.DateTimeField(_("received"))
    received_by = person_field(_("received by"))
    grade = models.CharField(_("condition"), max_length=20, choices=Grade, blank=True)
    # R8: still locked to the customer's account at receipt (a second investigation).
    locked = models.BooleanField(_("still locked (R8)"), null=True, blank=True)
    serial_matches = models.BooleanField(_("serial matches the order"), null=True, blank=True)
    accessories_complete = models.BooleanField(_("accessories complete"), null=True, blank=True)
    # R12 (no defect found: the investigation is charged) or R13 (to the vendor).
    defect_confirmed = models.BooleanField(_("defect confirmed"), null=True, blank=True)
    investigation_hours = models.DecimalField(  # R8, R12 → F5
        _("investigation (hours)"), max_digits=5, decimal_places=2, default=0
    )
    # F5: the investigation charge at the policy's hourly rate, fixed at diagnosis.
    investigation_charge = models.DecimalField(
        _("investigation charge"), max_digits=10, decimal_places=2, default=0
    )
    # F4, W6: depreciation or repair deduction, never above the line value per unit.
    deduction = models.DecimalField(_("deduction"), max_digits=10, decimal_places=2, default=0)
    deduction_reason = models.TextField(_("reason for the deduction"), blank=True)
    wiped_at = models.DateTimeField(_("wiped"), null=True, blank=True)  # R15
    wiped_by = person_field(_("wiped by"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome, blank=True)
    diagnosis_note = models.TextField(_("diagnosis"), blank=True)
    diagnosed_at = models.DateTimeField(_("diagnosed"), null=True, blank=True)
    diagnosed_by = person_field(_("diagnosed by"))

    class Meta:
        ordering = ["ticket_line", "number"]
        verbose_name = _("returned unit")
        verbose_name_plural = _("returned units")
        constraints = [
            models.UniqueConstraint(fields=["ticket_line", "number"], name="unit_number_unique"),
            models.UniqueConstraint(
                fields=["ticket_line", "serial"],
                condition=~Q(serial=""),
                name="unit_serial_unique",
            ),
            models.CheckConstraint(
                condition=Q(deduction__gte=0)
                & Q(investigation_hours__gte=0)
                & Q(investigation_charge__gte=0),
                name="unit_amounts_not_negative",
            ),
            # A diagnosis has its grade and outcome.
            models.CheckConstraint(
                condition=Q(diagnosed_at__isnull=True) | (~Q(grade="") & ~Q(outcome="")),
                name="unit_diagnosis_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_line.ticket} {self.ticket_line.order_line.line_id}/{self.number}"


class ScanOutcome(models.TextChoices):
    """What a scan at the warehouse's station found (R7)."""

    RECEIVED = "received", _("received")
    UNKNOWN = "unknown", _("unknown number: refuse the parcel")
    NOT_AUTHORIZED = "not_authorized", _("not authorized: refuse the parcel (R7)")
    ALREADY_RECEIVED = "already_received", _("already received")
    CANCELLED = "cancelled", _("cancelled: refuse the parcel")
    EXPIRED = "expired", _("authorization expired: refuse the parcel")


class ParcelScan(models.Model):
    """Every scan at the warehouse's station, whatever it found: the record of parcels
    received and of parcels refused (R7), also for numbers that match no ticket."""

    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = person_field(_("by"))
    scanned = models.CharField(_("scanned"), max_length=80)  # as the scanner typed it
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scans",
        verbose_name=_("ticket"),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=ScanOutcome)
    parcel_condition = models.CharField(
        _("parcel's condition"), max_length=10, choices=ParcelCondition, blank=True
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("parcel scan")
        verbose_name_plural = _("parcel scans")
        indexes = [
            models.Index(fields=["at", "id"], name="parcel_scan_at_idx"),
            models.Index(fields=["outcome", "at"], name="parcel_scan_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.scanned} {self.outcome}"


def _private_storage():
    # Outside the web root (settings.PRIVATE_MEDIA_ROOT): served only by a view that
    # checks who asks (the owner or staff), never by the web server.
    return storages["private"]


def _attachment_path(instance: Attachment, filename: str) -> str:
    # A random name: the customer's file name is kept in `name`, never on disk.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"attachments/{timezone.now():%Y}/{secrets.token_hex(16)}.{extension}"


class TicketMessage(models.Model):
    """One message of the thread between the customer and support about a ticket.

    Internal notes are not messages: they are events marked `internal` (TicketEvent).
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = person_field(_("by"))
    # Who wrote it: the customer (True) or the shop's staff (False), whatever `by` becomes.
    from_customer = models.BooleanField(_("from the customer"))
    body = models.TextField(_("message"))

    class Meta:
        ordering = ["ticket", "at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="ticket_message_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    """A photo or document the customer sent with a ticket (or a message), checked and
    re-encoded before it was stored (rma/attachments.py)."""

    # In the download's URL: not guessable, unlike the row's id.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = person_field(_("by"))
    file = models.FileField(_("file"), storage=_private_storage, upload_to=_attachment_path)
    name = models.CharField(_("file name"), max_length=255)  # as the customer named it
    content_type = models.CharField(_("type"), max_length=50)  # read from the content
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["ticket", "at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name
