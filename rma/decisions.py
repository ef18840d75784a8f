"""The shape of a decision on one return reason, and the steps every rule builds it from:
allow, refuse, and a window of N days after delivery (day N included)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.periods import Sentence, long_date
from policies.reasons import Reason

# Keyed by the reasons (str enums), looked up with the plain strings tickets store.
RULE: dict[str, str] = {
    Reason.WITHDRAWAL: "R1",
    Reason.ORDER_ERROR: "R2",
    Reason.DELIVERY_ERROR: "R3",
    Reason.DEFECTIVE: "R4",
    Reason.DEAD_ON_ARRIVAL: "R5",
    Reason.DAMAGED_IN_TRANSIT: "R6",
}


@dataclass(frozen=True)
class ReasonDecision:
    reason: str
    allowed: bool
    rules: tuple[str, ...]
    sentence: Sentence
    conditions: tuple[str, ...] = ()  # rule ids checked only at receipt, e.g. ("P1",) sealed


def allow(
    reason: str,
    rules: tuple[str, ...],
    sentence: Sentence,
    *,
    conditions: tuple[str, ...] = (),
) -> ReasonDecision:
    return ReasonDecision(
        reason=reason, allowed=True, rules=rules, sentence=sentence, conditions=conditions
    )


def refuse(reason: str, rules: tuple[str, ...], sentence: Sentence) -> ReasonDecision:
    return ReasonDecision(reason=reason, allowed=False, rules=rules, sentence=sentence)


def within(
    reason: str,
    delivered: date | None,
    days: int,
    on: date,
    allowed_text: Sentence,
    ended_text: Sentence,
) -> ReasonDecision:
    """Decide a window of `days` after delivery, day `days` included."""
    rule = RULE[reason]
    if delivered is None:
        return refuse(reason, (rule,), _("This item has not been delivered yet."))
    until = delivered + timedelta(days=days)
    if on > until:
        return refuse(reason, (rule,), format_lazy(ended_text, day=long_date(until)))
    return allow(reason, (rule,), format_lazy(allowed_text, day=long_date(until)))
