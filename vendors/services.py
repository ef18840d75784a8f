"""What staff do with vendor cases (SPEC §3, R13, V1–V4): open one per unit (from the
ticket line, or from the diagnosed unit), gather the units the shop forwards (V1) into a
vendor shipment and send it, record the vendor's decision and advance replacement, send
the repaired or replacement unit back to the customer, close the case.

Each service runs in one transaction and locks what it changes first, so two staff
acting at once get a clear message instead of a double change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from core import fsm
from orders.models import Vendor
from policies.reasons import goes_to_vendor
from rma.models import Outcome, ReturnedUnit, TicketLine
from rma.routes import shop_forwards
from rma.states import AT_THE_SHOP, AUTHORIZED_OR_LATER, OPEN_STATES
from vendors.models import (
    AWAITING_VENDOR,
    CaseState,
    Decision,
    ShipmentState,
    VendorCase,
    VendorCaseEvent,
    VendorShipment,
)


class VendorCaseError(Exception):
    """A refused action on a vendor case, with a message the person can read."""


# Messages a person may see; the tests assert on them.
NOT_A_DEFECT = gettext_noop(
    "Only defects go to the vendor (R4, R5), not a return for the reason “{reason}”."
)
TICKET_NOT_OPEN = gettext_noop("The ticket is {state}: it no longer sends anything to a vendor.")
NOT_RECEIVED_YET = gettext_noop(
    "The shop forwards this unit to the vendor (V1): receive the parcel first."
)
NOT_AUTHORIZED_YET = gettext_noop(
    "Authorize the request first: then the customer is sent to the vendor (V2, V3)."
)
ALL_UNITS_HAVE_CASES = gettext_noop("All {quantity} units of this line already have a vendor case.")
SERIAL_NOT_RETURNED = gettext_noop("Serial number {serial} is not one of the units returned.")
SERIAL_HAS_CASE = gettext_noop("Serial number {serial} already has a vendor case on this line.")
NOT_ALLOWED_TO_OPEN = gettext_noop("You are not allowed to open vendor cases.")
UNKNOWN_DECISION = gettext_noop("Choose the vendor's decision.")
NOT_IN_STATE = {
    "send": gettext_noop("This vendor case is {state} now and can no longer be sent."),
    "decide": gettext_noop("This vendor case is {state} now; its decision can no longer be set."),
    "close": gettext_noop("This vendor case is {state} now and can no longer be closed."),
}
UNIT_NOT_FOR_VENDOR = gettext_noop(
    "Unit {unit} of ticket {ticket} was diagnosed “{outcome}”: only a unit diagnosed "
    "“send to the vendor” gets a vendor case (R13)."
)
UNIT_NOT_DIAGNOSED = gettext_noop(
    "Unit {unit} of ticket {ticket} is not diagnosed yet: diagnose it before it goes to the "
    "vendor (R13)."
)
UNIT_HAS_CASE = gettext_noop("Unit {unit} of ticket {ticket} already has vendor case #{case}.")
# Vendor shipments (V1).
NOT_ALLOWED_TO_SHIP = gettext_noop("You are not allowed to pack vendor shipments.")
NOT_VIA_SHOP = gettext_noop(
    "Vendor case #{case} does not travel through the shop: {vendor} takes it back directly "
    "(V2, V3)."
)
CASE_NOT_OPEN = gettext_noop(
    "Vendor case #{case} is {state}: only a case still at the shop goes into a shipment."
)
CASE_IN_SHIPMENT = gettext_noop("Vendor case #{case} is already in shipment #{shipment}.")
OTHER_VENDOR = gettext_noop(
    "Vendor case #{case} goes to {vendor}, not to {shipment_vendor}: a shipment holds the "
    "units of one vendor."
)
SHIPMENT_NOT_DRAFT = gettext_noop(
    "Shipment #{shipment} was sent on {sent_on}: it can no longer be changed."
)
SHIPMENT_EMPTY = gettext_noop("Shipment #{shipment} holds no units: add the units first.")
SHIPMENT_ALREADY_SENT = gettext_noop("Shipment #{shipment} was already sent on {sent_on}.")
SHIPMENT_NOT_SENT = gettext_noop(
    "Shipment #{shipment} is {state}: only a sent shipment can be delivered."
)
CASE_STOPS_SHIPMENT = gettext_noop("Vendor case #{case} cannot be sent: {reason}")
PACKED_IN_SHIPMENT = gettext_noop(
    "Vendor case #{case} is packed in shipment #{shipment}: send the shipment."
)
CARRIER_MISSING = gettext_noop("Say which carrier takes the parcel.")
TRACKING_MISSING = gettext_noop("Enter the parcel's tracking number.")
NOT_ALLOWED_TO_SEND_SHIPMENT = gettext_noop("You are not allowed to send vendor shipments.")
NOT_ALLOWED_TO_DELIVER = gettext_noop(
    "You are not allowed to record vendor shipments as delivered."
)
CASE_NOT_IN_SHIPMENT = gettext_noop("Vendor case #{case} is not in shipment #{shipment}.")
# Advance replacement and the way back to the customer.
NO_ADVANCE_REPLACEMENT = gettext_noop("{vendor} does not offer advance replacement.")
ADVANCE_REPLACEMENT_TOO_LATE = gettext_noop(
    "Vendor case #{case} is {state}: an advance replacement is recorded before the vendor decides."
)
ADVANCE_REPLACEMENT_RECORDED = gettext_noop(
    "Vendor case #{case} already has its advance replacement (serial {serial})."
)
REPLACEMENT_SERIAL_MISSING = gettext_noop("Enter the serial number of the replacement unit.")
NOT_ALLOWED_TO_REPLACE = gettext_noop("You are not allowed to record advance replacements.")
NOTHING_TO_RETURN = gettext_noop(
    "Vendor case #{case} is {state}: a unit goes back to the customer once the vendor "
    "decided to repair or replace it."
)
NOT_RETURNED_FOR_DECISION = gettext_noop(
    "The vendor decided “{decision}” on case #{case}: no unit goes back to the customer."
)
ALREADY_RETURNED = gettext_noop(
    "Vendor case #{case} went back to the customer on {sent_on} (tracking {tracking})."
)
NOT_ALLOWED_TO_RETURN = gettext_noop("You are not allowed to send units back to customers.")
NOT_PERMITTED = {
    "send": gettext_noop("You are not allowed to send units to vendors."),
    "decide": gettext_noop("You are not allowed to record vendor decisions."),
    "close": gettext_noop("You are not allowed to close vendor cases."),
}


@transaction.atomic
def vendor_case_open(
    *,
    ticket_line: TicketLine,
    by: User | None,
    serial: str = "",
    mac_address: str = "",
    firmware_version: str = "",
    note: str = "",
) -> VendorCase:
    """Open the vendor case of one unit of a defect ticket's line (R13, V1–V3)."""
    return _case_open(
        ticket_line=ticket_line,
        by=by,
        serial=serial,
        mac_address=mac_address,
        firmware_version=firmware_version,
        note=note,
    )


