"""R13, V1–V3, D5: a defect unit goes to its vendor as a case — opened per unit by
support, sent, decided, closed — and the cases the vendor is slow on are listed."""

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine

from orders.enums import Route
from policies.reasons import Reason
from rma.states import State
from tests.vendors.cases import (
    AMSTERDAM,
    TODAY,
    case_at,
    opened_on,
    reloaded,
    ticket_line,
    vendor,
)
from vendors import services
from vendors.models import CaseState, VendorCase
from vendors.selectors import vendor_cases_overdue
from vendors.services import (
    ALL_UNITS_HAVE_CASES,
    NOT_A_DEFECT,
    NOT_ALLOWED_TO_OPEN,
    NOT_AUTHORIZED_YET,
    NOT_IN_STATE,
    NOT_PERMITTED,
    NOT_RECEIVED_YET,
    SERIAL_HAS_CASE,
    SERIAL_NOT_RETURNED,
    TICKET_NOT_OPEN,
    UNKNOWN_DECISION,
    VendorCaseError,
    vendor_case_close,
    vendor_case_decide,
    vendor_case_open,
    vendor_case_send,
)

pytestmark = pytest.mark.django_db

SERIALS = ("YL-2614-0001", "YL-2614-0002")


def refused(message: str):
    """Expect a VendorCaseError saying exactly `message`."""
    return pytest.raises(VendorCaseError, match=f"^{re.escape(message)}$")


@pytest.fixture
def yealink(db):
    return vendor("Yealink", route=Route.VIA_SHOP)  # V1: the shop forwards the unit


@pytest.fixture
def ubiquiti(db):
    return vendor("Ubiquiti", route=Route.VENDOR_DIRECT)  # V2: the customer goes to the vendor


@pytest.fixture
def two_units(yealink, anna):
    """Anna's received defect ticket for both units of a Yealink order line."""
    return ticket_line(of=yealink, quantity=2, serials=SERIALS, customer=anna)


# Opening a case -----------------------------------------------------------------------


def test_support_opens_one_case_per_unit_with_the_serials_of_the_order(two_units, support):
    first = vendor_case_open(ticket_line=two_units, by=support, serial=SERIALS[0])
    second = vendor_case_open(
        ticket_line=two_units, by=support, serial=f"  {SERIALS[1]} ", firmware_version="66.86"
    )

    cases = list(VendorCase.objects.filter(ticket_line=two_units).order_by("pk"))
    assert [c.pk for c in cases] == [first.pk, second.pk]
    assert [c.serial for c in cases] == list(SERIALS)
    assert {(c.vendor.name, c.route, c.state, c.opened_by) for c in cases} == {
        ("Yealink", Route.VIA_SHOP, CaseState.OPEN, support)
    }
    assert cases[1].firmware_version == "66.86"
    assert all(c.sent_at is c.decided_at is c.closed_at is None for c in cases)


@pytest.mark.parametrize("state", [State.RECEIVED, State.DIAGNOSED])
def test_the_shop_forwards_a_unit_it_holds(yealink, support, state):
    line = ticket_line(of=yealink, state=state)

    case = vendor_case_open(ticket_line=line, by=support)

    assert reloaded(case).state == CaseState.OPEN


def test_a_serial_that_is_not_on_the_order_line_is_refused_and_writes_nothing(two_units, support):
    with refused(SERIAL_NOT_RETURNED.format(serial="YL-9999-0000")):
        vendor_case_open(ticket_line=two_units, by=support, serial="YL-9999-0000")

    assert not VendorCase.objects.exists()


def test_a_unit_gets_one_case_only(two_units, support):
    vendor_case_open(ticket_line=two_units, by=support, serial=SERIALS[0])

    with refused(SERIAL_HAS_CASE.format(serial=SERIALS[0])):
        vendor_case_open(ticket_line=two_units, by=support, serial=SERIALS[0])

    assert VendorCase.objects.filter(ticket_line=two_units).count() == 1


