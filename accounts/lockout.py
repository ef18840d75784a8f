"""Brute-force protection of every login (django-axes), as settings.AXES_* configure it.

Failures are counted per e-mail address and per network (IP address) over the cool-off
(settings.AXES_COOLOFF_TIME, a quarter of an hour): an address is locked out after
AXES_FAILURE_LIMIT failures, a network, which many people may share, after the larger
AXES_FAILURE_LIMIT_PER_IP. A locked-out login is refused even with the right password, and
an unknown address is counted and refused like a known one, so the answer never tells
whether an address has an account. A successful login forgets its address's failures.
"""

import math

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import (
    get_client_username,
    get_cool_off,
    get_failure_limit,
    get_lockout_parameters,
)
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse

# AccessAttempt.username's length.
_MAX_USERNAME = 255


def attempted_address(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """The address a login attempt was for, as axes counts it (AXES_USERNAME_CALLABLE): in
    lower case, so `Support@…` and `support@…` share one count, as they share one account
    (accounts.backends.EmailBackend)."""
    field = get_user_model().USERNAME_FIELD
    source = credentials if credentials else getattr(request, "POST", None) or {}
    value = source.get(field)
    if not isinstance(value, str):
        return None
    return value.strip().lower()[:_MAX_USERNAME]


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address (AXES_CLIENT_IP_CALLABLE): REMOTE_ADDR, or behind
    AXES_IPWARE_PROXY_COUNT trusted reverse proxies the address the outermost of them saw in
    X-Forwarded-For (what the client itself writes there is not trusted)."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a limit of its own for each lockout parameter."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The failures that count against this login, in units of AXES_FAILURE_LIMIT (the
        address's limit): a network's failures are scaled down by its larger limit, so axes
        locks out when either the address or the network reaches its own limit."""
        limit = get_failure_limit(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        worst = 0
        for parameter, attempts in zip(
            parameters, self.get_user_attempts(request, credentials), strict=True
        ):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            own_limit = settings.AXES_FAILURE_LIMIT_PER_IP if parameter == "ip_address" else limit
            worst = max(worst, failures * limit // own_limit)
        return worst

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """After a successful login forget that address's failures, and only those: the
        failures of other addresses from the same network still count."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _deleted = AccessAttempt.objects.filter(username=username).delete()
        return count


# The customers' lockout page, in the public site's look (templates/portal/account/).
SITE_LOCKED_OUT_TEMPLATE = "portal/account/locked_out.html"


def _from_admin(request: HttpRequest) -> bool:
    try:
        return request.path.startswith(reverse("admin:index"))
    except NoReverseMatch:
        return False


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The answer to a locked-out login (AXES_LOCKOUT_CALLABLE): 429 with Retry-After, the
    same page whether or not the address has an account; in the admin's look for the staff's
    login, in the public site's for the customers' (and any other)."""
    from django.contrib import admin

    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 15 * 60
    context: dict = {"minutes": math.ceil(seconds / 60)}
    if _from_admin(request):
        context.update(admin.site.each_context(request))
        template = "accounts/locked_out.html"
    else:
        template = SITE_LOCKED_OUT_TEMPLATE
    response = TemplateResponse(request, template, context, status=429)
    response.render()
    response["Retry-After"] = str(seconds)
    return response
