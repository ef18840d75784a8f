"""The return policies in the back office: staff edit the numbers, never delete a policy."""

from django.contrib import admin

from policies.models import ReturnPolicy


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
