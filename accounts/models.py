"""People who log in: customers (by e-mail) and staff, and the staff's API tokens."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    # Customers log in with their e-mail address, which is also their username.
    email = models.EmailField(_("e-mail address"), unique=True)


class Role:
    """The staff roles, kept as groups so the shop can see and change who may do what."""

    SUPPORT = "support"
    WAREHOUSE = "warehouse"
    ACCOUNTANT = "accountant"
    ALL = (SUPPORT, WAREHOUSE, ACCOUNTANT)


def _token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def for_key(self, key: str) -> "ApiToken | None":
        return (
            self.filter(digest=_token_digest(key), revoked_at__isnull=True)
            .select_related("user")
            .first()
        )


class ApiToken(models.Model):
    """A staff member's key for the JSON API; only its digest is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @classmethod
    def issue(cls, *, user, name: str) -> tuple["ApiToken", str]:
        """Create a token and return it with its key, which is shown once and never stored."""
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, digest=_token_digest(key))
        return token, key
