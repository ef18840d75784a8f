"""R13: the vendor case of a unit diagnosed "send to the vendor", opened from the unit with
its serial filled in, the vendor and route from the product's vendor, the ticket's vendor
numbers copied (V2, V3); one case per unit, and a clear sentence for every refusal."""

import pytest
from django.db import IntegrityError, transaction

from orders.enums import Route
from rma.models import Outcome, Ticket
from tests.vendors.cases import vendor
from tests.vendors.units import diagnosed_unit
from vendors.models import CaseState, VendorCase, VendorCaseEvent
from vendors.services import VendorCaseError, case_open_for_unit

pytestmark = pytest.mark.django_db


def test_the_case_of_a_unit_has_its_serial_vendor_and_route(support):
    yealink = vendor("Yealink")
    unit = diagnosed_unit(yealink, serial="YL-T54W-0042")

    case = case_open_for_unit(unit=unit, by=support, firmware_version="96.86.0.50")

    case.refresh_from_db()
    assert case.unit == unit
    assert case.ticket_line == unit.ticket_line
    assert (case.serial, case.vendor, case.route) == ("YL-T54W-0042", yealink, Route.VIA_SHOP)
    assert (case.state, case.firmware_version, case.opened_by) == (
        CaseState.OPEN,
        "96.86.0.50",
        support,
    )
    event = VendorCaseEvent.objects.get(case=case)
    assert (event.by, event.from_state, event.to_state) == (support, "", CaseState.OPEN)
    assert event.data == {"serial": "YL-T54W-0042", "unit": 1}


def test_the_ticket_s_vendor_numbers_come_with_the_case(support):
    # V2: the customer opened the RMA on the vendor's portal; V3: its support validated.
    ubiquiti = vendor("Ubiquiti", route=Route.VENDOR_DIRECT)
    unit = diagnosed_unit(ubiquiti, serial="UB-7781")
    Ticket.objects.filter(pk=unit.ticket_line.ticket_id).update(
        vendor_rma_number="UBNT-RMA-5531", vendor_ticket_number="UBNT-SUP-118"
    )

    case = case_open_for_unit(unit=unit, by=support)

    assert case.route == Route.VENDOR_DIRECT
    assert (case.vendor_rma_number, case.vendor_ticket_number) == ("UBNT-RMA-5531", "UBNT-SUP-118")


@pytest.mark.parametrize(
    ("outcome", "shown"),
    [
        (Outcome.REFUND, "refund (back to stock)"),
        (Outcome.REPAIR, "repair"),
        (Outcome.RETURN_AS_IS, "return to the customer as is"),
    ],
)
def test_a_unit_not_for_the_vendor_gets_no_case(support, outcome, shown):
    unit = diagnosed_unit(vendor("Snom"), outcome=outcome)
    number = unit.ticket_line.ticket.number

    with pytest.raises(VendorCaseError) as refused:
        case_open_for_unit(unit=unit, by=support)

    assert str(refused.value) == (
        f"Unit 1 of ticket {number} was diagnosed “{shown}”: only a unit diagnosed "
        "“send to the vendor” gets a vendor case (R13)."
    )
    assert not VendorCase.objects.exists()


def test_a_unit_not_yet_diagnosed_gets_no_case(support):
    unit = diagnosed_unit(vendor("Snom"), diagnosed=False)

    with pytest.raises(VendorCaseError, match="is not diagnosed yet: diagnose it before"):
        case_open_for_unit(unit=unit, by=support)
    assert not VendorCase.objects.exists()


def test_a_unit_has_one_case(support):
    unit = diagnosed_unit(vendor("Gigaset"), serial="GS-1")
    first = case_open_for_unit(unit=unit, by=support)

    with pytest.raises(VendorCaseError) as refused:
        case_open_for_unit(unit=unit, by=support)

    number = unit.ticket_line.ticket.number
    assert str(refused.value) == f"Unit 1 of ticket {number} already has vendor case #{first.pk}."
    assert VendorCase.objects.filter(unit=unit).count() == 1


def test_the_database_keeps_one_case_per_unit(support):
    # Even a unit without a serial (which the line's serial constraint cannot tell apart).
    unit = diagnosed_unit(vendor("Gigaset"), serial="")
    first = case_open_for_unit(unit=unit, by=support)

    with pytest.raises(IntegrityError), transaction.atomic():
        VendorCase.objects.create(
            ticket_line=first.ticket_line, vendor=first.vendor, route=first.route, unit=unit
        )


def test_only_staff_who_open_cases_may_open_one_from_a_unit(warehouse):
    unit = diagnosed_unit(vendor("Snom"))

    with pytest.raises(VendorCaseError, match="You are not allowed to open vendor cases."):
        case_open_for_unit(unit=unit, by=warehouse)
    assert not VendorCase.objects.exists()