@transaction.atomic
def case_open_for_unit(
    *,
    unit: ReturnedUnit,
    by: User | None,
    mac_address: str = "",
    firmware_version: str = "",
    note: str = "",
) -> VendorCase:
    """Open the vendor case of a unit diagnosed "send to the vendor" (R13), with the
    unit's serial filled in, the vendor and route from its product's vendor (V1–V3) and
    the ticket's vendor numbers (V2, V3). One case per unit."""
    return _case_open(
        ticket_line=unit.ticket_line,
        by=by,
        unit=unit,
        mac_address=mac_address,
        firmware_version=firmware_version,
        note=note,
    )


def _case_open(
    *,
    ticket_line: TicketLine,
    by: User | None,
    serial: str = "",
    mac_address: str = "",
    firmware_version: str = "",
    note: str = "",
    unit: ReturnedUnit | None = None,
) -> VendorCase:
    if by is not None and not by.has_perm("vendors.add_vendorcase"):
        raise VendorCaseError(_(NOT_ALLOWED_TO_OPEN))
    # Lock the line: two staff opening cases for its units cannot exceed its quantity.
    line = (
        TicketLine.objects.select_for_update(of=("self",))
        .select_related("ticket", "order_line__product__vendor")
        .get(pk=ticket_line.pk)
    )
    ticket = line.ticket
    if unit is not None:
        unit = ReturnedUnit.objects.select_for_update().get(pk=unit.pk)
        _check_unit(unit, ticket=ticket.number)
        serial = unit.serial
    if not goes_to_vendor(ticket.reason):
        raise VendorCaseError(_(NOT_A_DEFECT).format(reason=ticket.get_reason_display()))
    if ticket.state not in OPEN_STATES:
        raise VendorCaseError(_(TICKET_NOT_OPEN).format(state=ticket.get_state_display()))
    vendor = line.order_line.product.vendor
    if shop_forwards(vendor.route) and ticket.state not in AT_THE_SHOP:
        raise VendorCaseError(_(NOT_RECEIVED_YET))
    if ticket.state not in AUTHORIZED_OR_LATER:
        raise VendorCaseError(_(NOT_AUTHORIZED_YET))
    if line.vendor_cases.count() >= line.quantity:
        raise VendorCaseError(_(ALL_UNITS_HAVE_CASES).format(quantity=line.quantity))
    serial = serial.strip()
    # Diagnosis (SPEC §2): the serial is verified against the order, not taken on trust:
    # one of the units the customer returns, or else of the order line.
    returned = line.serials or line.order_line.serials
    if serial and returned and serial not in returned:
        raise VendorCaseError(_(SERIAL_NOT_RETURNED).format(serial=serial))
    try:
        with transaction.atomic():
            case = VendorCase.objects.create(
                ticket_line=line,
                vendor=vendor,
                route=vendor.route,
                serial=serial,
                mac_address=mac_address.strip(),
                firmware_version=firmware_version.strip(),
                vendor_ticket_number=ticket.vendor_ticket_number,  # V3
                vendor_rma_number=ticket.vendor_rma_number,  # V2: opened at the vendor's portal
                opened_by=by,
                note=note,
                unit=unit,
            )
    except IntegrityError as exc:
        raise VendorCaseError(_(SERIAL_HAS_CASE).format(serial=serial)) from exc
    data: dict[str, object] = {"serial": serial}
    if unit is not None:
        data["unit"] = unit.number
    VendorCaseEvent.objects.create(
        case=case, by=by, from_state="", to_state=case.state, note=note, data=data
    )
    return case


