"""V1: the units the shop forwards travel to their vendor in vendor shipments: gathered
per vendor, sent in one go with carrier and tracking, with a packing list; then the
vendor's advance replacement and the unit's way back to the customer (SPEC §3)."""

import html
import io
import re
from datetime import date

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.enums import Route
from tests.vendors.cases import reloaded, vendor
from tests.vendors.units import diagnosed_unit
from vendors.documents import packing_list_pdf
from vendors.models import CaseState, ShipmentState, VendorCase, VendorCaseEvent, VendorShipment
from vendors.services import (
    VendorCaseError,
    case_open_for_unit,
    shipment_add_case,
    shipment_deliver,
    shipment_for_vendor,
    shipment_gather,
    shipment_remove_case,
    shipment_send,
    vendor_case_advance_replacement,
    vendor_case_decide,
    vendor_case_return_to_customer,
    vendor_case_send,
)

pytestmark = pytest.mark.django_db


def unit_case(of, by, serial, **unit):
    return case_open_for_unit(unit=diagnosed_unit(of, serial=serial, **unit), by=by)


@pytest.fixture
def yealink(db):
    return vendor("Yealink")


@pytest.fixture
def snom(db):
    return vendor("Snom")


def packed(shipment) -> set[int]:
    return set(shipment.cases.values_list("pk", flat=True))


# Gathering units per vendor -------------------------------------------------------------


def test_units_are_gathered_into_one_shipment_per_vendor(support, yealink, snom):
    one, two = unit_case(yealink, support, "YL-1"), unit_case(yealink, support, "YL-2")
    three = unit_case(snom, support, "SN-1")

    done, refused = shipment_gather(cases=[one, two, three], by=support)

    assert refused == []
    to_yealink = VendorShipment.objects.get(vendor=yealink)
    to_snom = VendorShipment.objects.get(vendor=snom)
    assert packed(to_yealink) == {one.pk, two.pk}
    assert packed(to_snom) == {three.pk}
    assert to_yealink.state == ShipmentState.DRAFT and to_yealink.created_by == support
    # Gathering again later fills the same draft.
    four = unit_case(yealink, support, "YL-4")
    shipment_gather(cases=[four], by=support)
    assert packed(to_yealink) == {one.pk, two.pk, four.pk}
    assert VendorShipment.objects.count() == 2
    assert VendorCaseEvent.objects.filter(case=one, data__action="packed").count() == 1


def test_a_shipment_holds_only_its_vendor_s_units(support, yealink, snom):
    shipment = shipment_for_vendor(vendor=yealink, by=support)
    other = unit_case(snom, support, "SN-9")

    with pytest.raises(VendorCaseError) as refused:
        shipment_add_case(shipment=shipment, case=other, by=support)

    assert str(refused.value) == (
        f"Vendor case #{other.pk} goes to Snom, not to Yealink: a shipment holds the units "
        "of one vendor."
    )
    assert reloaded(other).shipment is None


def test_units_the_vendor_takes_back_directly_are_not_shipped(support):
    ubiquiti = vendor("Ubiquiti", route=Route.VENDOR_DIRECT)
    direct = unit_case(ubiquiti, support, "UB-1")

    done, refused = shipment_gather(cases=[direct], by=support)

    assert done == []
    assert refused == [
        (
            direct,
            f"Vendor case #{direct.pk} does not travel through the shop: Ubiquiti takes it "
            "back directly (V2, V3).",
        )
    ]
    assert not VendorShipment.objects.exists()  # no empty draft left behind


