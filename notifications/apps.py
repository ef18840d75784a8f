from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("E-mails")

    def ready(self) -> None:
        # The provider's tracking signal (bounces, complaints) reaches us through anymail.
        from notifications import webhooks  # noqa: F401
