"""The warehouse receives parcels (R7): the scan, the units it makes, what it refuses."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from notifications.models import Email
from rma import services
from rma.attachments import AttachmentRefused
from rma.models import (
    Attachment,
    EventKind,
    ParcelCondition,
    ParcelScan,
    ReturnedUnit,
    ScanOutcome,
    Ticket,
    TicketEvent,
)
from rma.states import State
from tests.factories import UserFactory, delivered_order
from tests.rma.lifecycle import staff, ticket_in
from tests.threads import run_together


def two_line_ticket(customer=None) -> Ticket:
    """Line 1: three cameras with a login, two of them with their serials; line 2: a cable."""
    order = delivered_order(customer=customer, lines=((3, "250.00"), (1, "9.95")))
    camera = order.lines.get(line_id="1").product
    camera.has_login = True
    camera.save()
    ticket = services.ticket_create(
        order=order,
        reason="defective",
        lines=[
            services.LineRequest("1", 3, serials=("CAM-0001", "CAM-0002")),
            services.LineRequest("2", 1),
        ],
        by=order.customer.user,
        factory_reset_confirmed=True,
    )
    return services.ticket_authorize(ticket=ticket, by=staff("support"))


def jpeg(name="box.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def written():
    """What a scan may write, counted."""
    return (
        ParcelScan.objects.count(),
        ReturnedUnit.objects.count(),
        TicketEvent.objects.count(),
        Attachment.objects.count(),
    )


# Receiving


@pytest.mark.django_db
def test_an_authorized_parcel_is_received_with_one_unit_per_unit_sent_back(warehouse):
    ticket = two_line_ticket()

    result = services.parcel_scan(scanned=f"  {ticket.number.lower()} \n", by=warehouse)

    assert result.outcome == ScanOutcome.RECEIVED and not result.refuse
    assert result.ticket == ticket and result.number == ticket.number
    ticket.refresh_from_db()
    assert ticket.state == State.RECEIVED
    assert ticket.parcel_condition == ParcelCondition.INTACT
    units = list(
        ReturnedUnit.objects.filter(ticket_line__ticket=ticket).values_list(
            "ticket_line__order_line__line_id", "number", "serial", "received_by"
        )
    )
    assert units == [
        ("1", 1, "CAM-0001", warehouse.pk),
        ("1", 2, "CAM-0002", warehouse.pk),
        ("1", 3, "", warehouse.pk),
        ("2", 1, "", warehouse.pk),
    ]
    assert {line.order_line.line_id: line.received_quantity for line in ticket.lines.all()} == {
        "1": 3,
        "2": 1,
    }
    scan = ParcelScan.objects.get()
    assert (scan.by, scan.ticket, scan.outcome) == (warehouse, ticket, ScanOutcome.RECEIVED)
    assert scan.scanned == ticket.number.lower()  # as the scanner typed it
    assert ticket.events.filter(to_state=State.RECEIVED, by=warehouse).count() == 1
    assert Email.objects.filter(ticket=ticket, kind="ticket_received").count() == 1


@pytest.mark.django_db
def test_a_received_parcel_says_what_to_check_per_line(warehouse):
    ticket = two_line_ticket()

    result = services.parcel_scan(scanned=ticket.number, by=warehouse)

    camera, cable = result.lines
    assert (camera.line_id, camera.quantity, camera.serials) == ("1", 3, ("CAM-0001", "CAM-0002"))
    assert camera.has_login and camera.wipe  # R8 reset checked, R15 wiped
    assert (cable.line_id, cable.quantity, cable.serials) == ("2", 1, ())
    assert not cable.has_login and not cable.wipe
    assert camera.accessories and cable.accessories  # R9


@pytest.mark.django_db
def test_receiving_from_the_ticket_page_makes_the_units_too(warehouse):
    ticket = two_line_ticket()

    services.ticket_receive(ticket=ticket, by=warehouse, note="Box dented")

    assert ReturnedUnit.objects.filter(ticket_line__ticket=ticket).count() == 4
    assert sorted(ticket.lines.values_list("received_quantity", flat=True)) == [1, 3]


@pytest.mark.django_db
def test_a_line_names_a_serial_twice_its_units_get_it_once(warehouse):
    order = delivered_order(lines=((2, "80.00"),))
    ticket = services.ticket_create(
        order=order,
        reason="defective",
        lines=[services.LineRequest("1", 2, serials=("SN-1", " SN-1 "))],
        by=order.customer.user,
    )
    ticket = services.ticket_authorize(ticket=ticket, by=staff("support"))

    services.parcel_scan(scanned=ticket.number, by=warehouse)

    assert list(ReturnedUnit.objects.values_list("number", "serial")) == [(1, "SN-1"), (2, "")]


@pytest.mark.parametrize(
    "typed",
    [
        "{n}",
        "{lower}",
        "  {n}\t",
        " R M A - 2 0 2 6 - {digits} ",  # a wedge adding spaces
        "RMAß2026ß{digits}",  # a US-set scanner on a German keyboard layout
        "RMA2026{digits}",
        "RMA_2026_{digits}",
        "]C0{n}",  # the AIM symbology identifier of Code 128 first
    ],
)
@pytest.mark.django_db
def test_the_number_is_understood_however_the_scanner_types_it(warehouse, typed):
    ticket = two_line_ticket()
    digits = ticket.number[-6:]
    assert ticket.number.startswith("RMA-2026-")

    result = services.parcel_scan(
        scanned=typed.format(n=ticket.number, lower=ticket.number.lower(), digits=digits),
        by=warehouse,
    )

    assert result.outcome == ScanOutcome.RECEIVED


# Refusing (R7)


@pytest.mark.parametrize(
    "state, outcome",
    [
        (State.REQUESTED, ScanOutcome.NOT_AUTHORIZED),
        (State.REJECTED, ScanOutcome.NOT_AUTHORIZED),
        (State.CANCELLED, ScanOutcome.CANCELLED),
        (State.EXPIRED, ScanOutcome.EXPIRED),
    ],
)
@pytest.mark.django_db
def test_a_parcel_without_a_valid_authorization_is_refused_and_the_refusal_recorded(
    warehouse, state, outcome
):
    ticket = ticket_in(state)

    result = services.parcel_scan(scanned=ticket.number, by=warehouse)

    assert result.outcome == outcome and result.refuse
    assert result.lines == ()
    ticket.refresh_from_db()
    assert ticket.state == state and ticket.parcel_condition == ""
    assert not ReturnedUnit.objects.exists()
    scan = ParcelScan.objects.get()
    assert (scan.ticket, scan.outcome, scan.by) == (ticket, outcome, warehouse)
    refusal = ticket.events.get(kind=EventKind.CHANGE)
    assert refusal.internal and refusal.by == warehouse
    assert refusal.data["field"] == "parcel" and refusal.data["refused"] == "R7"
    assert refusal.data["outcome"] == outcome
    assert "(R7)" in refusal.note and "refused" in refusal.note


@pytest.mark.django_db
def test_an_unknown_number_is_refused_and_recorded_without_a_ticket(warehouse):
    result = services.parcel_scan(scanned="RMA-2026-999999", by=warehouse)

    assert result.outcome == ScanOutcome.UNKNOWN and result.refuse
    assert result.ticket is None
    scan = ParcelScan.objects.get()
    assert (scan.ticket, scan.scanned, scan.outcome) == (None, "RMA-2026-999999", "unknown")


@pytest.mark.parametrize("state", [State.RECEIVED, State.DIAGNOSED, State.RESOLVED])
@pytest.mark.django_db
def test_a_parcel_scanned_again_is_already_received_and_counted_once(warehouse, state):
    ticket = ticket_in(state)
    units_before = ReturnedUnit.objects.count()
    events_before = ticket.events.count()

    result = services.parcel_scan(scanned=ticket.number, by=warehouse)

    assert result.outcome == ScanOutcome.ALREADY_RECEIVED and not result.refuse
    assert ReturnedUnit.objects.count() == units_before == 1
    assert ticket.lines.get().received_quantity == 1
    assert ticket.events.count() == events_before
    assert ParcelScan.objects.get().outcome == ScanOutcome.ALREADY_RECEIVED


# The parcel's condition


@pytest.mark.django_db
def test_a_damaged_parcel_is_received_with_its_photo(warehouse):
    ticket = two_line_ticket()

    services.parcel_scan(
        scanned=ticket.number, by=warehouse, parcel_condition="damaged", photo=jpeg()
    )

    ticket.refresh_from_db()
    assert ticket.state == State.RECEIVED and ticket.parcel_condition == "damaged"
    photo = Attachment.objects.get(ticket=ticket)
    assert (photo.by, photo.name, photo.content_type) == (warehouse, "box.jpg", "image/jpeg")
    assert ParcelScan.objects.get().parcel_condition == "damaged"


@pytest.mark.parametrize(
    "condition, photo, message",
    [
        ("damaged", lambda: SimpleUploadedFile("box.jpg", b"MZ not a photo"), "is not a JPEG"),
        ("intact", jpeg, "A photo goes with a damaged parcel"),
        ("crushed", lambda: None, "intact or damaged"),
    ],
)
@pytest.mark.django_db
def test_a_wrong_condition_or_photo_is_refused_and_nothing_is_received(
    warehouse, condition, photo, message
):
    ticket = two_line_ticket()
    before = written()

    with pytest.raises(services.TicketError, match=message):
        services.parcel_scan(
            scanned=ticket.number, by=warehouse, parcel_condition=condition, photo=photo()
        )

    assert written() == before
    ticket.refresh_from_db()
    assert ticket.state == State.AUTHORIZED


def test_a_refused_photo_is_a_ticket_error():
    assert issubclass(AttachmentRefused, services.TicketError)


# Bad input and permissions


@pytest.mark.parametrize(
    "scanned, message",
    [
        ("", "Nothing was scanned"),
        ("   \n", "Nothing was scanned"),
        ("X" * 200, r"That is too long for an RMA number \(200 characters\)"),
    ],
)
@pytest.mark.django_db
def test_bad_input_gets_a_clear_message_and_writes_nothing(warehouse, scanned, message):
    before = written()

    with pytest.raises(services.TicketError, match=message):
        services.parcel_scan(scanned=scanned, by=warehouse)

    assert written() == before


@pytest.mark.parametrize("role", ["support", "accountant"])
@pytest.mark.django_db
def test_only_the_warehouse_receives_parcels(role):
    ticket = two_line_ticket()
    before = written()

    with pytest.raises(services.TicketError, match="not allowed to receive parcels"):
        services.parcel_scan(scanned=ticket.number, by=staff(role))

    assert written() == before
    ticket.refresh_from_db()
    assert ticket.state == State.AUTHORIZED


# Two warehouse users scanning one parcel at once (PostgreSQL)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_scans_of_one_parcel_at_once_receive_it_once():
    ticket = two_line_ticket()
    first = staff("warehouse")
    second = UserFactory(email="wendy.warehouse@webstore4.example", role="warehouse")

    results = run_together(
        [
            lambda: services.parcel_scan(scanned=ticket.number, by=first),
            lambda: services.parcel_scan(scanned=ticket.number, by=second),
        ]
    )

    assert all(isinstance(r, services.ScanResult) for r in results), results
    assert sorted(r.outcome for r in results) == [
        ScanOutcome.ALREADY_RECEIVED,
        ScanOutcome.RECEIVED,
    ]
    ticket.refresh_from_db()
    assert ticket.state == State.RECEIVED
    assert ReturnedUnit.objects.filter(ticket_line__ticket=ticket).count() == 4
    assert sorted(ticket.lines.values_list("received_quantity", flat=True)) == [1, 3]
    assert ticket.events.filter(to_state=State.RECEIVED).count() == 1
    assert ParcelScan.objects.filter(ticket=ticket).count() == 2
