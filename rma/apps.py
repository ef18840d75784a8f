from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RmaConfig(AppConfig):
    name = "rma"
    verbose_name = _("Returns (RMA)")

    def ready(self) -> None:
        from rma import emails

        emails.register()
