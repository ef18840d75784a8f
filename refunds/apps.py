from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = _("Refunds")

    def ready(self) -> None:
        from notifications import kinds
        from refunds import emails
        from refunds.chasing import KIND

        kinds.register_kind(KIND)  # D6: about the customer's account, not one ticket
        emails.register()  # refund_paid: about its credit note, with the PDF (F8)
