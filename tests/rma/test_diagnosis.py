"""Diagnosing returned units (issue 16 §1, §3): refusals, the F5 charge fixed at the
policy's rate, the line's counter, the R15 wipe, and the ticket following its units."""

from decimal import Decimal

import pytest

from orders.models import Discount
from policies.reasons import Reason
from refunds.refunding import refund_preview
from rma import services
from rma.models import Grade, Outcome, ReturnedUnit, TicketEvent, TicketLine
from rma.services import diagnosis
from rma.services.diagnosis import unit_wipe
from rma.states import State
from tests.rma.units import diagnose, received_ticket, units_of

D = Decimal

pytestmark = pytest.mark.django_db


def _snapshot(ticket):
    """Everything a refused diagnosis must leave as it was."""
    ticket.refresh_from_db()
    return (
        ticket.state,
        list(ReturnedUnit.objects.filter(ticket_line__ticket=ticket).values().order_by("pk")),
        list(TicketLine.objects.filter(ticket=ticket).values_list("diagnosed_quantity", flat=True)),
        TicketEvent.objects.filter(ticket=ticket).count(),
    )


def test_no_defect_found_fixes_the_r12_charge_at_the_policys_hourly_rate(support):
    ticket = received_ticket(quantity=1)
    rate = ticket.policy.terms().hourly_rate
    unit = diagnose(
        units_of(ticket)[0],
        defect_confirmed=False,
        investigation_hours=D("1.5"),
        outcome=Outcome.RETURN_AS_IS,
        grade=Grade.OPENED_AS_NEW,
        note="Works on three PBXs.",
    )
    unit.refresh_from_db()
    assert unit.investigation_charge == (D("1.5") * rate).quantize(D("0.01"))
    assert unit.diagnosed_by == support and unit.diagnosed_at is not None
    assert unit.outcome == Outcome.RETURN_AS_IS
    event = TicketEvent.objects.filter(ticket=ticket, kind="change").get()
    assert event.internal and event.by == support and event.note == "Works on three PBXs."
    assert event.data["unit"] == unit.pk
    assert event.data["charge_rules"] == ["R12", "F5"]
    assert D(event.data["investigation_charge"]) == unit.investigation_charge


def test_r8_a_locked_unit_is_charged_a_second_investigation(support):
    ticket = received_ticket(quantity=1)
    unit = diagnose(
        units_of(ticket)[0],
        defect_confirmed=False,
        locked=True,
        investigation_hours=D("1"),
        outcome=Outcome.RETURN_AS_IS,
    )
    rate = ticket.policy.terms().hourly_rate
    assert unit.investigation_charge == 2 * rate


def test_a_confirmed_defect_is_not_charged(support):
    ticket = received_ticket(quantity=1)
    unit = diagnose(units_of(ticket)[0], investigation_hours=D("2"))
    assert unit.investigation_charge == 0


def test_the_line_counts_each_diagnosed_unit_and_the_ticket_follows_the_last(support):
    ticket = received_ticket(quantity=2)
    first, second = units_of(ticket)
    diagnose(first)
    ticket.refresh_from_db()
    assert ticket.lines.get().diagnosed_quantity == 1
    assert ticket.state == State.RECEIVED  # one unit still waits
    diagnose(second)
    ticket.refresh_from_db()
    assert ticket.lines.get().diagnosed_quantity == 2
    assert ticket.state == State.DIAGNOSED  # by itself, with the last unit
    transition = TicketEvent.objects.get(ticket=ticket, to_state=State.DIAGNOSED)
    assert transition.by == support


def _refusal_cases():
    # (what the form says, the sentence expected)
    return [
        ({"grade": ""}, diagnosis.GRADE_NEEDED),
        ({"outcome": ""}, diagnosis.OUTCOME_NEEDED),
        ({"outcome": "bin"}, diagnosis.OUTCOME_NEEDED),
        ({"investigation_hours": D("-1")}, diagnosis.HOURS_NEGATIVE),
        ({"deduction": D("-5")}, diagnosis.DEDUCTION_NEGATIVE),
        (
            {"deduction": D("10"), "deduction_reason": "scratch", "outcome": Outcome.VENDOR_CASE},
            diagnosis.DEDUCTION_ONLY_ON_REFUND,
        ),
        ({"deduction": D("10"), "outcome": Outcome.REFUND}, diagnosis.DEDUCTION_NEEDS_REASON),
    ]


