"""The return policies in the back office: staff edit the numbers, never delete a policy."""

from django.contrib import admin, messages
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

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
        "defaults_confirmed",
    ]
    list_filter = ["is_default", "business_only", "defaults_confirmed"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        policy = self.get_object(request, object_id)
        if policy is not None and request.method == "GET" and policy.unconfirmed_fields():
            names = ", ".join(
                str(ReturnPolicy._meta.get_field(name).verbose_name)
                for name in policy.unconfirmed_fields()
            )
            messages.warning(
                request,
                format_lazy(
                    _(
                        "Not in the shop's documents, so Retour's defaults until the shop "
                        "confirms them: {fields}."
                    ),
                    fields=names,
                ),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # tickets keep the policy they were decided under


@admin.register(LegalHoliday)
class LegalHolidayAdmin(admin.ModelAdmin):
    """W2: the days beyond the law's fixed list that end no period (e.g. Atw decree days)."""

    list_display = ["day", "country", "name", "source"]
    list_filter = ["country"]
    date_hierarchy = "day"
