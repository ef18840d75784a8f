"""Appendix B over HTTP: returnability of an order and refund quotes.

Staff (API token or session) may ask about any order; a logged-in customer only about
their own, and someone else's order is simply not found for them.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from accounts.api_auth import API_ERRORS, has_permission, token_or_session
from core.text import readable
from orders.selectors import RulesOrder, rules_order
from refunds.reports import ReportError, parse_day, refund_quote, returnability

router = Router(tags=["returns"], auth=token_or_session)


class Error(Schema):
    detail: str


class LineQuantity(Schema):
    line: str
    quantity: int = 1


class QuoteRequest(Schema):
    order: str
    lines: list[LineQuantity]
    reason: str
    on: str | None = None
    policy: str | None = None
    changed_mind: bool = False
    store_credit: bool = False


def _visible_order(request, number: str) -> RulesOrder | None:
    """The order if this user may see it: staff with order access, or its own customer."""
    if not readable(number):
        return None  # no order number holds a NUL byte or a lone surrogate
    order = rules_order(number)
    if order is None:
        return None
    user = request.user
    if user.is_staff and has_permission(user, "orders.view_order"):
        return order
    return order if order.customer_user_id == user.pk else None


def _not_found(number: str) -> Status:
    return Status(404, {"detail": _("There is no order %(number)s.") % {"number": number}})


@router.get(
    "/orders/{number}/returnability",
    response={**API_ERRORS, 200: dict[str, Any], 400: Error, 404: Error},
    summary="What each line of an order can be returned for on a day",
)
def order_returnability(request, number: str, on: str | None = None, policy: str | None = None):
    order = _visible_order(request, number)
    if order is None:
        return _not_found(number)
    try:
        day = parse_day(on, today=timezone.localdate())
        return Status(200, returnability(order, on=day, preset=policy))
    except ReportError as error:
        return Status(400, {"detail": str(error)})


@router.post(
    "/refund-quotes",
    response={**API_ERRORS, 200: dict[str, Any], 400: Error, 404: Error},
    summary="Itemized refund for returning lines of an order",
)
def create_refund_quote(request, payload: QuoteRequest):
    order = _visible_order(request, payload.order)
    if order is None:
        return _not_found(payload.order)
    try:
        quote = refund_quote(
            order,
            lines=[(item.line, item.quantity) for item in payload.lines],
            reason=payload.reason,
            on=parse_day(payload.on, today=timezone.localdate()),
            preset=payload.policy,
            changed_mind=payload.changed_mind,
            store_credit=payload.store_credit,
        )
    except ReportError as error:
        return Status(400, {"detail": str(error)})
    return Status(200, quote)
