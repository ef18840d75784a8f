"""The back office's vendor cases: the D5 Overdue filter, a list without a query per row,
the decision form and the list actions, each for exactly the staff who may use them."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rma.states import State
from tests.vendors.cases import case_at, reloaded, ticket_line, vendor
from vendors.models import CaseState, VendorCase
from vendors.services import NOT_PERMITTED, vendor_case_decide, vendor_case_send

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:vendors_vendorcase_changelist"


def listed(response) -> set[int]:
    """The cases a change list shows, by the links to their pages."""
    return {int(pk) for pk in re.findall(r"/admin/vendors/vendorcase/(\d+)/change/", response.text)}


def text(response) -> str:
    return html.unescape(response.content.decode())


def decide_url(case) -> str:
    return reverse("admin:vendors_vendorcase_decide", args=[case.pk])


def page_url(case) -> str:
    return reverse("admin:vendors_vendorcase_change", args=[case.pk])


@pytest.fixture
def yealink(db):
    return vendor("Yealink", usual_decision_days=21)


# The Overdue filter (D5) ----------------------------------------------------------------


def test_support_finds_the_overdue_cases_with_the_overdue_filter(client, support, yealink):
    snom = vendor("Snom", usual_decision_days=7)
    late = case_at(yealink, by=support, days_open=22)
    in_time = case_at(yealink, by=support, days_open=21)
    quick_late = case_at(snom, by=support, days_open=8)
    decided = case_at(yealink, by=support, days_open=40)
    vendor_case_decide(case=decided, by=support, decision="repair")
    client.force_login(support)

    everything = client.get(reverse(CHANGELIST))
    overdue = client.get(reverse(CHANGELIST), {"overdue": "yes"})

    assert everything.status_code == overdue.status_code == 200
    assert listed(everything) == {late.pk, in_time.pk, quick_late.pk, decided.pk}
    assert listed(overdue) == {late.pk, quick_late.pk}
    assert "D5 vendor case overdue" in overdue.text


def test_the_list_shows_since_when_a_case_is_overdue(client, support, yealink):
    case_at(yealink, by=support, days_open=28)  # opened 26 October: overdue since 17 November
    client.force_login(support)

    response = client.get(reverse(CHANGELIST), {"overdue": "yes"})

    assert "Nov. 17, 2026" in response.text


@pytest.mark.parametrize("query", [{}, {"overdue": "yes"}])
def test_the_case_list_costs_the_same_queries_for_2_or_10_cases(client, support, query):
    def add_cases(numbers):
        # A vendor and a ticket of their own per case, so a query per row would show.
        for n in numbers:
            late = vendor(f"Vendor {n}", usual_decision_days=5 + n)
            case_at(late, by=support, serial=f"SN-{n:04d}", days_open=30)

    add_cases(range(2))
    client.force_login(support)
    url = reverse(CHANGELIST)
    client.get(url, query)  # warm the session and content types

    with CaptureQueriesContext(connection) as two:
        first = client.get(url, query)
    add_cases(range(2, 10))
    with CaptureQueriesContext(connection) as ten:
        second = client.get(url, query)

    assert len(listed(first)) == 2
    assert len(listed(second)) == 10
    assert len(ten.captured_queries) == len(two.captured_queries), [
        q["sql"] for q in ten.captured_queries
    ]


# The vendor's decision -----------------------------------------------------------------


def test_support_records_the_decision_on_the_case_page(client, support, yealink):
    case = vendor_case_send(case=case_at(yealink, by=support, days_open=25), by=support)
    client.force_login(support)

    page = client.get(page_url(case))
    response = client.post(
        decide_url(case), {"decision": "replace", "vendor_rma_number": "YL-RMA-77"}, follow=True
    )

    assert f'action="{decide_url(case)}"' in page.text
    assert response.redirect_chain == [(page_url(case), 302)]
    assert "The vendor's decision is recorded." in text(response)
    case = reloaded(case)
    assert (case.state, case.decision, case.vendor_rma_number) == (
        CaseState.DECIDED,
        "replace",
        "YL-RMA-77",
    )
    assert case.decided_at is not None
    # Decided: the chase ends and the page no longer offers the form.
    assert case.pk not in listed(client.get(reverse(CHANGELIST), {"overdue": "yes"}))
    assert decide_url(case) not in client.get(page_url(case)).text


@pytest.mark.parametrize("form", [{}, {"decision": ""}, {"decision": "refund"}])
def test_the_decision_form_without_a_decision_asks_for_one(client, support, yealink, form):
    case = case_at(yealink, by=support)
    client.force_login(support)

    response = client.post(decide_url(case), form, follow=True)

    assert "Choose the vendor's decision." in text(response)
    assert reloaded(case).state == CaseState.OPEN


def test_a_second_decision_is_refused_with_a_message(client, support, yealink):
    case = case_at(yealink, by=support)
    vendor_case_decide(case=case, by=support, decision="credit")
    client.force_login(support)

    response = client.post(decide_url(case), {"decision": "reject"}, follow=True)

    assert "its decision can no longer be set" in text(response)
    assert reloaded(case).decision == "credit"


@pytest.mark.parametrize("role", ["warehouse", "accountant"])
def test_only_support_records_decisions_even_by_posting_the_form(
    request, client, support, yealink, role
):
    case = vendor_case_send(case=case_at(yealink, by=support), by=support)
    client.force_login(request.getfixturevalue(role))

    page = client.get(page_url(case))
    response = client.post(decide_url(case), {"decision": "repair"}, follow=True)

    assert page.status_code == 200
    assert decide_url(case) not in page.text
    assert NOT_PERMITTED["decide"] in text(response)
    case = reloaded(case)
    assert (case.state, case.decision, case.decided_at) == (CaseState.AT_VENDOR, "", None)


# The list actions -----------------------------------------------------------------------


def run_action(client, action: str, cases):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [c.pk for c in cases]},
        follow=True,
    )


@pytest.mark.parametrize("role", ["support", "warehouse"])
def test_the_send_action_marks_the_chosen_cases_sent(request, client, support, yealink, role):
    chosen = [case_at(yealink, by=support, serial=f"YL-{n}") for n in range(2)]
    other = case_at(yealink, by=support, serial="YL-9")
    client.force_login(request.getfixturevalue(role))

    response = run_action(client, "send_cases", chosen)

    assert response.status_code == 200
    assert "2 case(s) sent to the vendor." in text(response)
    for case in map(reloaded, chosen):
        assert case.state == CaseState.AT_VENDOR
        assert case.sent_at is not None
    assert (reloaded(other).state, reloaded(other).sent_at) == (CaseState.OPEN, None)


def test_the_send_action_names_each_case_it_could_not_send(client, support, yealink):
    waiting = case_at(yealink, by=support, serial="YL-1")
    gone = vendor_case_send(case=case_at(yealink, by=support, serial="YL-2"), by=support)
    client.force_login(support)

    response = run_action(client, "send_cases", [waiting, gone])

    page = text(response)
    assert "1 case(s) sent to the vendor." in page
    assert f"#{gone.pk}: This vendor case is at the vendor now and can no longer be sent." in page
    assert reloaded(waiting).state == CaseState.AT_VENDOR


def test_the_close_action_closes_decided_cases(client, support, yealink):
    case = case_at(yealink, by=support)
    vendor_case_decide(case=case, by=support, decision="repair")
    client.force_login(support)

    response = run_action(client, "close_cases", [case])

    assert "1 case(s) closed." in text(response)
    case = reloaded(case)
    assert (case.state, case.closed_at is not None) == (CaseState.CLOSED, True)


def offered_actions(response) -> set[str]:
    select = re.search(r'<select name="action".*?</select>', response.text, re.S)
    return set(re.findall(r'<option value="(\w+)"', select.group(0))) if select else set()


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("support", {"pack_cases", "send_cases", "close_cases"}),
        ("warehouse", {"pack_cases", "send_cases"}),
        ("accountant", set()),
    ],
)
def test_the_list_offers_only_the_actions_the_user_may_take(
    request, client, support, yealink, role, offered
):
    # As on the ticket page: staff see exactly what they may do, not actions that can
    # only end in "You are not allowed".
    case_at(yealink, by=support)
    client.force_login(request.getfixturevalue(role))

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert offered_actions(response) == offered


def test_an_accountant_reads_the_cases_but_cannot_act_on_them(client, support, accountant):
    quick = vendor("Snom", usual_decision_days=7)
    waiting = case_at(quick, by=support, days_open=10)
    decided = case_at(quick, by=support)
    vendor_case_decide(case=decided, by=support, decision="credit")
    client.force_login(accountant)

    overview = client.get(reverse(CHANGELIST), {"overdue": "yes"})
    page = client.get(page_url(waiting))
    sent = run_action(client, "send_cases", [waiting])
    closed = run_action(client, "close_cases", [decided])

    assert overview.status_code == page.status_code == 200
    assert listed(overview) == {waiting.pk}
    # The actions are not hers: the list does not offer them, and a post changes nothing.
    assert "sent to the vendor." not in text(sent)
    assert "closed." not in text(closed)
    assert (reloaded(waiting).state, reloaded(decided).state) == (
        CaseState.OPEN,
        CaseState.DECIDED,
    )


@pytest.mark.parametrize("role", ["support", "warehouse", "accountant"])
def test_no_one_adds_or_deletes_cases_in_the_back_office(request, client, support, yealink, role):
    # Cases are opened per unit from a defect ticket through the service, never by hand.
    case = case_at(yealink, by=support)
    client.force_login(request.getfixturevalue(role))

    added = client.get(reverse("admin:vendors_vendorcase_add"))
    deleted = client.post(
        reverse("admin:vendors_vendorcase_delete", args=[case.pk]), {"post": "yes"}
    )

    assert (added.status_code, deleted.status_code) == (403, 403)
    assert VendorCase.objects.filter(pk=case.pk).exists()


# Opening a case from the ticket page (R13) ----------------------------------------------


def ticket_page(ticket) -> str:
    return reverse("admin:rma_ticket_change", args=[ticket.pk])


def open_case(client, line, **fields):
    return client.post(
        reverse("admin:vendors_vendorcase_open"),
        {"ticket_line": line.pk, **fields},
        follow=True,
    )


def test_support_opens_a_vendor_case_from_the_ticket_page_and_sees_it_there(
    client, support, yealink
):
    line = ticket_line(of=yealink, serials=("YL-0001",))
    client.force_login(support)

    before = client.get(ticket_page(line.ticket))
    opened = open_case(client, line, serial="YL-0001", firmware_version="66.86")

    assert "Open a vendor case for this unit" in text(before)
    case = VendorCase.objects.get(ticket_line=line)
    assert (case.serial, case.firmware_version, case.opened_by) == ("YL-0001", "66.86", support)
    assert opened.redirect_chain[-1][0] == ticket_page(line.ticket)
    assert f"Vendor case #{case.pk} opened at Yealink." in text(opened)
    assert page_url(case) in text(opened)


def test_a_refused_case_says_why_on_the_ticket_page_and_opens_nothing(client, support, yealink):
    line = ticket_line(of=yealink, serials=("YL-0001",))
    client.force_login(support)

    refused = open_case(client, line, serial="YL-9999")

    assert "Serial number YL-9999 is not one of the units returned." in text(refused)
    assert not VendorCase.objects.exists()


@pytest.mark.parametrize("role", ["warehouse", "accountant"])
def test_only_support_is_offered_and_may_open_a_vendor_case(request, client, yealink, role):
    line = ticket_line(of=yealink)
    client.force_login(request.getfixturevalue(role))

    page = client.get(ticket_page(line.ticket))
    posted = open_case(client, line)

    assert "Open a vendor case for this unit" not in text(page)
    assert "You are not allowed to open vendor cases." in text(posted)
    assert not VendorCase.objects.exists()


def test_a_request_not_yet_authorized_offers_no_vendor_case(client, support, yealink):
    line = ticket_line(of=yealink, state=State.REQUESTED)
    client.force_login(support)

    page = client.get(ticket_page(line.ticket))

    assert "Open a vendor case for this unit" not in text(page)
    assert "Vendor cases (R13)" not in text(page)


def test_a_line_whose_units_all_have_cases_is_no_longer_offered(client, support, yealink):
    line = ticket_line(of=yealink, serials=("YL-0001",))
    client.force_login(support)
    open_case(client, line, serial="YL-0001")

    page = client.get(ticket_page(line.ticket))

    assert "Open a vendor case for this unit" not in text(page)
    assert "Vendor cases (R13)" in text(page) and "YL-0001" in text(page)
