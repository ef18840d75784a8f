"""Who looks after a ticket now (issue 16 §5: "assign to me" in the queue).

Assigning changes no state; like every change it lands in the ticket's one history, as a
change event of the field `assignee` (old → new, by whom).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from rma.errors import TicketError
from rma.models import EventKind, Ticket, TicketEvent

NOT_ALLOWED_TO_ASSIGN = gettext_noop("You are not allowed to assign tickets.")


def ticket_assign(*, ticket: Ticket, by: User, assignee: User | None) -> bool:
    """Make `assignee` (None: nobody) the ticket's assignee; False when it already was."""
    if not (by.is_staff and by.has_perm("rma.change_ticket")):
        raise TicketError(_(NOT_ALLOWED_TO_ASSIGN))
    with transaction.atomic():
        locked = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("assignee")
            .get(pk=ticket.pk)
        )
        if locked.assignee_id == (assignee.pk if assignee else None):
            return False
        old = locked.assignee.email if locked.assignee else ""
        Ticket.objects.filter(pk=locked.pk).update(assignee=assignee)
        TicketEvent.objects.create(
            ticket=locked,
            by=by,
            kind=EventKind.CHANGE,
            data={"field": "assignee", "old": old, "new": assignee.email if assignee else ""},
        )
    ticket.assignee = assignee
    return True
