"""Which units of its order lines a ticket takes, and the lines' held counts kept in step.

An order line's `held_quantity` counts its delivered units on tickets that hold them; the
database refuses more than were delivered. A withdrawal may also take units that were
not delivered yet, or digital content not yet supplied (W1, CRD 9(3)): those are the
ticket line's `undelivered_quantity`, counted from the order's withdrawals, never held,
and never sent back.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders.models import OrderLine
from policies.reasons import Reason
from rma.errors import TicketError
from rma.models import Ticket, TicketLine
from rma.selectors import withdrawal_lines_holding

QUANTITY_TOO_HIGH = gettext_noop("Line {line}: only {available} can be returned, not {quantity}.")


def withdrawn_before_delivery(order_line: OrderLine) -> int:
    """The line's units the order's withdrawals took before they were delivered (and hold)."""
    lines = withdrawal_lines_holding().filter(order_line=order_line, undelivered_quantity__gt=0)
    return lines.aggregate(units=Sum("undelivered_quantity"))["units"] or 0


def units_taken(order_line: OrderLine, reason: str, quantity: int) -> int:
    """How many of `quantity` units are not delivered yet; refuse more than are free.

    Only a withdrawal takes undelivered units, and it takes those first: what has not
    reached the consumer need not travel back. Call with the order line locked.
    """
    undelivered_free = 0
    if reason == Reason.WITHDRAWAL:
        undelivered_free = (
            order_line.quantity
            - order_line.delivered_quantity
            - withdrawn_before_delivery(order_line)
        )
    available = order_line.returnable_quantity + max(undelivered_free, 0)
    if quantity > available:
        raise TicketError(
            _(QUANTITY_TOO_HIGH).format(
                line=order_line.line_id, available=available, quantity=quantity
            )
        )
    return min(quantity, max(undelivered_free, 0))


def hold(lines: Iterable[TicketLine]) -> None:
    """Count the lines' delivered units as held by their ticket."""
    for line in lines:
        if line.to_send_back:
            OrderLine.objects.filter(pk=line.order_line_id).update(
                held_quantity=F("held_quantity") + line.to_send_back
            )


def release(ticket: Ticket) -> None:
    """The ticket no longer holds its units (rejected, cancelled, expired, goods back)."""
    for line in ticket.lines.all():
        if line.to_send_back:
            OrderLine.objects.filter(pk=line.order_line_id).update(
                held_quantity=F("held_quantity") - line.to_send_back
            )