def _check_unit(unit: ReturnedUnit, *, ticket: str) -> None:
    """R13: only a unit diagnosed "send to the vendor", and only once."""
    names = {"unit": unit.number, "ticket": ticket}
    if not unit.outcome:
        raise VendorCaseError(_(UNIT_NOT_DIAGNOSED).format(**names))
    if unit.outcome != Outcome.VENDOR_CASE:
        outcome = Outcome(unit.outcome).label
        raise VendorCaseError(_(UNIT_NOT_FOR_VENDOR).format(outcome=outcome, **names))
    existing = VendorCase.objects.filter(unit=unit).values_list("pk", flat=True).first()
    if existing is not None:
        raise VendorCaseError(_(UNIT_HAS_CASE).format(case=existing, **names))


def _transition(
    case: VendorCase,
    *,
    name: str,
    by: User | None,
    stamp: str,
    event_data: Mapping[str, object] | None = None,
    changes: Mapping[str, str] | None = None,
) -> VendorCase:
    """Apply transition `name` to a freshly locked copy of the case and stamp its time."""
    changes = changes or {}
    with transaction.atomic():
        locked = VendorCase.objects.select_for_update().get(pk=case.pk)
        refusal = fsm.transition_refusal(locked, name, by=by, changes=changes)
        if refusal == fsm.WRONG_STATE:
            raise VendorCaseError(_(NOT_IN_STATE[name]).format(state=locked.get_state_display()))
        if refusal == fsm.NOT_PERMITTED:
            raise VendorCaseError(_(NOT_PERMITTED[name]))
        if refusal is not None:  # _has_decision, the one condition
            raise VendorCaseError(_(UNKNOWN_DECISION))
        from_state = locked.state
        getattr(locked, name)()
        setattr(locked, stamp, timezone.now())
        locked.save()
        VendorCaseEvent.objects.create(
            case=locked,
            by=by,
            from_state=from_state,
            to_state=locked.state,
            data={**changes, **(event_data or {})},
        )
    return locked


