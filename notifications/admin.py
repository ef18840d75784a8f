"""The outbox, visible to staff: what was sent to whom, what failed and why, and which
recipients' mail bounces. Read-only: e-mails are written by the services, not by hand."""

from django.conf import settings
from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.admin_lists import LargeTableAdmin, choices_filter
from notifications.kinds import kind_names
from notifications.models import BouncedAddress, Email
from notifications.search import email_search


class RecipientBouncedFilter(admin.SimpleListFilter):
    title = _("recipient's mail bounces")
    parameter_name = "bounced"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        # Through the index on the lower-cased recipient: the few bounced addresses
        # find their e-mails, rather than every e-mail looking for its address.
        bounced = queryset.alias(to_lower=Lower("to")).filter(
            to_lower__in=BouncedAddress.objects.values("address")
        )
        if self.value() == "yes":
            return bounced
        if self.value() == "no":
            return queryset.exclude(pk__in=bounced.values("pk"))
        return queryset


@admin.register(Email)
class EmailAdmin(LargeTableAdmin):
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
    # Indexed: newest first and each filter (Email.Meta.indexes).
    list_filter = [
        "status",
        choices_filter("kind", _("kind"), lambda: ((k, k) for k in sorted(kind_names()))),
        choices_filter("language", _("language"), lambda: settings.LANGUAGES),
        RecipientBouncedFilter,
    ]
    sortable_by = ["created_at"]
    search = staticmethod(email_search)
    search_fields = ["to"]  # shows the search box; `search` does the finding
    search_help_text = _(
        "A recipient's address, dedupe key or provider message id; or part of what the "
        "e-mail is about (an RMA number)."
    )
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
        # Bounced addresses are kept in lower case: their unique index answers this.
        bounced = BouncedAddress.objects.filter(address=Lower(OuterRef("to"))).values(
            "first_bounced_at"
        )
        return super().get_queryset(request).annotate(recipient_bounced_at=Subquery(bounced[:1]))

    @admin.display(description=_("recipient's mail bounced"))
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
