"""The warehouse's scan station in the back office (issue 16 §2, R7): one field, a loud
verdict, the day's scans; for the warehouse only, in a fixed number of queries."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from rma import services
from rma.models import Attachment, ParcelScan, ReturnedUnit, TicketEvent
from rma.states import State
from tests.factories import UserFactory, delivered_order
from tests.rma.lifecycle import staff, ticket_in

STATION = reverse("admin:rma_ticket_scan")


def authorized(lines: int = 1, *, has_login: bool = False):
    order = delivered_order(lines=tuple((1, "40.00") for _ in range(lines)))
    if has_login:
        product = order.lines.get(line_id="1").product
        product.has_login = True
        product.save()
    ticket = services.ticket_create(
        order=order,
        reason="defective",
        lines=[services.LineRequest(str(i), 1, serials=(f"SN-{i}",)) for i in range(1, lines + 1)],
        by=order.customer.user,
    )
    return services.ticket_authorize(ticket=ticket, by=staff("support"))


def written():
    return (
        ParcelScan.objects.count(),
        ReturnedUnit.objects.count(),
        TicketEvent.objects.count(),
        Attachment.objects.count(),
    )


def verdict(response) -> str:
    """The class of the verdict shown (scan-ok, scan-warn, scan-refuse, scan-error)."""
    text = response.text
    start = text.index('class="scan-verdict ')
    return text[start:].split('"')[1].split()[1]


@pytest.mark.django_db
def test_the_station_waits_for_a_scan_in_an_autofocused_field(client, warehouse):
    client.force_login(warehouse)

    response = client.get(STATION)

    assert response.status_code == 200
    assert 'name="scanned" id="id_scanned" autofocus' in response.text
    assert "Ready for the first parcel." in response.text
    assert "No scans yet today." in response.text
    assert "backoffice/scan.js" in response.text
    assert 'value="intact"' in response.text and "checked" in response.text


@pytest.mark.django_db
def test_a_scan_receives_the_parcel_and_shows_what_to_check(client, warehouse):
    ticket = authorized(has_login=True)
    client.force_login(warehouse)

    response = client.post(STATION, {"scanned": ticket.number.lower() + " "})

    assert response.status_code == 303 and response["Location"] == STATION
    page = client.get(STATION)
    assert verdict(page) == "scan-ok"
    assert "Received" in page.text
    assert f"Return {ticket.number} is received: check its units below." in page.text
    assert "SN-1" in page.text
    assert "(R8)" in page.text and "(R15)" in page.text and "(R9)" in page.text
    assert 'data-fresh="1"' in page.text  # announced (the beep) once
    assert 'data-fresh="1"' not in client.get(STATION).text
    ticket.refresh_from_db()
    assert ticket.state == State.RECEIVED and ticket.parcel_condition == "intact"
    assert ReturnedUnit.objects.filter(ticket_line__ticket=ticket).count() == 1


@pytest.mark.parametrize(
    "state, tone, sentence",
    [
        (None, "scan-refuse", "No return has the number “RMA-2026-424242” (R7)."),
        (State.REQUESTED, "scan-refuse", "is requested: it was never authorized (R7)."),
        (State.CANCELLED, "scan-refuse", "was cancelled (R7)."),
        (State.EXPIRED, "scan-refuse", "expired (R7)."),
        (State.RECEIVED, "scan-warn", "it was received before. Do not receive it again."),
    ],
)
@pytest.mark.django_db
def test_a_refused_parcel_is_said_plainly(client, warehouse, state, tone, sentence):
    number = ticket_in(state).number if state else "RMA-2026-424242"
    client.force_login(warehouse)

    page = client.post(STATION, {"scanned": number}, follow=True)

    assert verdict(page) == tone
    assert sentence in page.text
    if tone == "scan-refuse":
        assert "Refuse this parcel" in page.text
    assert ParcelScan.objects.get().by == warehouse


@pytest.mark.django_db
def test_a_damaged_parcel_is_received_with_its_photo(client, warehouse):
    ticket = authorized()
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (90, 60, 40)).save(out, format="PNG")
    client.force_login(warehouse)

    page = client.post(
        STATION,
        {
            "scanned": ticket.number,
            "parcel_condition": "damaged",
            "photo": SimpleUploadedFile("dent.png", out.getvalue(), content_type="image/png"),
        },
        follow=True,
    )

    assert verdict(page) == "scan-ok"
    assert "packaging damaged" in page.text
    ticket.refresh_from_db()
    assert ticket.parcel_condition == "damaged"
    assert Attachment.objects.get(ticket=ticket).name == "dent.png"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"scanned": ""}, "Nothing was scanned: scan the RMA number on the parcel&#x27;s label."),
        ({"scanned": "7" * 200}, "That is too long for an RMA number (200 characters)"),
        ({"scanned": "RMA-2026-000001", "parcel_condition": "wet"}, "Select a valid choice."),
        (
            {"scanned": "RMA-2026-000001", "photo": SimpleUploadedFile("x.txt", b"hello")},
            "A photo goes with a damaged parcel",
        ),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_refused_with_a_message_and_nothing_written(client, warehouse, data, message):
    authorized()  # RMA-2026-000001
    client.force_login(warehouse)
    before = written()

    page = client.post(STATION, data)

    assert page.status_code == 200
    assert verdict(page) == "scan-error"
    assert message in page.text
    assert written() == before


@pytest.mark.parametrize("role", ["support", "accountant"])
@pytest.mark.django_db
def test_staff_who_may_not_receive_cannot_use_the_station(client, role):
    ticket = authorized()
    client.force_login(staff(role))
    before = written()

    assert client.get(STATION).status_code == 403
    assert client.post(STATION, {"scanned": ticket.number}).status_code == 403
    assert written() == before
    assert "Scan station" not in client.get(reverse("admin:index")).text


@pytest.mark.django_db
def test_a_visitor_is_sent_to_the_login(client):
    response = client.get(STATION)

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_the_warehouse_start_page_leads_to_the_station(client, warehouse):
    client.force_login(warehouse)

    page = client.get(reverse("admin:index"))

    assert f'href="{STATION}"' in page.text and "Scan station" in page.text


@pytest.mark.django_db
def test_the_days_scans_are_listed_newest_first_and_only_ones_own(client, warehouse):
    first, second = authorized(), authorized()
    services.parcel_scan(scanned=first.number, by=warehouse)
    services.parcel_scan(scanned="RMA-2026-999999", by=warehouse)
    services.parcel_scan(scanned=first.number, by=warehouse)
    other = UserFactory(email="wendy.warehouse@webstore4.example", role="warehouse")
    services.parcel_scan(scanned=second.number, by=other)
    client.force_login(warehouse)

    page = client.get(STATION)

    recent = page.text[page.text.index('id="scan-recent"') :]
    assert recent.count('class="scan-item ') == 3
    assert (
        recent.index("Already received") < recent.index("Unknown number") < recent.index("Received")
    )
    assert second.number not in recent


@pytest.mark.django_db
def test_the_page_reads_in_the_same_queries_whatever_the_scans_and_lines(client, warehouse):
    client.force_login(warehouse)

    def queries(lines: int, unknown_scans: int) -> int:
        for _ in range(unknown_scans):
            services.parcel_scan(scanned="RMA-2026-999999", by=warehouse)
        client.post(STATION, {"scanned": authorized(lines, has_login=True).number})
        with CaptureQueriesContext(connection) as captured:
            page = client.get(STATION)
        assert verdict(page) == "scan-ok" and page.text.count('class="scan-line"') == lines
        return len(captured)

    queries(1, 0)  # warm: content types, permissions
    few = queries(1, 1)
    many = queries(6, 12)
    assert many == few, (few, many)
    print(f"scan station page: {few} queries")
