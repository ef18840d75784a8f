"""What people do with tickets: open one, move it through its lifecycle
(`lifecycle.py`), change the details that drive its deadlines (`details.py`), write
to each other about it (`messages.py`), and
register a consumer's withdrawal, authorized at once (`withdrawals.py`)."""

from rma.errors import TicketError
from rma.services.details import (
    CUSTOMER_DETAIL_FIELDS,
    DETAIL_FIELDS,
    DETAIL_TOO_LONG,
    NOT_ALLOWED_TO_EDIT,
    SHIPPED_BEFORE_REQUEST,
    SHIPPED_IN_FUTURE,
    SHIPPING_NOT_NOW,
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
from rma.services.messages import (
    MESSAGE_EMPTY,
    MESSAGE_MAX_LENGTH,
    MESSAGE_TOO_LONG,
    NOT_ALLOWED_TO_WRITE,
    message_check,
    message_post,
)
from rma.services.withdrawals import (
    NOTHING_CHOSEN,
    SCAN_NOT_READABLE,
    WithdrawalLine,
    WithdrawalPreview,
    notice_scan_extension,
    withdrawal_preview,
    withdrawal_register,
)

__all__ = [
    "NOTHING_CHOSEN",
    "SCAN_NOT_READABLE",
    "WithdrawalLine",
    "WithdrawalPreview",
    "notice_scan_extension",
    "withdrawal_preview",
    "withdrawal_register",
    "CUSTOMER_DETAIL_FIELDS",
    "DETAIL_FIELDS",
    "DETAIL_TOO_LONG",
    "NOT_ALLOWED_TO_EDIT",
    "SHIPPED_BEFORE_REQUEST",
    "SHIPPED_IN_FUTURE",
    "SHIPPING_NOT_NOW",
    "MESSAGE_EMPTY",
    "MESSAGE_MAX_LENGTH",
    "MESSAGE_TOO_LONG",
    "NOT_ALLOWED_TO_WRITE",
    "message_check",
    "message_post",
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
