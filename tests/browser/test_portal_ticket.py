"""A consumer's own ticket page in a real Chromium, at 375 px and 1280 px (issue 15, point
5): from the e-mail's signed link to the login, a tracking number and a message; support
answers in the admin and the consumer gets the e-mail; a consumer cancels. Every portal
page is screenshotted (var/artifacts/browser/) and checked with axe-core."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from notifications.models import Email
from notifications.rendering import email_render
from rma.links import ticket_status_token
from rma.models import Ticket, TicketEvent, TicketMessage
from rma.states import State
from tests.browser.site import WIDTHS, check_page
from tests.browser.test_back_office import log_in as staff_log_in
from tests.conftest import TEST_DAY
from tests.rma.lifecycle import ticket_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def width(request):
    return WIDTHS[request.param]


@pytest.fixture
def site(browser, width, settings, tmp_path):
    """A fresh browser context at `width`, in English."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    contexts = []

    def open_page():
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def open_from_the_email(page, live_server, ticket, customer) -> None:
    """The e-mail's signed link, then the login it offers, landing on the ticket page."""
    token = ticket_status_token(ticket)
    page.goto(live_server.url + reverse("portal:ticket_status", args=[token]))
    page.locator("a", has_text="Log in to write to us, add the tracking number or cancel").click()
    page.get_by_label("E-mail address").fill(customer.email)
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(reverse("portal:my_ticket", args=[ticket.number]))))


def test_tracking_and_a_message_answered_by_support_by_e_mail(
    site, live_server, bram, support, width
):
    ticket = ticket_in(State.AUTHORIZED, customer=bram)
    page = site()

    page.goto(live_server.url + reverse("portal:ticket_status", args=[ticket_status_token(ticket)]))
    check_page(page, "ticket-status-signed")
    open_from_the_email(page, live_server, ticket, bram)
    check_page(page, "ticket-page")
    assert "Print the return label below" in page.inner_text("main")

    page.get_by_label("Shipped on").fill(TEST_DAY.date().isoformat())
    page.get_by_label("Carrier").fill("PostNL")
    page.get_by_label("Tracking number").fill("3SABCD1234567")
    page.get_by_role("button", name="Save the shipping details").click()
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "Thank you: we have saved where your parcel is." in main
    assert "You gave us the tracking number 3SABCD1234567." in main
    assert "Your parcel is on its way to us." in main

    page.get_by_label("Your message").fill("May I send the charger in a second parcel?")
    page.get_by_role("button", name="Send the message").click()
    page.wait_for_load_state()
    assert "Your message has been sent." in page.inner_text("main")
    check_page(page, "ticket-page-with-message")
    ticket.refresh_from_db()
    assert ticket.tracking_number == "3SABCD1234567" and ticket.carrier == "PostNL"
    assert TicketEvent.objects.filter(ticket=ticket, data__field="tracking_number").exists()

    desk = site()
    staff_log_in(desk, live_server, support.email)
    desk.goto(f"{live_server.url}/admin/rma/ticket/{ticket.pk}/change/")
    thread = desk.locator("#retour-thread")
    assert "May I send the charger in a second parcel?" in thread.inner_text()
    assert "not answered yet" in thread.inner_text()
    desk.fill("#id_answer_body", "Yes: write the RMA number on both parcels.")
    desk.get_by_role("button", name="Send the answer to the customer").click()
    desk.wait_for_load_state()
    assert f"Your answer was sent to {bram.email}." in desk.locator(".messagelist").inner_text()
    assert "not answered yet" not in desk.locator("#retour-thread").inner_text()
    desk.screenshot(path=str(_artifact(f"admin-ticket-thread-{width}.png")), full_page=True)

    email = Email.objects.get(kind="staff_message")
    assert email.to == bram.email and email.language == "en"  # Bram reads English
    subject, text, html = email_render(email)
    assert ticket.number in subject
    assert "Yes: write the RMA number on both parcels." in text
    assert "Yes: write the RMA number on both parcels." in html

    page.reload()
    messages = page.inner_text("#messages")
    assert messages.index("May I send the charger") < messages.index("Yes: write the RMA")
    assert "Customer support" in messages
    assert TicketMessage.objects.filter(ticket=ticket).count() == 2


def test_a_consumer_cancels_a_request(site, live_server, bram, width):
    ticket = ticket_in(State.REQUESTED, customer=bram)
    page = site()

    open_from_the_email(page, live_server, ticket, bram)
    page.locator("a", has_text="Cancel this return").click()
    page.wait_for_url(re.compile("/cancel/$"))
    check_page(page, "ticket-cancel-confirm")
    assert Ticket.objects.get(pk=ticket.pk).state == State.REQUESTED  # asks first

    page.get_by_role("button", name="Yes, cancel the return").click()
    page.wait_for_load_state()

    main = page.inner_text("main")
    assert "Your return has been cancelled." in main
    assert "The return was cancelled." in main
    assert page.locator("a", has_text="Cancel this return").count() == 0
    assert Ticket.objects.get(pk=ticket.pk).state == State.CANCELLED
    check_page(page, "ticket-page-cancelled")


def _artifact(name: str):
    from tests.browser.site import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
