"""The return policies in the back office: staff edit the numbers, never delete a policy."""

from django.contrib import admin

from policies.models import LegalHoliday, ReturnPolicy


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "preset",
        "is_default",
        "withdrawal_days",
        "transaction_fee_percent",
        "strict_ineligibility",
        "partner_restocking",
    ]
    list_filter = ["is_default", "business_only"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # tickets keep the policy they were decided under


@admin.register(LegalHoliday)
class LegalHolidayAdmin(admin.ModelAdmin):
    """W2: the days beyond the law's fixed list that end no period (e.g. Atw decree days)."""

    list_display = ["day", "country", "name", "source"]
    list_filter = ["country"]
    date_hierarchy = "day"
