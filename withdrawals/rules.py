"""Decide a consumer's right of withdrawal (W1–W9) on a given day, without I/O or clock.

The day is always a parameter: it is the date of the notice (W3, the date of notice is
what counts) or the day a report is asked for. W10 makes these rules statutory, so a
policy preset can lengthen the period (`Terms.withdrawal_days`) but never shorten it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.calendar import SHOP_CALENDAR, LegalCalendar
from core.money import to_cents
from core.periods import Sentence, long_date
from orders.facts import Flag, LineFacts, OrderFacts
from policies.terms import Terms

STATUTORY_DAYS = 14  # W1, W6, W7: article 9, 14.1 and 13.1 of Directive 2011/83/EU


def period_start(order: OrderFacts, line: LineFacts, on: date) -> date | None:
    """Return the day after which the period counts, or None while goods are on their way.

    W1: digital content not on a tangible medium (and services) count from the conclusion
    of the contract; goods from their delivery, and with several products or shipments in
    one order from the last delivery of the order.
    """
    if not line.is_goods:
        return order.placed_at
    return order.last_delivery(on)


@dataclass(frozen=True)
class WithdrawalDecision:
    allowed: bool
    last_day: date | None  # None: goods not yet (all) delivered, or no right at all
    rules: tuple[str, ...]  # allowed: the rules that set last_day; refused: every refusing rule
    sentence: Sentence
    # Rule ids of conditions that only diagnosis can check, e.g. ("W5",) for a software seal.
    conditions: tuple[str, ...] = ()


def _exclusion(line: LineFacts, on: date) -> Sentence | None:
    """Return why W5 (article 8 of the shop's terms) excludes the line, if it does."""
    if line.has(Flag.GIFT_VOUCHER):
        return _("Gift vouchers cannot be withdrawn.")
    if line.has(Flag.CUSTOM):
        return _(
            "Products made to your specifications (configured, assembled or given new "
            "firmware) cannot be withdrawn."
        )
    if line.has(Flag.DIGITAL) and line.activation_began(on):
        return _("Digital content cannot be withdrawn once its activation has begun.")
    if line.has(Flag.ACTIVATES_ON_USE) and line.activation_began(on):
        # Terms 8(i), CRD art. 16 (a closed list): what was activated, not the flag alone.
        return _(
            "This product was activated or registered when it was used, so it cannot be withdrawn."
        )
    return None


def _provisos(line: LineFacts) -> tuple[Sentence, ...]:
    """W5 exclusions only diagnosis can see: until then the right stands, on condition."""
    provisos: list[Sentence] = []
    if line.has(Flag.SEALED_SOFTWARE):
        provisos.append(_("the software's seal is unbroken"))
    if line.has(Flag.ACTIVATES_ON_USE):
        provisos.append(_("it has not been activated or registered"))
    return tuple(provisos)


def withdrawal_decision(
    order: OrderFacts,
    line: LineFacts,
    *,
    on: date,
    terms: Terms,
    calendar: LegalCalendar = SHOP_CALENDAR,
) -> WithdrawalDecision:
    """Decide whether the consumer can withdraw from `line` on `on`, and until when."""
    if not order.customer.is_consumer:
        # W5 (article 3.7): business customers have no right of withdrawal.
        return WithdrawalDecision(
            allowed=False,
            last_day=None,
            rules=("W5",),
            sentence=_("Business customers have no right of withdrawal."),
        )

    # W10: a policy may be more generous than the statutory 14 days, never less.
    days = max(terms.withdrawal_days, STATUTORY_DAYS)
    start = period_start(order, line, on)
    last_day = period_end = None
    if start is not None:
        period_end = start + timedelta(days=days)
        last_day = calendar.next_working_day(period_end)
    expired = last_day is not None and on > last_day
    exclusion = _exclusion(line, on)

    if exclusion is not None or expired:
        refusing = []
        if expired:
            refusing.append("W1")
        if exclusion is not None:
            refusing.append("W5")
        if exclusion is not None:
            sentence = exclusion
        else:
            # Refused for W1 alone: the period has expired, so it has a last day.
            assert last_day is not None
            sentence = format_lazy(
                _("The withdrawal period ended on {day}."), day=long_date(last_day)
            )
        return WithdrawalDecision(
            allowed=False, last_day=last_day, rules=tuple(refusing), sentence=sentence
        )

    # W5: opened sealed software and an activated product are excluded, but whether the
    # seal is broken or the unit was activated is only seen at diagnosis; until then the
    # right stands, on that condition, and the customer is told.
    provisos = _provisos(line)
    return WithdrawalDecision(
        allowed=True,
        last_day=last_day,
        rules=("W1", "W2") if last_day != period_end else ("W1",),
        sentence=_open_sentence(last_day, days, provisos),
        conditions=("W5",) if provisos else (),
    )


def _open_sentence(last_day: date | None, days: int, provisos: tuple[Sentence, ...]) -> Sentence:
    if not provisos:
        if last_day is None:
            return format_lazy(
                _("You can withdraw now, and until {days} days after delivery."), days=days
            )
        return format_lazy(_("You can withdraw until {day}."), day=long_date(last_day))
    proviso = (
        format_lazy(_("{first} and {second}"), first=provisos[0], second=provisos[1])
        if len(provisos) > 1
        else provisos[0]
    )
    if last_day is None:
        return format_lazy(
            _("You can withdraw now, and until {days} days after delivery, as long as {proviso}."),
            days=days,
            proviso=proviso,
        )
    return format_lazy(
        _("You can withdraw until {day}, as long as {proviso}."),
        day=long_date(last_day),
        proviso=proviso,
    )


def goods_back_by(notice_date: date, calendar: LegalCalendar = SHOP_CALENDAR) -> date:
    """W6: the consumer sends the goods back within 14 days after the notice (W2: a last
    day on a weekend or holiday moves to the next working day)."""
    return calendar.period_end(notice_date, STATUTORY_DAYS)


def refund_due_by(notice_date: date, calendar: LegalCalendar = SHOP_CALENDAR) -> date:
    """W7: the shop refunds within 14 days after the notice, counted as W2 says (D4 alerts
    before it is late)."""
    return calendar.period_end(notice_date, STATUTORY_DAYS)


def service_owed(price: Decimal, performed_share: Decimal) -> Decimal:
    """W9: a service started on request in the period is owed pro rata to what was done."""
    if not Decimal("0") <= performed_share <= Decimal("1"):
        raise ValueError("performed_share must lie between 0 and 1")
    return to_cents(price * performed_share)
