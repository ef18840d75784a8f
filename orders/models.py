"""The mirror of the webshop's orders (SPEC §1) and the vendors of its products (§3, V1–V4);
the webshop stays the system of record.

Rows arrive through the idempotent import (`orders/importing/`) and are not edited here.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from orders.enums import CustomerType, PaymentMethod, ProductFlag, Route

ZERO = Decimal("0")


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(ZERO)],
        **kwargs,
    )


class Customer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
    )
    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=10, choices=CustomerType)
    # A partner is a business customer with customer-specific discounts (P1).
    partner = models.BooleanField(_("partner"), default=False)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    country = models.CharField(_("country"), max_length=2)
    company = models.CharField(_("company"), max_length=200, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)

    class Meta:
        ordering = ["email"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # The staff list filters by these and sorts by e-mail; the searches look the
        # address up ignoring case (`email__iexact`). Names, companies and VAT numbers
        # have trigram indexes on PostgreSQL (migration 0003, `core.pg`).
        indexes = [
            models.Index(Upper("email"), name="customer_email_upper_idx"),
            # The customer search finds a VAT number exactly (orders.search).
            models.Index(fields=["vat_number"], name="customer_vat_idx"),
            models.Index(fields=["type", "email"], name="customer_type_idx"),
            models.Index(fields=["partner", "email"], name="customer_partner_idx"),
            models.Index(fields=["language", "email"], name="customer_language_idx"),
            models.Index(fields=["country", "email"], name="customer_country_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(partner=False) | Q(type="business"), name="partner_is_business"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def is_consumer(self) -> bool:
        return self.type == CustomerType.CONSUMER


class Vendor(models.Model):
    """A manufacturer: its warranty, DOA window and how it takes defects back (V1–V4)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    route = models.CharField(_("RMA route"), max_length=30, choices=Route, default=Route.VIA_SHOP)
    # V4: the default warranty of the vendor's products; a product may override it.
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"), default=24)
    doa_days = models.PositiveSmallIntegerField(_("dead on arrival window (days)"), default=14)
    # D5: a case open longer than this gets a follow-up by staff.
    usual_decision_days = models.PositiveSmallIntegerField(
        _("usual time to decide a case (days)"),
        default=21,
        help_text=_("Staff are asked to follow up on a case open longer than this (D5)."),
    )
    support_url = models.URLField(_("support portal"), blank=True)
    rma_portal_url = models.URLField(_("RMA portal"), blank=True)
    # What the customer does at the vendor (V2, V3), in each language of the site: a Dutch
    # page never shows the English text (issue 15); without one, the portal says it in
    # its own translated words.
    instructions = models.TextField(_("instructions for customers (English)"), blank=True)
    instructions_nl = models.TextField(_("instructions for customers (Dutch)"), blank=True)
    # SPEC §3: the vendor ships a new unit before the faulty one arrives (vendor cases).
    offers_advance_replacement = models.BooleanField(
        _("offers advance replacement"),
        default=False,
        help_text=_("The vendor ships a replacement before the faulty unit reaches it."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")

    def __str__(self) -> str:
        return self.name

    def instructions_in(self, language: str) -> str:
        """The vendor's instructions in `language` ("nl", "en", "nl-nl"), or ""."""
        return self.instructions_nl if language.lower().startswith("nl") else self.instructions


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="products", verbose_name=_("vendor")
    )
    price = money_field(_("price"), null=True, blank=True)
    # V4: overrides the vendor's warranty for this product.
    warranty_months = models.PositiveSmallIntegerField(
        _("warranty (months)"), null=True, blank=True
    )
    # R14 (BW 7:17, 7:23): in the Netherlands a consumer's legal guarantee lasts as long
    # as the product can be expected to work, never less than the policy's 24 months.
    expected_lifetime_months = models.PositiveSmallIntegerField(
        _("expected lifetime (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(24)],
        help_text=_(
            "How long a consumer may expect it to work: their legal guarantee lasts that "
            "long. Empty: the return policy's legal guarantee (24 months)."
        ),
    )
    digital = models.BooleanField(ProductFlag.DIGITAL.label, default=False)
    custom = models.BooleanField(ProductFlag.CUSTOM.label, default=False)
    sealed_software = models.BooleanField(ProductFlag.SEALED_SOFTWARE.label, default=False)
    activates_on_use = models.BooleanField(ProductFlag.ACTIVATES_ON_USE.label, default=False)
    gift_voucher = models.BooleanField(ProductFlag.GIFT_VOUCHER.label, default=False)
    outlet = models.BooleanField(ProductFlag.OUTLET.label, default=False)
    special_order = models.BooleanField(ProductFlag.SPECIAL_ORDER.label, default=False)
    has_login = models.BooleanField(ProductFlag.HAS_LOGIN.label, default=False)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_lifetime_months__isnull=True)
                | Q(expected_lifetime_months__gte=24),
                name="product_lifetime_at_least_legal_guarantee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(flag for flag in ProductFlag.values if getattr(self, flag))


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=40, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    placed_at = models.DateTimeField(_("placed"))
    invoiced_on = models.DateField(_("invoice date"), null=True, blank=True)
    shipping_method = models.CharField(_("shipping method"), max_length=40, blank=True)
    shipping_price = money_field(_("shipping price"), default=ZERO)
    # W8: a withdrawal refunds delivery only up to the cheapest standard delivery.
    standard_shipping_price = money_field(_("standard shipping price"), default=ZERO)
    imported_at = models.DateTimeField(_("first imported"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last imported"), auto_now=True)

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        # The staff list's order (newest first, then pk) and its date filter; a
        # customer's orders with their pks (the search by name reads the index alone).
        indexes = [
            models.Index(fields=["placed_at", "id"], name="order_placed_idx"),
            models.Index(fields=["customer", "id"], name="order_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class Discount(models.Model):
    """An order-level discount (e.g. 5% above EUR 1000), allocated to lines pro rata (F1)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="discounts")
    code = models.CharField(_("code"), max_length=60)
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("discount")
        verbose_name_plural = _("discounts")

    def __str__(self) -> str:
        return f"{self.code} {self.amount}"


class Payment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod)
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # The webshop's own id of the line within the order ("1", "2" … in the import).
    line_id = models.CharField(_("line"), max_length=20)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("product")
    )
    name = models.CharField(_("name as ordered"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = money_field(_("unit price paid (incl. VAT)"))
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    promotion = models.BooleanField(_("bought on promotion"), default=False)
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)
    activated_at = models.DateTimeField(_("activation began"), null=True, blank=True)
    # Kept by the import from the shipments, and by the ticket services: the database
    # refuses a ticket that would hold more than was delivered (SPEC §2 ticket lines).
    delivered_quantity = models.PositiveIntegerField(_("delivered"), default=0)
    held_quantity = models.PositiveIntegerField(_("held by tickets"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        # A product's lines newest first: the search by product name walks it and stops.
        indexes = [models.Index(fields=["product", "id"], name="order_line_product_idx")]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_id"], name="order_line_id_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(delivered_quantity__lte=models.F("quantity")),
                name="order_line_delivered_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(held_quantity__lte=models.F("delivered_quantity")),
                name="order_line_held_within_delivered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.number}/{self.line_id} {self.quantity}× {self.name}"

    @property
    def returnable_quantity(self) -> int:
        return self.delivered_quantity - self.held_quantity


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking = models.CharField(_("tracking number"), max_length=80, blank=True)

    class Meta:
        ordering = ["order", "shipped_at", "id"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        # The dashboard's defect rates divide by the units delivered in a period.
        indexes = [models.Index(fields=["delivered_at"], name="shipment_delivered_idx")]

    def __str__(self) -> str:
        return f"{self.order.number} {self.carrier} {self.tracking}".strip()


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="shipment_lines")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        constraints = [
            models.UniqueConstraint(fields=["shipment", "line"], name="shipment_line_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="shipment_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}× line {self.line_id}"
