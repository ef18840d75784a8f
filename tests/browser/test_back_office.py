"""Staff in a real Chromium: log in, find a ticket, move it with the buttons, get the label."""

import datetime as dt

import pytest
import time_machine
from pypdf import PdfReader

from rma.states import State
from tests.factories import AMSTERDAM
from tests.rma.lifecycle import ticket_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
IN_OCTOBER = time_machine.travel(dt.datetime(2026, 10, 5, 12, 0, tzinfo=AMSTERDAM), tick=True)


def log_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("E-mail address").fill(email)  # the username is the e-mail address
    page.fill("#id_password", "pw-for-tests-only")
    page.click("input[type=submit]")


def test_support_authorizes_a_request_and_the_warehouse_receives_it(
    page, live_server, settings, tmp_path, anna, support, warehouse
):
    settings.MEDIA_ROOT = tmp_path
    with IN_OCTOBER:
        ticket = ticket_in(State.REQUESTED, customer=anna)

    log_in(page, live_server, support.email)
    page.goto(f"{live_server.url}/admin/rma/ticket/?q=anna@example.nl")
    page.click(f"text={ticket.number}")
    transitions = page.locator(".retour-transitions button[name=name]")
    transitions.first.wait_for()
    assert sorted(transitions.all_inner_texts()) == ["Authorize", "Cancel", "Reject"]

    page.fill("#id_transition_note", "Please send it in with the label.")
    page.click(".retour-transitions button:has-text('Authorize')")

    assert (
        page.locator(".messagelist").inner_text().strip() == f"{ticket.number} is now authorized."
    )
    assert page.locator(".retour-transitions button[name=name]").all_inner_texts() == [
        "Cancel",
        "Expire",
    ]
    page.screenshot(path=str(tmp_path / "authorized.png"), full_page=True)
    with page.expect_download() as download:
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; a.download = ''; "
            "document.body.appendChild(a); a.click(); }",
            f"/tickets/{ticket.number}/label.pdf",
        )
    label = PdfReader(download.value.path())
    assert ticket.number in label.pages[0].extract_text()

    page.context.clear_cookies()
    log_in(page, live_server, warehouse.email)
    page.goto(f"{live_server.url}/admin/rma/ticket/{ticket.pk}/change/")
    page.click(".retour-transitions button:has-text('Receive parcel')")

    assert "is now received" in page.locator(".messagelist").inner_text()
    ticket.refresh_from_db()
    assert ticket.state == State.RECEIVED
