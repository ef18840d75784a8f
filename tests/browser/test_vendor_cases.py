"""Support in a real Chromium: send a received defect unit to its vendor from the ticket
page, find it among the overdue vendor cases (D5), record the vendor's decision."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rma.states import State
from tests.browser.test_back_office import log_in
from tests.vendors.cases import ticket_line, vendor
from vendors.models import CaseState, VendorCase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_support_opens_a_vendor_case_chases_it_and_records_the_decision(
    page, live_server, tmp_path, support
):
    hikvision = vendor("Hikvision", usual_decision_days=21)
    line = ticket_line(of=hikvision, state=State.RECEIVED, serials=("HKNVR0001",))

    log_in(page, live_server, support.email)
    page.goto(f"{live_server.url}/admin/rma/ticket/{line.ticket_id}/change/")
    page.get_by_label("Serial number").fill("HKNVR0001")
    page.get_by_label("Firmware version").fill("V4.62")
    page.click("text=Open a vendor case for this unit")

    case = VendorCase.objects.get(ticket_line=line)
    assert (
        f"Vendor case #{case.pk} opened at Hikvision." in page.locator(".messagelist").inner_text()
    )
    assert "HKNVR0001" in page.locator(".retour-vendor-cases table").inner_text()

    # A month later Hikvision has still not decided: the case is overdue (D5).
    VendorCase.objects.filter(pk=case.pk).update(opened_at=timezone.now() - timedelta(days=30))
    page.goto(f"{live_server.url}/admin/vendors/vendorcase/")
    page.click("text=D5 vendor case overdue")
    page.wait_for_url("**/?overdue=yes")
    rows = page.locator("#result_list tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1 and "HKNVR0001" in rows.first.inner_text()
    page.screenshot(path=str(tmp_path / "overdue-cases.png"), full_page=True)

    rows.first.locator("th a, td a").first.click()
    page.get_by_label("Decision", exact=True).select_option("replace")
    page.get_by_label("Vendor RMA number").fill("HK-RMA-7781")
    page.click("text=Record the decision")

    assert "The vendor's decision is recorded." in page.locator(".messagelist").inner_text()
    case.refresh_from_db()
    assert (case.state, case.decision, case.vendor_rma_number) == (
        CaseState.DECIDED,
        "replace",
        "HK-RMA-7781",
    )
    page.goto(f"{live_server.url}/admin/vendors/vendorcase/?overdue=yes")
    assert page.locator("#result_list").count() == 0  # nothing overdue any more