def test_it_refuses_more_cases_than_the_line_has_units(two_units, support):
    vendor_case_open(ticket_line=two_units, by=support, serial=SERIALS[0])
    vendor_case_open(ticket_line=two_units, by=support, serial=SERIALS[1])

    with refused(ALL_UNITS_HAVE_CASES.format(quantity=2)):
        vendor_case_open(ticket_line=two_units, by=support)

    assert VendorCase.objects.filter(ticket_line=two_units).count() == 2


def test_a_dead_on_arrival_unit_goes_to_the_vendor_too(yealink, support, anna):
    # R5 is only open in the first days after delivery (3 October).
    with time_machine.travel(datetime(2026, 10, 5, 10, 0, tzinfo=AMSTERDAM)):
        line = ticket_line(of=yealink, reason=Reason.DEAD_ON_ARRIVAL, customer=anna)

    case = vendor_case_open(ticket_line=line, by=support)

    assert case.vendor == yealink


def test_a_withdrawal_is_not_sent_to_the_vendor(yealink, support, anna):
    # W1: withdrawn within the cooling-off period after delivery (3 October).
    with time_machine.travel(datetime(2026, 10, 5, 10, 0, tzinfo=AMSTERDAM)):
        line = ticket_line(of=yealink, reason=Reason.WITHDRAWAL, customer=anna)

    with refused(
        "Only defects go to the vendor (R4, R5), not a return for the reason “withdrawal”."
    ):
        vendor_case_open(ticket_line=line, by=support)

    assert not VendorCase.objects.exists()


def test_an_order_error_is_not_sent_to_the_vendor(yealink, support, netpartners):
    # R2, P1: a partner may send back what it ordered by mistake.
    line = ticket_line(of=yealink, reason=Reason.ORDER_ERROR, customer=netpartners)

    with refused(NOT_A_DEFECT.format(reason=line.ticket.get_reason_display())):
        vendor_case_open(ticket_line=line, by=support)

    assert not VendorCase.objects.exists()


@pytest.mark.parametrize("state", [State.REQUESTED, State.AUTHORIZED])
def test_the_shop_forwards_nothing_before_the_parcel_is_received(yealink, support, state):
    line = ticket_line(of=yealink, state=state)

    with refused(NOT_RECEIVED_YET):
        vendor_case_open(ticket_line=line, by=support)

    assert not VendorCase.objects.exists()


def test_a_vendor_direct_case_opens_once_the_ticket_is_authorized(ubiquiti, support):
    # V2: the unit goes from the customer to the vendor; the shop never receives it.
    line = ticket_line(of=ubiquiti, state=State.AUTHORIZED)

    case = vendor_case_open(ticket_line=line, by=support)

    case = reloaded(case)
    assert (case.vendor, case.route, case.state) == (ubiquiti, Route.VENDOR_DIRECT, CaseState.OPEN)
    assert case.opened_by == support


def test_a_unit_of_the_order_that_is_not_returned_is_refused(yealink, support, anna):
    # Two units on the order line; the customer returns only the first.
    line = ticket_line(of=yealink, quantity=1, serials=SERIALS[:1], customer=anna)
    line.order_line.serials = list(SERIALS)
    line.order_line.save(update_fields=["serials"])

    with refused(SERIAL_NOT_RETURNED.format(serial=SERIALS[1])):
        vendor_case_open(ticket_line=line, by=support, serial=SERIALS[1])

    assert not VendorCase.objects.exists()


def test_the_customer_is_sent_to_the_vendor_only_after_authorization(ubiquiti, support):
    line = ticket_line(of=ubiquiti, state=State.REQUESTED)

    with refused(NOT_AUTHORIZED_YET):
        vendor_case_open(ticket_line=line, by=support)

    assert not VendorCase.objects.exists()


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        (State.REJECTED, "rejected"),
        (State.CANCELLED, "cancelled"),
        (State.EXPIRED, "expired"),
        (State.RESOLVED, "resolved"),
    ],
)
@pytest.mark.parametrize("route", [Route.VIA_SHOP, Route.VENDOR_DIRECT])
def test_a_closed_ticket_sends_nothing_to_the_vendor(support, route, state, shown):
    line = ticket_line(of=vendor(f"Vendor {route}", route=route), state=state)

    with refused(TICKET_NOT_OPEN.format(state=shown)):
        vendor_case_open(ticket_line=line, by=support)

    assert not VendorCase.objects.exists()


