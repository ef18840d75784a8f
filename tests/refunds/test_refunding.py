"""F8: a refund from proposal to payment, four eyes, and a unit never refunded twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from refunds import refunding
from refunds.models import Channel, CreditNote, RefundState, RefundUnit
from refunds.refunding import (
    RefundError,
    refund_adjust,
    refund_approve,
    refund_cancel,
    refund_pay,
    refund_propose,
)
from rma.models import ReturnedUnit, TicketLine
from tests.factories import UserFactory, staff_member
from tests.refunds.refund_flow import accountant, approved_refund, diagnosed_ticket
from tests.threads import run_together

pytestmark = pytest.mark.django_db


def test_a_proposal_is_the_calculators_quote_per_unit_with_rule_ids():
    ticket = diagnosed_ticket(quantity=2, price="120.00", deduction="15.00")
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    items = [(item.rule, item.amount) for item in refund.items.all()]
    # F1 the goods of both units, F4 a deduction of 15.00 for each unit, per unit as diagnosed.
    assert items == [("F1", Decimal("240.00")), ("F4", Decimal("-30.00"))]
    assert refund.total == Decimal("210.00")
    assert refund.number.startswith("RF-2026-")
    assert refund.items.get(rule="F1").vat_rate == Decimal("21.00")
    assert RefundUnit.objects.filter(refund=refund).count() == 2
    assert TicketLine.objects.get(ticket=ticket).refunded_quantity == 2


def test_nobody_approves_a_refund_they_proposed():
    ada = staff_member("accountant")
    refund = refund_propose(ticket=diagnosed_ticket(), by=ada)
    with pytest.raises(RefundError, match="four eyes"):
        refund_approve(refund=refund, by=ada)
    refund.refresh_from_db()
    assert refund.state == RefundState.PROPOSED


def test_nobody_approves_a_refund_they_adjusted():
    refund = refund_propose(ticket=diagnosed_ticket(), by=staff_member("accountant"))
    bea = accountant("bea")
    item = refund.items.get(rule="F1")
    refund_adjust(item=item, amount=Decimal("100.00"), reason="Goodwill: box missing", by=bea)
    with pytest.raises(RefundError, match="four eyes"):
        refund_approve(refund=refund, by=bea)
    approved = refund_approve(refund=refund, by=accountant("cas"))
    assert approved.state == RefundState.APPROVED


def test_an_adjustment_needs_a_reason_and_keeps_the_original_beside_it():
    refund = refund_propose(ticket=diagnosed_ticket(quantity=1), by=staff_member("accountant"))
    item = refund.items.get(rule="F1")
    with pytest.raises(RefundError, match="Say why"):
        refund_adjust(item=item, amount=Decimal("90.00"), reason="  ", by=accountant("bea"))
    refund_adjust(item=item, amount=Decimal("90.00"), reason="Scratch", by=accountant("bea"))
    item.refresh_from_db()
    refund.refresh_from_db()
    assert (item.original_amount, item.amount) == (Decimal("120.00"), Decimal("90.00"))
    assert refund.total == Decimal("90.00")
    assert sum(part.amount for part in refund.parts.all()) == Decimal("90.00")


def test_approving_and_paying_are_separate_permissions():
    refund = refund_propose(ticket=diagnosed_ticket(), by=staff_member("accountant"))
    approver = UserFactory(email="approver@webstore4.example", is_staff=True)
    approver.user_permissions.add(*_perms("approve_refund", "view_refund"))
    approver = type(approver).objects.get(pk=approver.pk)  # fresh permission cache
    refund = refund_approve(refund=refund, by=approver)
    with pytest.raises(RefundError, match="not allowed"):
        refund_pay(refund=refund, by=approver, references={})
    support = staff_member("support")
    with pytest.raises(RefundError, match="not allowed"):
        refund_propose(ticket=diagnosed_ticket(), by=support)


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="refunds", codename__in=codenames)


def test_a_paid_refund_has_its_credit_note_and_stops_d4():
    refund = approved_refund(reason="withdrawal", quantity=1, price="120.00", paid_with="card")
    part = refund.parts.get()
    assert part.channel == Channel.OUTSIDE  # refunded through the card provider
    with pytest.raises(RefundError, match="reference"):
        refund_pay(refund=refund, by=staff_member("accountant"), references={})
    refund = refund_pay(refund=refund, by=accountant("bea"), references={part.pk: "re_123"})
    assert refund.state == RefundState.PAID
    note = CreditNote.objects.get(refund=refund)
    assert note.number == "CN-2026-00001"
    assert note.total == refund.total
    refund.ticket.refresh_from_db()
    assert refund.ticket.refund_paid_on is not None


def test_a_cancelled_refund_lets_its_units_go_for_a_new_proposal():
    ticket = diagnosed_ticket(quantity=2)
    ada = staff_member("accountant")
    first = refund_propose(ticket=ticket, by=ada)
    with pytest.raises(RefundError, match="Nothing of"):
        refund_propose(ticket=ticket, by=ada)
    refund_cancel(refund=first, by=ada)
    second = refund_propose(ticket=ticket, by=ada)
    assert second.total == first.total
    assert TicketLine.objects.get(ticket=ticket).refunded_quantity == 2


def test_the_database_refuses_a_unit_in_two_refunds():
    ticket = diagnosed_ticket(quantity=1)
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    unit = ReturnedUnit.objects.get(ticket_line__ticket=ticket)
    with pytest.raises(IntegrityError), transaction.atomic():
        RefundUnit.objects.create(refund=refund, unit=unit)


@pytest.mark.django_db(transaction=True)
def test_two_accountants_proposing_at_once_make_one_refund():
    ticket = diagnosed_ticket(quantity=2)
    people = [staff_member("accountant"), accountant("bea")]
    results = run_together([lambda by=by: refund_propose(ticket=ticket, by=by) for by in people])
    made = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, RefundError)]
    assert len(made) == 1 and len(refused) == 1, results
    assert RefundUnit.objects.count() == 2
    assert TicketLine.objects.get(ticket=ticket).refunded_quantity == 2


def test_undelivered_quantity_counts_with_the_refunded_units():
    assert refunding.refundable_units(diagnosed_ticket(quantity=3)) == 3


def test_every_failure_and_retry_is_kept_with_who_and_why():
    refund = approved_refund(quantity=1)  # iDEAL: a bank transfer
    bea = accountant("bea")
    refunding.refund_fail(refund=refund, by=bea, reason="IBAN closed")
    refunding.refund_retry(refund=refund, by=bea)
    refunding.refund_fail(refund=refund, by=bea, reason="Name does not match")
    refunding.refund_retry(refund=refund, by=accountant("cas"))
    steps = [(e.kind, e.by.email.split(".")[0], e.note) for e in refund.events.all()]
    assert steps == [
        ("proposed", "ada", ""),
        ("approved", "bea", ""),
        ("failed", "bea", "IBAN closed"),
        ("retried", "bea", ""),
        ("failed", "bea", "Name does not match"),
        ("retried", "cas", ""),
    ]


def test_an_investigation_is_charged_beside_the_refund_never_netted():
    from rma.models import Outcome
    from tests.rma.units import diagnose, received_ticket, units_of

    ticket = received_ticket(quantity=2, price="120.00")
    first, second = units_of(ticket)
    # R8: the first unit came back still locked: its investigation is charged (F5).
    diagnose(first, locked=True, investigation_hours=Decimal("1"), outcome=Outcome.REFUND)
    diagnose(second, outcome=Outcome.REFUND)
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    rate = ticket.policy.terms().hourly_rate
    assert refund.charges_total == rate  # one hour at the policy's rate
    assert refund.total == Decimal("240.00")  # the goods, nothing netted
    assert "F5" not in {item.rule for item in refund.items.all()}