def test_a_unit_already_sent_or_in_another_shipment_is_refused(support, yealink):
    sent = unit_case(yealink, support, "YL-1")
    vendor_case_send(case=sent, by=support)
    elsewhere = unit_case(yealink, support, "YL-2")
    first = shipment_for_vendor(vendor=yealink, by=support)
    shipment_add_case(shipment=first, case=elsewhere, by=support)
    second = VendorShipment.objects.create(vendor=yealink)

    with pytest.raises(VendorCaseError) as not_open:
        shipment_add_case(shipment=second, case=sent, by=support)
    with pytest.raises(VendorCaseError) as in_other:
        shipment_add_case(shipment=second, case=elsewhere, by=support)

    assert str(not_open.value) == (
        f"Vendor case #{sent.pk} is at the vendor: only a case still at the shop goes into "
        "a shipment."
    )
    assert str(in_other.value) == f"Vendor case #{elsewhere.pk} is already in shipment #{first.pk}."
    assert packed(second) == set()


def test_a_packed_unit_leaves_with_its_shipment_not_on_its_own(support, yealink):
    case = unit_case(yealink, support, "YL-1")
    shipment_gather(cases=[case], by=support)
    shipment = VendorShipment.objects.get()

    with pytest.raises(VendorCaseError) as refused:
        vendor_case_send(case=reloaded(case), by=support)

    assert str(refused.value) == (
        f"Vendor case #{case.pk} is packed in shipment #{shipment.pk}: send the shipment."
    )
    assert reloaded(case).state == CaseState.OPEN


def test_a_unit_taken_out_of_a_draft_can_be_packed_again(support, yealink):
    case = unit_case(yealink, support, "YL-1")
    shipment_gather(cases=[case], by=support)
    shipment = VendorShipment.objects.get()

    shipment_remove_case(shipment=shipment, case=case, by=support)

    assert reloaded(case).shipment is None
    assert VendorCaseEvent.objects.filter(case=case, data__action="unpacked").exists()


def test_the_accountant_packs_nothing(support, accountant, yealink):
    case = unit_case(yealink, support, "YL-1")

    with pytest.raises(VendorCaseError, match="You are not allowed to pack vendor shipments."):
        shipment_gather(cases=[case], by=accountant)
    assert not VendorShipment.objects.exists()


# Sending --------------------------------------------------------------------------------


def test_sending_a_shipment_sends_every_unit_with_the_tracking(support, warehouse, yealink):
    cases = [unit_case(yealink, support, f"YL-{n}") for n in (1, 2, 3)]
    shipment_gather(cases=cases, by=support)
    shipment = VendorShipment.objects.get()

    sent = shipment_send(
        shipment=shipment, by=warehouse, carrier="PostNL", tracking_number=" 3SABCD1234567 "
    )

    assert (sent.state, sent.carrier, sent.tracking_number, sent.sent_by) == (
        ShipmentState.SENT,
        "PostNL",
        "3SABCD1234567",
        warehouse,
    )
    assert sent.sent_at is not None
    for case in cases:
        case = reloaded(case)
        assert case.state == CaseState.AT_VENDOR and case.sent_at is not None
        event = case.events.get(to_state=CaseState.AT_VENDOR)
        assert (event.by, event.from_state) == (warehouse, CaseState.OPEN)
        assert event.data == {
            "shipment": shipment.pk,
            "carrier": "PostNL",
            "tracking_number": "3SABCD1234567",
        }


def test_a_shipment_is_sent_once(support, warehouse, yealink):
    case = unit_case(yealink, support, "YL-1")
    shipment_gather(cases=[case], by=support)
    shipment = VendorShipment.objects.get()
    shipment_send(shipment=shipment, by=warehouse, carrier="PostNL", tracking_number="3S1")

    with pytest.raises(VendorCaseError, match=rf"Shipment #{shipment.pk} was already sent on "):
        shipment_send(shipment=shipment, by=support, carrier="DHL", tracking_number="JJD2")

    shipment.refresh_from_db()
    assert (shipment.carrier, shipment.tracking_number, shipment.sent_by) == (
        "PostNL",
        "3S1",
        warehouse,
    )
    assert reloaded(case).events.filter(to_state=CaseState.AT_VENDOR).count() == 1
    # And a sent shipment takes no more units.
    late = unit_case(yealink, support, "YL-2")
    with pytest.raises(VendorCaseError, match="was sent on .*: it can no longer be changed."):
        shipment_add_case(shipment=shipment, case=late, by=support)
    shipment_gather(cases=[late], by=support)  # goes into a new draft instead
    assert reloaded(late).shipment_id != shipment.pk


