"""The store-credit ledger in the back office (F7): every entry, never editable."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from refunds.models import StoreCreditEntry


@admin.register(StoreCreditEntry)
class StoreCreditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "customer_email",
        "kind",
        "amount",
        "valid_until",
        "closed_on",
        "ticket",
        "order",
    ]
    list_filter = ["kind", "valid_until", "closed_on"]
    search_fields = ["customer__email", "customer__name", "ticket__number", "order__number"]
    list_select_related = ["customer", "ticket", "order"]
    date_hierarchy = "created_at"
    fields = [
        "customer",
        "kind",
        "amount",
        "reason",
        "by",
        "created_at",
        "ticket",
        "order",
        "policy",
        "issued_on",
        "valid_until",
        "closed_on",
        "grant",
    ]
    readonly_fields = fields

    @admin.display(description=_("customer"), ordering="customer__email")
    def customer_email(self, entry: StoreCreditEntry) -> str:
        return entry.customer.email

    def has_add_permission(self, request) -> bool:
        return False  # booked by refunds.services, with a reason

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
