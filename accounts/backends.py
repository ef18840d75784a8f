"""How people log in: by e-mail address in any case, behind django-axes' lockout.

settings.AUTHENTICATION_BACKENDS lists `LockoutBackend` first (it refuses a locked-out
address or network before any password is checked), then `EmailBackend`.
"""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from core.text import readable

# Longer than any e-mail address may be (RFC 5321): not worth a query.
_MAX_ADDRESS = 254


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check (logs no one in itself).

    A login over HTTP always passes its request (Django's admin login form does). Code that
    calls `authenticate()` without one, such as the test client's `Client.login()` or a
    shell, is checked against the address's lockout with a blank request instead of being
    refused outright (axes' documented remedy for callers without a request); the network
    of such a call is unknown, so only the address can be locked out there."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        return super().authenticate(
            request if request is not None else HttpRequest(),
            username=username,
            password=password,
            **kwargs,
        )


class EmailBackend(ModelBackend):
    """Staff and customers log in with their e-mail address, in whatever case they type it:
    `Support@WebStore4.example` is `support@webstore4.example`. Inactive users are refused,
    as by Django's ModelBackend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not isinstance(username, str) or password is None:
            return None
        address = username.strip()
        if not address or len(address) > _MAX_ADDRESS or not readable(address):
            return None
        user = self._user_for(User, address)
        if user is None:
            # Hash the password anyway, so an unknown address takes as long as a known one
            # (Django's ModelBackend does the same).
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    @staticmethod
    def _user_for(User, address: str):
        """The one user whose e-mail address (or username, which holds it) is `address` in
        any case. Should two addresses differ only in case, the exact one wins, and with
        neither exact the login is refused rather than guessed."""
        matches = list(
            User._default_manager.filter(
                Q(email__iexact=address) | Q(**{f"{User.USERNAME_FIELD}__iexact": address})
            )[:10]
        )
        if len(matches) == 1:
            return matches[0]
        exact = [
            user for user in matches if address in (user.email, getattr(user, User.USERNAME_FIELD))
        ]
        return exact[0] if len(exact) == 1 else None
