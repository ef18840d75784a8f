from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VendorsConfig(AppConfig):
    name = "vendors"
    verbose_name = _("Vendor cases")

    def ready(self) -> None:
        from notifications import kinds
        from vendors.chasing import KIND

        kinds.register_kind(KIND)  # D5: about the case's ticket (rma registers its context)
