"""The thread between a ticket's customer and support (rma.services.message_post)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from notifications.models import Email
from notifications.rendering import email_render
from rma import services
from rma.attachments import attachments_check
from rma.models import Attachment, TicketMessage
from rma.states import State
from tests.rma.lifecycle import ticket_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(anna, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return ticket_in(State.AUTHORIZED, customer=anna)


def png(name: str = "scratch.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_a_customer_message_is_kept_and_mails_nobody(ticket, anna):
    message = services.message_post(
        ticket=ticket, by=anna.user, body="  Is the charger needed?  ", from_customer=True
    )

    assert message.body == "Is the charger needed?" and message.from_customer
    assert not Email.objects.filter(kind="staff_message").exists()


def test_a_staff_answer_mails_the_customer_in_their_language(ticket, anna, support):
    services.message_post(
        ticket=ticket, by=support, body="Ja, stuur de lader mee.", from_customer=False
    )

    email = Email.objects.get(kind="staff_message")
    assert email.to == anna.email and email.language == "nl" and email.subject == ticket
    subject, text, html = email_render(email)
    assert ticket.number in subject
    assert "Ja, stuur de lader mee." in text and "Ja, stuur de lader mee." in html


def test_each_staff_answer_is_its_own_e_mail(ticket, support):
    for body in ("First.", "Second."):
        services.message_post(ticket=ticket, by=support, body=body, from_customer=False)

    assert Email.objects.filter(kind="staff_message").count() == 2


@pytest.mark.parametrize("who", ["stranger", "warehouse"])
def test_only_the_owner_and_support_write(ticket, request, who):
    by = request.getfixturevalue(who)
    with pytest.raises(services.TicketError, match="not allowed to write"):
        services.message_post(ticket=ticket, by=by, body="Hello", from_customer=who == "stranger")
    assert not TicketMessage.objects.exists()


def test_the_customer_cannot_write_as_staff(ticket, anna):
    with pytest.raises(services.TicketError):
        services.message_post(ticket=ticket, by=anna.user, body="Refund!", from_customer=False)
    assert not TicketMessage.objects.exists()
    assert not Email.objects.filter(kind="staff_message").exists()


@pytest.mark.parametrize("body", ["", "   \n ", "x" * (services.MESSAGE_MAX_LENGTH + 1)])
def test_an_empty_or_overlong_message_is_refused(ticket, anna, body):
    with pytest.raises(services.TicketError):
        services.message_post(ticket=ticket, by=anna.user, body=body, from_customer=True)
    assert not TicketMessage.objects.exists()


def test_photos_are_stored_with_the_message(ticket, anna):
    checked = attachments_check([png()])

    message = services.message_post(
        ticket=ticket,
        by=anna.user,
        body="See the scratch.",
        from_customer=True,
        attachments=checked,
    )

    [attachment] = Attachment.objects.all()
    assert attachment.message == message and attachment.ticket == ticket
    assert attachment.name == "scratch.png" and attachment.by == anna.user
