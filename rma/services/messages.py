"""The thread between a ticket's customer and support (issue 15 §5, issue 16 §6).

The customer writes on their ticket page; staff answer on the back-office ticket page and
the customer is e-mailed the answer (`staff_message`, in their language). Internal notes
are not messages: they stay events marked `internal`, which the customer never sees.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from rma.attachments import CheckedFile, attachments_store
from rma.emails import ticket_email_queue
from rma.errors import TicketError
from rma.models import Ticket, TicketMessage

MESSAGE_MAX_LENGTH = 5000
MESSAGE_EMPTY = gettext_noop("Write a message before sending it.")
MESSAGE_TOO_LONG = gettext_noop(
    "A message can be at most {max} characters long; yours has {length}."
)
NOT_ALLOWED_TO_WRITE = gettext_noop("You are not allowed to write about this ticket.")


def message_check(body: str) -> str:
    """The message's text as it will be kept, or why it cannot be sent."""
    text = body.strip()
    if not text:
        raise TicketError(_(MESSAGE_EMPTY))
    if len(text) > MESSAGE_MAX_LENGTH:
        raise TicketError(_(MESSAGE_TOO_LONG).format(max=MESSAGE_MAX_LENGTH, length=len(text)))
    return text


def _may_write(ticket: Ticket, by: User, *, from_customer: bool) -> bool:
    if from_customer:  # only the ticket's own customer writes as the customer
        return by.is_authenticated and ticket.order.customer.user_id == by.pk
    return by.is_staff and by.has_perm("rma.change_ticket")  # support answers


def message_post(
    *,
    ticket: Ticket,
    by: User,
    body: str,
    from_customer: bool,
    attachments: Sequence[CheckedFile] = (),
) -> TicketMessage:
    """Add a message to the ticket's thread, in one transaction with its attachments.

    `attachments` are files `rma.attachments.attachments_check` passed: stored with the
    message, or nothing is (a file that fails to store rolls the message back too).
    A staff message is e-mailed to the customer once it is committed (its text in the
    e-mail, in the customer's language); a customer's message waits on the ticket page
    for support, marked unanswered until they answer: `Ticket.customer_waiting_since`
    is set by the customer's first message that staff have not answered yet and cleared
    by staff's answer (the queue shows and finds it).
    """
    text = message_check(body)
    with transaction.atomic():
        locked = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("order__customer")
            .get(pk=ticket.pk)
        )
        if not _may_write(locked, by, from_customer=from_customer):
            raise TicketError(_(NOT_ALLOWED_TO_WRITE))
        message = TicketMessage.objects.create(
            ticket=locked, by=by, from_customer=from_customer, body=text
        )
        if attachments:
            attachments_store(ticket=locked, files=attachments, by=by, message=message)
        # The queue shows who waits for an answer, since their first unanswered message;
        # staff's answer ends the wait.
        waiting_since = (locked.customer_waiting_since or message.at) if from_customer else None
        if waiting_since != locked.customer_waiting_since:
            Ticket.objects.filter(pk=locked.pk).update(customer_waiting_since=waiting_since)
        ticket.customer_waiting_since = waiting_since
        if not from_customer:
            ticket_email_queue(
                ticket=locked,
                kind="staff_message",
                stage=f"message-{message.pk}",
                context={"message": text, "note": ""},
            )
    return message
