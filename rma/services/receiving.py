"""The warehouse receives parcels: a scan at the packing table (R7), the units of each
line that came back, and what to check before the diagnosis (R8, R9, R15).

`parcel_scan` is the scan station's one step. Whatever the scanner typed, a `ParcelScan`
row records it (who, when, what, the outcome): the record of the parcels received and of
those refused (R7), also of numbers that match no ticket. An authorized ticket's parcel is
received at once (`ticket_receive`, which makes its units through `units_create`); any
other ticket's is refused, and a refusal joins the ticket's history.

Two warehouse users scanning one parcel at the same moment: the ticket row is locked
first, so one receives it and the other, once the first commits, finds it received.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rma.attachments import attachments_check, attachments_store
from rma.errors import TicketError
from rma.models import (
    EventKind,
    ParcelCondition,
    ParcelScan,
    ReturnedUnit,
    ScanOutcome,
    Ticket,
    TicketEvent,
    TicketLine,
)
from rma.services import lifecycle
from rma.states import State

if TYPE_CHECKING:
    from accounts.models import User

# What the warehouse reads; the tests assert on them.
SCAN_EMPTY = gettext_noop("Nothing was scanned: scan the RMA number on the parcel's label.")
SCAN_TOO_LONG = gettext_noop(
    "That is too long for an RMA number ({length} characters): scan the label's barcode again."
)
SCAN_NOT_ALLOWED = gettext_noop("You are not allowed to receive parcels.")
CONDITION_UNKNOWN = gettext_noop("Say whether the parcel is intact or damaged.")
PHOTO_ONLY_WHEN_DAMAGED = gettext_noop(
    "A photo goes with a damaged parcel: choose “damaged”, or leave the photo out."
)
REFUSED_NOTE: dict[str, str] = {
    ScanOutcome.NOT_AUTHORIZED: gettext_noop(
        "Parcel refused at the warehouse: the return is not authorized (R7)."
    ),
    ScanOutcome.CANCELLED: gettext_noop(
        "Parcel refused at the warehouse: the return was cancelled (R7)."
    ),
    ScanOutcome.EXPIRED: gettext_noop(
        "Parcel refused at the warehouse: the authorization expired (R7)."
    ),
}

# ParcelScan.scanned holds what the scanner typed, up to this length.
SCAN_MAX_LENGTH = ParcelScan._meta.get_field("scanned").max_length or 80

# The outcomes that mean: hand the parcel back to the carrier (R7).
REFUSED = frozenset(
    {ScanOutcome.UNKNOWN, ScanOutcome.NOT_AUTHORIZED, ScanOutcome.CANCELLED, ScanOutcome.EXPIRED}
)

# A keyboard wedge types what the barcode holds as key presses in the computer's keyboard
# layout: a scanner set up for a US keyboard on a German one types "ß" for "-"; others
# type a dash of another kind, or a symbology identifier first (AIM "]C0" for Code 128).
_DASHES = str.maketrans(dict.fromkeys("ß_/–—−‐‑", "-"))
_AIM_PREFIX = re.compile(r"^\]C\d")
# The label's Code 128 holds the RMA number as printed (rma.labels.code128_svg).
_RMA_NUMBER = re.compile(r"RMA-?(\d{4})-?(\d{6})")


def scan_normalize(scanned: str) -> str:
    """The RMA number the scanner meant: no spaces (a wedge may add some), upper case,
    dashes as printed, "RMA2026000123" as "RMA-2026-000123"; else the cleaned text."""
    text = "".join(scanned.translate(_DASHES).split()).upper()
    text = _AIM_PREFIX.sub("", text)
    match = _RMA_NUMBER.fullmatch(text)
    return f"RMA-{match[1]}-{match[2]}" if match else text


def needs_wipe(has_login: bool) -> bool:
    """R15: a device that can hold customer data (cameras, recorders, phones: the
    products that hold user credentials) is wiped at receipt, before restock or vendor."""
    return has_login


@dataclass(frozen=True)
class LineCheck:
    """What the warehouse checks on one line of a received parcel."""

    line_id: str
    product: str
    sku: str
    quantity: int  # the units the customer sends back
    serials: tuple[str, ...]
    has_login: bool  # R8: factory reset and unlinked, or a second investigation
    wipe: bool  # R15: wipe to factory state before restock or the vendor
    accessories: bool = True  # R9: complete with accessories, properly packed


@dataclass(frozen=True)
class ScanResult:
    """What a scan found, for the station to show loud and clear."""

    outcome: str  # a ScanOutcome
    scan: ParcelScan
    number: str  # the RMA number as understood
    ticket: Ticket | None = None
    lines: tuple[LineCheck, ...] = field(default_factory=tuple)

    @property
    def refuse(self) -> bool:
        """R7: the parcel goes back to the carrier."""
        return self.outcome in REFUSED


def units_create(ticket: Ticket, by: User | None) -> list[ReturnedUnit]:
    """One ReturnedUnit per unit the customer sends back, numbered 1..n within its line,
    the i-th with the line's i-th serial where the request gave one; each line's
    `received_quantity` counts them (the database bounds it: never more than sent back).
    Runs in the caller's transaction, with the ticket locked (ticket_receive)."""
    now = timezone.now()
    units: list[ReturnedUnit] = []
    for line in TicketLine.objects.filter(ticket=ticket).order_by("pk"):
        serials = _distinct_serials(line.serials)
        units += [
            ReturnedUnit(
                ticket_line=line,
                number=number,
                serial=serials[number - 1] if number <= len(serials) else "",
                received_at=now,
                received_by=by,
            )
            for number in range(1, line.to_send_back + 1)
        ]
    ReturnedUnit.objects.bulk_create(units)
    # Added, not set: a second receipt of the same units would break the CHECK constraint.
    TicketLine.objects.filter(ticket=ticket).update(
        received_quantity=F("received_quantity") + F("quantity") - F("undelivered_quantity")
    )
    return units


