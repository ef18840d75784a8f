"""Every state change of a ticket, and the opening of one.

Each service runs in one transaction, locks the ticket row first (two staff acting at
once: the second waits, then finds the new state and gets a clear message), checks the
transition's permission and conditions, applies it, keeps the order lines' held
quantities in step and writes the event row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from sequences import get_next_value

from accounts.models import User
from core import fsm
from core.calendar import LegalCalendar
from orders.enums import Route
from orders.models import Order, OrderLine
from orders.selectors import order_facts, order_for_rules
from policies.models import ReturnPolicy
from policies.reasons import Reason, goes_to_vendor
from policies.selectors import legal_calendar
from rma.emails import ticket_email_queue
from rma.errors import TicketError
from rma.models import Ticket, TicketEvent, TicketLine
from rma.routes import shop_forwards
from rma.rules import claimable_quantity, reason_decision
from rma.services import quantities
from rma.services.quantities import QUANTITY_TOO_HIGH
from rma.states import State
from withdrawals.rules import refund_due_by

# Messages a person may see; the tests assert on them. Whole sentences per action, so
# each language can order its words its own way.
NO_LINES = gettext_noop("A return request needs at least one line.")
LINE_NOT_IN_ORDER = gettext_noop("Line {line} is not part of order {order}.")
QUANTITY_NOT_POSITIVE = gettext_noop("Line {line}: the quantity must be at least 1.")
DUPLICATE_LINE = gettext_noop("Line {line} appears twice in the request.")
REJECTION_NEEDS_REASON = gettext_noop("Say why the request is rejected; the customer will read it.")
RESOLUTION_NEEDED = gettext_noop("Choose how the ticket is resolved.")
VENDOR_TICKET_NEEDED = gettext_noop(
    "This vendor's support must confirm the fault first (V3): "
    "enter their support ticket number before authorizing."
)
NOT_IN_STATE = {
    "authorize": gettext_noop("This ticket is {state} now and can no longer be authorized."),
    "reject": gettext_noop("This ticket is {state} now and can no longer be rejected."),
    "cancel": gettext_noop("This ticket is {state} now and can no longer be cancelled."),
    "expire": gettext_noop("This ticket is {state} now and can no longer be expired."),
    "receive": gettext_noop("This ticket is {state} now and can no longer be received."),
    "diagnose": gettext_noop("This ticket is {state} now and can no longer be diagnosed."),
    "resolve": gettext_noop("This ticket is {state} now and can no longer be resolved."),
}
NOT_PERMITTED = {
    "authorize": gettext_noop("You are not allowed to authorize this ticket."),
    "reject": gettext_noop("You are not allowed to reject this ticket."),
    "cancel": gettext_noop("You are not allowed to cancel this ticket."),
    "expire": gettext_noop("You are not allowed to expire this ticket."),
    "receive": gettext_noop("You are not allowed to receive this ticket."),
    "diagnose": gettext_noop("You are not allowed to diagnose this ticket."),
    "resolve": gettext_noop("You are not allowed to resolve this ticket."),
}
STORE_CREDIT_NOT_OFFERED = gettext_noop(
    "This shop's return policy does not offer store credit instead of a refund (F6): "
    "your money goes back the way you paid."
)
NOTICE_ONLY_FOR_WITHDRAWALS = gettext_noop("Only a withdrawal has a date of notice (W3).")
NOTICE_DAY_BY_STAFF = gettext_noop(
    "The date of notice of an online withdrawal is the day it is submitted (W3)."
)
NOTICE_IN_FUTURE = gettext_noop("The notice cannot have been sent after today ({today}).")
NOTICE_BEFORE_ORDER = gettext_noop("The notice cannot have been sent before order {order}.")
WITHDRAWAL_BINDS = gettext_noop(
    "A withdrawal cannot be rejected or expired: the consumer's notice binds the shop (W10). "
    "Lines the law excludes were refused when it was submitted."
)
_CONDITION_MESSAGES = {
    "_may_be_refused": WITHDRAWAL_BINDS,
    "_has_lines": NO_LINES,
    "_vendor_validated": VENDOR_TICKET_NEEDED,
    "_has_rejection_reason": REJECTION_NEEDS_REASON,
    "_has_resolution": RESOLUTION_NEEDED,
}


@dataclass(frozen=True)
class LineRequest:
    line_id: str
    quantity: int
    serials: Sequence[str] = field(default_factory=tuple)
    detail: str = ""


def ticket_number_next(year: int) -> str:
    """Take the next RMA number of the year; gapless because the counter row is locked
    in the caller's transaction (django-sequences)."""
    return f"RMA-{year}-{get_next_value(f'rma-{year}'):06d}"


