"""The withdrawal function in a real Chromium, at a phone's 375 px and a desktop's 1280 px:
every page is screenshotted (var/artifacts/browser/) and checked with axe-core."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from notifications.models import Email
from notifications.rendering import email_message_build, email_render
from rma.links import ticket_status_token
from rma.models import Ticket
from rma.states import State
from tests.browser.site import WIDTHS, axe_violations, check_page
from tests.browser.test_back_office import log_in
from tests.factories import AMSTERDAM
from tests.portal.orders import PHONE, Item, order_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def width(request):
    return WIDTHS[request.param]


@pytest.fixture
def site(browser, width, settings, tmp_path):
    """A fresh browser context at `width`, in English unless a test says otherwise."""
    settings.MEDIA_ROOT = tmp_path
    contexts = []

    def open_page(locale="en-GB"):
        context = browser.new_context(
            viewport={"width": width, "height": 800}, locale=locale, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def identify(page, live_server, order, *, email=None, number=None, name="Anna de Vries"):
    page.goto(live_server.url + "/")
    page.click("a.withdraw-entry")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail address").fill(email or order.customer.email)
    page.get_by_label("Order number").fill(number or order.number)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def test_a_guest_withdraws_a_whole_order_and_reads_the_receipt(
    site, live_server, anna, support, width
):
    order = order_of(anna)
    page = site()

    page.goto(live_server.url + "/")
    check_page(page, "home")
    page.click("a.withdraw-entry")
    check_page(page, "identify")
    identify(page, live_server, order)
    assert page.url.endswith("/withdraw/confirm/")
    check_page(page, "confirm")
    assert page.get_by_label(re.compile("Quantity of Grandstream")).input_value() == "2"
    assert "Wednesday 2 December 2026" in page.inner_text("main")
    page.get_by_role("button", name="Confirm withdrawal").click()
    page.wait_for_url(re.compile(r"/status/[^/]+/$"))
    check_page(page, "status")

    ticket = Ticket.objects.get(order=order)
    main = page.inner_text("main")
    assert ticket.state == State.AUTHORIZED
    assert re.search(r"on Monday 23 November 2026 at \d\d:\d\d:\d\d \(Amsterdam time\)", main)
    assert "Monday 7 December 2026" in main  # W6 and W7
    with page.expect_download() as download:
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; a.download = ''; "
            "document.body.appendChild(a); a.click(); }",
            page.locator("a", has_text="Return label (PDF, A6)").get_attribute("href"),
        )
    assert download.value.path().read_bytes().startswith(b"%PDF")

    receipt = Email.objects.get(kind="withdrawal_receipt")
    receipt.language = "en"
    subject, text, html = email_render(receipt)
    flat = " ".join(text.split())
    assert re.search(r"at \d\d:\d\d:\d\d Amsterdam time", flat)  # to the second
    assert "by Dec. 7, 2026" in flat and "We refund you within 14 days" in flat
    [(name, content, _mime)] = email_message_build(receipt).attachments
    assert name == f"{ticket.number}.pdf" and content.startswith(b"%PDF")
    assert Email.objects.filter(kind="staff_withdrawal_received").exists()


def test_a_guest_withdraws_one_line_of_two(site, live_server, anna, width):
    order = order_of(anna)
    page = site()

    identify(page, live_server, order)
    page.get_by_label(re.compile("Quantity of Grandstream")).fill("0")
    page.get_by_role("button", name="Confirm withdrawal").click()
    page.wait_for_url(re.compile(r"/status/"))

    line = Ticket.objects.get().lines.get()
    assert line.order_line.line_id == "2" and line.quantity == 1
    assert "1 × Hikvision 8-channel NVR" in page.inner_text("main")
    assert "Grandstream" not in page.inner_text(".ack")


def test_a_line_past_its_period_is_refused_with_its_last_day(site, live_server, anna, width):
    late = order_of(anna, delivered_at=dt.datetime(2026, 11, 1, 12, tzinfo=AMSTERDAM))
    page = site()

    identify(page, live_server, late)

    refused = page.inner_text(".refused")
    assert "The withdrawal period ended on Monday 16 November 2026." in refused
    assert page.get_by_role("button", name="Confirm withdrawal").count() == 0
    check_page(page, "confirm-late")
    page.get_by_role("link", name="How to return them or report a defect").click()
    check_page(page, "other-returns")


def test_an_excluded_line_is_refused_with_its_w5_sentence(site, live_server, anna, width):
    order = order_of(anna, PHONE, Item("Gift voucher", 1, "50.00", flags={"gift_voucher": True}))
    page = site()

    identify(page, live_server, order)

    assert "Gift vouchers cannot be withdrawn." in page.inner_text(".refused")
    check_page(page, "confirm-excluded")
    page.get_by_role("button", name="Confirm withdrawal").click()
    page.wait_for_url(re.compile(r"/status/"))
    lines = Ticket.objects.get().lines.all()
    assert [line.order_line.name for line in lines] == [PHONE.name]


def test_an_order_not_yet_delivered_is_cancelled_with_no_label(site, live_server, anna, width):
    order = order_of(anna, PHONE, delivered_at=None)
    page = site()

    identify(page, live_server, order)
    assert "Not delivered yet: cancelled, nothing to send back." in page.inner_text("main")
    page.get_by_role("button", name="Confirm withdrawal").click()
    page.wait_for_url(re.compile(r"/status/"))
    check_page(page, "status-not-delivered")

    ticket = Ticket.objects.get()
    assert not ticket.goods_to_return and ticket.state == State.AUTHORIZED
    assert "Nothing to send back" in page.inner_text("main")
    assert page.locator("a", has_text="Return label").count() == 0
    receipt = Email.objects.get(kind="withdrawal_receipt")
    assert email_message_build(receipt).attachments == []


def test_a_wrong_pair_answers_as_an_unknown_order_and_locks_out(
    site, live_server, anna, settings, width
):
    settings.WITHDRAWAL_LOOKUP_FAILURE_LIMIT = 3
    order = order_of(anna)
    page = site()

    identify(page, live_server, order, email="someone@example.nl")
    wrong_pair = page.inner_text("[role=alert]")
    check_page(page, "identify-not-found")
    identify(page, live_server, order, number="WS-999999")
    unknown = page.inner_text("[role=alert]")
    identify(page, live_server, order, email="other@example.nl")
    identify(page, live_server, order, email="third@example.nl")
    identify(page, live_server, order)  # the right pair, locked out now

    assert wrong_pair == unknown and "could not find an order" in wrong_pair
    assert "too many attempts" in page.inner_text("[role=alert]")
    assert page.url.endswith("/withdraw/")
    check_page(page, "identify-locked-out")


def test_the_whole_flow_in_dutch(site, live_server, anna, width):
    order = order_of(anna)
    page = site(locale="nl-NL")  # the browser's language decides

    page.goto(live_server.url + "/")
    assert page.locator("a.withdraw-entry").inner_text() == "Hier herroepen"
    page.click("a.withdraw-entry")
    page.get_by_label("Uw naam").fill("Anna de Vries")
    page.get_by_label("E-mailadres").fill(anna.email)
    page.get_by_label("Ordernummer").fill(order.number)
    page.get_by_role("button", name="Verder").click()
    check_page(page, "confirm-nl")
    assert "woensdag 2 december 2026" in page.inner_text("main")
    page.get_by_role("button", name="Herroeping bevestigen").click()
    page.wait_for_url(re.compile(r"/status/"))
    check_page(page, "status-nl")
    assert "maandag 7 december 2026" in page.inner_text("main")
    receipt = Email.objects.get(kind="withdrawal_receipt")
    assert "Wij hebben uw melding ontvangen op" in email_render(receipt)[1]

    page.get_by_role("button", name="English").click()  # the language switch
    page.wait_for_load_state()
    assert page.locator("a.withdraw-entry").inner_text() == "Withdraw from contract here"


def test_staff_register_a_postal_notice_dated_three_days_earlier(
    page, live_server, anna, support, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    order = order_of(anna)
    scan = tmp_path / "letter.pdf"
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n")

    log_in(page, live_server, support.email)
    page.goto(f"{live_server.url}/admin/rma/ticket/add/")
    page.get_by_label("Order number").fill(order.number)
    page.get_by_label("Reason").select_option("withdrawal")
    page.get_by_label("Notice sent on").fill("2026-11-20")
    page.get_by_label("Notice received by").select_option("post")
    page.get_by_label("Scan of the notice").set_input_files(str(scan))
    page.click("input[type=submit]")

    assert "Opened RMA-" in page.locator(".messagelist").inner_text()
    page.screenshot(path=str(tmp_path / "postal-notice.png"), full_page=True)
    ticket = Ticket.objects.get()
    assert ticket.notice_on == dt.date(2026, 11, 20) and ticket.state == State.AUTHORIZED
    assert ticket.refund_due_on == dt.date(2026, 12, 4)
    assert ticket.notice_scan
    # Staff cannot reject or expire it (W10): no button to press, and Expire, which the
    # state would allow, is shown disabled with the reason beside it.
    usable = page.locator(".retour-transitions button[name=name]").all_inner_texts()
    assert "Reject" not in usable and "Expire" not in usable
    assert page.locator(".retour-transitions button[disabled]", has_text="Expire").count() == 1
    assert "the consumer's notice binds the shop (W10)" in page.inner_text(".retour-why")
    assert Email.objects.filter(ticket=ticket, kind="withdrawal_receipt").exists()


def test_the_signed_link_works_and_a_tampered_or_expired_one_is_a_404(
    site, live_server, anna, width
):
    order = order_of(anna)
    page = site()
    identify(page, live_server, order)
    page.get_by_role("button", name="Confirm withdrawal").click()
    page.wait_for_url(re.compile(r"/status/"))
    ticket = Ticket.objects.get()
    token = ticket_status_token(ticket)
    other = site()  # no session, no cookie: only the link

    fine = other.goto(live_server.url + reverse("portal:ticket_status", args=[token]))
    assert fine.status == 200 and ticket.number in other.inner_text("h1")
    tampered = other.goto(live_server.url + f"/status/{token[:-3]}abc/")
    assert tampered.status == 404
    check_page(other, "not-found")
    with time_machine.travel(dt.datetime(2027, 12, 1, 12, tzinfo=AMSTERDAM)):
        expired = other.goto(live_server.url + reverse("portal:ticket_status", args=[token]))
    assert expired.status == 404


def test_the_login_page_and_a_customers_own_order_list(site, live_server, bram, width):
    order = order_of(bram)  # Bram reads English: the login speaks his profile's language
    page = site()

    page.goto(live_server.url + "/login/?next=/withdraw/")  # else: the orders page
    check_page(page, "login")
    page.get_by_label("E-mail address").fill(bram.email)
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/withdraw/$"))
    check_page(page, "identify-logged-in")
    assert page.get_by_label(re.compile(order.number)).is_checked()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm withdrawal").click()
    page.wait_for_url(re.compile(r"/status/"))
    ticket = Ticket.objects.get()
    page.goto(live_server.url + reverse("portal:my_ticket", args=[ticket.number]))
    assert ticket.number in page.inner_text("h1")
    assert axe_violations(page) == []
