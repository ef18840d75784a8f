"""Getting into the portal in a real Chromium, at a phone's 375 px and a desktop's 1280 px:
a consumer imported from the webshop activates their account from the e-mail's link, chooses
a password and is logged in. Every page is screenshotted (var/artifacts/browser/) and checked
with axe-core."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from notifications.models import Email
from notifications.rendering import email_render
from orders.models import Customer
from portal.account import customer_home_url
from tests.browser.site import WIDTHS, check_page
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Brede-Zeilboot-42"


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def page(request, browser):
    context = browser.new_context(
        viewport={"width": WIDTHS[request.param], "height": 800}, locale="en-GB"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_an_imported_consumer_activates_their_account_from_the_e_mail(page, live_server):
    imported = CustomerFactory(
        email="imke@example.nl", name="Imke Import", user=None, language="en"
    )

    page.goto(live_server.url + "/login/")
    check_page(page, "account-login")
    page.get_by_role("link", name="Activate your account").click()
    page.wait_for_url(re.compile(r"/account/activate/$"))
    check_page(page, "account-activate")
    page.get_by_label("E-mail address").fill("Imke@Example.nl")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url(re.compile(r"/account/email-sent/$"))
    check_page(page, "account-email-sent")
    assert "If this address belongs to a customer of ours" in page.inner_text("main")

    # The e-mail, as its reader gets it: the link in the text part.
    email = Email.objects.get(kind="account_activation", to=imported.email)
    _subject, text, _html = email_render(email)
    [url] = re.findall(r"https?://\S+/account/set-password/\S+/", text)
    page.goto(live_server.url + url.removeprefix(settings.SITE_URL))
    page.wait_for_url(re.compile(r"/account/set-password/[^/]+/set-password/$"))
    check_page(page, "account-set-password")

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill("not the same")
    page.get_by_role("button", name="Save the password and log in").click()
    page.wait_for_load_state()
    assert "match" in page.inner_text("main")
    check_page(page, "account-set-password-error")

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the password and log in").click()
    page.wait_for_url(re.compile(re.escape(customer_home_url()) + "$"))
    assert page.get_by_role("button", name="Log out").is_visible()
    user = Customer.objects.get(pk=imported.pk).user
    assert user is not None and user.check_password(NEW_PASSWORD)

    # The link worked once: opened again, it says so clearly.
    page.goto(live_server.url + url.removeprefix(settings.SITE_URL))
    assert "This link no longer works" in page.inner_text("h1")
    check_page(page, "account-link-used")

    # Logged out, the new password logs in.
    page.get_by_role("button", name="Log out").click()
    page.goto(live_server.url + "/login/")
    page.get_by_label("E-mail address").fill(imported.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/my/$|/withdraw/$"))
    assert page.get_by_role("button", name="Log out").is_visible()


def test_the_forgotten_password_page_and_the_lockout_page(page, live_server, anna):
    page.goto(live_server.url + "/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    check_page(page, "account-password-reset")

    for _attempt in range(5):
        page.goto(live_server.url + "/login/")
        page.get_by_label("E-mail address").fill("nobody@example.nl")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
    assert "Too many failed logins" in page.inner_text("h1")
    check_page(page, "account-locked-out")
