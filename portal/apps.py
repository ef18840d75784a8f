from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Public site")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portal import account, activation

        # The account e-mails (accounts and notifications may not import each other).
        activation.register()
        # Point 6: a customer's login speaks their profile's language.
        user_logged_in.connect(
            account.language_from_profile, dispatch_uid="portal.language_from_profile"
        )
