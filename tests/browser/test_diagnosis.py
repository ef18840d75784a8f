"""Support diagnoses a returned unit in a real Chromium (issue 16 §3): "no defect found"
creates the investigation charge the ticket page shows (R12, F5), at 1280 and 375 px,
with axe-core finding nothing serious on the form."""

import re

import pytest

from rma.models import Outcome
from rma.states import State
from tests.browser.site import ARTIFACTS, WIDTHS, axe_violations
from tests.browser.test_back_office import log_in
from tests.rma.units import received_ticket, units_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(ARTIFACTS / f"diagnosis-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [WIDTHS["desktop"], WIDTHS["phone"]])
def test_no_defect_found_creates_the_investigation_charge(page, live_server, support, width):
    ticket = received_ticket(quantity=1, has_login=True)
    unit = units_of(ticket)[0]
    rate = ticket.policy.terms().hourly_rate
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, support.email)

    page.goto(f"{live_server.url}/admin/rma/ticket/{ticket.pk}/change/")
    units = page.locator("#retour-units")
    assert "not diagnosed yet" in units.inner_text()
    assert page.locator(".retour-transitions button:has-text('diagnosis')").count() == 0
    units.get_by_role("link", name=re.compile("^Diagnose")).click()

    page.get_by_role("heading", name=re.compile("Diagnose unit")).wait_for()
    assert "Proposed: send to the vendor (R13)" in page.locator("#retour-proposal").inner_text()
    _shot(page, "form")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    violations = axe_violations(page)
    assert violations == [], f"diagnosis form at {width} px: {violations}"

    page.get_by_label("no defect found", exact=False).check()
    page.get_by_label("reset and unlinked").check()
    page.get_by_label("Investigation (hours)").fill("1.5")
    page.get_by_role("button", name="Update the proposal from these findings").click()
    proposal = page.locator("#retour-proposal").inner_text()
    assert "Proposed: return to the customer as is" in proposal
    assert "(R12, F5)" in proposal
    assert page.get_by_label("return to the customer as is").is_checked()
    page.get_by_label("Data wiped to factory state (R15)").check()
    page.get_by_label("Diagnosis note (internal)").fill("Works on three PBXs; no fault.")
    page.get_by_role("button", name="Save the diagnosis").click()

    assert "is diagnosed." in page.locator(".messagelist").inner_text()
    charge = page.locator("tr.retour-charge").inner_text()
    amount = f"{rate * 3 / 2:.2f}"
    assert "R12, F5" in charge and amount in charge
    assert "return to the customer as is" in page.locator("#retour-units").inner_text()
    _shot(page, "ticket")
    unit.refresh_from_db()
    ticket.refresh_from_db()
    assert unit.outcome == Outcome.RETURN_AS_IS and str(unit.investigation_charge) == amount
    assert unit.wiped_by == support
    assert ticket.state == State.DIAGNOSED
