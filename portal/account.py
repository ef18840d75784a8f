"""Customers' accounts on the public site: log in and out (by e-mail address)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.urls import path, reverse_lazy
from django.utils.translation import gettext as _


class EmailAuthenticationForm(AuthenticationForm):
    """Customers log in with their e-mail address (accounts.backends.EmailBackend)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        self.fields["username"].widget.attrs["autocomplete"] = "email"


urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html",
            authentication_form=EmailAuthenticationForm,
            next_page=reverse_lazy("portal:withdraw"),
        ),
        name="login",
    ),
    path(
        "logout/",
        auth_views.LogoutView.as_view(next_page=reverse_lazy("portal:home")),
        name="logout",
    ),
]
