"""The customer's own ticket page (issue 15, point 5): the timeline without internal notes,
the label, where the parcel is (R10, D3), the thread with support and cancelling."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deadlines.chasing import chase_deadlines
from notifications.models import Email
from rma import services
from rma.links import ticket_status_token
from rma.models import Attachment, EventKind, Ticket, TicketEvent, TicketMessage
from rma.states import State
from tests.conftest import TEST_DAY
from tests.rma.lifecycle import staff, ticket_in

pytestmark = pytest.mark.django_db

TODAY = TEST_DAY.date()


def page_of(ticket: Ticket) -> str:
    return reverse("portal:my_ticket", args=[ticket.number])


def urls_of(ticket: Ticket) -> list[str]:
    number = ticket.number
    return [
        reverse("portal:my_ticket", args=[number]),
        reverse("portal:my_ticket_label", args=[number]),
        reverse("portal:my_ticket_shipping", args=[number]),
        reverse("portal:my_ticket_message", args=[number]),
        reverse("portal:my_ticket_cancel", args=[number]),
    ]


@pytest.fixture
def authorized(anna, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return ticket_in(State.AUTHORIZED, customer=anna)


def test_the_owner_sees_the_timeline_without_internal_notes(client, anna, authorized):
    services.ticket_details_set(
        ticket=authorized, by=staff("support"), changes={"vendor_rma_number": "GS-77"}
    )
    TicketEvent.objects.filter(ticket=authorized, to_state=State.AUTHORIZED).update(
        note="Customer sounds angry; check the serial twice.", internal=True
    )
    client.force_login(anna.user)

    response = client.get(page_of(authorized))

    text = response.content.decode()
    assert response.status_code == 200
    assert "We received your return request." in text
    assert "Your return was authorized." in text
    assert "Print the return label below" in text  # the next step in plain words
    assert "angry" not in text and "GS-77" not in text  # staff's notes and edits are theirs
    assert reverse("portal:my_ticket_label", args=[authorized.number]) + "?layout=a4" in text


def test_the_label_in_both_sizes(client, anna, authorized):
    client.force_login(anna.user)
    label = reverse("portal:my_ticket_label", args=[authorized.number])

    a6, a4 = client.get(label), client.get(label + "?layout=a4")

    assert a6.status_code == a4.status_code == 200
    assert b"".join(a6.streaming_content).startswith(b"%PDF")
    assert a4.content.startswith(b"%PDF") and a4["Content-Type"] == "application/pdf"


def test_everyone_but_the_owner_gets_404_on_every_address(client, anna, authorized, stranger):
    for visitor in (stranger, None):
        client.logout()
        if visitor:
            client.force_login(visitor)
        for url in urls_of(authorized):
            for method in (client.get, client.post):
                assert method(url).status_code == 404, (method.__name__, url, visitor)
    assert Ticket.objects.get(pk=authorized.pk).state == State.AUTHORIZED
    assert not TicketMessage.objects.exists()


def test_a_guest_order_is_nobodys_when_logged_out(client, authorized):
    """A withdrawal by a guest has no user: an anonymous visitor (pk None) must not match."""
    customer = authorized.order.customer
    customer.user = None
    customer.save(update_fields=["user"])
    for url in urls_of(authorized):
        assert client.get(url).status_code == 404


def test_the_tracking_number_is_saved_recorded_and_stops_d3(client, anna, authorized):
    silent = ticket_in(State.AUTHORIZED, customer=anna)  # shipped, no tracking number yet
    client.force_login(anna.user)
    client.post(
        reverse("portal:my_ticket_shipping", args=[silent.number]),
        {"shipped_on": TODAY.isoformat(), "carrier": "", "tracking_number": ""},
    )

    response = client.post(
        reverse("portal:my_ticket_shipping", args=[authorized.number]),
        {"shipped_on": TODAY.isoformat(), "carrier": "PostNL", "tracking_number": "3SABCD123"},
        follow=True,
    )

    authorized.refresh_from_db()
    assert (authorized.shipped_on, authorized.carrier, authorized.tracking_number) == (
        TODAY,
        "PostNL",
        "3SABCD123",
    )
    changes = TicketEvent.objects.filter(ticket=authorized, kind=EventKind.CHANGE)
    assert {(e.data["field"], e.data["new"], e.by_id) for e in changes} == {
        ("shipped_on", TODAY.isoformat(), anna.user.pk),
        ("carrier", "PostNL", anna.user.pk),
        ("tracking_number", "3SABCD123", anna.user.pk),
    }
    text = response.content.decode()
    assert "You gave us the tracking number 3SABCD123." in text
    assert "Your parcel is on its way to us. We tell you when it has arrived." in text

    # D3: four days after shipping, only the parcel without a tracking number is chased.
    chase_deadlines(now=TEST_DAY + dt.timedelta(days=4))
    chased = Email.objects.filter(kind="reminder_tracking")
    assert [email.subject for email in chased] == [silent]
    silent_page = client.get(page_of(silent)).content.decode()
    assert "Please give us its tracking number" in silent_page


def test_bad_shipping_details_are_refused_and_change_nothing(client, anna, authorized):
    client.force_login(anna.user)
    url = reverse("portal:my_ticket_shipping", args=[authorized.number])
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()

    future = client.post(url, {"shipped_on": tomorrow, "tracking_number": "3S1"})
    odd = client.post(url, {"shipped_on": TODAY.isoformat(), "tracking_number": "<script>"})
    early = client.post(url, {"shipped_on": "2026-01-01", "tracking_number": "3S1"})

    assert future.status_code == odd.status_code == early.status_code == 400
    assert "cannot have been shipped after today" in future.content.decode()
    assert "letters, digits, spaces and dashes only" in odd.content.decode()
    assert "before the return was requested" in early.content.decode()
    authorized.refresh_from_db()
    assert authorized.tracking_number == "" and authorized.shipped_on is None
    assert not TicketEvent.objects.filter(ticket=authorized, kind=EventKind.CHANGE).exists()


def test_shipping_details_only_while_authorized(client, anna, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    received = ticket_in(State.RECEIVED, customer=anna)
    client.force_login(anna.user)

    response = client.post(
        reverse("portal:my_ticket_shipping", args=[received.number]),
        {"shipped_on": TODAY.isoformat(), "tracking_number": "3S1"},
    )

    assert response.status_code == 400
    assert "only be given while it is authorized" in response.content.decode()
    assert Ticket.objects.get(pk=received.pk).tracking_number == ""


def test_a_customer_message_reaches_staff_and_the_answer_comes_back(client, anna, authorized):
    client.force_login(anna.user)

    client.post(
        reverse("portal:my_ticket_message", args=[authorized.number]),
        {"body": "Can I send it in two parcels?"},
    )
    message = TicketMessage.objects.get()
    assert message.from_customer and message.by == anna.user
    assert not Email.objects.filter(kind="staff_message").exists()

    services.message_post(
        ticket=authorized, by=staff("support"), body="Yes, one label each.", from_customer=False
    )
    text = client.get(page_of(authorized)).content.decode()
    assert "Can I send it in two parcels?" in text and "Yes, one label each." in text
    assert text.index("Can I send it") < text.index("Yes, one label each.")
    email = Email.objects.get(kind="staff_message")
    assert email.to == anna.email and email.language == "nl"


def test_an_empty_message_is_refused_and_the_page_keeps_the_text(client, anna, authorized):
    client.force_login(anna.user)
    url = reverse("portal:my_ticket_message", args=[authorized.number])

    empty = client.post(url, {"body": "   "})
    long = client.post(url, {"body": "x" * (services.MESSAGE_MAX_LENGTH + 1)})

    assert empty.status_code == long.status_code == 400
    assert "This field is required." in empty.content.decode()
    assert "at most 5000 characters" in long.content.decode()
    assert not TicketMessage.objects.exists()


def test_a_refused_photo_keeps_the_message_unsent(client, anna, authorized, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    client.force_login(anna.user)
    script = ContentFile(b"<svg onload=alert(1)></svg>", name="photo.svg")

    response = client.post(
        reverse("portal:my_ticket_message", args=[authorized.number]),
        {"body": "Here is the photo.", "photos": script},
    )

    assert response.status_code == 400
    assert "photo.svg" in response.content.decode()
    assert "Here is the photo." in response.content.decode()  # kept in the form
    assert not TicketMessage.objects.exists() and not Attachment.objects.exists()


def test_the_owner_cancels_after_confirming(client, anna, authorized):
    client.force_login(anna.user)
    cancel = reverse("portal:my_ticket_cancel", args=[authorized.number])
    assert "Cancel this return" in client.get(page_of(authorized)).content.decode()

    confirm = client.get(cancel)
    assert confirm.status_code == 200
    assert Ticket.objects.get(pk=authorized.pk).state == State.AUTHORIZED  # not yet
    response = client.post(cancel, follow=True)

    assert Ticket.objects.get(pk=authorized.pk).state == State.CANCELLED
    text = response.content.decode()
    assert "Your return has been cancelled." in text
    assert "The return was cancelled." in text
    assert "Cancel this return" not in text


def test_cancelling_after_the_parcel_arrived_is_refused(client, anna, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    received = ticket_in(State.RECEIVED, customer=anna)
    client.force_login(anna.user)
    cancel = reverse("portal:my_ticket_cancel", args=[received.number])

    assert "Cancel this return" not in client.get(page_of(received)).content.decode()
    response = client.post(cancel, follow=True)

    assert Ticket.objects.get(pk=received.pk).state == State.RECEIVED
    assert "is received now and can no longer be cancelled" in response.content.decode()


def test_the_signed_status_page_offers_the_login(client, anna, authorized):
    token = ticket_status_token(authorized)

    response = client.get(reverse("portal:ticket_status", args=[token]))

    text = response.content.decode()
    assert response.status_code == 200
    assert "Your return was authorized." in text
    assert "Log in to write to us, add the tracking number or cancel" in text
    login = reverse("portal:login") + "?next=" + page_of(authorized)
    assert login in text
    client.force_login(anna.user)
    own = client.get(reverse("portal:ticket_status", args=[token])).content.decode()
    assert f'href="{page_of(authorized)}"' in own


def test_queries_do_not_grow_with_events_messages_and_attachments(
    client, anna, authorized, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    client.force_login(anna.user)
    client.get(page_of(authorized))  # warm: sessions, content types

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_of(authorized)).status_code == 200
        return len(queries)

    support = staff("support")

    def add(n: int) -> None:
        services.ticket_details_set(
            ticket=authorized, by=anna.user, changes={"tracking_number": f"3S{n}"}
        )
        message = services.message_post(
            ticket=authorized, by=support, body=f"Answer {n}", from_customer=False
        )
        for target in (message, None):
            Attachment.objects.create(
                ticket=authorized,
                message=target,
                name=f"photo-{n}.png",
                content_type="image/png",
                size=4,
                file=ContentFile(b"\x89PNG", name="photo.png"),
            )

    add(0)
    few = count()
    for n in range(1, 6):
        add(n)
    many = count()

    assert many == few, f"{few} queries for one of each, {many} for many"
