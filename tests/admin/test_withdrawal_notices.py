"""W3, W10 in the back office: staff register a withdrawal that came by post or e-mail,
with its date of notice and a scan, and it becomes the same ticket as one made on the
site; nobody can reject a withdrawal."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from notifications.models import Email
from notifications.rendering import email_message_build, email_render
from rma import services
from rma.models import NoticeChannel, Ticket
from rma.states import State
from tests.portal.orders import order_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def register(client, order, **fields):
    return client.post(
        reverse("admin:rma_ticket_add"),
        {"order": order.number, "reason": "withdrawal", "lines": "", **fields},
    )


def test_staff_register_a_postal_notice_dated_three_days_earlier_with_its_scan(
    client, anna, support
):
    order = order_of(anna)
    client.force_login(support)

    response = register(
        client,
        order,
        lines="1:2, 2:1",
        notice_on="2026-11-20",
        notice_channel="post",
        notice_scan=SimpleUploadedFile("brief van anna.pdf", PDF, "application/pdf"),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    ticket = Ticket.objects.get()
    assert (ticket.state, ticket.notice_on, ticket.notice_channel) == (
        State.AUTHORIZED,
        dt.date(2026, 11, 20),
        NoticeChannel.POST,
    )
    assert ticket.refund_due_on == dt.date(2026, 12, 4)  # W7 from the letter's own day
    assert ticket.notice_scan.name.endswith(f"{ticket.number}-notice.pdf")
    scan = client.get(reverse("admin:rma_ticket_notice_scan", args=[ticket.pk]))
    assert scan.status_code == 200 and b"".join(scan.streaming_content) == PDF
    receipt = Email.objects.get(kind="withdrawal_receipt")
    receipt.language = "en"
    text = " ".join(email_render(receipt)[1].split())
    assert "We registered your notice of Nov. 20, 2026 on Nov. 23, 2026." in text
    assert len(email_message_build(receipt).attachments) == 1  # the label
    assert not Email.objects.filter(kind="staff_withdrawal_received").exists()


def test_a_scan_that_is_no_pdf_or_image_is_refused(client, anna, support):
    order = order_of(anna)
    client.force_login(support)

    response = register(
        client,
        order,
        notice_on="2026-11-20",
        notice_scan=SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
    )

    assert response.status_code == 200
    assert "A scan must be a PDF, JPEG or PNG file" in response.content.decode()
    assert not Ticket.objects.exists()


def test_staff_cannot_reject_a_withdrawal(client, anna, support):
    order = order_of(anna)
    ticket = services.withdrawal_register(
        order=order, lines=[services.LineRequest("1", 1)], by=None
    )
    client.force_login(support)

    page = client.get(reverse("admin:rma_ticket_change", args=[ticket.pk])).content.decode()
    response = client.post(
        reverse("admin:rma_ticket_transition", args=[ticket.pk]),
        {"name": "reject", "note": "We do not want it back."},
        follow=True,
    )

    assert ">Reject<" not in page
    ticket.refresh_from_db()
    assert ticket.state == State.AUTHORIZED
    assert "can no longer be rejected" in response.content.decode()
    # Nor before it was authorized: the notice binds the shop (W10).
    requested = services.ticket_create(
        order=order_of(anna), reason="withdrawal", lines=[services.LineRequest("1", 1)], by=None
    )
    with pytest.raises(services.TicketError, match="cannot be rejected or expired"):
        services.ticket_reject(ticket=requested, by=support, reason="No.")
