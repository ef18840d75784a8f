from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

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


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "type", "partner", "language", "country", "email_bounced_at"]
    list_filter = ["type", "partner", "language", "country"]
    search_fields = ["email", "name", "company", "vat_number"]
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        # The outbox records which addresses bounce; staff see it on the customer.
        bounced = BouncedAddress.objects.filter(address__iexact=OuterRef("email"))
        return (
            super()
            .get_queryset(request)
            .annotate(email_bounced_at=Subquery(bounced.values("first_bounced_at")[:1]))
        )

    @admin.display(description=_("e-mail bounced"), ordering="email_bounced_at")
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

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
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
    fields = ["shipped_at", "delivered_at", "carrier", "tracking"]


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["method", "amount"]


class DiscountInline(ReadOnlyInline):
    model = Discount
    fields = ["code", "amount"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders are mirrored from the webshop by the import; staff read them here."""

    list_display = ["number", "customer", "placed_at", "shipping_price", "line_count"]
    list_filter = ["customer__type", "placed_at"]
    search_fields = ["number", "customer__email", "customer__name", "lines__serials"]
    list_select_related = ["customer"]
    date_hierarchy = "placed_at"
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
        return super().get_queryset(request).annotate(line_count=Count("lines"))

    @admin.display(description=_("lines"), ordering="line_count")
    def line_count(self, order: Order) -> int:
        return order.line_count

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
