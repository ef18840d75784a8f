"""Issue 16: a defective unit opens a vendor case with its serial and travels in a vendor
shipment, in a real Chromium at 1280 px. Support diagnoses the received unit "send to the
vendor" (the case opens with the unit's serial); the warehouse adds the case to a
shipment from the vendor-case list, reads the packing list and sends the parcel with its
carrier and tracking number; axe-core finds nothing serious on the shipment page."""

import io
import re

import pypdf
import pytest

from rma.models import Outcome
from rma.states import State
from tests.browser.site import ARTIFACTS, axe_violations
from tests.browser.test_back_office import log_in
from tests.vendors.cases import ticket_line, vendor
from vendors.models import CaseState, ShipmentState, VendorCase, VendorShipment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(ARTIFACTS / f"vendor-shipment-{name}-{width}.png"), full_page=True)


def test_a_defective_unit_opens_a_vendor_case_and_travels_in_a_shipment(
    browser, page, live_server, support, warehouse
):
    hikvision = vendor("Hikvision")
    line = ticket_line(of=hikvision, state=State.RECEIVED, serials=("HKNVR0001",))
    ticket = line.ticket
    unit = line.returned_units.get()

    # Support diagnoses the unit: a confirmed defect goes to the vendor (R13).
    log_in(page, live_server, support.email)
    page.goto(f"{live_server.url}/admin/rma/ticket/{ticket.pk}/change/")
    page.locator("#retour-units").get_by_role("link", name=re.compile("^Diagnose")).click()
    page.get_by_role("heading", name=re.compile("Diagnose unit")).wait_for()
    assert "Proposed: send to the vendor (R13)" in page.locator("#retour-proposal").inner_text()
    page.get_by_label("Opened, as new").check()
    page.get_by_label("Diagnosis note (internal)").fill("Does not boot; fan spins, no video.")
    page.get_by_role("button", name="Save the diagnosis").click()

    opened = page.locator(".messagelist li", has_text="is open for unit")
    opened.wait_for()
    case = VendorCase.objects.get(unit=unit)
    assert f"Vendor case #{case.pk} is open for unit" in opened.inner_text()
    assert (case.serial, case.vendor, case.state) == ("HKNVR0001", hikvision, CaseState.OPEN)
    unit.refresh_from_db()
    assert unit.outcome == Outcome.VENDOR_CASE

    # The warehouse packs the unit into Hikvision's shipment from the vendor-case list.
    wim = browser.new_page(viewport={"width": 1280, "height": 900})
    wim.set_default_timeout(15_000)
    log_in(wim, live_server, warehouse.email)
    wim.goto(f"{live_server.url}/admin/vendors/vendorcase/")
    row = wim.locator("#result_list tbody tr", has_text="HKNVR0001")
    row.locator("input[name=_selected_action]").check()
    wim.locator("select[name=action]").select_option(label="Add to a shipment")
    wim.locator("button[name=index]").click()
    wim.locator(".messagelist").wait_for()
    shipment = VendorShipment.objects.get(vendor=hikvision)
    message = wim.locator(".messagelist")
    assert f"1 unit in shipment #{shipment.pk}." in message.inner_text()
    message.get_by_role("link", name=f"1 unit in shipment #{shipment.pk}.").click()

    wim.get_by_role("heading", name="1 unit in this shipment").wait_for()
    units = wim.locator(".retour-shipment-units table").inner_text()
    assert "HKNVR0001" in units and ticket.number in units and "Does not boot" in units
    _shot(wim, "draft")
    violations = axe_violations(wim)
    assert violations == [], f"shipment page: {violations}"

    # The packing list goes into the parcel.
    href = wim.get_by_role("link", name="Packing list (PDF)").get_attribute("href")
    pdf = wim.request.get(f"{live_server.url}{href}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(pypdf.PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text().split())
    assert "Hikvision" in text and "HKNVR0001" in text and ticket.number in text

    wim.get_by_label("Carrier").fill("PostNL")
    wim.get_by_label("Tracking number").fill("3SHIKV000123")
    wim.get_by_role("button", name="Send", exact=True).click()

    sent = wim.locator(".messagelist li", has_text="is sent to Hikvision")
    sent.wait_for()
    assert (
        f"Shipment #{shipment.pk} is sent to Hikvision: its units are at the vendor."
        == sent.inner_text().strip()
    )
    assert wim.get_by_role("button", name="Send", exact=True).count() == 0
    _shot(wim, "sent")
    shipment.refresh_from_db()
    case.refresh_from_db()
    assert (shipment.state, shipment.carrier, shipment.tracking_number) == (
        ShipmentState.SENT,
        "PostNL",
        "3SHIKV000123",
    )
    assert (case.state, case.shipment_id) == (CaseState.AT_VENDOR, shipment.pk)
    wim.close()
