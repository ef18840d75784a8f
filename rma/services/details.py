"""The details of a ticket edited by hand, each of which moves a deadline or tells where
the parcel is, changed only here so that each change is in the ticket's history (who,
when, old → new).

Staff (`rma.change_ticket`) edit any of them. The ticket's own customer gives where
their parcel is (R10): the day they shipped it, the carrier and the tracking number,
while the return is authorized; D2 stops reminding them to ship once the day is there,
D3 stops chasing the tracking number once that is there.
"""

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
from rma.states import State

# The details edited by hand: the shipping day (D2: a shipped parcel never expires), the
# carrier and the tracking number (D3, R10), the vendor's support ticket (V3: needed to
# authorize) and the vendor's RMA number (V2).
DETAIL_FIELDS = (
    "shipped_on",
    "carrier",
    "tracking_number",
    "vendor_ticket_number",
    "vendor_rma_number",
)
# R10: what the customer tells about their parcel themselves.
CUSTOMER_DETAIL_FIELDS = ("shipped_on", "carrier", "tracking_number")
SHIPPED_IN_FUTURE = gettext_noop("The parcel cannot have been shipped after today ({today}).")
SHIPPED_BEFORE_REQUEST = gettext_noop(
    "The parcel cannot have been shipped before the return was requested ({day})."
)
NOT_ALLOWED_TO_EDIT = gettext_noop("You are not allowed to change this ticket.")
DETAIL_TOO_LONG = gettext_noop("The {field} can be at most {max} characters long.")
SHIPPING_NOT_NOW = gettext_noop(
    "This return is {state} now: the shipping details can only be given while it is "
    "authorized and on its way to us."
)


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


def _is_owner(ticket: Ticket, user: User) -> bool:
    return user.is_authenticated and ticket.order.customer.user_id == user.pk


def ticket_details_set(
    *, ticket: Ticket, by: User | None, changes: Mapping[str, object], note: str = ""
) -> Ticket:
    """Change the ticket's shipping day, carrier, tracking number or vendor numbers,
    writing one history row per field that really changed (who, when, old → new).

    `by` is staff who may change tickets, the system (None), or the ticket's customer,
    who may give only `CUSTOMER_DETAIL_FIELDS` and only while the return is authorized
    with goods to send (R10). A customer's change is shown on their own timeline; staff's
    edits are staff's.
    """
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise ValueError(f"not a ticket detail: {', '.join(sorted(unknown))}")
    as_customer = False
    if by is not None and not by.has_perm("rma.change_ticket"):
        as_customer = True
        if not _is_owner(ticket, by) or set(changes) - set(CUSTOMER_DETAIL_FIELDS):
            raise TicketError(_(NOT_ALLOWED_TO_EDIT))
    ticket_details_check(changes)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
        if as_customer:
            _check_customer_may_ship(locked, changes)
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
                    internal=not as_customer,
                    data={"field": field_name, "old": old, "new": value},
                )
            )
        if events:
            locked.save(update_fields=[event.data["field"] for event in events])
            TicketEvent.objects.bulk_create(events)
    return locked


def _check_customer_may_ship(locked: Ticket, changes: Mapping[str, object]) -> None:
    """R10: the customer tells where the parcel is while it may travel to us."""
    if locked.state != State.AUTHORIZED or not locked.goods_to_return:
        raise TicketError(_(SHIPPING_NOT_NOW).format(state=locked.get_state_display()))
    shipped_on = changes.get("shipped_on")
    requested_on = timezone.localdate(locked.created_at)
    if isinstance(shipped_on, date) and shipped_on < requested_on:
        raise TicketError(_(SHIPPED_BEFORE_REQUEST).format(day=requested_on.isoformat()))
