"""A ticket's states and resolutions (SPEC §2), and every group of them a rule names.

Pure values: the models use them as choices, the rules and services ask these groups
instead of listing states again.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    REQUESTED = "requested", _("requested")
    AUTHORIZED = "authorized", _("authorized")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")
    RECEIVED = "received", _("received")
    DIAGNOSED = "diagnosed", _("diagnosed")
    RESOLVED = "resolved", _("resolved")


class Resolution(models.TextChoices):
    REFUND = "refund", _("refund")
    STORE_CREDIT = "store_credit", _("store credit")
    CREDIT_NOTE = "credit_note", _("credit note")
    REPLACEMENT = "replacement", _("replacement")
    REPAIR = "repair", _("repair")
    RETURN_AS_IS = "return_as_is", _("returned to the customer as is")
    INVESTIGATION_CHARGED = "investigation_charged", _("investigation charged")


# Still being handled: nothing is decided yet.
OPEN_STATES = (State.REQUESTED, State.AUTHORIZED, State.RECEIVED, State.DIAGNOSED)
# D4 (W7): a withdrawal's refund is owed from the notice until it is paid
# (`Ticket.refund_paid_on`), also after the ticket is resolved.
REFUND_OWED_STATES = (*OPEN_STATES, State.RESOLVED)
# Tickets in these states no longer hold order quantities: the goods stay with the customer.
RELEASING_STATES = (State.REJECTED, State.CANCELLED, State.EXPIRED)
# The parcel is at the shop (V1 forwards only what the shop holds).
AT_THE_SHOP = (State.RECEIVED, State.DIAGNOSED)
# Authorized and still open: V2, V3 send the customer to the vendor from here on.
AUTHORIZED_OR_LATER = (State.AUTHORIZED, *AT_THE_SHOP)
# The parcel is on its way or has arrived: the return label exists (R7).
LABELLED_STATES = (*AUTHORIZED_OR_LATER, State.RESOLVED)

# The customer gets goods back: the order line's quantity is returnable again later
# (e.g. a repaired unit may fail again within its warranty).
GOODS_GO_BACK = (
    Resolution.REPLACEMENT,
    Resolution.REPAIR,
    Resolution.RETURN_AS_IS,
    Resolution.INVESTIGATION_CHARGED,
)


def holds_quantities(state: str, resolution: str) -> bool:
    """Tell whether a ticket in `state` keeps its order lines' units held (not returnable
    by another ticket)."""
    if state in RELEASING_STATES:
        return False
    return not (state == State.RESOLVED and resolution in GOODS_GO_BACK)
