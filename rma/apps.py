from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RmaConfig(AppConfig):
    name = "rma"
    verbose_name = _("Returns (RMA)")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, post_save

        from policies.models import ReturnPolicy
        from rma import emails
        from rma.services.overdue import policy_saved, refresh_after_migrate

        emails.register()
        post_save.connect(policy_saved, sender=ReturnPolicy, dispatch_uid="rma-overdue-policy")
        post_migrate.connect(refresh_after_migrate, sender=self, dispatch_uid="rma-overdue-deploy")
