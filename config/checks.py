"""Deploy checks of Retour's own: settings that pass Django's `check --deploy` but are not
safe for a shop's customers. `python manage.py check --deploy` fails on each of them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

# Values that only show the shape of a setting (.env.example, the embedded default).
PLACEHOLDERS = ("change-me", "embedded-default-not-secret", "provider-api-key", "webhook-user")
SENDING_PROVIDERS = ("postmark", "mailgun", "sendgrid", "brevo", "amazon_ses")
MIN_KEY_LENGTH = 50


def _placeholder(value: str) -> bool:
    return any(marker in value for marker in PLACEHOLDERS)


@register(deploy=True)
def unsafe_production_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    key = settings.SECRET_KEY
    if _placeholder(key):
        errors.append(
            Error(
                "SECRET_KEY is an example value; anyone can read it and forge sessions.",
                hint="Set SECRET_KEY to 50 or more random characters "
                "(e.g. `openssl rand -base64 48`).",
                id="retour.E001",
            )
        )
    elif len(key) < MIN_KEY_LENGTH or len(set(key)) < 5:
        errors.append(
            Error(
                f"SECRET_KEY has fewer than {MIN_KEY_LENGTH} characters or too few different ones.",
                hint="Set SECRET_KEY to 50 or more random characters.",
                id="retour.E002",
            )
        )
    if settings.EMAIL_PROVIDER in SENDING_PROVIDERS:
        secret = settings.ANYMAIL.get("WEBHOOK_SECRET") or ""
        if not secret or _placeholder(secret) or ":" not in secret:
            errors.append(
                Error(
                    "ANYMAIL_WEBHOOK_SECRET is missing or an example value: the provider's "
                    "bounce webhook would accept anyone's calls.",
                    hint="Set ANYMAIL_WEBHOOK_SECRET to user:password, random, and give the "
                    "same to the provider.",
                    id="retour.E003",
                )
            )
        api_key = settings.ANYMAIL.get("POSTMARK_SERVER_TOKEN") or ""
        if not api_key or _placeholder(api_key):
            errors.append(
                Error(
                    "ANYMAIL_API_KEY is missing or an example value: no e-mail would be sent.",
                    id="retour.E004",
                )
            )
    return errors
