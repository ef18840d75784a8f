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
from rma.models import EventKind, Ticket, TicketEvent
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


def _ticket_entry(event: TicketEvent) -> Entry:
    if event.kind == EventKind.CHANGE:
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


def _case_entry(event: VendorCaseEvent) -> Entry:
    what = format_lazy(
        _("Vendor case #{case} ({vendor}): {state}"),
        case=event.case_id,
        vendor=event.case.vendor.name,
        state=CaseState(event.to_state).label,
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
