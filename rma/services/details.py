"""The details staff edit by hand on a ticket, each of which moves a deadline, changed
only here so that each change is in the ticket's history (who, when, old → new)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from rma.errors import TicketError
from rma.models import EventKind, Ticket, TicketEvent

# The details staff edit by hand, each of which moves a deadline: the shipping day (D2:
# a shipped parcel never expires), the tracking number (D3, R10), the vendor's support
# ticket (V3: needed to authorize) and the vendor's RMA number (V2).
DETAIL_FIELDS = ("shipped_on", "tracking_number", "vendor_ticket_number", "vendor_rma_number")
SHIPPED_IN_FUTURE = gettext_noop("The parcel cannot have been shipped after today ({today}).")
NOT_ALLOWED_TO_EDIT = gettext_noop("You are not allowed to change this ticket.")
DETAIL_TOO_LONG = gettext_noop("The {field} can be at most {max} characters long.")


def ticket_details_check(changes: Mapping[str, object]) -> None:
    """Refuse a detail the ticket cannot hold, before anything is written (the admin's
    form asks this too, to show the sentence beside the field)."""
    for name, value in changes.items():
        field = Ticket._meta.get_field(name)
        if name == "shipped_on":
            if value is not None and not isinstance(value, date):
                raise ValueError(f"shipped_on must be a date or None, not {value!r}")
            today = timezone.localdate()
            if value is not None and value > today:
                raise TicketError(_(SHIPPED_IN_FUTURE).format(today=today.isoformat()))
        elif not isinstance(value, str):
            raise ValueError(f"{name} must be text, not {value!r}")
        elif field.max_length is not None and len(value.strip()) > field.max_length:
            raise TicketError(
                _(DETAIL_TOO_LONG).format(field=field.verbose_name, max=field.max_length)
            )


def ticket_details_set(
    *, ticket: Ticket, by: User | None, changes: Mapping[str, object], note: str = ""
) -> Ticket:
    """Change the ticket's shipping day, tracking number or vendor numbers, writing one
    history row per field that really changed (who, when, old → new)."""
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise ValueError(f"not a ticket detail: {', '.join(sorted(unknown))}")
    if by is not None and not by.has_perm("rma.change_ticket"):
        raise TicketError(_(NOT_ALLOWED_TO_EDIT))
    ticket_details_check(changes)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
        events = []
        for field_name, value in changes.items():
            if isinstance(value, str):
                value = value.strip()
            old = getattr(locked, field_name)
            if value == old:
                continue
            setattr(locked, field_name, value)
            events.append(
                TicketEvent(
                    ticket=locked,
                    kind=EventKind.CHANGE,
                    by=by,
                    note=note,
                    internal=True,
                    data={"field": field_name, "old": old, "new": value},
                )
            )
        if events:
            locked.save(update_fields=[event.data["field"] for event in events])
            TicketEvent.objects.bulk_create(events)
    return locked