def vendor_case_send(*, case: VendorCase, by: User) -> VendorCase:
    """The unit left for the vendor (V1: in a vendor shipment, sent with the shipment)."""
    shipment = (
        VendorShipment.objects.filter(pk=case.shipment_id, state=ShipmentState.DRAFT)
        .values_list("pk", flat=True)
        .first()
        if case.shipment_id
        else None
    )
    if shipment is not None:
        raise VendorCaseError(_(PACKED_IN_SHIPMENT).format(case=case.pk, shipment=shipment))
    return _transition(case, name="send", by=by, stamp="sent_at")


def vendor_case_decide(
    *, case: VendorCase, by: User, decision: str, vendor_rma_number: str = ""
) -> VendorCase:
    """Record the vendor's decision on the unit (R13), and its RMA number if it gave one."""
    changes = {"decision": decision if decision in Decision.values else ""}
    if vendor_rma_number.strip():
        changes["vendor_rma_number"] = vendor_rma_number.strip()
    return _transition(case, name="decide", by=by, stamp="decided_at", changes=changes)


def vendor_case_close(*, case: VendorCase, by: User) -> VendorCase:
    """The decision was carried out (unit back to the customer, credit booked)."""
    return _transition(case, name="close", by=by, stamp="closed_at")


# Vendor shipments (V1) ------------------------------------------------------------------


def _sent_on(shipment: VendorShipment) -> str:
    return (
        date_format(timezone.localtime(shipment.sent_at), "DATE_FORMAT") if shipment.sent_at else ""
    )


def _check_may_pack(by: User | None) -> None:
    if by is not None and not by.has_perm("vendors.change_vendorshipment"):
        raise VendorCaseError(_(NOT_ALLOWED_TO_SHIP))


def _check_draft(shipment: VendorShipment) -> None:
    if shipment.state != ShipmentState.DRAFT:
        raise VendorCaseError(
            _(SHIPMENT_NOT_DRAFT).format(shipment=shipment.pk, sent_on=_sent_on(shipment))
        )


@transaction.atomic
def shipment_for_vendor(*, vendor: Vendor, by: User | None) -> VendorShipment:
    """The vendor's shipment being packed, or a new one (V1): one draft per vendor."""
    _check_may_pack(by)
    # Lock the vendor: two people gathering units at once fill the same draft.
    Vendor.objects.select_for_update().filter(pk=vendor.pk).first()
    draft = (
        VendorShipment.objects.filter(vendor=vendor, state=ShipmentState.DRAFT)
        .order_by("created_at", "pk")
        .first()
    )
    return draft or VendorShipment.objects.create(vendor=vendor, created_by=by)


def _record_action(case: VendorCase, action: str, *, by: User | None, **data: object) -> None:
    """A change of the case that leaves its state as it is (packed, unpacked, an advance
    replacement, the unit sent back), in its history with what came with it."""
    VendorCaseEvent.objects.create(
        case=case,
        by=by,
        from_state=case.state,
        to_state=case.state,
        data={"action": action, **data},
    )


@transaction.atomic
def shipment_add_case(*, shipment: VendorShipment, case: VendorCase, by: User | None) -> VendorCase:
    """Put the unit of `case` into `shipment` (V1): a case of the shipment's vendor, still
    at the shop, forwarded by the shop, and in no other shipment."""
    _check_may_pack(by)
    shipment = (
        VendorShipment.objects.select_for_update().select_related("vendor").get(pk=shipment.pk)
    )
    _check_draft(shipment)
    case = (
        VendorCase.objects.select_for_update(of=("self",)).select_related("vendor").get(pk=case.pk)
    )
    if case.vendor_id != shipment.vendor_id:
        raise VendorCaseError(
            _(OTHER_VENDOR).format(
                case=case.pk, vendor=case.vendor.name, shipment_vendor=shipment.vendor.name
            )
        )
    if not shop_forwards(case.route):
        raise VendorCaseError(_(NOT_VIA_SHOP).format(case=case.pk, vendor=case.vendor.name))
    if case.shipment_id is not None and case.shipment_id != shipment.pk:
        raise VendorCaseError(_(CASE_IN_SHIPMENT).format(case=case.pk, shipment=case.shipment_id))
    if case.state != CaseState.OPEN:
        raise VendorCaseError(_(CASE_NOT_OPEN).format(case=case.pk, state=case.get_state_display()))
    if case.shipment_id == shipment.pk:
        return case  # already packed: nothing changes
    case.shipment = shipment
    case.save(update_fields=["shipment"])
    _record_action(case, "packed", by=by, shipment=shipment.pk)
    return case


