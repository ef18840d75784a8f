"""The guest lookup of the withdrawal function: an order found by its number and e-mail.

A consumer without an account identifies the contract with the order number and the
e-mail address it was placed with (art. 11a: nothing more is asked). A wrong pair gets
one answer, whether or not the order exists, and repeated wrong pairs lock the lookup
out for a while, as the login is (accounts.lockout), counted in the shared cache:
per e-mail address and per order number after `WITHDRAWAL_LOOKUP_FAILURE_LIMIT`
failures, per network after the larger `WITHDRAWAL_LOOKUP_FAILURE_LIMIT_PER_IP`, for
`WITHDRAWAL_LOOKUP_COOLOFF_MINUTES` after the last failure. While locked out even the
right pair is refused, so a lockout cannot be used to test pairs either.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import caches
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.text import readable
from orders.models import Order

logger = logging.getLogger(__name__)

# One sentence for a wrong pair and for an unknown order: it must not tell them apart.
NOT_FOUND = gettext_noop(
    "We could not find an order with this order number and e-mail address. Check both: "
    "the order number is in your order confirmation, and the e-mail address is the one "
    "you ordered with."
)
LOCKED_OUT = gettext_noop(
    "There were too many attempts to find an order. Please try again in {minutes} "
    "minutes. You can also withdraw by e-mail to {email} or with the model withdrawal form."
)


class LookupRefused(Exception):
    """The order was not found (or the lookup is locked out); the message says so."""


class LookupLocked(LookupRefused):
    pass


def _keys(number: str, email: str, ip: str | None) -> list[tuple[str, int]]:
    """The counters a lookup touches, each with its limit (hashed: no address in the cache)."""

    def key(kind: str, value: str) -> str:
        digest = hashlib.sha256(value.encode(errors="replace")).hexdigest()
        return f"withdrawal-lookup:{kind}:{digest[:32]}"

    limit = settings.WITHDRAWAL_LOOKUP_FAILURE_LIMIT
    keys = [(key("address", email.lower()), limit), (key("order", number.lower()), limit)]
    if ip:
        keys.append((key("ip", ip), settings.WITHDRAWAL_LOOKUP_FAILURE_LIMIT_PER_IP))
    return keys


def _locked(keys: list[tuple[str, int]]) -> bool:
    cache = caches["default"]
    counts = cache.get_many([name for name, _limit in keys])
    return any(counts.get(name, 0) >= limit for name, limit in keys)


def _count_failure(keys: list[tuple[str, int]]) -> None:
    cache = caches["default"]
    timeout = settings.WITHDRAWAL_LOOKUP_COOLOFF_MINUTES * 60
    for name, _limit in keys:
        # Counted atomically (two web workers at once), and a failure restarts the
        # cool-off: the count lives that long after the last one.
        cache.add(name, 0, timeout=timeout)
        try:
            cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.add(name, 1, timeout=timeout)
        cache.touch(name, timeout=timeout)


def order_lookup(*, number: str, email: str, ip: str | None) -> Order:
    """Find the order numbered `number` placed with `email` (both in any case).

    Raises `LookupLocked` while this address, order number or network is locked out, and
    `LookupRefused` (the same sentence for an unknown order and a wrong address) else.
    """
    number, email = number.strip(), email.strip()
    keys = _keys(number, email, ip)
    try:
        locked = _locked(keys)
    except Exception:  # an unreachable cache must not close the withdrawal function
        logger.warning("Withdrawal lookup lockout not checked: cache unavailable", exc_info=True)
        locked = False
    if locked:
        raise LookupLocked(
            _(LOCKED_OUT).format(
                minutes=settings.WITHDRAWAL_LOOKUP_COOLOFF_MINUTES,
                email=settings.SHOP_CONTACT_EMAIL,
            )
        )
    found: list[Order] = []
    if number and email and readable(number) and readable(email):
        found = list(
            Order.objects.select_related("customer").filter(
                number__iexact=number, customer__email__iexact=email
            )[:2]
        )
    if len(found) != 1:
        try:
            _count_failure(keys)
        except Exception:
            logger.warning("Withdrawal lookup failure not counted", exc_info=True)
        raise LookupRefused(_(NOT_FOUND))
    # A success forgets the address's and the order's failures, not the network's.
    caches["default"].delete_many([name for name, _limit in keys[:2]])
    return found[0]
