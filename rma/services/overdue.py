"""Keep the queue's stored "a deadline passed" (`Ticket.overdue_from`, `Ticket.overdue`)
true as days pass and as policies change.

`Ticket.save` recomputes both whenever a field the deadlines read is saved. What no save
sees is handled here: a day that turns (a ticket whose day has come is now overdue) and
a change no ticket's save makes (a policy's numbers, data written in bulk).
"""

from __future__ import annotations

import logging
from datetime import date
from functools import partial

from django.apps.registry import Apps
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import QuerySet
from django.utils import timezone
from redis.exceptions import RedisError

from policies.models import ReturnPolicy
from rma.models import DEADLINE_FIELDS, Ticket
from rma.selectors import MAY_FALL_DUE

logger = logging.getLogger(__name__)

BATCH = 2_000
# What Django's Redis cache raises when Redis does not answer.
CACHE_DOWN = (OSError, RedisError)


def mark_overdue(today: date) -> int:
    """Mark the tickets whose `overdue_from` has come by `today`; returns how many.

    The chaser's beat runs it (every 15 minutes), so a ticket saved just before midnight
    under the old day is marked within one run; the partial index
    `ticket_overdue_soon_idx` finds the few whose day came.
    """
    return Ticket.objects.filter(overdue=False, overdue_from__lte=today).update(overdue=True)


def mark_overdue_once(today: date) -> None:
    """`mark_overdue` for the first ticket list of the day in this cache, so the queue is
    right from midnight on where no beat runs (the embedded default) or it runs late."""
    key = f"rma:overdue-marked:{today.isoformat()}"
    try:
        if cache.get(key) is not None:
            return
        mark_overdue(today)
        cache.set(key, True, timeout=2 * 24 * 3600)
    except CACHE_DOWN:  # an unreachable cache costs a marking per list, never the list
        logger.warning("Queue marked without the cache: it is unavailable", exc_info=True)
        mark_overdue(today)


def refresh_overdue(tickets: QuerySet[Ticket], *, today: date) -> int:
    """Compute `overdue_from` and `overdue` afresh for `tickets`, for a change their saves
    did not see; returns how many changed. Only the tickets that may fall due are read
    (the open ones), a batch at a time, each locked while it is computed so a transition
    saved meanwhile is not overwritten with what was read before it."""
    changed = (
        tickets.exclude(MAY_FALL_DUE)
        .filter(overdue_from__isnull=False)
        .update(overdue_from=None, overdue=False)
    )
    terms = {policy.pk: policy.terms() for policy in ReturnPolicy.objects.all()}
    fields = DEADLINE_FIELDS - {"policy_id"} | {"overdue_from", "overdue"}
    pks = list(tickets.filter(MAY_FALL_DUE).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        with transaction.atomic():
            batch = Ticket.objects.filter(pk__in=pks[start : start + BATCH]).only(*fields)
            stale = []
            for ticket in batch.select_for_update(of=("self",)):
                if ticket.recompute_overdue(terms[ticket.policy_id], today):
                    stale.append(ticket)
            Ticket.objects.bulk_update(stale, ["overdue_from", "overdue"])
        changed += len(stale)
    return changed


def refresh_after_migrate(
    using: str, apps: Apps | None = None, plan: list | None = None, **_signal: object
) -> None:
    """After each `migrate` (each deploy), the open tickets' marks afresh with the rules of
    the code deployed: the tickets there before rma 0011 stored them, and every ticket
    after a change of the rules (connected in `RmaConfig.ready`). Skipped when migrating
    backwards or another database, where the columns may not be there."""
    if using != DEFAULT_DB_ALIAS or any(backwards for _, backwards in plan or ()):
        return
    try:
        if apps is not None:  # None: after a flush, with every table there and empty
            apps.get_model("rma", "Ticket")._meta.get_field("overdue_from")
    except (LookupError, FieldDoesNotExist):
        return
    refresh_overdue(Ticket.objects.all(), today=timezone.localdate())


def policy_overdue_refresh(policy_pk: int) -> int:
    """The tickets of a policy whose numbers changed, afresh (`refresh_overdue`)."""
    return refresh_overdue(Ticket.objects.filter(policy_id=policy_pk), today=timezone.localdate())


def policy_saved(instance: ReturnPolicy, created: bool, **_signal: object) -> None:
    """A policy's numbers move its tickets' deadlines (connected in `RmaConfig.ready`):
    a worker recomputes them once the change is committed, at a shop's size thousands of
    open tickets; here if no worker can be told."""
    if not created:  # a new policy has no tickets yet
        transaction.on_commit(partial(_publish_refresh, instance.pk))


def _publish_refresh(policy_pk: int) -> None:
    from rma.tasks import refresh_overdue_task

    try:
        refresh_overdue_task.apply_async((policy_pk,), retry=False)
    except Exception:  # the broker is down: the queue must not stay wrong until it is back
        logger.exception("Policy %s: its tickets' deadlines recomputed here", policy_pk)
        policy_overdue_refresh(policy_pk)
