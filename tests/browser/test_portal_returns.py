"""The customer's orders and returns and the return request form in a real Chromium, at
375 px and 1280 px, with htmx under the site's Content-Security-Policy: a consumer files
a defect RMA for a Grandstream phone (V3), a partner sees P1 restocking as store credit.
Every page is screenshotted (var/artifacts/browser/) and checked with axe-core."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from PIL import Image

from rma.models import Attachment, Ticket
from tests.browser.site import WIDTHS, check_page
from tests.portal.orders import Item, order_of
from tests.portal.test_file_return import grandstream_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def width(request):
    return WIDTHS[request.param]


@pytest.fixture
def logged_in(browser, width, live_server, settings, tmp_path):
    """A browser page at `width` with `user` logged in through a session cookie."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    contexts = []

    def open_page(user):
        client = Client()
        client.force_login(user)
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-GB")
        contexts.append(context)
        context.add_cookies(
            [
                {
                    "name": django_settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def photo(tmp_path):
    path = tmp_path / "handset.jpg"
    Image.new("RGB", (64, 48), "gray").save(path, "JPEG")
    return str(path)


def test_a_consumer_files_a_defect_rma_for_a_grandstream_phone(
    logged_in, live_server, anna, width, tmp_path
):
    order = grandstream_order(anna)
    page = logged_in(anna.user)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(live_server.url + "/my/")
    check_page(page, "my-returns")
    page.get_by_role("button", name="Return items").first.click()
    page.wait_for_url(re.compile(r"/my/orders/.+/return/$"))
    page.get_by_label(re.compile("How many of Grandstream")).fill("1")
    page.get_by_label(re.compile("How many of Grandstream")).dispatch_event("change")
    page.get_by_label("GS2614A001").check()
    page.get_by_label("Defective / warranty").check()
    # htmx brings in what Grandstream's route (V3) and the has_login device (R8) ask.
    ticket_field = page.get_by_label("The manufacturer's support ticket number")
    ticket_field.wait_for()
    page.get_by_label("Describe what is wrong, or what happened").fill("No dial tone.")
    page.get_by_label("Photos or documents (optional)").set_input_files(photo(tmp_path))
    page.get_by_label(re.compile("I have reset the device")).check()
    check_page(page, "file-return")
    page.get_by_role("button", name="Send return request").click()
    page.wait_for_load_state()

    main = page.inner_text("main")
    assert "Grandstream support must confirm the fault first (V3)" in main
    assert "choose them again" in main
    assert page.get_by_label("Describe what is wrong, or what happened").input_value() == (
        "No dial tone."
    )
    assert page.get_by_label("GS2614A001").is_checked()
    assert not Ticket.objects.exists()
    check_page(page, "file-return-refused")

    page.get_by_label("The manufacturer's support ticket number").fill("GS-448812")
    page.get_by_label("Photos or documents (optional)").set_input_files(photo(tmp_path))
    page.get_by_role("button", name="Send return request").click()
    page.wait_for_url(re.compile(r"/my/returns/RMA-"))

    ticket = Ticket.objects.get()
    assert ticket.vendor_ticket_number == "GS-448812" and ticket.factory_reset_confirmed
    assert Attachment.objects.filter(ticket=ticket).count() == 1
    assert f"We have received your return request {ticket.number}." in page.inner_text("main")
    page.goto(live_server.url + "/my/")
    assert ticket.number in page.inner_text(".my-tickets")
    assert order.number in page.inner_text("main")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_a_partner_sees_the_restocking_as_store_credit_in_the_preview(
    logged_in, live_server, netpartners, width
):
    order = order_of(netpartners, Item("Ubiquiti UniFi U6", 10, "179.00"))
    page = logged_in(netpartners.user)

    page.goto(f"{live_server.url}/my/orders/{order.number}/return/")
    page.get_by_label(re.compile("How many of Ubiquiti")).fill("2")
    page.get_by_label(re.compile("How many of Ubiquiti")).dispatch_event("change")
    page.get_by_label("Order error").check()
    preview = page.locator(".preview")
    preview.get_by_text("20% partner restocking fee").wait_for()

    text = preview.inner_text()
    assert "(P1)" in text and "-71.60" in text
    assert re.search(r"Store credit\s+€\s286\.40", text)
    assert "Store credit is valid 12 months." in text
    check_page(page, "file-return-partner")
    assert not Ticket.objects.exists()
