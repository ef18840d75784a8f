"""The reasons a customer can return for (SPEC §2, R1–R6) and what a reason decides alone.

Pure: the rules, e-mails, labels and the back office ask these functions instead of
restating which reasons a rule covers.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    """The values are the API's and the import's; the labels are what people read."""

    WITHDRAWAL = "withdrawal", _("withdrawal")  # R1
    ORDER_ERROR = "order_error", _("order error")  # R2
    DELIVERY_ERROR = "delivery_error", _("delivery error")  # R3
    DEFECTIVE = "defective", _("defective / warranty")  # R4
    DEAD_ON_ARRIVAL = "dead_on_arrival", _("dead on arrival")  # R5
    DAMAGED_IN_TRANSIT = "damaged_in_transit", _("damaged in transit")  # R6


# R4, R5: defects are the vendor's to decide; their route (V1–V3) applies to these only.
VENDOR_REASONS = frozenset({Reason.DEFECTIVE, Reason.DEAD_ON_ARRIVAL})
# R9: the customer pays the return shipping, except for the shop's own mistakes.
SHOP_PAYS_RETURN = frozenset({Reason.DELIVERY_ERROR, Reason.DAMAGED_IN_TRANSIT})


def goes_to_vendor(reason: str) -> bool:
    """R4, R5 (V1–V3): a return for `reason` is a defect that its vendor decides on."""
    return reason in VENDOR_REASONS


def shop_pays_return(reason: str, *, under_legal_guarantee: bool = False) -> bool:
    """R9: the shop bears the return shipping for a delivery error (R3) or transit damage
    (R6), and for a consumer's defect under the legal guarantee (R14: a repair or
    replacement is free, postage included, BW 7:21); otherwise the customer does."""
    return reason in SHOP_PAYS_RETURN or (reason in VENDOR_REASONS and under_legal_guarantee)


def binds_the_shop(reason: str) -> bool:
    """W10 (CRD art. 12, 13(3)): a withdrawal the rules allowed when it was submitted binds
    the shop: staff cannot reject it and it never expires for want of the goods (the
    refund may wait for them, W7). Excluded lines are refused at submission instead."""
    return reason == Reason.WITHDRAWAL
