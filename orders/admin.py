from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.admin_lists import LargeTableAdmin, choices_filter
from core.calendar import COUNTRY_TIMEZONES
from notifications.models import BouncedAddress
from orders.models import (
    Customer,
    Discount,
    Order,
    OrderLine,
    Payment,
    Product,
    Shipment,
    Vendor,
)
from orders.search import customer_search, order_search


@admin.register(Customer)
class CustomerAdmin(LargeTableAdmin):
    list_display = ["email", "name", "type", "partner", "language", "country", "email_bounced_at"]
    # Indexed: each filter with the e-mail order (Customer.Meta.indexes); names and
    # companies by trigram on PostgreSQL (orders migration 0003).
    list_filter = [
        "type",
        "partner",
        "language",
        choices_filter("country", _("country"), lambda: ((c, c) for c in COUNTRY_TIMEZONES)),
    ]
    sortable_by = ["email"]
    search = staticmethod(customer_search)
    search_fields = ["email"]  # shows the search box; `search` does the finding
    search_help_text = _("An e-mail address or VAT number; or part of a name or company.")
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        # The outbox records which addresses bounce; staff see it on the customer.
        # Bounced addresses are kept in lower case: their unique index answers this.
        bounced = BouncedAddress.objects.filter(address=Lower(OuterRef("email")))
        return (
            super()
            .get_queryset(request)
            .annotate(email_bounced_at=Subquery(bounced.values("first_bounced_at")[:1]))
        )

    @admin.display(description=_("e-mail bounced"))
    def email_bounced_at(self, customer: Customer):
        return customer.email_bounced_at


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "vendor", "price", "expected_lifetime_months", "flag_list"]
    list_filter = [
        "vendor",
        "digital",
        "custom",
        "sealed_software",
        "activates_on_use",
        "gift_voucher",
        "outlet",
        "special_order",
        "has_login",
    ]
    search_fields = ["sku", "name"]
    list_select_related = ["vendor"]

    @admin.display(description=_("flags"))
    def flag_list(self, product: Product) -> str:
        return ", ".join(sorted(product.flags))


class ReadOnlyInline(admin.TabularInline):
    """Rows shown for reading only: they change through the import or the services."""

    extra = 0
    can_delete = False
    # What each row shows of its related rows (and its own name), read with the rows:
    # one query for the inline however many rows it has.
    select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        # Not select_related() with no names: that follows every foreign key.
        return rows.select_related(*self.select_related) if self.select_related else rows

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    select_related = ("order", "product")
    fields = [
        "line_id",
        "product",
        "name",
        "quantity",
        "unit_price",
        "vat_rate",
        "serials",
        "delivered_quantity",
        "held_quantity",
    ]


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    select_related = ("order",)
    fields = ["shipped_at", "delivered_at", "carrier", "tracking"]


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["method", "amount"]


class DiscountInline(ReadOnlyInline):
    model = Discount
    fields = ["code", "amount"]


@admin.register(Order)
class OrderAdmin(LargeTableAdmin):
    """Orders are mirrored from the webshop by the import; staff read them here."""

    list_display = ["number", "customer", "placed_at", "shipping_price", "line_count"]
    list_filter = ["customer__type", "placed_at"]
    sortable_by = ["number", "placed_at"]
    search = staticmethod(order_search)
    search_fields = ["number"]  # shows the search box; `search` does the finding
    search_help_text = _("An order number, e-mail address or serial; or part of a customer's name.")
    list_select_related = ["customer"]
    inlines = [OrderLineInline, ShipmentInline, PaymentInline, DiscountInline]
    readonly_fields = [
        "number",
        "customer",
        "placed_at",
        "invoiced_on",
        "shipping_method",
        "shipping_price",
        "standard_shipping_price",
        "imported_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        # Counted per order shown, in a subquery: a COUNT with GROUP BY over the join
        # would aggregate every order of the table to show a page of them.
        lines = (
            OrderLine.objects.filter(order=OuterRef("pk"))
            .order_by()
            .values("order")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return super().get_queryset(request).annotate(line_count=Subquery(lines))

    @admin.display(description=_("lines"))
    def line_count(self, order: Order) -> int:
        return order.line_count or 0

    def has_add_permission(self, request) -> bool:
        return False  # orders come from the webshop through the import


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "route",
        "warranty_months",
        "doa_days",
        "usual_decision_days",
        "rma_portal_url",
    ]
    list_filter = ["route"]
    search_fields = ["name"]