@transaction.atomic
def ticket_create(
    *,
    order: Order,
    reason: str,
    lines: Sequence[LineRequest],
    by: User | None,
    policy: ReturnPolicy | None = None,
    note: str = "",
    factory_reset_confirmed: bool = False,
    vendor_ticket_number: str = "",
    vendor_rma_number: str = "",
    notice_on: date | None = None,
    event_data: dict[str, object] | None = None,
    store_credit_chosen: bool = False,
) -> Ticket:
    """Open a return request for lines of an order and hold their quantities.

    W3: a withdrawal's date of notice is what counts. Submitted online it is today; staff
    registering a notice that came by post or e-mail give the day it was sent
    (`notice_on`), and eligibility and every deadline run from that day. `by=None` is a
    consumer without an account, through the public withdrawal function; `event_data`
    is recorded on the opening event (how the notice came, the name it was signed with).
    F6: `store_credit_chosen` is the customer's choice of store credit instead of the way
    they paid, refused (nothing written) when the policy does not offer it.
    """
    if not lines:
        raise TicketError(_(NO_LINES))
    if reason not in Reason.values:
        raise TicketError(_("Unknown reason {reason}.").format(reason=reason))
    policy = policy or ReturnPolicy.default()
    if store_credit_chosen and not policy.store_credit_by_choice:
        raise TicketError(_(STORE_CREDIT_NOT_OFFERED))
    today = timezone.localdate()
    notice_on = _notice_day(order, reason, notice_on, by=by, today=today)
    order_lines = _locked_order_lines(order, lines)
    undelivered = {
        request.line_id: quantities.units_taken(
            order_lines[request.line_id], reason, request.quantity
        )
        for request in lines
    }
    calendar = legal_calendar()
    _check_eligibility(
        order, reason, lines, policy=policy, on=notice_on or today, calendar=calendar
    )
    vendor_id, route = _deciding_vendor(reason, [order_lines[r.line_id] for r in lines])
    ticket = Ticket.objects.create(
        number=ticket_number_next(today.year),
        vendor_id=vendor_id,
        route=route,
        order=order,
        policy=policy,
        reason=reason,
        created_by=by,
        customer_note=note,
        factory_reset_confirmed=factory_reset_confirmed,
        store_credit_chosen=store_credit_chosen,
        vendor_ticket_number=vendor_ticket_number,
        vendor_rma_number=vendor_rma_number,  # V2: the RMA opened at the vendor's portal
        notice_on=notice_on,
        # W7: the refund's due day, fixed at notice with the legal calendar (W2).
        refund_due_on=refund_due_by(notice_on, calendar) if notice_on else None,
    )
    ticket_lines = TicketLine.objects.bulk_create(
        TicketLine(
            ticket=ticket,
            order_line=order_lines[request.line_id],
            quantity=request.quantity,
            undelivered_quantity=undelivered[request.line_id],
            serials=list(request.serials),
            detail=request.detail,
        )
        for request in lines
    )
    if not any(line.to_send_back for line in ticket_lines):
        # W1: everything was withdrawn before delivery: no label, nothing to remind of.
        ticket.goods_to_return = False
        ticket.save(update_fields=["goods_to_return"])
    try:
        with transaction.atomic():
            quantities.hold(ticket_lines)
    except IntegrityError as exc:  # the database's own check: never more than delivered
        raise TicketError(_("These quantities are no longer available for return.")) from exc
    event = TicketEvent.objects.create(
        ticket=ticket,
        by=by,
        from_state="",
        to_state=State.REQUESTED,
        note=note,
        data={**({"notice_on": notice_on} if notice_on else {}), **(event_data or {})},
    )
    _announce_after_commit(event)
    return ticket


def _deciding_vendor(reason: str, order_lines: Sequence[OrderLine]) -> tuple[int | None, str]:
    """The ticket's vendor and route, kept on it for the queue's filters.

    V1–V3, the rule of `rma.emails.ticket_context`: a defect goes to the first vendor (by
    line) that takes it directly, with that vendor's route; without one, and for every
    other reason, it comes back to the shop, and the vendor is the first line's.
    """
    rows = {
        pk: (vendor, route)
        for pk, vendor, route in OrderLine.objects.filter(
            pk__in=[line.pk for line in order_lines]
        ).values_list("pk", "product__vendor_id", "product__vendor__route")
    }
    routes = dict(rows.values())
    vendors = [rows[line.pk][0] for line in order_lines]
    if goes_to_vendor(reason):
        direct = next((v for v in vendors if not shop_forwards(routes[v])), None)
        if direct is not None:
            return direct, routes[direct]
    return (vendors[0] if vendors else None), Route.VIA_SHOP


