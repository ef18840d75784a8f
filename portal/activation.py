"""Getting customers into the portal by e-mail (issue 15, point 1): activating the account of
a customer imported from the webshop, and a new password for one who forgot theirs.

Both start from an e-mail address someone types and end at one set-password link (Django's
`default_token_generator`: it signs the user's password hash and last login, so a link works
once, and expires after settings.PASSWORD_RESET_TIMEOUT). The page that asked answers the
same whatever the address (no enumeration); only the address's owner learns anything, from
the e-mail. The e-mails go through the outbox in the customer's language; their link is
made when the e-mail is rendered, so the outbox row holds no working key.

`accounts` and `notifications` may not import each other (pyproject.toml), so the portal,
which sits above both, registers the kinds (portal.apps).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from notifications import kinds
from notifications.models import Email
from notifications.services import customer_email_queue, email_queue
from orders.models import Customer

logger = logging.getLogger(__name__)

ACTIVATION = "account_activation"
PASSWORD_RESET = "password_reset"
KINDS = (ACTIVATION, PASSWORD_RESET)
# At most one e-mail of a kind per account in this many seconds: typing an address again
# and again does not flood its owner's mailbox.
RESEND_AFTER_SECONDS = 10 * 60


def set_password_url(user: User) -> str:
    """The full address of `user`'s set-password page, valid until the password changes, the
    user logs in, or settings.PASSWORD_RESET_TIMEOUT passes."""
    path = reverse(
        "portal:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL + path


def _user_context(user: User) -> dict[str, Any]:
    """What the account e-mails show, read when they are sent (a fresh link each time)."""
    customer = Customer.objects.filter(user=user).first()
    return {
        "customer_name": customer.name if customer else user.get_full_name(),
        "set_password_url": set_password_url(user),
        "link_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }


def register() -> None:
    """Tell the outbox about the account e-mails (called from portal.apps)."""
    for name in KINDS:
        kinds.register_kind(name)
    kinds.register_subject(User, _user_context)


def _queue(kind: str, user: User, customer: Customer | None) -> Email | None:
    window = int(time.time()) // RESEND_AFTER_SECONDS
    dedupe_key = f"{kind}:{user.pk}:{window}"
    if customer is not None:
        return customer_email_queue(
            customer=customer, kind=kind, dedupe_key=dedupe_key, subject=user
        )
    return email_queue(
        kind=kind,
        dedupe_key=dedupe_key,
        to=user.email,
        language=settings.LANGUAGE_CODE,
        subject=user,
    )


def _portal_user(address: str) -> User | None:
    """The one active, non-staff user with this address in any case (staff keep the admin:
    an administrator sets their password)."""
    users = list(User.objects.filter(email__iexact=address, is_active=True, is_staff=False)[:2])
    return users[0] if len(users) == 1 else None


@transaction.atomic
def account_access_request(*, address: str) -> Email | None:
    """Someone typed `address` on the activation or the forgotten-password page: send its
    owner the e-mail that fits their account, if any, and nothing otherwise.

    * A customer imported from the webshop without an account (or whose account was never
      activated) gets a user (username = address, no usable password) linked to their row,
      and the activation e-mail.
    * A customer or other non-staff user with a password gets the password-reset e-mail.
    * Unknown addresses, staff, inactive users, and addresses shared in different cases by
      more than one row get nothing. The caller answers the same in every case.
    """
    address = address.strip()
    if not address:
        return None
    customers = list(
        Customer.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(email__iexact=address)[:2]
    )
    customer = customers[0] if len(customers) == 1 else None
    if customer is None:
        user = _portal_user(address)
        if user is None or not user.has_usable_password():
            return None
        return _queue(PASSWORD_RESET, user, Customer.objects.filter(user=user).first())
    user = customer.user
    if user is None:
        user = User.objects.filter(email__iexact=customer.email).first()
        if user is not None and (user.is_staff or Customer.objects.filter(user=user).exists()):
            logger.warning("Customer %s shares an address with another account", customer.pk)
            return None
        if user is None:
            user = User(username=customer.email, email=customer.email)
            user.set_unusable_password()
            user.save()
        customer.user = user
        customer.save(update_fields=["user"])
    if not user.is_active or user.is_staff:
        return None
    kind = PASSWORD_RESET if user.has_usable_password() else ACTIVATION
    return _queue(kind, user, customer)
