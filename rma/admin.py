"""The stored return labels, for staff to look up (the ticket pages are the back office's)."""

from django.contrib import admin

from rma.models import ReturnLabel


@admin.register(ReturnLabel)
class ReturnLabelAdmin(admin.ModelAdmin):
    list_display = ["ticket", "rendered_at", "render_ms"]
    search_fields = ["ticket__number"]
    readonly_fields = ["ticket", "pdf", "content_digest", "rendered_at", "render_ms"]
