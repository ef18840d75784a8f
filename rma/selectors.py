"""Read queries on tickets: which ones are due for a deadline stage (D1–D4).

The windows come from `rma/deadlines.py` (the pure rules); here they become SQL, one
condition per group of policies that share a window, so the database hands over only
the due rows (through the partial indexes of migration 0004) and nothing is filtered in
Python. The chaser and the staff's "Overdue" list read the same conditions.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.utils import timezone

from rma import deadlines
from rma.deadlines import Stage, Window
from rma.models import ReturnPolicy, State, Ticket
from rma.terms import Reason

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


def day_start(day: date) -> datetime:
    """Return the first moment of `day` in the shop's timezone (Europe/Amsterdam)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def moment_within(field: str, window: Window) -> Q:
    """The condition "the local day of the moment in `field` is in `window`".

    The rules count local days: day <= latest ⇔ the moment is before the start of the
    next day (a ticket's state change, a vendor case's opening).
    """
    q = Q(**{f"{field}__lt": day_start(window.latest + timedelta(days=1))})
    if window.before is not None:
        q &= Q(**{f"{field}__gte": day_start(window.before + timedelta(days=1))})
    return q


def day_within(field: str, window: Window) -> Q:
    """The condition "the day in date column `field` is in `window`"."""
    q = Q(**{f"{field}__lte": window.latest})
    if window.before is not None:
        q &= Q(**{f"{field}__gt": window.before})
    return q


def any_group(pairs: Iterable[tuple[Hashable, int]], branch: Callable[[Any, list[int]], Q]) -> Q:
    """OR one `branch(key, pks)` per distinct key of the (key, pk) `pairs`.

    Policies (or vendors) with the same numbers share one branch, so the SQL stays small
    whatever their number; with no pairs at all, nothing matches.
    """
    groups: dict[Hashable, list[int]] = {}
    for key, pk in pairs:
        groups.setdefault(key, []).append(pk)
    if not groups:
        return Q(pk__in=[])
    return reduce(or_, (branch(key, sorted(pks)) for key, pks in groups.items()))


def _changed_within(window: Window) -> Q:
    return moment_within("state_changed_at", window)


# Per stage: the rows it can apply to (matching the partial indexes' conditions, kept
# outside the per-policy OR so PostgreSQL can use those indexes) and its window on which
# field of the ticket.
_STAGES = {
    Stage.RESPONSE_OVERDUE: (
        Q(state=State.REQUESTED),
        deadlines.response_overdue_window,
        _changed_within,
    ),
    Stage.ACKNOWLEDGE_DUE: (
        Q(state=State.REQUESTED),
        deadlines.acknowledge_due_window,
        _changed_within,
    ),
    Stage.SHIP_REMINDER: (
        Q(state=State.AUTHORIZED, shipped_on__isnull=True),
        deadlines.ship_reminder_window,
        _changed_within,
    ),
    Stage.EXPIRE: (
        Q(state=State.AUTHORIZED, shipped_on__isnull=True),
        deadlines.expire_window,
        _changed_within,
    ),
    Stage.IN_TRANSIT_LAPSED: (
        Q(state=State.AUTHORIZED, shipped_on__isnull=False),
        deadlines.expire_window,
        _changed_within,
    ),
    Stage.TRACKING_REMINDER: (
        Q(state=State.AUTHORIZED, tracking_number=""),
        deadlines.tracking_reminder_window,
        lambda window: day_within("shipped_on", window),
    ),
    Stage.REFUND_ALERT: (
        Q(reason=Reason.WITHDRAWAL, state__in=deadlines.REFUND_OPEN_STATES),
        deadlines.refund_alert_window,
        lambda window: day_within("notice_on", window),
    ),
    Stage.REFUND_OVERDUE: (
        Q(reason=Reason.WITHDRAWAL, state__in=deadlines.REFUND_OPEN_STATES),
        deadlines.refund_overdue_window,
        lambda window: day_within("notice_on", window),
    ),
}


def stage_due_q(stage: str, *, policies: Iterable[ReturnPolicy], today: date) -> Q:
    """Return the condition "ticket is due for `stage` on `today`" under its own policy.

    Policies with the same window share one branch (the statutory D1/D4 windows are the
    same for all), so the SQL stays small whatever the number of policies.
    """
    rows, window_of, within = _STAGES[stage]
    return rows & any_group(
        ((window_of(policy.terms(), today), policy.pk) for policy in policies),
        lambda window, pks: Q(policy_id__in=pks) & within(window),
    )


def tickets_due(*, stage: str, today: date, policies: Iterable[ReturnPolicy]) -> QuerySet:
    """Tickets due for `stage` on `today`, unordered, ready for the chaser to iterate."""
    return Ticket.objects.filter(stage_due_q(stage, policies=policies, today=today)).order_by()


def tickets_overdue(*, now: datetime, stage: str | None = None) -> QuerySet:
    """Tickets with a deadline passed, annotated `overdue` with the most pressing stage.

    `stage` keeps only the tickets due for that one stage (the admin's "Overdue" filter).
    """
    today = timezone.localdate(now)
    policies = list(ReturnPolicy.objects.all())
    conditions = {s: stage_due_q(s, policies=policies, today=today) for s in SEVERITY}
    wanted = conditions[stage] if stage else reduce(or_, conditions.values())
    return (
        Ticket.objects.filter(wanted)
        .annotate(
            overdue=Case(
                *(When(condition, then=Value(s)) for s, condition in conditions.items()),
                default=None,
                output_field=CharField(),
            )
        )
        .select_related("order__customer", "policy")
        .order_by("state_changed_at")
    )
