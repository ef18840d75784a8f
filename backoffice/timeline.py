"""One timeline of everything that happened to a ticket: its state changes, the edits of
its details and the changes of its vendor cases, oldest first (the staff ticket page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.events import Event
from core.periods import Sentence
from rma.models import EventKind, Grade, Outcome, Ticket, TicketEvent
from rma.services import DETAIL_FIELDS
from rma.states import State
from vendors.models import CaseState, VendorCaseEvent

FIELD_LABELS = {
    name: Ticket._meta.get_field(name).verbose_name for name in (*DETAIL_FIELDS, "assignee")
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    by: str  # "" for the system (the deadline chaser)
    what: Sentence
    note: str = ""
    internal: bool = False


def _shown(value: Any) -> str:
    """A recorded value as staff read it: a day in the active language, nothing as a dash."""
    if value in (None, ""):
        return "—"
    try:
        day = parse_date(value) if isinstance(value, str) else None
    except ValueError:  # shaped like a date, but none (a tracking number may be)
        day = None
    return date_format(day, "SHORT_DATE_FORMAT") if day else str(value)


def _entry(event: Event, what: Sentence, *, internal: bool) -> Entry:
    return Entry(
        at=event.at,
        by=event.by.email if event.by else "",
        what=what,
        note=event.note,
        internal=internal,
    )


def _unit_entry(event: TicketEvent) -> Sentence | None:
    """The warehouse's and the diagnosis's own events, in words: a refused parcel (R7),
    a unit's diagnosis and its data wipe (R15)."""
    data = event.data
    field = data.get("field")
    if field == "parcel" and data.get("refused"):
        return format_lazy(
            _("Parcel refused at the scan station ({rule}): the ticket was {state}"),
            rule=data["refused"],
            state=State(data["state"]).label,
        )
    if field == "diagnosis":
        unit = data.get("new", "").split(":", 1)[0]
        return format_lazy(
            _("Unit {unit} diagnosed: {grade}, {outcome}"),
            unit=unit,
            grade=Grade(data["grade"]).label,
            outcome=Outcome(data["outcome"]).label,
        )
    if field == "wipe":
        return format_lazy(_("Unit {unit} wiped to factory state (R15)"), unit=data.get("new"))
    return None


def _ticket_entry(event: TicketEvent) -> Entry:
    unit_what = _unit_entry(event) if event.kind == EventKind.CHANGE else None
    if unit_what is not None:
        what: Sentence = unit_what
    elif event.kind == EventKind.CHANGE:
        what = format_lazy(
            _("{field}: {old} → {new}"),
            field=FIELD_LABELS.get(event.data.get("field"), event.data.get("field")),
            old=_shown(event.data.get("old")),
            new=_shown(event.data.get("new")),
        )
    elif not event.from_state:
        what = format_lazy(_("Opened as {state}"), state=State(event.to_state).label)
    else:
        what = format_lazy(
            _("{old} → {new}"),
            old=State(event.from_state).label,
            new=State(event.to_state).label,
        )
    return _entry(event, what, internal=event.internal)


# What happened to a vendor case without a change of state, by its event's `action`.
CASE_ACTIONS = {
    "packed": _("Vendor case #{case} ({vendor}): packed in shipment #{shipment}"),
    "unpacked": _("Vendor case #{case} ({vendor}): taken out of shipment #{shipment}"),
    "advance_replacement": _(
        "Vendor case #{case} ({vendor}): advance replacement shipped, tracking {tracking_number}"
    ),
    "returned_to_customer": _(
        "Vendor case #{case} ({vendor}): sent back to the customer, tracking {tracking_number}"
    ),
}


def _case_entry(event: VendorCaseEvent) -> Entry:
    action = CASE_ACTIONS.get(event.data.get("action", ""))
    values = {"case": event.case_id, "vendor": event.case.vendor.name}
    if action is not None:
        what = format_lazy(
            action,
            shipment=event.data.get("shipment", ""),
            tracking_number=event.data.get("tracking_number") or "—",
            **values,
        )
    else:
        what = format_lazy(
            _("Vendor case #{case} ({vendor}): {state}"),
            state=CaseState(event.to_state).label,
            **values,
        )
    return _entry(event, what, internal=True)  # the vendor's side is staff's business


def ticket_timeline(ticket: Ticket) -> list[Entry]:
    """Every event of `ticket` and of its vendor cases, oldest first (two queries)."""
    entries = [_ticket_entry(e) for e in ticket.events.select_related("by").order_by("at", "pk")]
    cases = VendorCaseEvent.objects.filter(case__ticket_line__ticket=ticket).select_related(
        "by", "case__vendor"
    )
    entries += [_case_entry(e) for e in cases]
    return sorted(entries, key=lambda entry: entry.at)
