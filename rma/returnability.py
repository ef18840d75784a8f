"""The two report interfaces of SPEC Appendix B, for the commands and the API alike:
what an order's lines can be returned for on a day, and an itemized refund quote.

Input a person types (an order number, a date, `1:2`, a reason, a preset) is checked here
and refused with a `ReportError` they can read; the decisions are the pure rules'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from orders.models import Order
from orders.selectors import order_facts, order_for_rules
from refunds.calculator import QuoteError, quote
from rma.models import ReturnPolicy
from rma.report import returnability_report
from rma.terms import Reason, Terms


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


def policy_terms(preset: str | None) -> Terms:
    """The staff-edited terms of a policy by its code, or of the default policy."""
    try:
        policy = ReturnPolicy.objects.get(preset=preset) if preset else ReturnPolicy.default()
    except ReturnPolicy.DoesNotExist:
        known = ", ".join(ReturnPolicy.objects.values_list("preset", flat=True))
        raise ReportError(
            _("There is no policy “%(preset)s”; choose one of: %(known)s.")
            % {"preset": preset, "known": known}
        ) from None
    return policy.terms()


def _order(number: str) -> Order:
    try:
        return order_for_rules(number)
    except Order.DoesNotExist:
        raise ReportError(_("There is no order %(number)s.") % {"number": number}) from None


def returnability(order: Order | str, *, on: dt.date, preset: str | None = None) -> dict:
    """Appendix B's returnability report of an order on a day."""
    order = _order(order) if isinstance(order, str) else order
    return returnability_report(
        order_facts(order), policy_terms(preset), on, country=settings.SHOP_COUNTRY
    )


def refund_quote(
    order: Order | str,
    *,
    lines: Sequence[tuple[str, int]],
    reason: str,
    on: dt.date,
    preset: str | None = None,
    changed_mind: bool = False,
    store_credit: bool = False,
) -> dict[str, Any]:
    """Appendix B's itemized refund quote for returning `lines` for `reason` on `on`."""
    if reason not in Reason.ALL:
        raise ReportError(
            _("“%(reason)s” is not a reason; choose one of: %(known)s.")
            % {"reason": reason, "known": ", ".join(Reason.ALL)}
        )
    order = _order(order) if isinstance(order, str) else order
    try:
        return quote(
            order_facts(order),
            lines,
            reason=reason,
            terms=policy_terms(preset),
            on=on,
            changed_mind=changed_mind,
            store_credit_choice=store_credit,
            country=settings.SHOP_COUNTRY,
        ).as_dict()
    except QuoteError as error:
        raise ReportError(str(error)) from None