@transaction.atomic
def shipment_gather(
    *, cases: list[VendorCase], by: User | None
) -> tuple[list[VendorCase], list[tuple[VendorCase, str]]]:
    """Put each case into its vendor's draft shipment (V1); the cases that cannot go come
    back with the sentence saying why, the others are packed."""
    _check_may_pack(by)
    packed: list[VendorCase] = []
    refused: list[tuple[VendorCase, str]] = []
    drafts: dict[int, VendorShipment] = {}
    for case in cases:
        if not shop_forwards(case.route):  # no empty draft for a V2/V3 vendor
            refused.append((case, _(NOT_VIA_SHOP).format(case=case.pk, vendor=case.vendor.name)))
            continue
        if case.vendor_id not in drafts:
            drafts[case.vendor_id] = shipment_for_vendor(vendor=case.vendor, by=by)
        try:
            with transaction.atomic():
                packed.append(shipment_add_case(shipment=drafts[case.vendor_id], case=case, by=by))
        except VendorCaseError as error:
            refused.append((case, str(error)))
    # A draft made here that received nothing is not left behind.
    for shipment in drafts.values():
        if not shipment.cases.exists():
            shipment.delete()
    return packed, refused


@transaction.atomic
def shipment_remove_case(
    *, shipment: VendorShipment, case: VendorCase, by: User | None
) -> VendorCase:
    """Take a unit out of a shipment still being packed."""
    _check_may_pack(by)
    shipment = VendorShipment.objects.select_for_update().get(pk=shipment.pk)
    _check_draft(shipment)
    case = VendorCase.objects.select_for_update().get(pk=case.pk)
    if case.shipment_id != shipment.pk:
        raise VendorCaseError(_(CASE_NOT_IN_SHIPMENT).format(case=case.pk, shipment=shipment.pk))
    case.shipment = None
    case.save(update_fields=["shipment"])
    _record_action(case, "unpacked", by=by, shipment=shipment.pk)
    return case


@transaction.atomic
def shipment_send(
    *, shipment: VendorShipment, by: User | None, carrier: str, tracking_number: str
) -> VendorShipment:
    """The parcel left for the vendor (V1): the shipment and every case in it are sent,
    in one transaction, with the carrier and tracking number. Sent once."""
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    locked = VendorShipment.objects.select_for_update().get(pk=shipment.pk)
    refusal = fsm.transition_refusal(locked, "send", by=by, changes={})
    if refusal == fsm.WRONG_STATE:
        raise VendorCaseError(
            _(SHIPMENT_ALREADY_SENT).format(shipment=locked.pk, sent_on=_sent_on(locked))
        )
    if refusal == fsm.NOT_PERMITTED:
        raise VendorCaseError(_(NOT_ALLOWED_TO_SEND_SHIPMENT))
    if not carrier:
        raise VendorCaseError(_(CARRIER_MISSING))
    if not tracking_number:
        raise VendorCaseError(_(TRACKING_MISSING))
    cases = list(locked.cases.order_by("pk"))
    if not cases:
        raise VendorCaseError(_(SHIPMENT_EMPTY).format(shipment=locked.pk))
    locked.send()
    locked.carrier, locked.tracking_number = carrier, tracking_number
    locked.sent_at, locked.sent_by = timezone.now(), by
    locked.save()
    shipped = {"shipment": locked.pk, "carrier": carrier, "tracking_number": tracking_number}
    for case in cases:
        # A case that cannot go (another person changed it) stops the whole shipment.
        try:
            _transition(case, name="send", by=by, stamp="sent_at", event_data=shipped)
        except VendorCaseError as error:
            raise VendorCaseError(
                _(CASE_STOPS_SHIPMENT).format(case=case.pk, reason=error)
            ) from error
    return locked


@transaction.atomic
def shipment_deliver(*, shipment: VendorShipment, by: User | None) -> VendorShipment:
    """The vendor has the parcel (the carrier's tracking says so)."""
    locked = VendorShipment.objects.select_for_update().get(pk=shipment.pk)
    refusal = fsm.transition_refusal(locked, "deliver", by=by, changes={})
    if refusal == fsm.WRONG_STATE:
        raise VendorCaseError(
            _(SHIPMENT_NOT_SENT).format(shipment=locked.pk, state=locked.get_state_display())
        )
    if refusal == fsm.NOT_PERMITTED:
        raise VendorCaseError(_(NOT_ALLOWED_TO_DELIVER))
    locked.deliver()
    locked.delivered_at = timezone.now()
    locked.save()
    return locked


