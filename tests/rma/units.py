"""A received ticket with its returned units, for the diagnosis tests (issue 16)."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from decimal import Decimal

import time_machine
from django.db.models import F
from django.utils import timezone

from orders.models import Product
from rma import services
from rma.models import Grade, Outcome, ReturnedUnit, Ticket, TicketLine
from rma.services.diagnosis import unit_diagnose
from tests.factories import AMSTERDAM, delivered_order, staff_member

# A withdrawal is filed within its 14 days (W1): a week after the factories' delivery.
WITHDRAWAL_DAY = dt.datetime(2026, 10, 10, 11, 0, tzinfo=AMSTERDAM)


def received_ticket(
    *,
    reason: str = "defective",
    quantity: int = 2,
    price: str = "120.00",
    customer=None,
    serials: tuple[str, ...] = (),
    has_login: bool = False,
    **order_fields,
) -> Ticket:
    """A ticket for `quantity` units of one line, authorized and received by the
    warehouse, with one ReturnedUnit per unit (made here if the receipt did not).
    A withdrawal is filed on WITHDRAWAL_DAY, within its period."""
    filed = time_machine.travel(WITHDRAWAL_DAY, tick=True) if reason == "withdrawal" else None
    with filed or nullcontext():
        return _received_ticket(
            reason=reason,
            quantity=quantity,
            price=price,
            customer=customer,
            serials=serials,
            has_login=has_login,
            **order_fields,
        )


def _received_ticket(*, reason, quantity, price, customer, serials, has_login, **order_fields):
    order = delivered_order(customer=customer, lines=((quantity, price),), **order_fields)
    line = order.lines.get()
    if serials:
        line.serials = list(serials)
        line.save(update_fields=["serials"])
    if has_login:
        Product.objects.filter(pk=line.product_id).update(has_login=True)
    ticket = services.ticket_create(
        order=order,
        reason=reason,
        lines=[services.LineRequest("1", quantity, serials=serials)],
        by=order.customer.user,
        factory_reset_confirmed=has_login,
    )
    ticket = services.ticket_authorize(ticket=ticket, by=staff_member("support"))
    ticket = services.ticket_receive(ticket=ticket, by=staff_member("warehouse"))
    if not ReturnedUnit.objects.filter(ticket_line__ticket=ticket).exists():
        for ticket_line in ticket.lines.all():
            for number in range(1, ticket_line.to_send_back + 1):
                ReturnedUnit.objects.create(
                    ticket_line=ticket_line,
                    number=number,
                    serial=serials[number - 1] if number <= len(serials) else "",
                    received_at=timezone.now(),
                    received_by=staff_member("warehouse"),
                )
        TicketLine.objects.filter(ticket=ticket).update(
            received_quantity=F("quantity") - F("undelivered_quantity")
        )
    return ticket


def units_of(ticket: Ticket) -> list[ReturnedUnit]:
    return list(ReturnedUnit.objects.filter(ticket_line__ticket=ticket).order_by("number"))


def findings(**changes) -> dict:
    """A diagnosis as the form sends it: a sealed unit with a confirmed defect to the
    vendor, unless `changes` say otherwise."""
    return {
        "grade": Grade.SEALED,
        "locked": False,
        "serial_matches": True,
        "accessories_complete": True,
        "defect_confirmed": True,
        "investigation_hours": Decimal("0"),
        "deduction": Decimal("0"),
        "deduction_reason": "",
        "outcome": Outcome.VENDOR_CASE,
        "note": "",
        **changes,
    }


def diagnose(unit: ReturnedUnit, by=None, **changes) -> ReturnedUnit:
    return unit_diagnose(unit=unit, by=by or staff_member("support"), **findings(**changes))
