"""SQL for the deadline windows: the chasers of every app (D1–D6) and the staff's
"Overdue" filters turn a `core.periods.Window` into a condition here, so the database
hands over only the due rows and nothing is filtered in Python."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_
from typing import Any, Protocol

from django.db.models import Q
from django.utils import timezone

from core.periods import Window


class Tally(Protocol):
    """What a chaser reports to: one count per row it handled, acted on or found done."""

    def count(self, stage: str, *, acted: bool) -> None: ...


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