# Advance replacement and the way back to the customer (SPEC §3) ---------------------------


@transaction.atomic
def vendor_case_advance_replacement(
    *,
    case: VendorCase,
    by: User | None,
    serial: str,
    tracking_number: str = "",
    shipped_on: date | None = None,
) -> VendorCase:
    """The vendor shipped a new unit before the faulty one reached it (SPEC §3), where
    the vendor offers that."""
    if by is not None and not by.has_perm("vendors.replace_vendorcase"):
        raise VendorCaseError(_(NOT_ALLOWED_TO_REPLACE))
    locked = (
        VendorCase.objects.select_for_update(of=("self",)).select_related("vendor").get(pk=case.pk)
    )
    if not locked.vendor.offers_advance_replacement:
        raise VendorCaseError(_(NO_ADVANCE_REPLACEMENT).format(vendor=locked.vendor.name))
    if locked.advance_replacement_serial:
        raise VendorCaseError(
            _(ADVANCE_REPLACEMENT_RECORDED).format(
                case=locked.pk, serial=locked.advance_replacement_serial
            )
        )
    if locked.state not in AWAITING_VENDOR:
        raise VendorCaseError(
            _(ADVANCE_REPLACEMENT_TOO_LATE).format(case=locked.pk, state=locked.get_state_display())
        )
    serial = serial.strip()
    if not serial:
        raise VendorCaseError(_(REPLACEMENT_SERIAL_MISSING))
    locked.advance_replacement_serial = serial
    locked.advance_replacement_tracking_number = tracking_number.strip()
    locked.advance_replacement_shipped_on = shipped_on or timezone.localdate()
    locked.save(
        update_fields=[
            "advance_replacement_serial",
            "advance_replacement_tracking_number",
            "advance_replacement_shipped_on",
        ]
    )
    _record_action(
        locked,
        "advance_replacement",
        by=by,
        serial=serial,
        tracking_number=locked.advance_replacement_tracking_number,
        shipped_on=locked.advance_replacement_shipped_on,
    )
    return locked


# The vendor's decisions after which a unit goes back to the customer.
UNIT_GOES_BACK = (Decision.REPAIR, Decision.REPLACE, Decision.REJECT)


@transaction.atomic
def vendor_case_return_to_customer(
    *, case: VendorCase, by: User | None, carrier: str, tracking_number: str
) -> VendorCase:
    """The repaired or replacement unit (or, when the vendor rejected the claim, the
    customer's own unit) left for the customer, with the carrier and tracking number."""
    if by is not None and not by.has_perm("vendors.return_vendorcase"):
        raise VendorCaseError(_(NOT_ALLOWED_TO_RETURN))
    locked = VendorCase.objects.select_for_update().get(pk=case.pk)
    if locked.returned_to_customer_at is not None:
        sent_on = date_format(timezone.localtime(locked.returned_to_customer_at), "DATE_FORMAT")
        raise VendorCaseError(
            _(ALREADY_RETURNED).format(
                case=locked.pk, sent_on=sent_on, tracking=locked.return_tracking_number
            )
        )
    if locked.state != CaseState.DECIDED:
        raise VendorCaseError(
            _(NOTHING_TO_RETURN).format(case=locked.pk, state=locked.get_state_display())
        )
    if locked.decision not in UNIT_GOES_BACK:
        raise VendorCaseError(
            _(NOT_RETURNED_FOR_DECISION).format(
                case=locked.pk, decision=locked.get_decision_display()
            )
        )
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not carrier:
        raise VendorCaseError(_(CARRIER_MISSING))
    if not tracking_number:
        raise VendorCaseError(_(TRACKING_MISSING))
    locked.returned_to_customer_at = timezone.now()
    locked.return_carrier, locked.return_tracking_number = carrier, tracking_number
    locked.save(
        update_fields=["returned_to_customer_at", "return_carrier", "return_tracking_number"]
    )
    _record_action(
        locked, "returned_to_customer", by=by, carrier=carrier, tracking_number=tracking_number
    )
    return locked