@pytest.mark.parametrize("role", ["warehouse", "accountant"])
def test_only_support_opens_vendor_cases(request, two_units, role):
    user = request.getfixturevalue(role)

    with refused(NOT_ALLOWED_TO_OPEN):
        vendor_case_open(ticket_line=two_units, by=user, serial=SERIALS[0])

    assert not VendorCase.objects.exists()


# Send, decide, close ------------------------------------------------------------------


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=AMSTERDAM)


def act(name: str, case, by):
    """Make step `name` of the case as `by`, with the input it needs."""
    if name == "decide":
        return vendor_case_decide(case=case, by=by, decision="repair")
    return getattr(services, f"vendor_case_{name}")(case=case, by=by)


def test_a_case_is_sent_decided_and_closed_and_each_step_keeps_its_time(two_units, support):
    case = vendor_case_open(ticket_line=two_units, by=support, serial=SERIALS[0])

    with time_machine.travel(at(24, 9), tick=False):
        vendor_case_send(case=case, by=support)
    with time_machine.travel(at(27, 15), tick=False):
        vendor_case_decide(
            case=case, by=support, decision="replace", vendor_rma_number=" YL-RMA-5521 "
        )
    with time_machine.travel(at(30, 11), tick=False):
        vendor_case_close(case=case, by=support)

    case = reloaded(case)
    assert case.state == CaseState.CLOSED
    assert (case.sent_at, case.decided_at, case.closed_at) == (at(24, 9), at(27, 15), at(30, 11))
    assert (case.decision, case.vendor_rma_number) == ("replace", "YL-RMA-5521")


def test_a_vendor_direct_case_is_decided_without_being_sent_by_the_shop(ubiquiti, support):
    case = vendor_case_open(
        ticket_line=ticket_line(of=ubiquiti, state=State.AUTHORIZED), by=support
    )

    vendor_case_decide(case=case, by=support, decision="repair")

    case = reloaded(case)
    assert (case.state, case.decision, case.sent_at) == (CaseState.DECIDED, "repair", None)
    assert case.decided_at is not None


@pytest.mark.parametrize("decision", ["", "refund", "REPAIR"])
def test_a_decision_must_be_one_the_vendor_can_make(two_units, support, decision):
    case = vendor_case_send(
        case=vendor_case_open(ticket_line=two_units, by=support, serial=SERIALS[0]), by=support
    )

    with refused(UNKNOWN_DECISION):
        vendor_case_decide(case=case, by=support, decision=decision, vendor_rma_number="YL-1")

    case = reloaded(case)
    assert (case.state, case.decision, case.decided_at) == (CaseState.AT_VENDOR, "", None)
    assert case.vendor_rma_number == ""


def test_a_case_is_decided_once(two_units, support):
    case = vendor_case_open(ticket_line=two_units, by=support, serial=SERIALS[0])
    vendor_case_decide(case=case, by=support, decision="credit", vendor_rma_number="YL-7")
    decided_at = reloaded(case).decided_at

    with refused(NOT_IN_STATE["decide"].format(state="decided by the vendor")):
        vendor_case_decide(case=case, by=support, decision="reject", vendor_rma_number="YL-8")

    case = reloaded(case)
    assert (case.decision, case.vendor_rma_number, case.decided_at) == (
        "credit",
        "YL-7",
        decided_at,
    )


@pytest.mark.parametrize(
    ("steps", "name", "shown"),
    [
        (["send"], "send", "at the vendor"),
        (["decide"], "send", "decided by the vendor"),
        ([], "close", "open"),
        (["send"], "close", "at the vendor"),
        (["decide", "close"], "close", "closed"),
        (["decide", "close"], "decide", "closed"),
    ],
)
def test_a_step_out_of_order_says_the_case_state_and_changes_nothing(
    two_units, support, steps, name, shown
):
    case = vendor_case_open(ticket_line=two_units, by=support, serial=SERIALS[0])
    for step in steps:
        act(step, case, support)
    before = reloaded(case)

    with refused(NOT_IN_STATE[name].format(state=shown)):
        act(name, case, support)

    after = reloaded(case)
    assert (after.state, after.sent_at, after.decided_at, after.closed_at) == (
        before.state,
        before.sent_at,
        before.decided_at,
        before.closed_at,
    )


