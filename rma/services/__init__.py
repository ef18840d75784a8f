"""What people do with tickets: open one, move it through its lifecycle
(`lifecycle.py`), and change the details that drive its deadlines (`details.py`)."""

from rma.errors import TicketError
from rma.services.details import (
    DETAIL_FIELDS,
    DETAIL_TOO_LONG,
    NOT_ALLOWED_TO_EDIT,
    SHIPPED_IN_FUTURE,
    ticket_details_check,
    ticket_details_set,
)
from rma.services.lifecycle import (
    LineRequest,
    ticket_authorize,
    ticket_cancel,
    ticket_create,
    ticket_diagnose,
    ticket_expire,
    ticket_number_next,
    ticket_receive,
    ticket_reject,
    ticket_resolve,
    ticket_transitions_for,
)

__all__ = [
    "DETAIL_FIELDS",
    "DETAIL_TOO_LONG",
    "NOT_ALLOWED_TO_EDIT",
    "SHIPPED_IN_FUTURE",
    "LineRequest",
    "TicketError",
    "ticket_authorize",
    "ticket_cancel",
    "ticket_create",
    "ticket_details_check",
    "ticket_details_set",
    "ticket_diagnose",
    "ticket_expire",
    "ticket_number_next",
    "ticket_receive",
    "ticket_reject",
    "ticket_resolve",
    "ticket_transitions_for",
]
