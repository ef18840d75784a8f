from django.contrib import admin

from vendors.models import Vendor


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "route", "warranty_months", "doa_days", "rma_portal_url"]
    list_filter = ["route"]
    search_fields = ["name"]
