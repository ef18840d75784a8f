"""The per-unit diagnosis in the back office (issue 16 §3): who may use it, what it
records, what the ticket page shows after it, and that page's queries."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policies.reasons import Reason
from rma.models import Grade, Outcome, ReturnedUnit
from rma.states import State
from tests.rma.units import diagnose, received_ticket, units_of
from vendors.models import VendorCase

pytestmark = pytest.mark.django_db


def _form_url(unit) -> str:
    return reverse("admin:rma_ticket_unit_diagnose", args=[unit.pk])


def _ticket_url(ticket) -> str:
    return reverse("admin:rma_ticket_change", args=[ticket.pk])


def _post(**changes) -> dict:
    data = {
        "grade": Grade.OPENED_AS_NEW,
        "serial_matches": "yes",
        "accessories_complete": "yes",
        "defect_confirmed": "no",
        "investigation_hours": "1.5",
        "deduction": "0",
        "deduction_reason": "",
        "outcome": Outcome.RETURN_AS_IS,
        "note": "Runs fine for 24 hours.",
    }
    data.update(changes)
    return data


def test_support_diagnoses_no_defect_found_and_the_ticket_shows_the_charge(client, support):
    ticket = received_ticket(quantity=1)
    unit = units_of(ticket)[0]
    client.force_login(support)

    form = client.get(_form_url(unit))
    assert form.status_code == 200
    # Proposed from the customer's claim: a confirmed defect under warranty, to the vendor.
    assert "Proposed: send to the vendor (R13)" in form.text
    assert "at most 120.00" in form.text  # the F4 cap, shown
    assert re.search(r'value="vendor_case"[^>]*checked', form.text)

    response = client.post(_form_url(unit), _post(), follow=True)

    unit.refresh_from_db()
    rate = ticket.policy.terms().hourly_rate
    assert unit.outcome == Outcome.RETURN_AS_IS and unit.diagnosed_by == support
    assert unit.investigation_charge == (Decimal("1.5") * rate).quantize(Decimal("0.01"))
    assert response.redirect_chain[-1][0].endswith(_ticket_url(ticket) + "#retour-units")
    assert "is diagnosed." in response.text
    charges = re.search(r'<tr class="retour-charge">(.*?)</tr>', response.text, re.S).group(1)
    assert "R12, F5" in charges
    assert str(unit.investigation_charge) in charges
    ticket.refresh_from_db()
    assert ticket.state == State.DIAGNOSED  # its only unit is diagnosed


def test_update_the_proposal_recomputes_it_and_saves_nothing(client, support):
    ticket = received_ticket(quantity=1)
    unit = units_of(ticket)[0]
    client.force_login(support)

    response = client.post(_form_url(unit), _post(outcome=Outcome.VENDOR_CASE, propose="1"))

    assert response.status_code == 200
    assert "Proposed: return to the customer as is" in response.text
    assert "(R12, F5)" in response.text
    assert re.search(r'value="return_as_is"[^>]*checked', response.text)
    unit.refresh_from_db()
    assert unit.diagnosed_at is None


def test_a_deduction_above_the_cap_is_refused_with_the_cap(client, support):
    ticket = received_ticket(reason=Reason.WITHDRAWAL, quantity=1)
    unit = units_of(ticket)[0]
    client.force_login(support)

    response = client.post(
        _form_url(unit),
        _post(
            grade=Grade.SIGNS_OF_USE,
            defect_confirmed="",
            investigation_hours="0",
            outcome=Outcome.REFUND,
            deduction="120.01",
            deduction_reason="Scratches (W6).",
        ),
    )

    assert response.status_code == 200
    assert "share of the line value, 120.00 (F4)" in response.text
    unit.refresh_from_db()
    assert unit.diagnosed_at is None


def test_a_refunded_unit_feeds_the_quote_with_its_deduction(client, support):
    ticket = received_ticket(reason=Reason.WITHDRAWAL, quantity=2)
    first, second = units_of(ticket)
    client.force_login(support)
    for unit, deduction in ((first, "30.00"), (second, "0")):
        client.post(
            _form_url(unit),
            _post(
                grade=Grade.SIGNS_OF_USE if deduction != "0" else Grade.SEALED,
                defect_confirmed="",
                investigation_hours="0",
                outcome=Outcome.REFUND,
                deduction=deduction,
                deduction_reason="Scratches (W6)." if deduction != "0" else "",
            ),
        )

    page = client.get(_ticket_url(ticket)).text

    items = re.findall(r'<tr class="retour-quote-item"><td>(\w+)</td>', page)
    assert items[0] == "F1" and "F4" in items
    assert "-30.00" in page
    # 2 × 120.00 less the 30.00 deduction, and the whole order's delivery (W8).
    assert "€ 216.95</td></tr></tfoot>" in page


def test_a_defect_sent_to_the_vendor_opens_its_case_with_the_serial(client, support):
    ticket = received_ticket(quantity=1, serials=("SN-0001",))
    unit = units_of(ticket)[0]
    client.force_login(support)

    response = client.post(
        _form_url(unit),
        _post(defect_confirmed="yes", outcome=Outcome.VENDOR_CASE, investigation_hours="0.5"),
        follow=True,
    )

    case = VendorCase.objects.get(unit=unit)
    assert case.serial == "SN-0001"
    assert f"Vendor case #{case.pk} is open" in response.text


@pytest.mark.parametrize("role", ["warehouse", "accountant"])
def test_who_may_not_diagnose_gets_no_form_and_no_link(client, request, role):
    ticket = received_ticket(quantity=1)
    unit = units_of(ticket)[0]
    client.force_login(request.getfixturevalue(role))

    assert client.get(_form_url(unit)).status_code == 403
    assert client.post(_form_url(unit), _post()).status_code == 403
    assert _form_url(unit) not in client.get(_ticket_url(ticket)).text
    unit.refresh_from_db()
    assert unit.diagnosed_at is None


def test_the_ticket_page_lists_units_and_offers_no_diagnose_button(client, support):
    ticket = received_ticket(quantity=2, has_login=True)
    first, second = units_of(ticket)
    diagnose(first)
    client.force_login(support)

    page = client.get(_ticket_url(ticket)).text

    assert 'value="diagnose"' not in page  # the state follows the units
    assert _form_url(second) in page and _form_url(first) not in page
    assert page.count("Wipe done for") == 2  # R15: the product has a login


def test_the_warehouse_records_the_wipe_from_the_ticket_page(client, warehouse):
    ticket = received_ticket(quantity=1, has_login=True)
    unit = units_of(ticket)[0]
    client.force_login(warehouse)

    url = reverse("admin:rma_ticket_unit_wipe", args=[unit.pk])
    response = client.post(url, follow=True)

    unit.refresh_from_db()
    assert unit.wiped_by == warehouse
    assert "is recorded" in response.text
    again = client.post(url, follow=True)
    assert "already recorded by wim.warehouse@webstore4.example" in again.text


def test_the_accountant_records_no_wipe(client, accountant):
    ticket = received_ticket(quantity=1, has_login=True)
    unit = units_of(ticket)[0]
    client.force_login(accountant)

    url = reverse("admin:rma_ticket_unit_wipe", args=[unit.pk])
    assert client.post(url).status_code == 403
    assert ReturnedUnit.objects.get(pk=unit.pk).wiped_at is None


def _page_queries(client, ticket) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_ticket_url(ticket))
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_ticket_pages_queries_do_not_grow_with_its_units(client, support):
    client.force_login(support)
    counts = []
    for quantity in (1, 4):
        ticket = received_ticket(reason=Reason.WITHDRAWAL, quantity=quantity, has_login=True)
        units = units_of(ticket)
        for unit in units[:-1] or units:
            diagnose(
                unit,
                grade=Grade.SIGNS_OF_USE,
                defect_confirmed=None,
                outcome=Outcome.REFUND,
                deduction=Decimal("5"),
                deduction_reason="Scratch.",
            )
        _page_queries(client, ticket)  # warm the caches (policies, calendar)
        counts.append(_page_queries(client, ticket))
    assert counts[0] == counts[1]


def test_the_form_starts_from_the_customers_claim(client, support):
    ticket = received_ticket(quantity=1, has_login=True)
    client.force_login(support)

    form = client.get(_form_url(units_of(ticket)[0])).text

    for name, value in [
        ("grade", Grade.OPENED_AS_NEW),
        ("locked", "no"),
        ("accessories_complete", "yes"),
        ("defect_confirmed", "yes"),
        ("outcome", Outcome.VENDOR_CASE),
    ]:
        assert re.search(rf'name="{name}" value="{value}"[^>]*checked', form), name
