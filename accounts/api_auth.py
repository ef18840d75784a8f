"""Authentication for the JSON API: a staff member's bearer token, or a session; and the
rate limit per token."""

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from ninja.security import HttpBearer, django_auth
from ninja.throttling import BaseThrottle

from accounts.models import ApiToken
from core.prepared import Prepared

logger = logging.getLogger(__name__)


class Detail(Schema):
    detail: str


class ValidationErrors(Schema):
    """django-ninja's answer to a request its schema refuses."""

    detail: list[dict[str, Any]]


# What any operation may answer besides its own: no valid token (401), a request the
# schema refuses (422), too many requests for the token (429). Every router documents them.
API_ERRORS: dict[int, Any] = {401: Detail, 422: ValidationErrors, 429: Detail}

# Requests a token may make per minute (settings.API_TOKEN_RATE_LIMIT overrides it).
API_TOKEN_RATE_LIMIT = 120
_WINDOW_SECONDS = 60


class StaffToken(HttpBearer):
    """`Authorization: Bearer <key>` of an active staff user's token that is neither revoked
    nor expired. The token's last use is noted (at most once a minute)."""

    def authenticate(self, request, token: str):
        api_token = ApiToken.objects.for_key(token)
        if api_token is None or not api_token.user.is_active or not api_token.user.is_staff:
            return None
        api_token.record_use()
        request.api_token = api_token
        request.user = api_token.user
        return api_token.user


class TokenRateLimit(BaseThrottle):
    """At most settings.API_TOKEN_RATE_LIMIT requests a minute per API token, counted in
    Django's cache in fixed one-minute windows; more answer 429 with Retry-After (the
    seconds until the window ends). Requests without a token (a session) are not counted.

    The count is shared by every process only with a shared cache (Redis); with the
    embedded default's local-memory cache each process counts on its own."""

    def __init__(self) -> None:
        # One throttle serves every request; ninja asks wait() right after a refusal, in
        # the same thread.
        self._refused = threading.local()

    @staticmethod
    def limit() -> int:
        return int(getattr(settings, "API_TOKEN_RATE_LIMIT", API_TOKEN_RATE_LIMIT))

    def allow_request(self, request) -> bool:
        api_token = getattr(request, "api_token", None)
        if api_token is None:
            return True
        now = time.time()
        window = int(now // _WINDOW_SECONDS)
        # The key's digest names the token (not its row id, which a test database may reuse).
        key = f"api-rate:{api_token.digest[:32]}:{window}"
        try:
            count = _count(key)
        except Exception:  # an unreachable cache must not take the API down with it
            logger.warning("API rate limit not counted: the cache is unavailable", exc_info=True)
            return True
        if count <= self.limit():
            return True
        self._refused.retry_after = (window + 1) * _WINDOW_SECONDS - now
        return False

    def wait(self) -> float | None:
        """Seconds until the window of the request just refused ends (Retry-After)."""
        return getattr(self._refused, "retry_after", None)


def _count(key: str) -> int:
    """Add one to the count under `key` and return it; add() creates it only if missing and
    incr() is atomic on Redis, so concurrent requests are all counted."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return _count_in_redis(cache, key)
    cache.add(key, 0, timeout=_WINDOW_SECONDS * 2)
    try:
        return cache.incr(key)
    except ValueError:  # it expired between add() and incr()
        cache.add(key, 1, timeout=_WINDOW_SECONDS * 2)
        return 1


def _count_in_redis(cache: RedisCache, key: str) -> int:
    """`_count` in one round trip to Redis instead of three (add; incr, which asks whether
    the key exists first): SET NX creates the count with its expiry only if missing and
    INCR adds one atomically, sent together. Django's Redis cache stores an int as a plain
    number, so cache.get(key) reads the same count. (Django has no public way to the
    client; its own RedisCache methods use `_cache` the same way.)"""
    redis_key = cache.make_and_validate_key(key)
    client = cache._cache.get_client(redis_key, write=True)  # type: ignore[attr-defined]
    pipeline = client.pipeline(transaction=False)
    pipeline.set(redis_key, 0, ex=_WINDOW_SECONDS * 2, nx=True)
    pipeline.incr(redis_key)
    return int(pipeline.execute()[1])


def has_permission(user, permission: str) -> bool:
    """`user.has_perm(permission)`, with the user's permissions read in one query rather
    than Django's two (their own, then their groups').

    Django's ModelBackend keeps the permissions it read on the user object as
    `_perm_cache` ("app_label.codename" strings, for an active user) and asks the database
    only without it; filling it from one query leaves every other check to Django. A
    superuser has every permission without a query anyway."""
    if user.is_active and not user.is_superuser and not hasattr(user, "_perm_cache"):
        rows = _PERMISSIONS.rows(user.pk)
        user._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
    return user.has_perm(permission)


# Compiled once per connection (core.prepared): every API request asks it (issue 19).
_PERMISSIONS = Prepared(
    lambda user: (
        Permission.objects.filter(Q(user=user) | Q(group__user=user))
        .values_list("content_type__app_label", "codename")
        .order_by()
    ),
    -7_000_023,  # a placeholder for the user's pk
)


staff_token = StaffToken()
# config/api.py applies it to every operation.
token_rate_limit = TokenRateLimit()
# Endpoints a logged-in customer may call from the portal accept the session too.
token_or_session = [staff_token, django_auth]
FORBIDDEN = _("You are not allowed to do this.")