def test_the_warehouse_sends_units_but_leaves_decisions_and_closing_to_support(
    two_units, support, warehouse
):
    case = vendor_case_open(ticket_line=two_units, by=support, serial=SERIALS[0])

    vendor_case_send(case=case, by=warehouse)
    with refused(NOT_PERMITTED["decide"]):
        vendor_case_decide(case=case, by=warehouse, decision="repair")
    assert reloaded(case).state == CaseState.AT_VENDOR
    vendor_case_decide(case=case, by=support, decision="repair")
    with refused(NOT_PERMITTED["close"]):
        vendor_case_close(case=case, by=warehouse)

    case = reloaded(case)
    assert (case.state, case.closed_at) == (CaseState.DECIDED, None)


def test_a_case_in_hand_reloads_the_state_a_service_gave_it(two_units, support):
    # The services change a locked copy; the caller's instance catches up with
    # refresh_from_db, as with tickets. The protected FSM field must allow that.
    case = vendor_case_open(ticket_line=two_units, by=support, serial=SERIALS[0])
    vendor_case_send(case=case, by=support)

    case.refresh_from_db()

    assert case.state == CaseState.AT_VENDOR
    assert case.sent_at is not None


@pytest.mark.parametrize("name", ["send", "decide", "close"])
def test_the_accountant_changes_no_vendor_case(two_units, support, accountant, name):
    case = vendor_case_open(ticket_line=two_units, by=support, serial=SERIALS[0])
    if name == "close":
        vendor_case_decide(case=case, by=support, decision="credit")
    before = reloaded(case).state

    with refused(NOT_PERMITTED[name]):
        act(name, case, accountant)

    assert reloaded(case).state == before


# D5: the cases the vendor is slow on ---------------------------------------------------


def overdue_today() -> list[VendorCase]:
    return list(vendor_cases_overdue(today=TODAY))


def test_the_overdue_list_holds_the_cases_open_longer_than_the_vendor_usually_takes(
    yealink, support
):
    late = case_at(yealink, by=support, days_open=22)  # opened 1 November: overdue today
    later = case_at(yealink, by=support, days_open=40)
    vendor_case_send(case=later, by=support)  # at the vendor: still owes its decision
    case_at(yealink, by=support, days_open=21)  # the 21st day is still in time
    case_at(yealink, by=support)  # opened today
    decided = case_at(yealink, by=support, days_open=40)
    vendor_case_decide(case=decided, by=support, decision="repair")
    closed = case_at(yealink, by=support, days_open=50)
    vendor_case_decide(case=closed, by=support, decision="credit")
    vendor_case_close(case=closed, by=support)

    assert overdue_today() == [later, late]  # oldest first


@pytest.mark.parametrize(
    ("days_open", "at_time", "overdue"),
    [
        # The local day counts (Amsterdam), not 24-hour periods or the UTC date.
        (22, time(0, 5), True),
        (22, time(23, 55), True),
        (21, time(0, 5), False),
        (21, time(0, 30), False),
    ],
)
def test_the_overdue_list_counts_the_local_day_a_case_was_opened(
    yealink, support, days_open, at_time, overdue
):
    case = case_at(yealink, by=support)
    opened_on(case, TODAY - timedelta(days=days_open), at_time)

    assert (case in overdue_today()) is overdue


def test_each_vendor_has_its_own_usual_time(support):
    quick = vendor("Snom", usual_decision_days=7)
    slow = vendor("Axis", usual_decision_days=45)
    quick_late = case_at(quick, by=support, days_open=8)
    case_at(quick, by=support, days_open=7)
    case_at(slow, by=support, days_open=30)
    slow_late = case_at(slow, by=support, days_open=46)
    case_at(slow, by=support, days_open=45)

    assert overdue_today() == [slow_late, quick_late]


def test_the_overdue_list_is_empty_without_vendors(db):
    assert overdue_today() == []
