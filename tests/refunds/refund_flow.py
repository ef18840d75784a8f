"""Diagnosed tickets and refunds at each step, for the accounting tests (issue 18)."""

from __future__ import annotations

from decimal import Decimal

from orders.models import Payment
from refunds.refunding import refund_approve, refund_propose
from rma.models import Grade, Outcome, ReturnedUnit
from rma.services.diagnosis import unit_diagnose
from tests.factories import UserFactory, staff_member
from tests.rma.units import received_ticket


def accountant(name: str):
    """A second (third …) accountant besides Ada, for the four-eyes rule."""
    return UserFactory(email=f"{name}.accountant@webstore4.example", role="accountant")


def diagnosed_ticket(
    *, deduction: str = "0.00", outcome: str = Outcome.REFUND, paid_with: str = "", **kwargs
):
    """A received ticket whose every unit is diagnosed with `outcome` (and F4 `deduction`);
    its order paid with `paid_with` (the factories' iDEAL when blank)."""
    ticket = received_ticket(**kwargs)
    if paid_with:
        Payment.objects.filter(order=ticket.order).update(method=paid_with)
    support = staff_member("support")
    for unit in ReturnedUnit.objects.filter(ticket_line__ticket=ticket).order_by("pk"):
        unit_diagnose(
            unit=unit,
            by=support,
            grade=Grade.SIGNS_OF_USE if Decimal(deduction) else Grade.OPENED_AS_NEW,
            locked=False,
            serial_matches=True,
            accessories_complete=True,
            defect_confirmed=None if kwargs.get("reason") == "withdrawal" else True,
            investigation_hours=Decimal("0"),
            deduction=Decimal(deduction),
            deduction_reason="Scratched housing" if Decimal(deduction) else "",
            outcome=outcome,
        )
    ticket.refresh_from_db()
    return ticket


def approved_refund(**kwargs):
    """A refund Ada proposed and Bea approved."""
    refund = refund_propose(ticket=diagnosed_ticket(**kwargs), by=staff_member("accountant"))
    return refund_approve(refund=refund, by=accountant("bea"))
