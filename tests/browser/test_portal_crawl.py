"""Every portal page a customer can reach, in Dutch, in a real Chromium (issue 15, point 6).

The test follows every link of the public site from the start page (a visitor) and from
"My orders and returns" (a logged-in customer with an order and tickets), at 375 px and
1280 px, and on each page checks: the page is in Dutch (no English sentence of our own
catalogue left in its text), axe-core finds nothing serious, nothing is wider than the
screen; and saves a screenshot. A new page is covered once a link leads to it.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

from rma import services
from tests.browser.site import WIDTHS, check_page
from tests.portal.orders import PHONE, Item, order_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Not pages of the portal, or pages that change something when opened.
SKIPPED_PREFIXES = ("/admin/", "/api/", "/static/", "/i18n/", "/anymail/", "/attachments/")
MAX_PAGES = 30


def english_sentences() -> list[str]:
    """The English sentences of our catalogue whose Dutch differs: none may show on a
    Dutch page (short words such as "OK" or names are left out)."""
    catalog = trans_real.translation("nl")._catalog
    return sorted(
        msgid
        for msgid, msgstr in catalog.items()
        if isinstance(msgid, str)
        and "\x04" not in msgid
        and len(msgid) >= 20
        and " " in msgid
        and "%" not in msgid
        and "{" not in msgid
        and msgstr != msgid
    )


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def width(request):
    return WIDTHS[request.param]


@pytest.fixture
def dutch_customer(anna, support, settings, tmp_path):
    """Anna (Dutch) with an order and two tickets: a defect authorized (with its label)
    and a withdrawal; and two returns with a refund: one paid to her card, with its
    credit note, and one by bank transfer that asks for her account (issue 18)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    order = order_of(anna, PHONE, Item("Yealink T54W", 1, "199.00"))
    with translation.override("nl"):
        defect = services.ticket_create(
            order=order,
            reason="defective",
            lines=[services.LineRequest("1", 1, detail="Geen geluid")],
            by=anna.user,
            vendor_ticket_number="GS-12345",
            factory_reset_confirmed=True,
        )
        services.ticket_authorize(ticket=defect, by=support)
        services.withdrawal_register(
            order=order, lines=[services.LineRequest("2", 1)], by=anna.user, signed_as=anna.name
        )
    _refunds(anna)
    return anna


def _refunds(customer) -> None:
    from refunds.refunding import refund_pay, refund_propose
    from tests.factories import staff_member
    from tests.refunds.refund_flow import accountant, approved_refund, diagnosed_ticket

    by_card = approved_refund(customer=customer, paid_with="card", deduction="10.00")
    references = {part.pk: "PSP-1" for part in by_card.parts.all()}
    refund_pay(refund=by_card, by=accountant("bea"), references=references)
    refund_propose(ticket=diagnosed_ticket(customer=customer), by=staff_member("accountant"))


def _crawl(page, base: str, start: list[str], sentences: list[str], name: str) -> list[str]:
    """Open `start` and every same-site page linked from there; check each."""
    seen: list[str] = []
    queue = list(start)
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.append(path)
        response = page.goto(base + path)
        assert response is not None and response.status < 400, f"{path}: {response.status}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        assert page.locator("html").get_attribute("lang") == "nl", path
        text = page.inner_text("body")
        english = [sentence for sentence in sentences if sentence in text]
        assert english == [], f"{path} shows English on a Dutch page: {english}"
        slug = path.strip("/").replace("/", "-") or "home"
        check_page(page, f"crawl-{name}-{slug}")
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(urljoin(base + path, href))
            if f"{parts.scheme}://{parts.netloc}" != base or not parts.path:
                continue
            if parts.path.startswith(SKIPPED_PREFIXES) or parts.path.endswith(".pdf"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen and target not in queue:
                queue.append(target)
    return seen


def test_every_page_a_visitor_reaches_is_dutch_and_accessible(browser, live_server, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="nl-NL")
    page = context.new_page()
    try:
        seen = _crawl(page, live_server.url, ["/"], english_sentences(), "visitor")
    finally:
        context.close()
    assert {"/", "/withdraw/", "/login/"} <= set(seen)


def test_every_page_a_customer_reaches_is_dutch_and_accessible(
    browser, live_server, dutch_customer, width
):
    client = Client()
    client.force_login(dutch_customer.user)
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="nl-NL")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    try:
        seen = _crawl(page, live_server.url, ["/my/"], english_sentences(), "customer")
    finally:
        context.close()
    tickets = [path for path in seen if path.startswith("/my/returns/RMA-")]
    assert len(tickets) >= 4, seen  # every ticket's page was reached from the list
