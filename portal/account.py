"""Customers' accounts on the public site (issue 15, point 1): log in by e-mail address, log
out, activate an account imported from the webshop, set a new password by e-mail, and the
customer's language (point 6).

Failed logins here count towards the same django-axes lockout as the admin's
(accounts.lockout); its page then looks like the portal. The activation and the
forgotten-password pages answer the same for every address (portal.activation).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from orders.models import Customer
from portal.activation import account_access_request

# The attribute a login leaves on its request when the customer's profile names a language.
_LANGUAGE = "_retour_customer_language"
# How the e-mail the pages ask for was reached: this page says so, whatever the address.
_SENT = "portal:account_email_sent"


def _first_url(*names: str) -> str:
    """The first of `names` this site has (the orders page may not exist yet)."""
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    raise NoReverseMatch(names[-1])


def customer_home_url() -> str:
    """Where a logged-in customer starts: their orders and returns."""
    return _first_url("portal:my_returns", "portal:home")


# --- the customer's language (point 6) -------------------------------------------------------


def language_from_profile(sender, request, user, **kwargs) -> None:
    """On login, speak the language of the customer's profile (user_logged_in receiver,
    connected in portal.apps). The login's response sets the cookie LocaleMiddleware reads."""
    if request is None:
        return
    language = Customer.objects.filter(user=user).values_list("language", flat=True).first()
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language
        setattr(request, _LANGUAGE, language)


def _remember_language(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    language = getattr(request, _LANGUAGE, None)
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a logged-in customer's choice is also kept on their profile,
    so their e-mails and their next login speak it too."""
    response = i18n.set_language(request)
    language = request.POST.get("language") if request.method == "POST" else None
    if (
        request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and response.status_code in (200, 302)
    ):
        Customer.objects.filter(user=request.user).exclude(language=language).update(
            language=language
        )
    return response


# --- logging in and out ----------------------------------------------------------------------


class EmailAuthenticationForm(AuthenticationForm):
    """Customers log in with their e-mail address (accounts.backends.EmailBackend). One
    sentence for a wrong password, an unknown address and an account not activated yet."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "The e-mail address or the password is not right. Passwords are case-sensitive. "
            "If you never set a password for this shop, activate your account first."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        self.fields["username"].widget.attrs["autocomplete"] = "email"


class LoginView(auth_views.LoginView):
    """After login: the `next` address when it is on this site, else the customer's orders
    and returns, else (before that page exists) the withdrawal function. Staff may log in
    here too; without a `next` they go to the back office, which is theirs."""

    template_name = "portal/login.html"
    authentication_form = EmailAuthenticationForm

    def get_default_redirect_url(self) -> str:
        if self.request.user.is_staff:
            return reverse("admin:index")
        return _first_url("portal:my_returns", "portal:withdraw")

    def form_valid(self, form):
        return _remember_language(self.request, super().form_valid(form))


# --- activation and a forgotten password -----------------------------------------------------


class AddressForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("E-mail address"),
        help_text=gettext_lazy("The address you ordered with."),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _address_page(request: HttpRequest, template: str) -> HttpResponse:
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_access_request(address=form.cleaned_data["email"])
        return HttpResponseRedirect(reverse(_SENT))
    return render(request, template, {"form": form})


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """An imported customer asks for the e-mail that lets them choose a password."""
    return _address_page(request, "portal/account/activate.html")


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """A customer who forgot their password asks for a new one."""
    return _address_page(request, "portal/account/password_reset.html")


@never_cache
def email_sent(request: HttpRequest) -> HttpResponse:
    """The one answer to both pages, whatever the address typed."""
    return render(request, "portal/account/email_sent.html")


class PortalSetPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password2"].label = _("New password again")


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The e-mails' link: choose a password, then logged in and on to the orders and returns.
    The link works once (the token signs the password hash) and expires after
    settings.PASSWORD_RESET_TIMEOUT; then a page says so and offers a new one."""

    template_name = "portal/account/set_password.html"
    form_class = PortalSetPasswordForm
    post_reset_login = True
    post_reset_login_backend = "accounts.backends.EmailBackend"

    def get_success_url(self) -> str:
        return customer_home_url()

    def form_valid(self, form):
        return _remember_language(self.request, super().form_valid(form))


urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path(
        "logout/",
        auth_views.LogoutView.as_view(next_page=reverse_lazy("portal:home")),
        name="logout",
    ),
    path("account/activate/", activate, name="activate"),
    path("account/password-reset/", password_reset, name="password_reset"),
    path("account/email-sent/", email_sent, name="account_email_sent"),
    path(
        "account/set-password/<uidb64>/<token>/",
        SetPasswordView.as_view(),
        name="set_password",
    ),
]
