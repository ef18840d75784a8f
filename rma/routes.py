"""The vendors' RMA routes (SPEC §3, V1–V3): what a defect's route asks of whom.

Pure: the reason and the routes of the ticket's vendors go in. Only defects go to the
vendor (`policies.reasons.goes_to_vendor`); every other return comes back to the shop.
"""

from __future__ import annotations

from collections.abc import Iterable

from orders.enums import Route
from policies.reasons import goes_to_vendor


def needs_vendor_ticket(reason: str, routes: Iterable[str]) -> bool:
    """V3: a defect of a validation-first vendor's product is authorized only with the
    vendor support's ticket number."""
    return goes_to_vendor(reason) and Route.VENDOR_VALIDATION_FIRST in set(routes)


def shop_forwards(route: str) -> bool:
    """V1: the shop receives the unit and sends it on to the vendor itself."""
    return route == Route.VIA_SHOP
