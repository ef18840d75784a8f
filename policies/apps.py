from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = _("Return policies")

    def ready(self) -> None:
        # Every process that can change a policy or a legal holiday tells the others, so
        # none keeps answering from what it read before (policies.selectors).
        from policies.selectors import watch_configuration

        watch_configuration()