def _notice_day(
    order: Order, reason: str, notice_on: date | None, *, by: User | None, today: date
) -> date | None:
    """W3: the withdrawal's date of notice; only staff register one sent on an earlier day."""
    if reason != Reason.WITHDRAWAL:
        if notice_on is not None:
            raise TicketError(_(NOTICE_ONLY_FOR_WITHDRAWALS))
        return None
    if notice_on is None or notice_on == today:
        return today
    if by is None or not by.has_perm("rma.add_ticket"):
        raise TicketError(_(NOTICE_DAY_BY_STAFF))
    if notice_on > today:
        raise TicketError(_(NOTICE_IN_FUTURE).format(today=today.isoformat()))
    if notice_on < timezone.localdate(order.placed_at):
        raise TicketError(_(NOTICE_BEFORE_ORDER).format(order=order.number))
    return notice_on


def _locked_order_lines(order: Order, lines: Sequence[LineRequest]) -> dict[str, OrderLine]:
    """Lock the requested lines of `order`; refuse a line named twice, one not in the
    order or a quantity below one (what is still free is `quantities.units_taken`'s)."""
    ids = [request.line_id for request in lines]
    for line_id in ids:
        if ids.count(line_id) > 1:
            raise TicketError(_(DUPLICATE_LINE).format(line=line_id))
    # Lock the order lines (in a fixed order, so two requests never deadlock) so the
    # returnable quantity cannot change between the check and the update.
    order_lines = {
        line.line_id: line
        for line in OrderLine.objects.select_for_update()
        .filter(order=order, line_id__in=ids)
        .order_by("pk")
    }
    for request in lines:
        line = order_lines.get(request.line_id)
        if line is None:
            raise TicketError(_(LINE_NOT_IN_ORDER).format(line=request.line_id, order=order))
        if request.quantity < 1:
            raise TicketError(_(QUANTITY_NOT_POSITIVE).format(line=request.line_id))
    return order_lines


# Conditions that check what the person types with the button (a reason, a resolution),
# not the ticket's data: the button is offered and the input is asked for.
_INPUT_CONDITIONS = {"_has_rejection_reason", "_has_resolution"}


@dataclass(frozen=True)
class TransitionChoice:
    """A button on the staff ticket page: shown to whom the role allows it, usable when
    `allowed`, else disabled with `reason` (a sentence of `_CONDITION_MESSAGES`)."""

    name: str
    allowed: bool
    reason: str = ""


def ticket_transition_choices(ticket: Ticket, user: User) -> list[TransitionChoice]:
    """The transitions from `ticket`'s state that `user`'s role may make, each with whether
    it can be made now and, when not, why (issue 16 §5: a button that cannot be used now
    says why instead of disappearing)."""
    choices = []
    for transition in ticket.get_all_state_transitions():
        if transition.source not in (ticket.state, "*") or not transition.has_perm(ticket, user):
            continue
        failed = next(
            (
                condition.__name__
                for condition in transition.conditions
                if condition.__name__ not in _INPUT_CONDITIONS and not condition(ticket)
            ),
            None,
        )
        reason = _(_CONDITION_MESSAGES[failed]) if failed else ""
        choices.append(TransitionChoice(transition.name, failed is None, reason))
    return choices


def ticket_transitions_for(ticket: Ticket, user: User) -> list[str]:
    """Name the transitions `user` may make on `ticket` now."""
    return [c.name for c in ticket_transition_choices(ticket, user) if c.allowed]


def _check_eligibility(
    order: Order,
    reason: str,
    lines: Sequence[LineRequest],
    *,
    policy: ReturnPolicy,
    on: date,
    calendar: LegalCalendar,
) -> None:
    """Refuse lines the policy does not let the customer return for `reason` today
    (R1–R6, R11, W1–W5, V4, P1), with the rules' own sentence as the message."""
    facts = order_facts(order_for_rules(order.number))
    terms = policy.terms()
    for request in lines:
        line = facts.line(request.line_id)
        decision = reason_decision(facts, line, reason, terms=terms, on=on, calendar=calendar)
        if not decision.allowed:
            raise TicketError(
                _("Line %(line)s: %(why)s") % {"line": request.line_id, "why": decision.sentence}
            )
        claimable = claimable_quantity(facts, line, reason, on)
        if request.quantity > claimable:
            raise TicketError(
                _(QUANTITY_TOO_HIGH).format(
                    line=request.line_id, available=claimable, quantity=request.quantity
                )
            )


