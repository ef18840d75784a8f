from django.apps import AppConfig


class RetourConfig(AppConfig):
    """The project itself as an app: its own deploy checks."""

    name = "config"
    verbose_name = "Retour"

    def ready(self) -> None:
        from config import checks  # noqa: F401  registers the checks