def _distinct_serials(serials: object) -> list[str]:
    """The line's serials, cleaned, each once (a unit's serial is unique in its line)."""
    if not isinstance(serials, list):
        return []
    limit = ReturnedUnit._meta.get_field("serial").max_length or 80
    seen: list[str] = []
    for serial in serials:
        text = str(serial).strip()[:limit]
        if text and text not in seen:
            seen.append(text)
    return seen


def scan_check(scanned: str) -> str:
    """Refuse what cannot be an RMA number before anything is written; return the
    number as understood."""
    text = scanned.strip()
    if not text:
        raise TicketError(_(SCAN_EMPTY))
    if len(text) > SCAN_MAX_LENGTH:
        raise TicketError(_(SCAN_TOO_LONG).format(length=len(text)))
    number = scan_normalize(text)
    if not number:
        raise TicketError(_(SCAN_EMPTY))
    return number


def parcel_scan(
    *,
    scanned: str,
    by: User,
    parcel_condition: str = ParcelCondition.INTACT,
    photo: UploadedFile | None = None,
) -> ScanResult:
    """Scan a parcel at the warehouse (R7): receive it if its ticket is authorized,
    else say why it is refused. Always records a ParcelScan; bad input (nothing
    scanned, far too long, a refused photo) raises TicketError and writes nothing."""
    if not by.has_perm("rma.receive_ticket"):
        raise TicketError(_(SCAN_NOT_ALLOWED))
    number = scan_check(scanned)
    if parcel_condition not in ParcelCondition.values:
        raise TicketError(_(CONDITION_UNKNOWN))
    if photo is not None and parcel_condition != ParcelCondition.DAMAGED:
        raise TicketError(_(PHOTO_ONLY_WHEN_DAMAGED))
    checked = attachments_check([photo]) if photo is not None else []  # raises, stores nothing
    with transaction.atomic():
        # Lock first: a second scan of the same parcel waits here, then finds it received.
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("order__customer")
            .filter(number=number)
            .first()
        )
        outcome = _outcome(ticket)
        if ticket is not None and outcome == ScanOutcome.RECEIVED:
            ticket = lifecycle.ticket_receive(ticket=ticket, by=by)
            ticket.parcel_condition = parcel_condition
            Ticket.objects.filter(pk=ticket.pk).update(parcel_condition=parcel_condition)
            if checked:  # the damaged parcel's photo, beside the customer's files
                attachments_store(ticket=ticket, files=checked, by=by)
        elif ticket is not None and outcome in REFUSED_NOTE:
            _record_refusal(ticket, outcome, by=by)
        scan = ParcelScan.objects.create(
            by=by,
            scanned=scanned.strip(),
            ticket=ticket,
            outcome=outcome,
            parcel_condition=parcel_condition,
        )
    lines = line_checks(ticket) if outcome == ScanOutcome.RECEIVED and ticket else ()
    return ScanResult(outcome=outcome, scan=scan, number=number, ticket=ticket, lines=lines)


def _outcome(ticket: Ticket | None) -> str:
    """R7: only an authorized ticket's parcel is taken in."""
    if ticket is None:
        return ScanOutcome.UNKNOWN
    if ticket.state == State.AUTHORIZED:
        return ScanOutcome.RECEIVED
    if ticket.state in (State.REQUESTED, State.REJECTED):
        return ScanOutcome.NOT_AUTHORIZED
    if ticket.state == State.CANCELLED:
        return ScanOutcome.CANCELLED
    if ticket.state == State.EXPIRED:
        return ScanOutcome.EXPIRED
    return ScanOutcome.ALREADY_RECEIVED


def _record_refusal(ticket: Ticket, outcome: str, *, by: User) -> None:
    """R7: the refused parcel joins the ticket's history (staff only)."""
    TicketEvent.objects.create(
        ticket=ticket,
        by=by,
        kind=EventKind.CHANGE,
        internal=True,
        note=_(REFUSED_NOTE[outcome]),
        data={
            "field": "parcel",
            "refused": "R7",
            "outcome": outcome,
            "state": ticket.state,
            "old": "",
            "new": "refused",
        },
    )


def line_checks(ticket: Ticket) -> tuple[LineCheck, ...]:
    """Per line of `ticket`, what the warehouse checks on the units (R8, R9, R15); one
    query."""
    lines = (
        TicketLine.objects.filter(ticket=ticket)
        .select_related("order_line__product")
        .order_by("pk")
    )
    return tuple(
        LineCheck(
            line_id=line.order_line.line_id,
            product=line.order_line.name,
            sku=line.order_line.product.sku,
            quantity=line.to_send_back,
            serials=tuple(_distinct_serials(line.serials)),
            has_login=line.order_line.product.has_login,
            wipe=needs_wipe(line.order_line.product.has_login),
        )
        for line in lines
        if line.to_send_back > 0
    )
