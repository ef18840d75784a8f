"""Read the shop's configuration as the pure rules take it: the return policies' terms and
the legal calendar.

Both change seldom (staff edit them in the admin) and every request of the rules API reads
them, so each process remembers what it read (issue 19). It remembers it under a
*generation* kept in Django's cache: a change to a policy or a legal holiday sets a new one
(`forget_configuration`, connected in `PoliciesConfig.ready`), and a process that finds a
generation other than the one it read under reads again. With Redis, as in production, that
is one GET a request and every worker sees a change at once. With the embedded default's
local-memory cache a process sees its own changes at once and another process's (say
`manage.py shell`) when the generation expires, within GENERATION_SECONDS; that expiry also
bounds how long a change whose notice was lost (Redis unreachable just then) stays unseen.
Without a reachable cache nothing is remembered and every call reads the database.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from core.calendar import LegalCalendar
from policies.models import LegalHoliday, ReturnPolicy
from policies.terms import Terms

logger = logging.getLogger(__name__)

_GENERATION_KEY = "policies:generation"
GENERATION_SECONDS = 10 * 60

T = TypeVar("T")


def legal_calendar(country: str | None = None) -> LegalCalendar:
    """The legal calendar of `country` (the shop's by default) with the days staff keep:
    the statutory list plus every `LegalHoliday` of that country."""
    country = country or settings.SHOP_COUNTRY
    return _remembered(("calendar", country), lambda: _read_calendar(country))


@dataclass(frozen=True)
class RulesConfiguration:
    """What the rules read besides an order: every return policy's terms by its code, which
    of them is the default, and the shop's legal calendar."""

    policies: dict[str, Terms]
    default_policy: str | None
    calendar: LegalCalendar

    def terms(self, code: str | None) -> Terms | None:
        """The terms of the policy `code`, or of the default policy; None if there is none."""
        return self.policies.get(code or self.default_policy or "")


def rules_configuration() -> RulesConfiguration:
    """The policies and the shop's calendar together: one look at the generation a request."""
    country = settings.SHOP_COUNTRY
    return _remembered(("rules", country), lambda: _read_rules_configuration(country))


def _read_rules_configuration(country: str) -> RulesConfiguration:
    policies = list(ReturnPolicy.objects.order_by("preset"))
    return RulesConfiguration(
        policies={policy.preset: policy.terms() for policy in policies},
        default_policy=next((policy.preset for policy in policies if policy.is_default), None),
        calendar=_read_calendar(country),
    )


def _read_calendar(country: str) -> LegalCalendar:
    added = LegalHoliday.objects.filter(country=country).values_list("day", flat=True)
    return LegalCalendar(country, frozenset(added))


# --- what this process remembers --------------------------------------------------------


@dataclass
class _Memory:
    generation: str
    values: dict[Hashable, Any] = field(default_factory=dict)


_memory: _Memory | None = None


def _remembered(key: Hashable, read: Callable[[], T]) -> T:
    """What `read()` returns, read once per generation. Terms and calendars are frozen, so
    threads can share them; a race reads twice at worst."""
    global _memory
    generation = _generation()
    if generation is None:
        return read()
    memory = _memory
    if memory is None or memory.generation != generation:
        memory = _memory = _Memory(generation)
    if key not in memory.values:
        memory.values[key] = read()
    return memory.values[key]


def _generation() -> str | None:
    """The current generation, a new one if the cache has none; None without a cache."""
    try:
        return caches["default"].get_or_set(_GENERATION_KEY, _new_generation, GENERATION_SECONDS)
    except Exception:  # an unreachable cache costs a read, never the request
        logger.warning("Return policies read anew: the cache is unavailable", exc_info=True)
        return None


def _new_generation() -> str:
    return uuid.uuid4().hex


def forget_configuration(**_signal: Any) -> None:
    """Make every process read the policies and holidays again after a change.

    A new generation at once, so this process and this transaction see the change, and
    again once the transaction commits, so no other process keeps what it read (under the
    first new generation) before the change was committed."""
    global _memory
    _memory = None
    _start_generation()
    transaction.on_commit(_start_generation)


def _start_generation() -> None:
    try:
        caches["default"].set(_GENERATION_KEY, _new_generation(), GENERATION_SECONDS)
    except Exception:
        logger.warning("Return policies changed, but the cache could not be told", exc_info=True)


def watch_configuration() -> None:
    """Forget what was read whenever a policy or a legal holiday is saved or deleted."""
    for model in (ReturnPolicy, LegalHoliday):
        for signal in (post_save, post_delete):
            signal.connect(
                forget_configuration, sender=model, dispatch_uid=f"forget-{model.__name__}"
            )