@pytest.mark.parametrize(
    ("carrier", "tracking", "message"),
    [
        ("", "3S1", "Say which carrier takes the parcel."),
        ("PostNL", "  ", "Enter the parcel's tracking number."),
    ],
)
def test_a_shipment_leaves_with_carrier_and_tracking(support, yealink, carrier, tracking, message):
    case = unit_case(yealink, support, "YL-1")
    shipment_gather(cases=[case], by=support)
    shipment = VendorShipment.objects.get()

    with pytest.raises(VendorCaseError) as refused:
        shipment_send(shipment=shipment, by=support, carrier=carrier, tracking_number=tracking)

    assert str(refused.value) == message
    assert VendorShipment.objects.get().state == ShipmentState.DRAFT
    assert reloaded(case).state == CaseState.OPEN


def test_an_empty_shipment_is_not_sent(support, yealink):
    shipment = shipment_for_vendor(vendor=yealink, by=support)

    with pytest.raises(VendorCaseError) as refused:
        shipment_send(shipment=shipment, by=support, carrier="PostNL", tracking_number="3S1")

    assert str(refused.value) == f"Shipment #{shipment.pk} holds no units: add the units first."


def test_a_unit_that_cannot_go_stops_the_whole_shipment(support, yealink):
    first, second = unit_case(yealink, support, "YL-1"), unit_case(yealink, support, "YL-2")
    shipment_gather(cases=[first, second], by=support)
    shipment = VendorShipment.objects.get()
    # Meanwhile the vendor decided on the second unit (it was never sent).
    vendor_case_decide(case=second, by=support, decision="credit")

    with pytest.raises(VendorCaseError) as refused:
        shipment_send(shipment=shipment, by=support, carrier="PostNL", tracking_number="3S1")

    assert str(refused.value) == (
        f"Vendor case #{second.pk} cannot be sent: This vendor case is decided by the vendor "
        "now and can no longer be sent."
    )
    assert VendorShipment.objects.get().state == ShipmentState.DRAFT
    assert reloaded(first).state == CaseState.OPEN  # nothing half-sent


def test_the_accountant_sends_no_shipment(support, accountant, yealink):
    case = unit_case(yealink, support, "YL-1")
    shipment_gather(cases=[case], by=support)

    with pytest.raises(VendorCaseError, match="You are not allowed to send vendor shipments."):
        shipment_send(
            shipment=VendorShipment.objects.get(),
            by=accountant,
            carrier="PostNL",
            tracking_number="3S1",
        )


def test_a_sent_shipment_is_delivered_once(support, warehouse, yealink):
    case = unit_case(yealink, support, "YL-1")
    shipment_gather(cases=[case], by=support)
    shipment = VendorShipment.objects.get()
    with pytest.raises(VendorCaseError, match="is being packed: only a sent shipment"):
        shipment_deliver(shipment=shipment, by=warehouse)
    shipment_send(shipment=shipment, by=warehouse, carrier="PostNL", tracking_number="3S1")

    delivered = shipment_deliver(shipment=shipment, by=warehouse)

    assert delivered.state == ShipmentState.DELIVERED and delivered.delivered_at is not None


# The packing list -----------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_packing_list_names_every_unit(support, yealink):
    case = unit_case(yealink, support, "YL-T54W-0042", fault="Display stays dark.")
    VendorCase.objects.filter(pk=case.pk).update(
        firmware_version="96.86.0.50", vendor_rma_number="YL-RMA-881", mac_address="80:5E:C0:11"
    )
    other = unit_case(yealink, support, "YL-T54W-0043")
    shipment_gather(cases=[case, other], by=support)
    shipment = VendorShipment.objects.get()
    line = case.ticket_line

    text = pdf_text(packing_list_pdf(shipment))

    assert f"Packing list of vendor shipment #{shipment.pk}" in text
    assert "Yealink" in text
    assert "WebStore4 Returns Retourweg 4 1234 AB Amsterdam" in text  # the return address
    for expected in (
        line.ticket.number,
        line.order_line.product.name,
        "YL-T54W-0042",
        "80:5E:C0:11",
        "96.86.0.50",
        "YL-RMA-881",
        "Display stays dark.",
        other.ticket_line.ticket.number,
        "YL-T54W-0043",
        "2 units in this parcel.",
    ):
        assert expected in text, expected


