"""People who log in: customers (by e-mail) and staff, and the staff's API tokens."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.prepared import Prepared


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


# A token lives this long unless it is issued for another number of days.
API_TOKEN_DAYS = 90
# How far behind the last use the token's last_used_at may be: one write a minute at most,
# not one per request.
LAST_USED_PRECISION = dt.timedelta(minutes=1)
# The start of every key, kept in clear so people can tell their tokens apart and revoke one.
PREFIX_LENGTH = 8


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now: dt.datetime | None = None) -> "ApiTokenQuerySet":
        """Tokens that are neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def with_key(self, key: str) -> "ApiTokenQuerySet":
        return self.filter(digest=_token_digest(key))

    def for_key(self, key: str) -> "ApiToken | None":
        """The usable token with this key, with its user; None for an unknown, revoked or
        expired key."""
        # Every API request asks this: one query compiled once per connection
        # (core.prepared), the token found by its unique digest and told usable here.
        rows = _TOKEN_WITH_USER.rows(_token_digest(key), using=self.db)
        if not rows:
            return None
        token_fields, user_fields = _token_and_user_fields()
        token = ApiToken.from_db(self.db, token_fields, rows[0][: len(token_fields)])
        if token.revoked_at is not None or token.expires_at <= timezone.now():
            return None
        token.user = User.from_db(self.db, user_fields, rows[0][len(token_fields) :])
        return token

    def revoke(self, now: dt.datetime | None = None) -> int:
        """Revoke the tokens not revoked yet; how many that were."""
        return self.filter(revoked_at__isnull=True).update(revoked_at=now or timezone.now())


class ApiToken(models.Model):
    """A staff member's key for the JSON API; only its digest (and its first characters) is
    stored. It works until it expires or is revoked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("key starts with"), max_length=PREFIX_LENGTH, blank=True, editable=False, db_index=True
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @classmethod
    def issue(
        cls, *, user, name: str, days: int = API_TOKEN_DAYS, now: dt.datetime | None = None
    ) -> tuple["ApiToken", str]:
        """Create a token valid for `days` and return it with its key, which is shown once
        and never stored."""
        if days < 1:
            raise ValueError("a token must be valid for at least one day")
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            prefix=key[:PREFIX_LENGTH],
            digest=_token_digest(key),
            expires_at=(now or timezone.now()) + dt.timedelta(days=days),
        )
        return token, key

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    def revoke(self, now: dt.datetime | None = None) -> bool:
        """Revoke the token; False if it already was."""
        revoked = ApiToken.objects.filter(pk=self.pk).revoke(now)
        self.refresh_from_db(fields=["revoked_at"])
        return bool(revoked)

    def record_use(self, now: dt.datetime | None = None) -> None:
        """Note that the token was used now, at most once a minute (a write per request
        would cost more than the time is worth)."""
        now = now or timezone.now()
        if self.last_used_at is not None and now - self.last_used_at < LAST_USED_PRECISION:
            return
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ApiToken.objects.filter(stale, pk=self.pk).update(last_used_at=now)
        self.last_used_at = now


def _token_and_user_fields() -> tuple[list[str], list[str]]:
    """The columns of a token and of its user, as `select_related("user")` reads them."""
    return (
        [field.attname for field in ApiToken._meta.concrete_fields],
        [field.attname for field in User._meta.concrete_fields],
    )


_TOKEN_WITH_USER = Prepared(
    lambda digest: ApiToken.objects.filter(digest=digest).values_list(
        *_token_and_user_fields()[0],
        *(f"user__{name}" for name in _token_and_user_fields()[1]),
    ),
    "\x00digest",  # a placeholder for the key's digest
)
