"""The diagnosis rules (R8, R12, R13, R15, F4, F5, W6, W10), table-driven on plain facts."""

from decimal import Decimal

import pytest

from orders.enums import Route
from policies.reasons import Reason
from rma.diagnosis import (
    deduction_cap,
    investigation_charge,
    proposed_outcome,
    wipe_required,
)
from rma.models import Grade, Outcome
from tests.builders import line, order, phone

D = Decimal

# reason, route, covered, grade, defect confirmed, locked → outcome, rule ids, deduction
PROPOSALS = [
    # R13: a confirmed defect under cover goes to the vendor on its route.
    (Reason.DEFECTIVE, Route.VIA_SHOP, True, Grade.SIGNS_OF_USE, True, False,
     Outcome.VENDOR_CASE, ("R13", "V1"), False),
    (Reason.DEFECTIVE, Route.VENDOR_DIRECT, True, Grade.SIGNS_OF_USE, True, False,
     Outcome.VENDOR_CASE, ("R13", "V2"), False),
    (Reason.DEFECTIVE, Route.VENDOR_VALIDATION_FIRST, True, Grade.DAMAGED, True, False,
     Outcome.VENDOR_CASE, ("R13", "V3"), False),
    # R13: out of warranty and legal guarantee: a repair with a quote.
    (Reason.DEFECTIVE, Route.VIA_SHOP, False, Grade.SIGNS_OF_USE, True, False,
     Outcome.REPAIR, ("R13",), False),
    # R5: dead on arrival is the shop's to replace or refund.
    (Reason.DEAD_ON_ARRIVAL, Route.VIA_SHOP, True, Grade.OPENED_AS_NEW, True, False,
     Outcome.REFUND, ("R5",), False),
    # R12: no defect found: back as is, investigation charged.
    (Reason.DEFECTIVE, Route.VIA_SHOP, True, Grade.SIGNS_OF_USE, False, False,
     Outcome.RETURN_AS_IS, ("R12", "F5"), False),
    (Reason.DEAD_ON_ARRIVAL, Route.VIA_SHOP, True, Grade.SEALED, False, True,
     Outcome.RETURN_AS_IS, ("R12", "F5"), False),
    # R3, R6: the shop's or the carrier's mistake.
    (Reason.DELIVERY_ERROR, None, False, Grade.SEALED, None, False,
     Outcome.REFUND, ("R3",), False),
    (Reason.DAMAGED_IN_TRANSIT, None, False, Grade.DAMAGED, None, False,
     Outcome.REFUND, ("R6",), False),
    # R1, R2 as sent: full refund.
    (Reason.WITHDRAWAL, None, False, Grade.SEALED, None, False,
     Outcome.REFUND, ("R1",), False),
    (Reason.WITHDRAWAL, None, False, Grade.OPENED_AS_NEW, None, False,
     Outcome.REFUND, ("R1",), False),
    (Reason.ORDER_ERROR, None, False, Grade.SEALED, None, False,
     Outcome.REFUND, ("R2",), False),
    # F4, W6: lost value proposes a deduction.
    (Reason.WITHDRAWAL, None, False, Grade.SIGNS_OF_USE, None, False,
     Outcome.REFUND, ("F4", "W6"), True),
    (Reason.WITHDRAWAL, None, False, Grade.DAMAGED, None, False,
     Outcome.REFUND, ("F4", "W6"), True),
    (Reason.WITHDRAWAL, None, False, Grade.INCOMPLETE, None, False,
     Outcome.REFUND, ("F4", "W6"), True),
    (Reason.ORDER_ERROR, None, False, Grade.DAMAGED, None, False,
     Outcome.REFUND, ("F4",), True),
    # R8: a withdrawn unit still locked: full depreciation may apply.
    (Reason.WITHDRAWAL, None, False, Grade.OPENED_AS_NEW, None, True,
     Outcome.REFUND, ("F4", "W6", "R8"), True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("reason", "route", "covered", "grade", "defect", "locked", "outcome", "rules", "deduct"),
    PROPOSALS,
)
def test_proposed_outcome(reason, route, covered, grade, defect, locked, outcome, rules, deduct):
    proposal = proposed_outcome(
        reason=reason,
        route=route,
        covered=covered,
        grade=grade,
        defect_confirmed=defect,
        locked=locked,
    )
    assert (proposal.outcome, proposal.rules, proposal.deduction) == (outcome, rules, deduct)
    assert str(proposal.sentence)
    for rule in rules:
        if rule not in ("F5",):
            assert rule in str(proposal.sentence) or rule in ("R1", "R2")


# reason, hours, rate, defect confirmed, locked → investigations, hours charged, amount, rules
CHARGES = [
    # R12: no defect found, charged once at the hourly rate.
    (Reason.DEFECTIVE, "1.5", "75.00", False, False, 1, "1.5", "112.50", ("R12", "F5")),
    (Reason.DEAD_ON_ARRIVAL, "0.25", "65.00", False, False, 1, "0.25", "16.25", ("R12", "F5")),
    # A defect found is the vendor's (R13): the investigation is not charged.
    (Reason.DEFECTIVE, "2", "75.00", True, False, 0, "0", "0", ()),
    # Not diagnosed for a defect (R3): nothing to charge.
    (Reason.DELIVERY_ERROR, "1", "75.00", None, False, 0, "0", "0", ()),
    # R8: still locked: a second investigation, charged likewise.
    (Reason.DEFECTIVE, "1", "75.00", True, True, 1, "1", "75.00", ("R8", "F5")),
    (Reason.DEFECTIVE, "1", "75.00", False, True, 2, "2", "150.00", ("R12", "R8", "F5")),
    (Reason.ORDER_ERROR, "0.5", "75.00", None, True, 1, "0.5", "37.50", ("R8", "F5")),
    # W10: a consumer's withdrawal is free of charge; R8 becomes a deduction instead.
    (Reason.WITHDRAWAL, "1", "75.00", None, True, 0, "0", "0", ()),
    # No hours spent: nothing to charge.
    (Reason.DEFECTIVE, "0", "75.00", False, False, 0, "0", "0", ()),
    # Rounded half up to cents once (F5).
    (Reason.DEFECTIVE, "0.33", "65.00", False, False, 1, "0.33", "21.45", ("R12", "F5")),
]


@pytest.mark.parametrize(
    ("reason", "hours", "rate", "defect", "locked", "times", "charged", "amount", "rules"),
    CHARGES,
)
def test_investigation_charge(reason, hours, rate, defect, locked, times, charged, amount, rules):
    charge = investigation_charge(
        reason=reason,
        hours=D(hours),
        hourly_rate=D(rate),
        defect_confirmed=defect,
        locked=locked,
    )
    assert charge.investigations == times
    assert charge.hours == D(charged)
    assert charge.amount == D(amount)
    assert charge.rules == rules


# lines, discounts → per line id the F4 cap of one unit
CAPS = [
    # No discount: the unit price paid.
    ((phone(quantity=1),), {}, {"1": D("120.00")}),
    ((line(id="1", unit_price="99.99", quantity=3),), {}, {"1": D("99.99")}),
    # The order discount is shared pro rata by paid amount, then spread over the units.
    (
        (line(id="1", unit_price="600.00", quantity=2), line(id="2", unit_price="300.00")),
        {"5PCT": "75.00"},
        {"1": D("570.00"), "2": D("285.00")},
    ),
    (
        (line(id="1", quantity=3, unit_price=D("10.00")),),
        {"X": "1.00"},
        {"1": D("9.67")},  # (30.00 − 1.00) / 3 = 9.666… → 9.67
    ),
]


@pytest.mark.parametrize(("lines", "discounts", "caps"), CAPS)
def test_deduction_cap_is_the_units_share_of_the_line_value(lines, discounts, caps):
    facts = order(*lines, discounts=discounts)
    for each in facts.lines:
        assert deduction_cap(facts, each) == caps[each.id]


@pytest.mark.parametrize(("has_login", "wipe"), [(True, True), (False, False)])
def test_r15_wipe_for_devices_with_a_login(has_login, wipe):
    assert wipe_required(has_login=has_login) is wipe
