"""The staff side of the thread with the customer (issue 16, point 6): on the back-office
ticket page, the customer's messages apart from the internal notes, a new one marked,
an answer that is e-mailed to the customer, and the files the customer sent."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Email
from rma import services
from rma.models import Attachment, TicketMessage
from rma.states import State
from tests.rma.lifecycle import ticket_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(anna, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return ticket_in(State.AUTHORIZED, customer=anna)


def admin_page(ticket) -> str:
    return reverse("admin:rma_ticket_change", args=[ticket.pk])


def section(html: str, css_class: str) -> str:
    start = html.index(f'class="module aligned {css_class}"')
    return html[start : html.index("</section>", start)]


def attach(ticket, message=None, name="scratch.png") -> Attachment:
    return Attachment.objects.create(
        ticket=ticket,
        message=message,
        by=ticket.order.customer.user,
        name=name,
        content_type="image/png",
        size=2048,
        file=ContentFile(b"\x89PNG", name="upload.png"),
    )


def test_a_customer_message_shows_apart_from_internal_notes_and_marked_new(
    client, anna, support, ticket
):
    services.ticket_details_set(
        ticket=ticket,
        by=support,
        changes={"vendor_rma_number": "GS-9"},
        note="Vendor says this batch is bad.",
    )
    services.message_post(
        ticket=ticket, by=anna.user, body="Where do I send it?", from_customer=True
    )
    client.force_login(support)

    html = client.get(admin_page(ticket)).content.decode()

    thread = section(html, "retour-thread")
    assert "Where do I send it?" in thread
    assert "New message from the customer, not answered yet" in thread
    assert "new, not answered" in thread
    assert "Vendor says this batch is bad." not in thread
    history = html[html.index('id="retour-timeline"') :]
    assert "Vendor says this batch is bad." in history
    assert "Where do I send it?" not in history


def test_support_answers_and_the_customer_is_e_mailed_and_sees_it(client, anna, support, ticket):
    services.message_post(
        ticket=ticket, by=anna.user, body="Where do I send it?", from_customer=True
    )
    client.force_login(support)

    response = client.post(
        reverse("admin:rma_ticket_message", args=[ticket.pk]),
        {"body": "To the address on the label."},
        follow=True,
    )

    html = response.content.decode()
    assert f"Your answer was sent to {anna.email}." in html
    assert "not answered yet" not in html
    answer = TicketMessage.objects.get(from_customer=False)
    assert answer.by == support and answer.body == "To the address on the label."
    email = Email.objects.get(kind="staff_message")
    assert email.to == anna.email and email.language == anna.language == "nl"
    assert email.context["message"] == "To the address on the label."

    client.force_login(anna.user)
    own = client.get(reverse("portal:my_ticket", args=[ticket.number])).content.decode()
    assert "To the address on the label." in own and "Customer support" in own


def test_who_may_not_change_tickets_cannot_answer(client, warehouse, ticket):
    client.force_login(warehouse)

    html = client.get(admin_page(ticket)).content.decode()
    response = client.post(
        reverse("admin:rma_ticket_message", args=[ticket.pk]), {"body": "Hi"}, follow=True
    )

    assert "Send the answer to the customer" not in html
    assert "not allowed to write about this ticket" in response.content.decode()
    assert (
        not TicketMessage.objects.exists()
        and not Email.objects.filter(kind="staff_message").exists()
    )


def test_an_empty_answer_sends_nothing(client, support, ticket):
    client.force_login(support)

    response = client.post(
        reverse("admin:rma_ticket_message", args=[ticket.pk]), {"body": "  "}, follow=True
    )

    assert "Write the answer before sending it." in response.content.decode()
    assert not TicketMessage.objects.exists()


def test_the_customers_files_link_to_their_download(client, anna, support, ticket):
    message = services.message_post(
        ticket=ticket, by=anna.user, body="Photo attached.", from_customer=True
    )
    with_request = attach(ticket, name="box.png")
    with_message = attach(ticket, message, name="scratch.png")
    client.force_login(support)

    html = client.get(admin_page(ticket)).content.decode()

    files = section(html, "retour-attachments")
    for attachment in (with_request, with_message):
        url = reverse("ticket_attachment", args=[attachment.key])
        assert f'href="{url}"' in files and attachment.name in files
    assert reverse("ticket_attachment", args=[with_message.key]) in section(html, "retour-thread")


def test_queries_do_not_grow_with_messages_and_attachments(client, anna, support, ticket):
    client.force_login(support)

    def add() -> None:
        message = services.message_post(
            ticket=ticket, by=anna.user, body="A question.", from_customer=True
        )
        services.message_post(ticket=ticket, by=support, body="An answer.", from_customer=False)
        attach(ticket, message)
        attach(ticket)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(admin_page(ticket)).status_code == 200
        return len(queries)

    add()
    count()  # warm: content types, permissions
    few = count()
    for _ in range(5):
        add()
    many = count()

    assert many == few, f"{few} queries for one of each, {many} for six"