def _transition(
    ticket: Ticket,
    *,
    name: str,
    by: User | None,
    note: str = "",
    internal: bool = False,
    announce: bool = True,
    **changes: str,
) -> Ticket:
    """Apply transition `name` to a freshly locked copy of the ticket.

    `by=None` is the system (the deadline chaser, the withdrawal function); people always
    pass themselves. `announce=False` sends no e-mail of its own for the change (a
    withdrawal authorized at submission: its receipt carries the label).
    """
    with transaction.atomic():
        locked = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("order__customer")
            .get(pk=ticket.pk)
        )
        refusal = fsm.transition_refusal(locked, name, by=by, changes=changes)
        if refusal == fsm.WRONG_STATE:
            raise TicketError(_(NOT_IN_STATE[name]).format(state=locked.get_state_display()))
        if refusal == fsm.NOT_PERMITTED:
            raise TicketError(_(NOT_PERMITTED[name]))
        if refusal is not None:
            raise TicketError(_(_CONDITION_MESSAGES[refusal]))
        held_before = locked.holds_quantities
        from_state = locked.state
        getattr(locked, name)()
        locked.state_changed_at = timezone.now()
        locked.save()
        if held_before and not locked.holds_quantities:
            quantities.release(locked)
        event = TicketEvent.objects.create(
            ticket=locked,
            by=by,
            from_state=from_state,
            to_state=locked.state,
            note=note,
            internal=internal,
            data=changes,
        )
        if announce:
            _announce_after_commit(event)
    return locked


def _announce_after_commit(event: TicketEvent) -> None:
    """Tell the customer (and staff) about a state change once it is committed.

    The e-mails, the label and the reminders hang off this one place (SPEC §6–§7).
    The outbox row is written in this transaction and sent after commit, once per
    transition (the dedupe stage is the transition's id).
    """
    # The customer's e-mail for each state a ticket enters (SPEC §7).
    kinds: dict[str, str] = {
        State.REQUESTED: "ticket_requested",
        State.AUTHORIZED: "ticket_authorized",  # with the return label (R7)
        State.REJECTED: "ticket_rejected",
        State.CANCELLED: "ticket_cancelled",
        State.EXPIRED: "ticket_expired",
        State.RECEIVED: "ticket_received",
        State.DIAGNOSED: "ticket_diagnosed",
        State.RESOLVED: "ticket_resolved",
    }
    ticket = event.ticket
    if event.to_state == State.REQUESTED and ticket.reason == Reason.WITHDRAWAL:
        kind: str | None = "withdrawal_receipt"  # W3, W4: acknowledged at once with date and time
    else:
        kind = kinds.get(event.to_state)
    if kind is None:
        return
    context = {
        # Internal notes are for staff only (SPEC §2): never in a customer's e-mail; a
        # request's note is the customer's own description, not a word from the team.
        "note": "" if event.internal or event.to_state == State.REQUESTED else event.note,
        "transition_at": event.at,
    }
    if kind == "withdrawal_receipt":
        context["notice_at"] = event.at
        # W3: a notice sent by post or e-mail counts from its own day, not from ours.
        context["notice_registered_late"] = ticket.notice_on != timezone.localdate(event.at)
    ticket_email_queue(ticket=ticket, kind=kind, stage=str(event.pk), context=context)


def ticket_authorize(
    *, ticket: Ticket, by: User | None, note: str = "", announce: bool = True
) -> Ticket:
    return _transition(ticket, name="authorize", by=by, note=note, announce=announce)


def ticket_reject(*, ticket: Ticket, by: User, reason: str) -> Ticket:
    return _transition(ticket, name="reject", by=by, note=reason, rejection_reason=reason.strip())


def ticket_cancel(*, ticket: Ticket, by: User, note: str = "") -> Ticket:
    return _transition(ticket, name="cancel", by=by, note=note)


def ticket_expire(*, ticket: Ticket, by: User | None = None, note: str = "") -> Ticket:
    return _transition(ticket, name="expire", by=by, note=note)


def ticket_receive(*, ticket: Ticket, by: User, note: str = "") -> Ticket:
    """The parcel is in: the ticket is received and each unit sent back gets its
    ReturnedUnit, in one transaction, however the receipt was made (the scan station,
    the ticket page's button, the demo)."""
    # Imported here: receiving builds on this module (the scan receives through this).
    from rma.services.receiving import units_create

    with transaction.atomic():
        received = _transition(ticket, name="receive", by=by, note=note)
        units_create(received, by)
    return received


def ticket_diagnose(*, ticket: Ticket, by: User, note: str = "") -> Ticket:
    return _transition(ticket, name="diagnose", by=by, note=note, internal=True)


def ticket_resolve(*, ticket: Ticket, by: User, resolution: str, note: str = "") -> Ticket:
    return _transition(ticket, name="resolve", by=by, note=note, resolution=resolution)
