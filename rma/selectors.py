"""Read queries on tickets: which ones are due for a deadline stage (D1–D4).

The windows come from `rma/deadlines.py` (the pure rules); here they become SQL, one
condition per group of policies that share a window, so the database hands over only
the due rows (through the partial indexes on `Ticket`) and nothing is filtered in
Python. The chaser and the staff's "Overdue" list read the same conditions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import partial, reduce
from operator import or_

from django.db import models
from django.db.models import Case, CharField, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from core.periods import Window
from core.windows import any_group, day_within, moment_within
from orders.models import Order
from orders.selectors import order_facts, order_for_rules
from policies.models import ReturnPolicy
from policies.reasons import Reason, binds_the_shop
from policies.terms import Terms
from rma import deadlines
from rma.deadlines import Stage
from rma.guarantees import legal_guarantee
from rma.models import ReturnedUnit, Ticket, TicketLine
from rma.states import GOODS_GO_BACK, REFUND_OWED_STATES, RELEASING_STATES, State

# The stage shown for a ticket that is late on several deadlines: the most pressing one.
SEVERITY = (
    Stage.ACKNOWLEDGE_DUE,
    Stage.REFUND_OVERDUE,
    Stage.EXPIRE,
    Stage.IN_TRANSIT_LAPSED,
    Stage.RESPONSE_OVERDUE,
    Stage.REFUND_ALERT,
    Stage.TRACKING_REMINDER,
    Stage.SHIP_REMINDER,
)


# Tickets whose withdrawal binds the shop (W10): never expired, reminded without end.
_BINDING = Q(reason__in=[reason for reason in Reason.values if binds_the_shop(reason)])
# D4 (W7): withdrawals whose refund the customer does not have yet (the partial index's
# condition, `ticket_d4_unpaid_refund_idx`).
_REFUND_UNPAID = Q(
    reason=Reason.WITHDRAWAL, state__in=REFUND_OWED_STATES, refund_paid_on__isnull=True
)
_UNSHIPPED = Q(state=State.AUTHORIZED, shipped_on__isnull=True, goods_to_return=True)

Branch = tuple[Q, Callable[[Terms, date], Window], str]

# Per stage: the rows it can apply to (matching the partial indexes' conditions, kept
# outside the per-policy OR so PostgreSQL can use those indexes) and its window on which
# field of the ticket (one per stage); a stage whose window differs by kind of ticket has
# a branch each.
_STAGES: dict[str, list[Branch]] = {
    Stage.RESPONSE_OVERDUE: [
        (Q(state=State.REQUESTED), deadlines.response_overdue_window, "state_changed_at"),
    ],
    Stage.ACKNOWLEDGE_DUE: [
        (Q(state=State.REQUESTED), deadlines.acknowledge_due_window, "state_changed_at"),
    ],
    Stage.SHIP_REMINDER: [
        (_UNSHIPPED & ~_BINDING, deadlines.ship_reminder_window, "state_changed_at"),
        (
            _UNSHIPPED & _BINDING,
            partial(deadlines.ship_reminder_window, lapses=False),
            "state_changed_at",
        ),
    ],
    Stage.EXPIRE: [(_UNSHIPPED & ~_BINDING, deadlines.expire_window, "state_changed_at")],
    Stage.IN_TRANSIT_LAPSED: [
        (
            Q(state=State.AUTHORIZED, shipped_on__isnull=False),
            deadlines.expire_window,
            "state_changed_at",
        ),
    ],
    Stage.TRACKING_REMINDER: [
        (
            Q(state=State.AUTHORIZED, tracking_number=""),
            deadlines.tracking_reminder_window,
            "shipped_on",
        ),
    ],
    Stage.REFUND_ALERT: [(_REFUND_UNPAID, deadlines.refund_alert_window, "refund_due_on")],
    Stage.REFUND_OVERDUE: [(_REFUND_UNPAID, deadlines.refund_overdue_window, "refund_due_on")],
}


# The tickets one of whose stages can ever be due, whatever the day: the rest have no
# `overdue_from` (see `rma.services.overdue.refresh_overdue`).
MAY_FALL_DUE = reduce(or_, (rows for branches in _STAGES.values() for rows, _, _ in branches))


def stage_due_q(stage: str, *, policies: Iterable[ReturnPolicy], today: date) -> Q:
    """Return the condition "ticket is due for `stage` on `today`" under its own policy.

    Policies with the same window share one branch (the statutory D1/D4 windows are the
    same for all), so the SQL stays small whatever the number of policies.
    """
    policies = list(policies)
    return reduce(or_, (_branch_q(branch, policies, today) for branch in _STAGES[stage]))


def stage_since(stage: str) -> str:
    """The ticket's field `stage`'s window is on. A stage's list shows the longest overdue
    first, in this field's order, which the index serving the stage keeps: a page of the
    list is a page of that index, however many tickets the shop has."""
    (field,) = {field for _rows, _window, field in _STAGES[stage]}
    return field


def _branch_q(branch: Branch, policies: list[ReturnPolicy], today: date) -> Q:
    rows, window_of, field = branch
    # A moment (state_changed_at) is taken in the shop's days, a day as it is.
    is_moment = isinstance(Ticket._meta.get_field(field), models.DateTimeField)
    within = moment_within if is_moment else day_within

    def per_window(window: Window, pks: list[int]) -> Q:
        return Q(policy_id__in=pks) & within(field, window)

    return rows & any_group(
        ((window_of(policy.terms(), today), policy.pk) for policy in policies), per_window
    )


def tickets_due(*, stage: str, today: date, policies: Iterable[ReturnPolicy]) -> QuerySet:
    """Tickets due for `stage` on `today`, unordered, ready for the chaser to iterate."""
    return Ticket.objects.filter(stage_due_q(stage, policies=policies, today=today)).order_by()


def overdue_q(*, today: date, policies: Iterable[ReturnPolicy], stage: str | None = None) -> Q:
    """The condition "a deadline passed on `today`" (one `stage`, or any): a filter the
    partial indexes of the chased stages answer, so it scales with the overdue tickets,
    not with the table."""
    policies = list(policies)
    stages = [stage] if stage else SEVERITY
    return reduce(or_, (stage_due_q(s, policies=policies, today=today) for s in stages))


def tickets_overdue(*, now: datetime, stage: str | None = None) -> QuerySet:
    """Tickets with a deadline passed, annotated `overdue_stage` with the most pressing one.

    `stage` keeps only the tickets due for that one stage (the admin's "Overdue" filter).
    """
    today = timezone.localdate(now)
    policies = list(ReturnPolicy.objects.all())
    conditions = {s: stage_due_q(s, policies=policies, today=today) for s in SEVERITY}
    return (
        Ticket.objects.filter(overdue_q(today=today, policies=policies, stage=stage))
        .annotate(
            overdue_stage=Case(
                *(When(condition, then=Value(s)) for s, condition in conditions.items()),
                default=None,
                output_field=CharField(),
            )
        )
        .select_related("order__customer", "policy")
        .order_by("state_changed_at")
    )


def ticket_under_legal_guarantee(ticket: Ticket) -> bool:
    """R14: a unit of `ticket` was under the consumer's legal guarantee when it was
    requested (then a repair or replacement is free, return postage included)."""
    facts = order_facts(order_for_rules(ticket.order.number))
    terms = ticket.policy.terms()
    on = timezone.localdate(ticket.created_at)
    return any(
        legal_guarantee(facts, facts.line(line_id), terms, on).active
        for line_id in ticket.lines.values_list("order_line__line_id", flat=True)
    )


def withdrawal_lines_holding() -> QuerySet[TicketLine]:
    """The lines of withdrawals whose tickets still hold their units: `holds_quantities`
    of `rma.states` as SQL (not released, not resolved with the goods going back)."""
    return (
        TicketLine.objects.filter(ticket__reason=Reason.WITHDRAWAL)
        .exclude(ticket__state__in=RELEASING_STATES)
        .exclude(ticket__state=State.RESOLVED, ticket__resolution__in=GOODS_GO_BACK)
    )


def units_withdrawn(order: Order, *, besides: Ticket | None = None) -> dict[str, int]:
    """W8: per order line id, the units the order's withdrawals hold, leaving out
    `besides` (the ticket being decided)."""
    lines = withdrawal_lines_holding().filter(ticket__order=order)
    if besides is not None:
        lines = lines.exclude(ticket=besides)
    totals = lines.values("order_line__line_id").annotate(units=Sum("quantity")).order_by()
    return {row["order_line__line_id"]: row["units"] for row in totals}


# --- diagnosis (issue 16): the units of a ticket ---------------------------------------


def ticket_units(ticket: Ticket) -> QuerySet[ReturnedUnit]:
    """The ticket's returned units, with their line, product and people (one query)."""
    return (
        ReturnedUnit.objects.filter(ticket_line__ticket=ticket)
        .select_related(
            "ticket_line__order_line__product", "received_by", "diagnosed_by", "wiped_by"
        )
        .order_by("ticket_line__order_line__line_id", "number")
    )
