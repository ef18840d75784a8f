"""The warehouse in a real Chromium at the scan station (issue 16 §2, R7): four labels
scanned in a row with the keyboard only, each with its loud verdict, the refusal kept."""

import pytest

from rma.models import EventKind, ParcelScan, ReturnedUnit, ScanOutcome
from rma.states import State
from tests.browser.site import ARTIFACTS, WIDTHS, axe_violations
from tests.browser.test_back_office import log_in
from tests.rma.lifecycle import ticket_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The verdicts' colours (static/backoffice/scan.css): green, yellow, red.
GREEN, YELLOW, RED = "rgb(20, 99, 45)", "rgb(255, 213, 74)", "rgb(164, 22, 26)"


def scan(page, typed: str, count: int) -> tuple[str, str, str]:
    """Type what the keyboard wedge types (the number, then Enter) into the focused
    field; wait for the day's list to hold `count` scans; read the verdict shown."""
    page.keyboard.type(typed)
    page.keyboard.press("Enter")
    page.locator("#scan-recent .scan-item").nth(count - 1).wait_for()
    page.wait_for_function("() => !document.querySelector('#scan-form[aria-busy]')")
    verdict = page.locator("#scan-result .scan-verdict")
    tone = verdict.get_attribute("class").split()[1]
    colour = verdict.evaluate("element => getComputedStyle(element).backgroundColor")
    return tone, colour, verdict.inner_text()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_warehouse_scans_four_labels_in_a_row(page, live_server, warehouse, width):
    good = ticket_in(State.AUTHORIZED)
    not_authorized = ticket_in(State.REQUESTED)
    received_before = ticket_in(State.RECEIVED)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and "favicon" not in m.location.get("url", "")
            and errors.append(m.text)
        ),
    )
    page.set_viewport_size({"width": width, "height": 900})

    log_in(page, live_server, warehouse.email)
    page.click("text=Scan station")  # the warehouse's start page leads there
    page.wait_for_url("**/admin/rma/ticket/scan/")
    page.wait_for_load_state()
    assert page.evaluate("() => document.activeElement.id") == "id_scanned"
    assert page.locator("#scan-photo").is_hidden()  # intact: no photo asked

    tone, colour, text = scan(page, good.number, 1)
    assert (tone, colour) == ("scan-ok", GREEN)
    assert "Received" in text and good.number in text
    assert "What to check" in page.locator("#scan-result").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"scan-station-received-{width}.png"), full_page=True)
    assert axe_violations(page) == []
    # The field is ready for the next parcel at once: no mouse.
    assert page.evaluate("() => document.activeElement.id") == "id_scanned"
    assert page.input_value("#id_scanned") == ""

    tone, colour, text = scan(page, "RMA-2026-777777", 2)
    assert (tone, colour) == ("scan-refuse", RED)
    assert "REFUSE THIS PARCEL" in text.upper()
    assert "No return has the number “RMA-2026-777777” (R7)." in text

    tone, colour, text = scan(page, not_authorized.number.lower(), 3)
    assert (tone, colour) == ("scan-refuse", RED)
    assert f"Return {not_authorized.number} is requested: it was never authorized (R7)." in text
    page.screenshot(path=str(ARTIFACTS / f"scan-station-refused-{width}.png"), full_page=True)
    assert axe_violations(page) == []

    tone, colour, text = scan(page, received_before.number, 4)
    assert (tone, colour) == ("scan-warn", YELLOW)
    assert "Already received" in text

    # The day's list, newest first, each with its colour.
    items = page.locator("#scan-recent .scan-item")
    assert [items.nth(i).get_attribute("class").split()[1] for i in range(4)] == [
        "scan-item-warn",
        "scan-item-refuse",
        "scan-item-refuse",
        "scan-item-ok",
    ]
    page.screenshot(path=str(ARTIFACTS / f"scan-station-four-{width}.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert axe_violations(page) == []
    assert errors == []

    # Recorded: every scan, the refusal in the ticket's history, the good one received.
    assert list(ParcelScan.objects.order_by("at", "pk").values_list("outcome", flat=True)) == [
        ScanOutcome.RECEIVED,
        ScanOutcome.UNKNOWN,
        ScanOutcome.NOT_AUTHORIZED,
        ScanOutcome.ALREADY_RECEIVED,
    ]
    refusal = not_authorized.events.get(kind=EventKind.CHANGE)
    assert refusal.data["refused"] == "R7" and refusal.by == warehouse
    good.refresh_from_db()
    assert good.state == State.RECEIVED
    assert ReturnedUnit.objects.filter(ticket_line__ticket=good).count() == 1


def test_scans_typed_faster_than_the_server_answers_are_all_kept(page, live_server, warehouse):
    first, second = ticket_in(State.AUTHORIZED), ticket_in(State.AUTHORIZED)

    log_in(page, live_server, warehouse.email)
    page.goto(f"{live_server.url}/admin/rma/ticket/scan/")
    for typed in (first.number, "RMA-2026-000999", second.number):
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
    page.locator("#scan-recent .scan-item").nth(2).wait_for()

    assert page.locator("#scan-result .scan-verdict.scan-ok").inner_text().count(second.number)
    assert list(ParcelScan.objects.order_by("at", "pk").values_list("outcome", flat=True)) == [
        ScanOutcome.RECEIVED,
        ScanOutcome.UNKNOWN,
        ScanOutcome.RECEIVED,
    ]


def test_a_damaged_parcel_asks_for_a_photo(page, live_server, warehouse, tmp_path):
    ticket = ticket_in(State.AUTHORIZED)
    photo = tmp_path / "dent.png"
    from PIL import Image

    Image.new("RGB", (40, 30), (90, 60, 40)).save(photo)

    log_in(page, live_server, warehouse.email)
    page.goto(f"{live_server.url}/admin/rma/ticket/scan/")
    page.get_by_label("Damaged").check()
    assert page.locator("#scan-photo").is_visible()
    page.set_input_files("#id_photo", str(photo))
    page.focus("#id_scanned")
    scan(page, ticket.number, 1)

    assert "packaging damaged" in page.locator("#scan-result").inner_text()
    ticket.refresh_from_db()
    assert ticket.parcel_condition == "damaged" and ticket.attachments.count() == 1
    assert page.get_by_label("Intact").is_checked()  # the next parcel: intact again