# Advance replacement and the way back to the customer -------------------------------------


def test_an_advance_replacement_is_recorded_where_the_vendor_offers_it(support, yealink):
    yealink.offers_advance_replacement = True
    yealink.save()
    case = unit_case(yealink, support, "YL-1")

    replaced = vendor_case_advance_replacement(
        case=case,
        by=support,
        serial=" YL-NEW-77 ",
        tracking_number="1Z999",
        shipped_on=date(2026, 11, 20),
    )

    assert (
        replaced.advance_replacement_serial,
        replaced.advance_replacement_tracking_number,
        replaced.advance_replacement_shipped_on,
    ) == ("YL-NEW-77", "1Z999", date(2026, 11, 20))
    event = case.events.get(data__action="advance_replacement")
    assert (event.by, event.data["serial"], event.data["tracking_number"]) == (
        support,
        "YL-NEW-77",
        "1Z999",
    )
    with pytest.raises(VendorCaseError, match=r"already has its advance replacement \(serial"):
        vendor_case_advance_replacement(case=case, by=support, serial="YL-NEW-78")


def test_no_advance_replacement_from_a_vendor_that_does_not_offer_it(support, snom):
    case = unit_case(snom, support, "SN-1")

    with pytest.raises(VendorCaseError) as refused:
        vendor_case_advance_replacement(case=case, by=support, serial="SN-NEW")

    assert str(refused.value) == "Snom does not offer advance replacement."
    assert reloaded(case).advance_replacement_serial == ""


def test_the_warehouse_does_not_record_advance_replacements(support, warehouse, yealink):
    yealink.offers_advance_replacement = True
    yealink.save()
    case = unit_case(yealink, support, "YL-1")

    with pytest.raises(VendorCaseError, match="not allowed to record advance replacements"):
        vendor_case_advance_replacement(case=case, by=warehouse, serial="YL-NEW")


def test_a_repaired_unit_goes_back_to_the_customer_with_tracking(support, warehouse, yealink):
    case = unit_case(yealink, support, "YL-1")
    with pytest.raises(VendorCaseError, match="once the vendor decided to repair or replace"):
        vendor_case_return_to_customer(
            case=case, by=warehouse, carrier="PostNL", tracking_number="3S9"
        )
    vendor_case_decide(case=case, by=support, decision="repair", vendor_rma_number="YL-RMA-1")

    back = vendor_case_return_to_customer(
        case=case, by=warehouse, carrier="PostNL", tracking_number="3SBACK99"
    )

    assert (back.return_carrier, back.return_tracking_number) == ("PostNL", "3SBACK99")
    assert back.returned_to_customer_at is not None
    event = case.events.get(data__action="returned_to_customer")
    assert (event.by, event.data["tracking_number"]) == (warehouse, "3SBACK99")
    with pytest.raises(
        VendorCaseError, match=r"went back to the customer on .* \(tracking 3SBACK99\)"
    ):
        vendor_case_return_to_customer(
            case=case, by=warehouse, carrier="DHL", tracking_number="JJD1"
        )


def test_nothing_goes_back_after_a_credit(support, yealink):
    case = unit_case(yealink, support, "YL-1")
    vendor_case_decide(case=case, by=support, decision="credit")

    with pytest.raises(VendorCaseError) as refused:
        vendor_case_return_to_customer(
            case=case, by=support, carrier="PostNL", tracking_number="3S1"
        )

    assert str(refused.value) == (
        f"The vendor decided “credit” on case #{case.pk}: no unit goes back to the customer."
    )


