"""The order import's vocabularies (SPEC §1, Appendix A), defined once.

The models use them as field choices; the pure rules (`orders.facts` and the rules that
read it) compare against the same members, which are plain strings.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerType(models.TextChoices):
    """Who bought (SPEC §1)."""

    CONSUMER = "consumer", _("Consumer")
    BUSINESS = "business", _("Business")


class ProductFlag(models.TextChoices):
    """The product flags of SPEC §1, as named in the order import."""

    DIGITAL = "digital", _("digital (licence, module, subscription)")
    CUSTOM = "custom", _("custom (configured, built to spec, new firmware)")
    SEALED_SOFTWARE = "sealed_software", _("sealed software")
    ACTIVATES_ON_USE = "activates_on_use", _("activates on use")
    GIFT_VOUCHER = "gift_voucher", _("gift voucher")
    OUTLET = "outlet", _("outlet")
    SPECIAL_ORDER = "special_order", _("special order")
    HAS_LOGIN = "has_login", _("holds user credentials")


class PaymentMethod(models.TextChoices):
    """Payment methods (Appendix A `payments[].method`)."""

    CARD = "card", _("Card")
    IDEAL = "ideal", _("iDEAL")
    PAYPAL = "paypal", _("PayPal")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    BILLINK = "billink", _("Billink (pay later)")
    BITCOIN = "bitcoin", _("Bitcoin")
    GIFT_VOUCHER = "gift_voucher", _("Gift voucher")
    STORE_CREDIT = "store_credit", _("Store credit")
    SAVINGS_POINTS = "savings_points", _("Savings points")


class Route(models.TextChoices):
    """How a vendor takes defects back (SPEC §3)."""

    VIA_SHOP = "via_shop", _("Via the shop")  # V1
    VENDOR_DIRECT = "vendor_direct", _("Directly at the vendor")  # V2
    VENDOR_VALIDATION_FIRST = "vendor_validation_first", _("Vendor support validates first")  # V3
