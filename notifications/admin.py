"""The outbox, visible to staff: what was sent to whom, what failed and why, and which
recipients' mail bounces. Read-only: e-mails are written by the services, not by hand."""

from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from notifications.models import BouncedAddress, Email


class RecipientBouncedFilter(admin.SimpleListFilter):
    title = _("recipient's mail bounces")
    parameter_name = "bounced"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(recipient_bounced_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(recipient_bounced_at__isnull=True)
        return queryset


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "to",
        "about",
        "language",
        "status",
        "attempts",
        "sent_at",
        "recipient_bounced_at",
    ]
    list_filter = ["status", "kind", "language", RecipientBouncedFilter]
    search_fields = ["to", "about", "dedupe_key", "provider_message_id"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "kind",
        "dedupe_key",
        "to",
        "language",
        "about",
        "context",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "claimed_at",
        "queued_at",
        "next_attempt_at",
        "sent_at",
        "provider_message_id",
        "recipient_bounced_at",
    ]

    def get_queryset(self, request):
        bounced = BouncedAddress.objects.filter(address__iexact=OuterRef("to")).values(
            "first_bounced_at"
        )
        return super().get_queryset(request).annotate(recipient_bounced_at=Subquery(bounced[:1]))

    @admin.display(description=_("recipient's mail bounced"), ordering="recipient_bounced_at")
    def recipient_bounced_at(self, email):
        return email.recipient_bounced_at

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BouncedAddress)
class BouncedAddressAdmin(admin.ModelAdmin):
    """Addresses the provider reported as bouncing; staff remove one once it is fixed."""

    list_display = ["address", "first_bounced_at"]
    search_fields = ["address"]
    readonly_fields = ["address", "first_bounced_at"]

    def has_add_permission(self, request):
        return False
