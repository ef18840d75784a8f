"""Authentication for the JSON API: a staff member's bearer token, or a session."""

from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer, django_auth

from accounts.models import ApiToken


class StaffToken(HttpBearer):
    """`Authorization: Bearer <key>` of an active, unrevoked token of an active staff user."""

    def authenticate(self, request, token: str):
        api_token = ApiToken.objects.for_key(token)
        if api_token is None or not api_token.user.is_active or not api_token.user.is_staff:
            return None
        request.user = api_token.user
        return api_token.user


staff_token = StaffToken()
# Endpoints a logged-in customer may call from the portal accept the session too.
token_or_session = [staff_token, django_auth]
FORBIDDEN = _("You are not allowed to do this.")
