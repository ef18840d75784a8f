"""Build SPEC Appendix B's returnability report as a plain dict (the quote is `Quote.as_dict()`).

Pure: the management command and the API fetch the order's facts and the policy's terms,
pass the day, and print or return what these functions build. The keys of Appendix B are
an interface; the extra keys (`sentence`, `why`, `units` …) explain the decisions.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from orders.facts import OrderFacts
from rma.rules import Cover, LineEligibility, line_eligibility
from rma.terms import Terms
from withdrawals.rules import SHOP_COUNTRY, WithdrawalDecision


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
    order: OrderFacts, terms: Terms, on: date, *, country: str = SHOP_COUNTRY
) -> dict[str, Any]:
    """Report, per line, what can be returned on `on` under `terms` (Appendix B)."""
    return {
        "order": order.number,
        "on": on.isoformat(),
        "policy": terms.preset,
        "lines": [
            _line(line_eligibility(order, line, terms=terms, on=on, country=country))
            for line in order.lines
        ],
    }
