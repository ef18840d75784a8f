"""Manufacturers and how their RMAs are routed (SPEC §3, V1–V4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Route(models.TextChoices):
    VIA_SHOP = "via_shop", _("Via the shop")  # V1
    VENDOR_DIRECT = "vendor_direct", _("Directly at the vendor")  # V2
    VENDOR_VALIDATION_FIRST = "vendor_validation_first", _("Vendor support validates first")  # V3


class Vendor(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    route = models.CharField(_("RMA route"), max_length=30, choices=Route, default=Route.VIA_SHOP)
    # V4: the default warranty of the vendor's products; a product may override it.
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"), default=24)
    doa_days = models.PositiveSmallIntegerField(_("dead on arrival window (days)"), default=14)
    support_url = models.URLField(_("support portal"), blank=True)
    rma_portal_url = models.URLField(_("RMA portal"), blank=True)
    instructions = models.TextField(_("instructions for customers"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")

    def __str__(self) -> str:
        return self.name
