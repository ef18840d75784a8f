"""F6 in a real Chromium, at 375 px and 1280 px: under the licence-shop policy the return
form asks how the money goes back, htmx brings the preview in line with the choice, and
the ticket keeps it. Checked with axe-core (the choice is a fieldset with its legend)."""

from __future__ import annotations

import re

import pytest

from rma.models import Ticket
from tests.browser.site import check_page
from tests.browser.test_portal_returns import logged_in, width  # noqa: F401 (fixtures)
from tests.factories import shop_policy
from tests.portal.orders import Item, order_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def licence_shop(transactional_db):
    return shop_policy("licence-shop")


def test_the_preview_follows_the_customers_choice_of_store_credit(
    logged_in,  # noqa: F811
    live_server,
    anna,
    licence_shop,
):
    order = order_of(anna, Item("Cat6 patch cable", 1, "50.00"))
    page = logged_in(anna.user)

    page.goto(f"{live_server.url}/my/orders/{order.number}/return/")
    page.get_by_label("Delivery error").check()
    preview = page.locator(".preview")
    preview.get_by_text("Paid back as:").wait_for()
    assert re.search(r"iDEAL\s+€\s50\.00", preview.inner_text())
    choice = page.get_by_role("group", name="How do you want your money back?")
    assert choice.get_by_label("The way you paid").is_checked()

    choice.get_by_label("Store credit, valid 24 months").check()
    preview.get_by_text("Store credit is valid 24 months.").wait_for()
    assert re.search(r"Store credit\s+€\s50\.00", preview.inner_text())
    assert "iDEAL" not in preview.inner_text()
    check_page(page, "file-return-store-credit")

    page.get_by_label("Describe what is wrong, or what happened").fill("Wrong length.")
    page.get_by_role("button", name="Send return request").click()
    page.wait_for_url(re.compile(r"/my/returns/RMA-"))
    assert Ticket.objects.get().store_credit_chosen