def test_the_overdue_chaser_still_reads_packed_and_shipped_cases(support, warehouse, yealink):
    # D5 counts from the case's opening, whether or not its unit travels in a shipment.
    from datetime import timedelta

    from tests.vendors.cases import TODAY, opened_on
    from vendors.selectors import vendor_cases_overdue

    case = unit_case(yealink, support, "YL-1")
    shipment_gather(cases=[case], by=support)
    shipment_send(
        shipment=VendorShipment.objects.get(), by=warehouse, carrier="PostNL", tracking_number="3S"
    )
    opened_on(case, TODAY - timedelta(days=30))

    assert list(vendor_cases_overdue(today=TODAY)) == [reloaded(case)]


# The admin pages ----------------------------------------------------------------------------

SHIPMENTS = "admin:vendors_vendorshipment_changelist"
CASES = "admin:vendors_vendorcase_changelist"


def page_of(shipment) -> str:
    return reverse("admin:vendors_vendorshipment_change", args=[shipment.pk])


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("role", "status"), [("support", 200), ("warehouse", 200), ("accountant", 403)]
)
def test_who_sees_the_shipments(request, client, support, yealink, role, status):
    case = unit_case(yealink, support, "YL-1")
    shipment_gather(cases=[case], by=support)
    shipment = VendorShipment.objects.get()
    client.force_login(request.getfixturevalue(role))

    assert client.get(reverse(SHIPMENTS)).status_code == status
    assert client.get(page_of(shipment)).status_code == status
    pdf = client.get(reverse("admin:vendors_vendorshipment_packing_list", args=[shipment.pk]))
    assert pdf.status_code == status
    if status == 200:
        assert pdf["Content-Type"] == "application/pdf"
        assert "YL-1" in pdf_text(pdf.content)


def test_the_warehouse_adds_cases_to_a_shipment_from_the_case_list(client, support, warehouse):
    yealink, snom = vendor("Yealink"), vendor("Snom")
    one, two = unit_case(yealink, support, "YL-1"), unit_case(snom, support, "SN-1")
    direct = unit_case(vendor("Ubiquiti", route=Route.VENDOR_DIRECT), support, "UB-1")
    client.force_login(warehouse)

    response = client.post(
        reverse(CASES),
        {"action": "pack_cases", "_selected_action": [one.pk, two.pk, direct.pk]},
        follow=True,
    )

    shown = text(response)
    to_yealink = VendorShipment.objects.get(vendor=yealink)
    to_snom = VendorShipment.objects.get(vendor=snom)
    assert f"1 unit in shipment #{to_yealink.pk}." in shown
    assert f"1 unit in shipment #{to_snom.pk}." in shown
    assert f"Vendor case #{direct.pk} does not travel through the shop" in shown
    assert packed(to_yealink) == {one.pk} and packed(to_snom) == {two.pk}


