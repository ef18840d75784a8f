"""The withdrawal function (art. 11a, SPEC W3): identify, confirm, acknowledged at once,
straight into the workflow. Through Django's test client; the browser tests drive the
same pages in Chromium."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail, signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Email
from notifications.rendering import email_message_build, email_render
from orders.models import OrderLine
from portal.views import PENDING
from rma.links import ticket_status_token
from rma.models import NoticeChannel, Ticket, TicketEvent
from rma.states import State
from tests.factories import AMSTERDAM, staff_member
from tests.portal.orders import PHONE, Item, order_of

pytestmark = pytest.mark.django_db

WITHDRAW = "/withdraw/"
CONFIRM = "/withdraw/confirm/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def identify(client, order, *, email=None, name="Anna de Vries", number=None):
    return client.post(
        WITHDRAW,
        {
            "name": name,
            "email": email or order.customer.email,
            "order_number": number or order.number,
        },
    )


def confirm(client, **quantities):
    return client.post(CONFIRM, {f"quantity-{k}": v for k, v in quantities.items()})


def test_a_guest_withdraws_a_whole_order_and_it_is_authorized_at_once(client, anna, support):
    order = order_of(anna)

    assert identify(client, order)["Location"] == CONFIRM
    page = client.get(CONFIRM).content.decode()
    response = confirm(client, **{"1": 2, "2": 1})

    ticket = Ticket.objects.get(order=order)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "portal:ticket_status", args=[ticket_status_token(ticket)]
    )
    assert "Wednesday 2 December 2026" in page and "Confirm withdrawal" in page
    assert (ticket.reason, ticket.state, ticket.notice_channel) == (
        "withdrawal",
        State.AUTHORIZED,
        NoticeChannel.ONLINE,
    )
    assert ticket.notice_on == dt.date(2026, 11, 23)
    assert ticket.refund_due_on == dt.date(2026, 12, 7)  # W7: 14 days after, Monday
    assert sorted(ticket.lines.values_list("quantity", flat=True)) == [1, 2]
    opened, authorized = TicketEvent.objects.filter(ticket=ticket).order_by("pk")
    assert opened.data == {
        "notice_on": "2026-11-23",
        "channel": "online",
        "signed_as": "Anna de Vries",
    }
    assert authorized.by is None and authorized.to_state == State.AUTHORIZED
    # One receipt with the label, no separate authorization e-mail; support is told.
    kinds = sorted(Email.objects.values_list("kind", flat=True))
    assert kinds == ["staff_withdrawal_received", "withdrawal_receipt"]
    staff_mail = Email.objects.get(kind="staff_withdrawal_received")
    assert staff_mail.to == support.email
    assert f"/admin/rma/ticket/{ticket.pk}/change/" in email_render(staff_mail)[1]


def test_the_receipt_states_the_second_both_deadlines_and_carries_the_label(client, bram):
    order = order_of(bram)
    identify(client, order, name="Bram Smit")
    moment = dt.datetime(2026, 11, 23, 10, 11, 12, tzinfo=AMSTERDAM)
    with time_machine.travel(moment, tick=False):
        confirm(client, **{"1": 2, "2": 1})

    receipt = Email.objects.get(kind="withdrawal_receipt")
    subject, text, html = email_render(receipt)
    message = email_message_build(receipt)

    flat = " ".join(text.split())
    assert "We received your notice on Nov. 23, 2026 at 10:11:12 Amsterdam time (CET)" in flat
    assert "by Dec. 7, 2026" in flat  # W6 send back, Monday 7 December
    assert "We refund you within 14 days of your notice, by Dec. 7, 2026" in flat  # W7
    assert "The return label is attached" in flat
    assert "accept" not in flat.lower()  # it acknowledges receipt, it does not "accept"
    [(name, content, mimetype)] = message.attachments
    ticket = Ticket.objects.get()
    assert (name, mimetype) == (f"{ticket.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert "Withdraw from contract here: http://127.0.0.1:8000/withdraw/" in text
    assert 'href="http://127.0.0.1:8000/withdraw/"' in html


def test_a_customer_without_an_account_withdraws_as_a_guest(client):
    from tests.factories import CustomerFactory

    guest = CustomerFactory(email="gast@example.nl", name="Gert Gast", user=None)
    order = order_of(guest)
    identify(client, order, name="Gert Gast")

    response = confirm(client, **{"1": 2, "2": 1})

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.created_by is None and ticket.state == State.AUTHORIZED


def test_a_guest_withdraws_one_line_of_two(client, anna):
    order = order_of(anna)
    identify(client, order)

    confirm(client, **{"1": 0, "2": 1})

    line = Ticket.objects.get().lines.get()
    assert (line.order_line.line_id, line.quantity) == ("2", 1)
    assert OrderLine.objects.get(order=order, line_id="2").held_quantity == 1


def test_a_line_past_its_period_is_refused_with_its_last_day(client, anna):
    late = order_of(anna, delivered_at=dt.datetime(2026, 11, 1, 12, tzinfo=AMSTERDAM))
    identify(client, late)

    page = client.get(CONFIRM).content.decode()

    # Delivered Sunday 1 November: the 14th day is Sunday 15th, so Monday 16th (W2).
    assert "The withdrawal period ended on Monday 16 November 2026." in page
    assert "(last day: Monday 16 November 2026)" in page
    assert "Confirm withdrawal" not in page
    assert reverse("portal:other_returns") in page


def test_an_excluded_line_is_refused_with_its_w5_sentence_and_not_part_of_the_notice(client, anna):
    order = order_of(anna, PHONE, Item("Configured NVR", 1, "990.00", flags={"custom": True}))
    identify(client, order)

    page = client.get(CONFIRM).content.decode()
    confirm(client, **{"1": 2, "2": 1})  # a forged quantity for the excluded line is ignored

    assert "Products made to your specifications" in page
    assert "last day:" not in page  # an excluded line has no period to end
    assert 'name="quantity-2"' not in page
    assert list(Ticket.objects.get().lines.values_list("order_line__line_id", flat=True)) == ["1"]


def test_an_order_not_yet_delivered_is_cancelled_with_no_label(client, anna):
    order = order_of(anna, PHONE, delivered_at=None)
    identify(client, order)

    page = client.get(CONFIRM).content.decode()
    confirm(client, **{"1": 2})

    ticket = Ticket.objects.get()
    assert "Not delivered yet: cancelled, nothing to send back." in page
    assert ticket.state == State.AUTHORIZED and not ticket.goods_to_return
    assert ticket.lines.get().undelivered_quantity == 2
    receipt = Email.objects.get(kind="withdrawal_receipt")
    receipt.language = "en"
    assert email_message_build(receipt).attachments == []
    assert "there is no return label" in email_render(receipt)[1]


def test_a_wrong_pair_answers_as_an_unknown_order_and_locks_out(client, anna, settings):
    settings.WITHDRAWAL_LOOKUP_FAILURE_LIMIT = 3
    order = order_of(anna)

    unknown_order = identify(client, order, number="WS-999999")
    wrong_address = identify(client, order, email="someone@example.nl")
    identify(client, order, email="other@example.nl")
    identify(client, order, email="third@example.nl")  # the third wrong pair for the order
    locked = identify(client, order)  # the right pair, during the lockout

    def message(response):
        return re.search(r'role="alert"[^>]*>(.*?)</div>', response.content.decode(), re.S)[1]

    assert wrong_address.status_code == unknown_order.status_code == 200
    assert message(wrong_address) == message(unknown_order)
    assert "could not find an order" in message(wrong_address)
    assert locked.status_code == 429
    assert "too many attempts" in message(locked)
    assert PENDING not in client.session


def test_the_network_is_locked_out_after_its_own_larger_limit(client, anna, settings):
    settings.WITHDRAWAL_LOOKUP_FAILURE_LIMIT_PER_IP = 4
    order = order_of(anna)
    for n in range(4):
        identify(client, order, email=f"guess{n}@example.nl", number=f"WS-{n}")

    assert identify(client, order).status_code == 429


def test_the_confirm_page_costs_the_same_queries_for_one_line_or_six(client, anna, bram):
    small = order_of(anna, PHONE)
    large = order_of(bram, *(Item(f"Camera {n}", 1) for n in range(6)))

    def queries(order):
        client.cookies.clear()
        identify(client, order)
        client.get(CONFIRM)  # what a process remembers (the policies) is read once
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CONFIRM).status_code == 200
        return len(captured)

    assert queries(small) == queries(large)


def test_the_signed_link_works_and_a_tampered_or_expired_one_is_a_404(client, anna, settings):
    order = order_of(anna)
    identify(client, order)
    status = confirm(client, **{"1": 2, "2": 1})["Location"]
    ticket = Ticket.objects.get()
    client.cookies.clear()

    page = client.get(status)
    token = status.strip("/").split("/")[-1]
    payload, stamp, signature = token.split(":")
    other = signing.b64_encode(b'"' + ticket.number[:-1].encode() + b'2"').decode()
    tampered = client.get(f"/status/{other}:{stamp}:{signature}/")
    forged = client.get(f"/status/{payload}:{stamp}:{signature[:-2]}xx/")
    with time_machine.travel(dt.datetime(2027, 12, 1, tzinfo=AMSTERDAM)):
        expired = client.get(status)
    label = client.get(status + "label.pdf")

    text = page.content.decode()
    assert page.status_code == 200
    assert "We received your notice of withdrawal on Monday 23 November 2026 at" in text
    assert "Monday 7 December 2026" in text  # W6 and W7
    assert (tampered.status_code, forged.status_code, expired.status_code) == (404, 404, 404)
    assert label.status_code == 200 and label["Content-Type"] == "application/pdf"


def test_the_status_page_leaves_out_internal_notes_and_staff_edits(client, anna, support):
    from rma import services

    order = order_of(anna)
    identify(client, order)
    status = confirm(client, **{"1": 2, "2": 1})["Location"]
    ticket = Ticket.objects.get()
    services.ticket_details_set(ticket=ticket, by=support, changes={"tracking_number": "3SXYZ"})
    warehouse = staff_member("warehouse")
    services.ticket_receive(ticket=ticket, by=warehouse, note="Box dented")
    services.ticket_diagnose(ticket=ticket, by=support, note="Internal: scratch on the side")

    text = client.get(status).content.decode()

    assert "Box dented" in text
    assert "scratch" not in text and "3SXYZ" not in text
    assert "We have your parcel and are checking it. We refund you by" in text


def test_a_logged_in_owner_sees_the_page_and_anyone_else_a_404(client, anna, stranger):
    order = order_of(anna)
    identify(client, order)
    confirm(client, **{"1": 2, "2": 1})
    ticket = Ticket.objects.get()
    url = reverse("portal:my_ticket", args=[ticket.number])

    anonymous = client.get(url)
    client.force_login(stranger)
    other = client.get(url)
    client.force_login(anna.user)
    own = client.get(url)

    # Not logged in: the 404 of a ticket that does not exist, which offers the login
    # that brings the owner back here.
    assert anonymous.status_code == 404
    assert f'href="/login/?next={url}"' in anonymous.content.decode()
    assert other.status_code == 404
    assert own.status_code == 200 and ticket.number in own.content.decode()


def test_a_logged_in_customer_picks_the_order_from_a_list(client, anna):
    order = order_of(anna)
    client.force_login(anna.user)

    page = client.get(WITHDRAW).content.decode()
    response = client.post(WITHDRAW, {"order": order.number})
    confirm(client, **{"1": 2, "2": 1})

    assert order.number in page and 'type="radio"' in page
    assert response["Location"] == CONFIRM
    ticket = Ticket.objects.get()
    assert ticket.created_by == anna.user


def test_a_customer_cannot_pick_someone_elses_order(client, anna, bram):
    other = order_of(bram)
    client.force_login(anna.user)

    response = client.post(WITHDRAW, {"order": other.number})

    assert response.status_code == 200
    assert PENDING not in client.session


def test_a_business_customer_is_told_there_is_no_right_of_withdrawal(client, jansen):
    order = order_of(jansen)
    identify(client, order, name="Piet Jansen")

    page = client.get(CONFIRM).content.decode()

    assert "Business customers have no right of withdrawal." in page
    assert "Confirm withdrawal" not in page


def test_the_whole_flow_speaks_dutch(client, anna):
    order = order_of(anna)
    client.cookies["django_language"] = "nl"

    step1 = client.get(WITHDRAW).content.decode()
    identify(client, order)
    step2 = client.get(CONFIRM).content.decode()
    status = client.get(confirm(client, **{"1": 2, "2": 1})["Location"]).content.decode()

    assert "Hier herroepen" in step1 and 'lang="nl"' in step1
    assert "Herroeping bevestigen" in step2 and "woensdag 2 december 2026" in step2
    assert "maandag 7 december 2026" in status
    receipt = Email.objects.get(kind="withdrawal_receipt")
    assert "Hier herroepen" in email_render(receipt)[1]


@pytest.mark.parametrize("path", ["/", WITHDRAW, "/other-returns/", "/login/", "/no-such-page/"])
def test_every_public_page_has_the_withdrawal_entry_and_the_shop_details(client, path):
    page = client.get(path).content.decode()

    assert re.search(
        r'<a class="withdraw-entry" href="/withdraw/">Withdraw from contract here</a>', page
    )
    assert "Winkelstraat 4" in page and "returns@webstore4.example" in page


def test_the_model_form_downloads_blank_and_prefilled(client, anna):
    import io

    import pypdf

    order = order_of(anna)
    blank = client.get(reverse("portal:withdrawal_form"))
    before = client.get(reverse("portal:withdrawal_form_prefilled"))
    identify(client, order)
    filled = client.get(reverse("portal:withdrawal_form_prefilled"))

    def text(response):
        return " ".join(
            p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages
        )

    assert blank.status_code == 200 and "Model withdrawal form" in text(blank)
    assert before.status_code == 404
    assert order.number in text(filled) and "Anna de Vries" in text(filled)


def test_a_bad_quantity_is_refused_with_a_sentence_and_nothing_is_written(client, anna):
    order = order_of(anna)
    identify(client, order)

    too_many = confirm(client, **{"1": 3, "2": 1})
    nothing = confirm(client, **{"1": 0, "2": 0})

    assert too_many.status_code == 400
    assert "choose a quantity from 0 to 2" in too_many.content.decode()
    assert "Choose at least one item" in nothing.content.decode()
    assert not Ticket.objects.exists()
    assert len(mail.outbox) == 0


def test_the_pages_stylesheets_are_served_from_our_own_static_files(client):
    from django.contrib.staticfiles import finders

    page = client.get("/").content.decode()

    sheets = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', page)
    assert sheets == ["portal/vendor/pico-2.1.1.min.css", "portal/portal.css"]
    assert all(finders.find(sheet) for sheet in sheets)
    assert "<script" not in page  # no script at all: the CSP allows none inline anyway


def test_pages_with_personal_data_are_never_cached(client, anna):
    order = order_of(anna)
    identify(client, order)
    step2 = client.get(CONFIRM)
    status = client.get(confirm(client, **{"1": 2, "2": 1})["Location"])

    for response in (step2, status):
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("language", "received", "approved"),
    [("en", "Withdrawal received", "Authorized"), ("nl", "Herroeping ontvangen", "Goedgekeurd")],
)
def test_the_status_page_acknowledges_a_withdrawal_and_never_calls_it_approved(
    client, anna, language, received, approved
):
    order = order_of(anna)
    identify(client, order)
    status_url = confirm(client, **{"1": 2, "2": 1})["Location"]

    page = client.get(status_url, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert received in page
    assert approved not in page
