"""The two report interfaces of SPEC Appendix B, for the commands and the API alike:
what an order's lines can be returned for on a day, and an itemized refund quote.

`returnability_report` is pure: the order's facts, the policy's terms and the day go in,
a plain dict comes out (the quote is `Quote.as_dict()`). The keys of Appendix B are an
interface; the extra keys (`sentence`, `why`, `units` …) explain the decisions.
`returnability` and `refund_quote` fetch what they need; input a person types (an order
number, a date, `1:2`, a reason, a preset) is checked there and refused with a
`ReportError` they can read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from core.calendar import SHOP_CALENDAR, LegalCalendar
from core.prepared import Prepared
from core.text import readable
from orders.facts import OrderFacts
from orders.models import Order
from orders.selectors import RulesOrder, order_facts, rules_order
from policies.reasons import Reason
from policies.selectors import rules_configuration
from policies.terms import Terms
from refunds.calculator import quote
from refunds.quotes import QuoteError
from rma.guarantees import Cover
from rma.rules import LineEligibility, line_eligibility
from rma.selectors import units_withdrawn, withdrawal_lines_holding
from withdrawals.rules import WithdrawalDecision


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _cover(cover: Cover) -> dict[str, Any]:
    return {"until": _iso(cover.until), "active": cover.active}


def _withdrawal(decision: WithdrawalDecision) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "last_day": _iso(decision.last_day),
        "rules": list(decision.rules),
        "conditions": list(decision.conditions),
        "sentence": str(decision.sentence),
    }


def _line(eligibility: LineEligibility) -> dict[str, Any]:
    return {
        "line": eligibility.line.id,
        "sku": eligibility.line.sku,
        "returnable_quantity": eligibility.returnable_quantity,
        "withdrawable_quantity": eligibility.withdrawable_quantity,
        "withdrawal": _withdrawal(eligibility.withdrawal),
        "warranty": _cover(eligibility.warranty),
        "legal_guarantee": _cover(eligibility.legal_guarantee),
        "reasons": list(eligibility.reasons),
        "why": {
            d.reason: {
                "allowed": d.allowed,
                "rules": list(d.rules),
                "conditions": list(d.conditions),
                "sentence": str(d.sentence),
            }
            for d in eligibility.decisions
        },
        "units": [
            {
                "serial": unit.serial,
                "shipped_at": _iso(unit.shipped_at),
                "delivered_at": _iso(unit.delivered_at),
            }
            for unit in eligibility.units
        ],
    }


def returnability_report(
    order: OrderFacts, terms: Terms, on: date, *, calendar: LegalCalendar = SHOP_CALENDAR
) -> dict[str, Any]:
    """Report, per line, what can be returned on `on` under `terms` (Appendix B)."""
    return {
        "order": order.number,
        "on": on.isoformat(),
        "policy": terms.preset,
        "lines": [
            _line(line_eligibility(order, line, terms=terms, on=on, calendar=calendar))
            for line in order.lines
        ],
    }


class ReportError(ValueError):
    """Bad input for a report, with a message for the person who gave it."""


def parse_day(text: str | None, *, today: dt.date) -> dt.date:
    if not text:
        return today
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ReportError(
            _("“%(text)s” is not a date; write it as YYYY-MM-DD.") % {"text": text}
        ) from None


def parse_line_selection(specs: Sequence[str]) -> list[tuple[str, int]]:
    """Read `ID:QTY` pairs (`2` alone means one unit of line 2)."""
    selection = []
    for spec in specs:
        line_id, _sep, quantity = spec.partition(":")
        try:
            selection.append((line_id.strip(), int(quantity) if quantity else 1))
        except ValueError:
            raise ReportError(
                _("“%(spec)s” is not a line and quantity like 1:2.") % {"spec": spec}
            ) from None
    if not selection:
        raise ReportError(_("Name at least one line to return, like 1:2."))
    return selection


def _terms_and_calendar(preset: str | None) -> tuple[Terms, LegalCalendar]:
    """The staff-edited terms of a policy by its code (or of the default policy) and the
    shop's legal calendar, as this process remembers them (policies.selectors)."""
    configuration = rules_configuration()
    terms = configuration.terms(preset)
    if terms is None:
        raise ReportError(
            _("There is no policy “%(preset)s”; choose one of: %(known)s.")
            % {"preset": preset, "known": ", ".join(configuration.policies)}
        )
    return terms, configuration.calendar


def _order(number: str) -> RulesOrder:
    order = rules_order(number) if readable(number) else None  # no number holds a NUL byte
    if order is None:
        raise ReportError(_("There is no order %(number)s.") % {"number": number})
    return order


def _facts(order: Order | RulesOrder) -> OrderFacts:
    return order.facts if isinstance(order, RulesOrder) else order_facts(order)


def returnability(
    order: Order | RulesOrder | str, *, on: dt.date, preset: str | None = None
) -> dict[str, Any]:
    """Appendix B's returnability report of an order on a day."""
    order = _order(order) if isinstance(order, str) else order
    terms, calendar = _terms_and_calendar(preset)
    return returnability_report(_facts(order), terms, on, calendar=calendar)


# W8: `rma.selectors.units_withdrawn` of an order, compiled once per connection
# (core.prepared): the rules API asks it with every quote.
_UNITS_WITHDRAWN = Prepared(
    lambda order: (
        withdrawal_lines_holding()
        .filter(ticket__order=order)
        .values("order_line__line_id")
        .annotate(units=Sum("quantity"))
        .order_by()
        .values_list("order_line__line_id", "units")
    ),
    -7_000_029,  # a placeholder for the order's pk
)


def _units_withdrawn(order: Order | RulesOrder) -> dict[str, int]:
    if isinstance(order, Order):
        return units_withdrawn(order)
    return dict(_UNITS_WITHDRAWN.rows(order.pk))


def refund_quote(
    order: Order | RulesOrder | str,
    *,
    lines: Sequence[tuple[str, int]],
    reason: str,
    on: dt.date,
    preset: str | None = None,
    changed_mind: bool = False,
    store_credit: bool = False,
) -> dict[str, Any]:
    """Appendix B's itemized refund quote for returning `lines` for `reason` on `on`."""
    if reason not in Reason.values:
        raise ReportError(
            _("“%(reason)s” is not a reason; choose one of: %(known)s.")
            % {"reason": reason, "known": ", ".join(Reason.values)}
        )
    order = _order(order) if isinstance(order, str) else order
    terms, calendar = _terms_and_calendar(preset)
    try:
        return quote(
            _facts(order),
            lines,
            reason=reason,
            terms=terms,
            on=on,
            changed_mind=changed_mind,
            store_credit_choice=store_credit,
            calendar=calendar,
            withdrawn_elsewhere=_units_withdrawn(order),
        ).as_dict()
    except QuoteError as error:
        raise ReportError(str(error)) from None