def test_the_accountant_is_not_offered_add_to_a_shipment(client, support, accountant, yealink):
    case = unit_case(yealink, support, "YL-1")
    client.force_login(accountant)

    response = client.post(
        reverse(CASES), {"action": "pack_cases", "_selected_action": [case.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "Add to a shipment" not in text(response)
    assert not VendorShipment.objects.exists()


def test_the_shipment_page_sends_the_parcel(client, support, warehouse, yealink):
    case = unit_case(yealink, support, "YL-T54W-0042")
    shipment_gather(cases=[case], by=support)
    shipment = VendorShipment.objects.get()
    client.force_login(warehouse)

    page = text(client.get(page_of(shipment)))
    assert "YL-T54W-0042" in page and case.ticket_line.ticket.number in page
    assert "Packing list (PDF)" in page and ">Send</button>" in page

    response = client.post(
        reverse("admin:vendors_vendorshipment_send", args=[shipment.pk]),
        {"carrier": "PostNL", "tracking_number": "3SXYZ"},
        follow=True,
    )

    assert f"Shipment #{shipment.pk} is sent to Yealink: its units are at the vendor." in text(
        response
    )
    assert reloaded(case).state == CaseState.AT_VENDOR
    assert ">Send</button>" not in text(response)  # nothing left to send
    again = client.post(
        reverse("admin:vendors_vendorshipment_send", args=[shipment.pk]),
        {"carrier": "DHL", "tracking_number": "JJD"},
        follow=True,
    )
    assert f"Shipment #{shipment.pk} was already sent on" in text(again)
    assert VendorShipment.objects.get().tracking_number == "3SXYZ"


def test_the_accountant_cannot_send_a_shipment_by_posting(client, support, accountant, yealink):
    case = unit_case(yealink, support, "YL-1")
    shipment_gather(cases=[case], by=support)
    shipment = VendorShipment.objects.get()
    client.force_login(accountant)

    response = client.post(
        reverse("admin:vendors_vendorshipment_send", args=[shipment.pk]),
        {"carrier": "PostNL", "tracking_number": "3S1"},
    )

    assert response.status_code == 403
    assert VendorShipment.objects.get().state == ShipmentState.DRAFT


def test_the_case_page_records_the_way_back_to_the_customer(client, support, warehouse, yealink):
    case = unit_case(yealink, support, "YL-1")
    vendor_case_decide(case=case, by=support, decision="replace")
    client.force_login(warehouse)
    url = reverse("admin:vendors_vendorcase_change", args=[case.pk])
    assert "Send the unit back to the customer" in text(client.get(url))

    response = client.post(
        reverse("admin:vendors_vendorcase_return", args=[case.pk]),
        {"carrier": "DHL", "tracking_number": "JJD0001"},
        follow=True,
    )

    assert "The unit is on its way back to the customer." in text(response)
    assert reloaded(case).return_tracking_number == "JJD0001"


def test_the_case_page_offers_advance_replacement_only_where_the_vendor_does(
    client, support, yealink, snom
):
    yealink.offers_advance_replacement = True
    yealink.save()
    offered, not_offered = unit_case(yealink, support, "YL-1"), unit_case(snom, support, "SN-1")
    client.force_login(support)

    def page(case):
        return text(client.get(reverse("admin:vendors_vendorcase_change", args=[case.pk])))

    assert "Record the advance replacement" in page(offered)
    assert "Record the advance replacement" not in page(not_offered)
    response = client.post(
        reverse("admin:vendors_vendorcase_advance_replacement", args=[offered.pk]),
        {"serial": "YL-NEW", "tracking_number": "1Z1", "shipped_on": "2026-11-22"},
        follow=True,
    )
    assert "The advance replacement is recorded." in text(response)
    assert reloaded(offered).advance_replacement_shipped_on == date(2026, 11, 22)


def listed(response) -> set[int]:
    return {
        int(pk) for pk in re.findall(r"/admin/vendors/vendorshipment/(\d+)/change/", response.text)
    }


def test_the_shipment_list_and_page_cost_the_same_queries_for_1_or_6_units(client, support):
    def shipment_with(units: int, name: str) -> VendorShipment:
        of = vendor(name)
        cases = [unit_case(of, support, f"{name}-{n}") for n in range(units)]
        shipment_gather(cases=cases, by=support)
        return VendorShipment.objects.get(vendor=of)

    small = shipment_with(1, "Small")
    client.force_login(support)
    client.get(reverse(SHIPMENTS))  # warm the session and permission caches
    with CaptureQueriesContext(connection) as list_one:
        assert listed(client.get(reverse(SHIPMENTS))) == {small.pk}
    with CaptureQueriesContext(connection) as page_one:
        client.get(page_of(small))

    big = shipment_with(6, "Big")
    for n in range(3):
        shipment_with(1, f"More{n}")
    with CaptureQueriesContext(connection) as list_many:
        assert big.pk in listed(client.get(reverse(SHIPMENTS)))
    with CaptureQueriesContext(connection) as page_many:
        response = client.get(page_of(big))

    assert "6 units in this shipment" in text(response)
    assert len(list_many) == len(list_one)
    assert len(page_many) == len(page_one)
