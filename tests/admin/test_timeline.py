"""The staff ticket page's one timeline says in words what the warehouse, the diagnosis
and the vendor cases did, not the raw values of their events."""

from __future__ import annotations

import pytest
from django.utils import translation

from backoffice.timeline import ticket_timeline
from rma.models import EventKind, ScanOutcome, TicketEvent
from tests.factories import VendorFactory
from tests.vendors.units import diagnosed_unit
from vendors.models import VendorCase, VendorCaseEvent

pytestmark = pytest.mark.django_db


def _change(ticket, data, note=""):
    TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.CHANGE, internal=True, note=note, data=data
    )


def test_refusals_diagnoses_wipes_and_vendor_actions_read_as_sentences():
    unit = diagnosed_unit(VendorFactory(name="Hikvision"), serial="HK-1")
    ticket = unit.ticket_line.ticket
    _change(
        ticket,
        {
            "field": "parcel",
            "refused": "R7",
            "outcome": ScanOutcome.NOT_AUTHORIZED,
            "state": "requested",
        },
    )
    _change(
        ticket,
        {
            "field": "diagnosis",
            "new": "1/1: return_as_is",
            "grade": "signs_of_use",
            "outcome": "return_as_is",
        },
    )
    _change(ticket, {"field": "wipe", "new": "1/1"})
    case = VendorCase.objects.create(
        ticket_line=unit.ticket_line,
        vendor=unit.ticket_line.order_line.product.vendor,
        route="via_shop",
        serial="HK-1",
    )
    VendorCaseEvent.objects.create(
        case=case, from_state="open", to_state="open", data={"action": "packed", "shipment": 7}
    )
    VendorCaseEvent.objects.create(
        case=case,
        from_state="decided",
        to_state="decided",
        data={"action": "returned_to_customer", "carrier": "PostNL", "tracking_number": "3S1"},
    )

    with translation.override("en"):
        said = [str(entry.what) for entry in ticket_timeline(ticket)]

    assert "Parcel refused at the scan station (R7): the ticket was requested" in said
    assert "Unit 1/1 diagnosed: signs of use, return to the customer as is" in said
    assert "Unit 1/1 wiped to factory state (R15)" in said
    assert f"Vendor case #{case.pk} (Hikvision): packed in shipment #7" in said
    assert f"Vendor case #{case.pk} (Hikvision): sent back to the customer, tracking 3S1" in said
