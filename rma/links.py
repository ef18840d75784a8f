"""The customer's link to a ticket's status page: signed and expiring, never guessable.

An e-mail to a consumer who has no account must still let them follow their return
(SPEC W4, art. 11a: the withdrawal is followed without logging in). The link carries the
ticket's number signed with the site's secret (Django's signing, with a timestamp), so
nobody can make one for another ticket by changing the number, and it stops working
after `settings.TICKET_LINK_MAX_AGE_DAYS`. Every e-mail carries a fresh one.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from rma.models import Ticket

_SALT = "rma.ticket-status-link"


def ticket_status_token(ticket: Ticket) -> str:
    """A signed, timestamped token naming `ticket`."""
    return signing.dumps(ticket.number, salt=_SALT)


def ticket_number_from_token(token: str) -> str | None:
    """The ticket number a token names, or None if it was tampered with or has expired."""
    try:
        number = signing.loads(
            token, salt=_SALT, max_age=settings.TICKET_LINK_MAX_AGE_DAYS * 24 * 3600
        )
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    return number if isinstance(number, str) else None


def ticket_status_url(ticket: Ticket) -> str:
    """The absolute address of `ticket`'s status page for its customer (the public site's)."""
    return settings.SITE_URL + reverse("portal:ticket_status", args=[ticket_status_token(ticket)])
