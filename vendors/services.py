"""What staff do with vendor cases (SPEC §3, R13, V1–V4): open one per unit, send it,
record the vendor's decision, close it.

Each service runs in one transaction and locks what it changes first, so two staff
acting at once get a clear message instead of a double change.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from core import fsm
from policies.reasons import goes_to_vendor
from rma.models import TicketLine
from rma.routes import shop_forwards
from rma.states import AT_THE_SHOP, AUTHORIZED_OR_LATER, OPEN_STATES
from vendors.models import Decision, VendorCase, VendorCaseEvent


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
    if by is not None and not by.has_perm("vendors.add_vendorcase"):
        raise VendorCaseError(_(NOT_ALLOWED_TO_OPEN))
    # Lock the line: two staff opening cases for its units cannot exceed its quantity.
    line = (
        TicketLine.objects.select_for_update(of=("self",))
        .select_related("ticket", "order_line__product__vendor")
        .get(pk=ticket_line.pk)
    )
    ticket = line.ticket
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
            )
    except IntegrityError as exc:
        raise VendorCaseError(_(SERIAL_HAS_CASE).format(serial=serial)) from exc
    VendorCaseEvent.objects.create(
        case=case, by=by, from_state="", to_state=case.state, note=note, data={"serial": serial}
    )
    return case


def _transition(case: VendorCase, *, name: str, by: User, stamp: str, **changes: str) -> VendorCase:
    """Apply transition `name` to a freshly locked copy of the case and stamp its time."""
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
            case=locked, by=by, from_state=from_state, to_state=locked.state, data=changes
        )
    return locked


def vendor_case_send(*, case: VendorCase, by: User) -> VendorCase:
    """The unit left for the vendor (V1: in a vendor shipment)."""
    return _transition(case, name="send", by=by, stamp="sent_at")


def vendor_case_decide(
    *, case: VendorCase, by: User, decision: str, vendor_rma_number: str = ""
) -> VendorCase:
    """Record the vendor's decision on the unit (R13), and its RMA number if it gave one."""
    changes = {"decision": decision if decision in Decision.values else ""}
    if vendor_rma_number.strip():
        changes["vendor_rma_number"] = vendor_rma_number.strip()
    return _transition(case, name="decide", by=by, stamp="decided_at", **changes)


def vendor_case_close(*, case: VendorCase, by: User) -> VendorCase:
    """The decision was carried out (unit back to the customer, credit booked)."""
    return _transition(case, name="close", by=by, stamp="closed_at")
