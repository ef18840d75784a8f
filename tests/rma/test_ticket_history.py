"""Every change of a ticket is in its history: the details staff edit by hand (which move
deadlines D2, D3 and the V2/V3 routes), each state change, and its vendor cases' changes,
shown in one timeline on the staff ticket page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from rma import services
from rma.errors import TicketError
from rma.models import EventKind, TicketEvent
from rma.states import Resolution, State
from tests.rma.lifecycle import ticket_in
from vendors.models import CaseState, VendorCaseEvent
from vendors.services import vendor_case_decide, vendor_case_open, vendor_case_send

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


def admin_form(ticket, **details) -> dict[str, object]:
    """What the ticket's change form posts: its details and the (read-only) lines inline."""
    line = ticket.lines.get()
    return {
        "vendor_ticket_number": ticket.vendor_ticket_number,
        "vendor_rma_number": ticket.vendor_rma_number,
        "shipped_on": "",
        "tracking_number": ticket.tracking_number,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "0",
        "lines-0-id": line.pk,
        "lines-0-ticket": ticket.pk,
        **details,
    }


def changes(ticket) -> list[tuple[str, object, object, str]]:
    return [
        (e.data["field"], e.data["old"], e.data["new"], e.by.email)
        for e in TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CHANGE).order_by("pk")
    ]


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("tracking_number", " 3SRETOUR0001 ", "3SRETOUR0001"),
        ("shipped_on", DAY, DAY.isoformat()),
        ("vendor_ticket_number", "GS-448812", "GS-448812"),
        ("vendor_rma_number", "UI-RMA-77", "UI-RMA-77"),
    ],
)
def test_each_detail_changes_through_the_service_with_who_when_old_and_new(
    support, field, value, stored
):
    ticket = ticket_in(State.AUTHORIZED)
    before = timezone.now()

    ticket = services.ticket_details_set(ticket=ticket, by=support, changes={field: value})

    ticket.refresh_from_db()
    assert getattr(ticket, field) == (value.strip() if isinstance(value, str) else value)
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CHANGE)
    assert (event.data["field"], event.data["new"], event.by) == (field, stored, support)
    assert event.data["old"] in ("", None)
    assert event.at >= before
    assert event.internal  # staff's bookkeeping, not a word to the customer


def test_a_second_change_records_the_old_value_and_an_unchanged_one_writes_nothing(support):
    ticket = ticket_in(State.AUTHORIZED)
    services.ticket_details_set(ticket=ticket, by=support, changes={"tracking_number": "3SA"})

    services.ticket_details_set(
        ticket=ticket, by=support, changes={"tracking_number": "3SB", "vendor_rma_number": ""}
    )

    assert changes(ticket) == [
        ("tracking_number", "", "3SA", support.email),
        ("tracking_number", "3SA", "3SB", support.email),
    ]


def test_a_shipping_day_after_today_is_refused_and_changes_nothing(support):
    ticket = ticket_in(State.AUTHORIZED)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    with pytest.raises(TicketError, match="cannot have been shipped after today"):
        services.ticket_details_set(ticket=ticket, by=support, changes={"shipped_on": tomorrow})

    ticket.refresh_from_db()
    assert ticket.shipped_on is None
    assert changes(ticket) == []


def test_a_tracking_number_longer_than_the_field_is_refused_and_changes_nothing(support):
    ticket = ticket_in(State.AUTHORIZED)

    with pytest.raises(TicketError, match="tracking number can be at most 80 characters"):
        services.ticket_details_set(
            ticket=ticket, by=support, changes={"tracking_number": "3S" * 41}
        )

    ticket.refresh_from_db()
    assert ticket.tracking_number == ""
    assert changes(ticket) == []


def test_someone_who_may_not_change_tickets_is_refused(warehouse):
    ticket = ticket_in(State.AUTHORIZED)

    with pytest.raises(TicketError, match="not allowed to change this ticket"):
        services.ticket_details_set(ticket=ticket, by=warehouse, changes={"tracking_number": "3SX"})

    assert changes(ticket) == []


def test_the_admin_form_saves_through_the_service_and_the_timeline_shows_it(client, support):
    ticket = ticket_in(State.AUTHORIZED)
    client.force_login(support)
    url = reverse("admin:rma_ticket_change", args=[ticket.pk])

    response = client.post(
        url, admin_form(ticket, shipped_on=DAY.isoformat(), tracking_number="3SADMIN01")
    )

    assert response.status_code == 302  # saved, back to the list
    assert sorted(c[:3] for c in changes(ticket)) == [
        ("shipped_on", None, DAY.isoformat()),
        ("tracking_number", "", "3SADMIN01"),
    ]
    page = client.get(url).text
    assert "3SADMIN01" in page and "History" in page
    assert "11/20/2026" in page  # the shipping day as staff read dates
    assert "authorized" in page  # the state changes are in the same timeline


def test_the_admin_form_refuses_a_future_shipping_day_and_saves_nothing(client, support):
    ticket = ticket_in(State.AUTHORIZED)
    client.force_login(support)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = client.post(
        reverse("admin:rma_ticket_change", args=[ticket.pk]),
        admin_form(ticket, shipped_on=tomorrow.isoformat(), tracking_number="3SLATE"),
    )

    assert response.status_code == 200  # the form again, with the message
    assert "cannot have been shipped after today" in response.text
    ticket.refresh_from_db()
    assert (ticket.shipped_on, ticket.tracking_number) == (None, "")
    assert changes(ticket) == []


def test_a_state_change_keeps_what_came_with_it_in_its_data(accountant):
    ticket = ticket_in(State.DIAGNOSED)

    services.ticket_resolve(ticket=ticket, by=accountant, resolution=Resolution.REFUND)

    event = TicketEvent.objects.filter(ticket=ticket).latest("pk")
    assert (event.from_state, event.to_state) == (State.DIAGNOSED, State.RESOLVED)
    assert event.data == {"resolution": Resolution.REFUND}


def test_vendor_case_changes_are_events_and_in_the_ticket_timeline(client, support, warehouse):
    ticket = ticket_in(State.RECEIVED)
    line = ticket.lines.get()
    case = vendor_case_open(ticket_line=line, by=support)
    vendor_case_send(case=case, by=warehouse)
    vendor_case_decide(case=case, by=support, decision="repair", vendor_rma_number="V-1")

    events = list(VendorCaseEvent.objects.filter(case=case).order_by("pk"))
    assert [(e.from_state, e.to_state, e.by) for e in events] == [
        ("", CaseState.OPEN, support),
        (CaseState.OPEN, CaseState.AT_VENDOR, warehouse),
        (CaseState.AT_VENDOR, CaseState.DECIDED, support),
    ]
    assert events[-1].data == {"decision": "repair", "vendor_rma_number": "V-1"}

    client.force_login(support)
    page = client.get(reverse("admin:rma_ticket_change", args=[ticket.pk])).text
    assert f"Vendor case #{case.pk}" in page
    assert "decided by the vendor" in page