@pytest.mark.parametrize(("changes", "sentence"), _refusal_cases())
def test_bad_findings_are_refused_and_change_nothing(support, changes, sentence):
    ticket = received_ticket(quantity=1)
    before = _snapshot(ticket)
    with pytest.raises(services.TicketError) as refused:
        diagnose(units_of(ticket)[0], **changes)
    assert str(refused.value) == sentence
    assert _snapshot(ticket) == before


def test_a_deduction_above_the_units_share_of_the_line_value_is_refused(support):
    # Two units at 120.00 with a 24.00 order discount: one unit's share is 108.00 (F4).
    ticket = received_ticket(reason=Reason.WITHDRAWAL, quantity=2)
    Discount.objects.create(order=ticket.order, code="TEST", amount=D("24.00"))
    unit = units_of(ticket)[0]
    before = _snapshot(ticket)
    with pytest.raises(services.TicketError) as refused:
        diagnose(
            unit,
            grade=Grade.SIGNS_OF_USE,
            defect_confirmed=None,
            outcome=Outcome.REFUND,
            deduction=D("108.01"),
            deduction_reason="Scratched housing (W6).",
        )
    assert str(refused.value) == diagnosis.DEDUCTION_ABOVE_CAP.format(
        deduction="108.01", cap="108.00"
    )
    assert _snapshot(ticket) == before
    diagnose(
        unit,
        grade=Grade.SIGNS_OF_USE,
        defect_confirmed=None,
        outcome=Outcome.REFUND,
        deduction=D("108.00"),
        deduction_reason="Scratched housing (W6).",
    )
    # F4: the refund "Propose a refund" would make deducts it from the unit's goods.
    quoted = refund_preview(ticket)
    assert [(item.rule, item.amount) for item in quoted.items if item.line == "1"][-1] == (
        "F4",
        D("-108.00"),
    )


def test_a_unit_is_diagnosed_once(support):
    ticket = received_ticket(quantity=2)
    unit = units_of(ticket)[0]
    diagnose(unit)
    before = _snapshot(ticket)
    with pytest.raises(services.TicketError) as refused:
        diagnose(unit)
    assert "was already diagnosed by sam.support@webstore4.example" in str(refused.value)
    assert _snapshot(ticket) == before


def test_only_a_received_ticket_has_units_diagnosed(support):
    ticket = received_ticket(quantity=1)
    unit = units_of(ticket)[0]
    type(ticket).objects.filter(pk=ticket.pk).update(state=State.RESOLVED)
    before = _snapshot(ticket)
    with pytest.raises(services.TicketError) as refused:
        diagnose(unit)
    assert str(refused.value) == diagnosis.TICKET_NOT_RECEIVED.format(state="resolved")
    assert _snapshot(ticket) == before


def test_the_vendor_case_outcome_is_only_for_defects(support):
    ticket = received_ticket(reason=Reason.WITHDRAWAL, quantity=1)
    with pytest.raises(services.TicketError) as refused:
        diagnose(units_of(ticket)[0], defect_confirmed=None, outcome=Outcome.VENDOR_CASE)
    assert str(refused.value) == diagnosis.VENDOR_ONLY_FOR_DEFECTS.format(reason="withdrawal")


@pytest.mark.parametrize("role", ["warehouse", "accountant"])
def test_who_may_not_diagnose_is_refused(request, role):
    ticket = received_ticket(quantity=1)
    before = _snapshot(ticket)
    with pytest.raises(services.TicketError) as refused:
        diagnose(units_of(ticket)[0], by=request.getfixturevalue(role))
    assert str(refused.value) == diagnosis.NOT_ALLOWED_TO_DIAGNOSE
    assert _snapshot(ticket) == before


def test_r15_the_wipe_records_who_and_when_once(warehouse):
    ticket = received_ticket(quantity=1, has_login=True)
    unit = unit_wipe(unit=units_of(ticket)[0], by=warehouse)
    assert unit.wiped_by == warehouse and unit.wiped_at is not None
    event = TicketEvent.objects.get(ticket=ticket, kind="change")
    assert event.data["field"] == "wipe" and event.by == warehouse
    with pytest.raises(services.TicketError) as refused:
        unit_wipe(unit=unit, by=warehouse)
    assert "data wipe was already recorded by wim.warehouse@webstore4.example" in str(refused.value)
    assert TicketEvent.objects.filter(ticket=ticket, kind="change").count() == 1


def test_an_accountant_records_no_wipe(accountant):
    ticket = received_ticket(quantity=1, has_login=True)
    with pytest.raises(services.TicketError) as refused:
        unit_wipe(unit=units_of(ticket)[0], by=accountant)
    assert str(refused.value) == diagnosis.NOT_ALLOWED_TO_WIPE
    assert units_of(ticket)[0].wiped_at is None
