"""Customers getting into the portal (issue 15, points 1 and 6): log in by e-mail, activate
an imported account, a new password by e-mail, the lockout, and the customer's language.
Through Django's test client; tests/browser/test_portal_account.py drives the same pages in
Chromium."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import User
from notifications.models import Email
from notifications.rendering import email_render
from orders.models import Customer
from portal.account import customer_home_url
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"  # tests/factories.py
NEW_PASSWORD = "Brede-Zeilboot-42"
LOGIN = "/login/"
ACTIVATE = "/account/activate/"
RESET = "/account/password-reset/"
SENT = "/account/email-sent/"
_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def _default_after_login() -> str:
    try:
        return reverse("portal:my_returns")
    except NoReverseMatch:
        return reverse("portal:withdraw")


def page_text(response) -> bytes:
    """The page as a person sees it: without the per-response CSRF tokens."""
    return _CSRF.sub(b"", response.content)


def log_in(client: Client, email: str, password: str = PASSWORD, ip="10.0.0.1", **extra):
    return client.post(LOGIN, {"username": email, "password": password, **extra}, REMOTE_ADDR=ip)


def logged_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def link_in(email: Email) -> str:
    """The set-password link of a queued e-mail, as its reader finds it in the text part."""
    _subject, text, html = email_render(email)
    [url] = set(re.findall(r"https?://\S+/account/set-password/\S+/", text))
    assert f'href="{url}"' in html
    return url.removeprefix(settings.SITE_URL)


def set_password(client: Client, url: str, password: str = NEW_PASSWORD):
    """Follow the e-mail's link (Django moves the token into the session) and choose."""
    landing = client.get(url)
    assert landing.status_code == 302, "the link's token moves into the session"
    form_url = landing["Location"]
    form = client.get(form_url)
    return form, client.post(form_url, {"new_password1": password, "new_password2": password})


@pytest.fixture
def imported():
    """A consumer imported from the webshop: a customer row, no account."""
    return CustomerFactory(email="imke@example.nl", name="Imke Import", user=None, language="nl")


# --- logging in ------------------------------------------------------------------------------


def test_a_customer_logs_in_by_e_mail_in_any_case_and_lands_on_their_orders(client, anna):
    response = log_in(client, " ANNA@example.nl ")

    assert response.status_code == 302
    assert response["Location"] == _default_after_login()
    assert logged_in_as(client) == anna.user


def test_after_login_a_safe_next_is_followed_and_another_site_is_not(client, anna):
    assert log_in(client, anna.email, next="/withdraw/")["Location"] == "/withdraw/"
    client.logout()

    response = log_in(client, anna.email, next="https://evil.example/steal")

    assert response["Location"] == _default_after_login()


def test_a_wrong_password_and_an_unknown_address_get_the_same_sentence(client, anna):
    wrong = log_in(client, anna.email, "wrong-password")
    unknown = log_in(Client(), "nobody@example.nl", "wrong-password")

    assert wrong.status_code == unknown.status_code == 200
    assert b"The e-mail address or the password is not right" in wrong.content
    assert page_text(wrong).replace(b"anna@example.nl", b"X") == page_text(unknown).replace(
        b"nobody@example.nl", b"X"
    )
    assert logged_in_as(client) is None


def test_an_imported_customer_without_a_password_cannot_log_in_and_is_pointed_to_activation(
    client, imported
):
    response = log_in(client, imported.email, "")

    assert logged_in_as(client) is None
    assert reverse("portal:activate").encode() in response.content


def test_the_login_page_links_to_activation_and_a_forgotten_password(client):
    page = client.get(LOGIN).content.decode()

    assert f'href="{ACTIVATE}"' in page and "Activate your account" in page
    assert f'href="{RESET}"' in page


def test_logout_is_a_post_and_leads_home(client, anna):
    client.force_login(anna.user)

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert logged_in_as(client) is None


# --- activation ------------------------------------------------------------------------------


def test_a_known_and_an_unknown_address_get_the_same_answer(client, imported):
    known = client.post(ACTIVATE, {"email": imported.email})
    unknown = Client().post(ACTIVATE, {"email": "niemand@example.nl"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == SENT
    assert page_text(client.get(SENT)) == page_text(Client().get(SENT))
    assert Email.objects.count() == 1
    assert Email.objects.get().to == imported.email


def test_activation_links_an_account_and_its_link_sets_the_password_once(client, imported):
    client.post(ACTIVATE, {"email": "Imke@Example.NL"})  # any case

    imported.refresh_from_db()
    user = imported.user
    assert user is not None
    assert (user.username, user.email) == (imported.email, imported.email)
    assert not user.has_usable_password()
    email = Email.objects.get()
    assert (email.kind, email.to, email.language) == ("account_activation", imported.email, "nl")
    assert email.context == {}, "the row keeps no working key"
    subject, text, _html = email_render(email)
    assert "Imke Import" in text and "Beste" in text  # in her language, Dutch
    url = link_in(email)

    form, done = set_password(client, url)

    assert form.status_code == 200 and b"Choose your password" in form.content
    assert done.status_code == 302
    assert done["Location"] == customer_home_url()
    assert logged_in_as(client) == user
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The link worked once: used, it shows a clear page and changes nothing.
    again = Client()
    used = again.get(url, follow=True)
    assert used.status_code == 200
    assert b"This link no longer works" in used.content
    assert logged_in_as(again) is None
    # And the new password logs in.
    client.logout()
    assert log_in(Client(), imported.email, NEW_PASSWORD).status_code == 302


def test_an_expired_link_gets_the_clear_page(client, imported):
    client.post(ACTIVATE, {"email": imported.email})
    url = link_in(Email.objects.get())

    with time_machine.travel(timezone.now() + dt.timedelta(days=4)):
        response = client.get(url, follow=True)

    assert b"This link no longer works" in response.content
    assert f'href="{ACTIVATE}"'.encode() in response.content
    assert logged_in_as(client) is None


def test_a_forged_link_gets_the_clear_page(client, imported):
    client.post(ACTIVATE, {"email": imported.email})
    url = link_in(Email.objects.get())
    forged = re.sub(r"/[^/]+/$", "/abc-0123456789abcdef0123456789abcdef/", url)

    response = client.get(forged, follow=True)

    assert b"This link no longer works" in response.content


def test_asking_twice_in_a_row_sends_one_e_mail_and_still_answers_the_same(client, imported):
    first = client.post(ACTIVATE, {"email": imported.email})
    second = client.post(ACTIVATE, {"email": imported.email})

    assert first["Location"] == second["Location"] == SENT
    assert Email.objects.count() == 1
    assert User.objects.filter(email=imported.email).count() == 1


def test_a_weak_or_mismatched_password_is_refused_with_a_sentence(client, imported):
    client.post(ACTIVATE, {"email": imported.email})
    landing = client.get(link_in(Email.objects.get()))
    form_url = landing["Location"]

    weak = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    mismatch = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": "other"})

    assert weak.status_code == mismatch.status_code == 200
    assert b"too common" in weak.content
    assert b"didn" in mismatch.content  # "The two password fields didn't match."
    assert logged_in_as(client) is None
    assert not User.objects.get(email=imported.email).has_usable_password()


def test_a_bad_address_is_refused_with_a_sentence_and_nothing_is_sent(client):
    response = client.post(ACTIVATE, {"email": "not an address"})

    assert response.status_code == 200
    assert b"Enter a valid email address" in response.content
    assert Email.objects.count() == 0


def test_a_staff_member_gets_no_portal_link(client, support):
    client.post(ACTIVATE, {"email": support.email})
    client.post(RESET, {"email": support.email})

    assert Email.objects.count() == 0


# --- a forgotten password --------------------------------------------------------------------


def test_a_forgotten_password_is_replaced_through_the_e_mail(client, anna):
    known = client.post(RESET, {"email": anna.email})
    unknown = Client().post(RESET, {"email": "niemand@example.nl"})

    assert known["Location"] == unknown["Location"] == SENT
    email = Email.objects.get()
    assert (email.kind, email.to, email.language) == ("password_reset", anna.email, "nl")
    form, done = set_password(client, link_in(email))

    assert done.status_code == 302 and done["Location"] == customer_home_url()
    assert logged_in_as(client) == anna.user
    assert log_in(Client(), anna.email, PASSWORD).status_code == 200, "the old one is gone"
    assert log_in(Client(), anna.email, NEW_PASSWORD).status_code == 302


def test_an_imported_customer_asking_for_a_new_password_gets_the_activation(client, imported):
    client.post(RESET, {"email": imported.email})

    assert Email.objects.get().kind == "account_activation"


# --- lockout ---------------------------------------------------------------------------------


def test_five_failures_lock_the_portal_login_with_one_page_for_every_address(anna):
    known, unknown = Client(), Client()
    for _attempt in range(4):
        assert log_in(known, anna.email, "wrong", ip="10.0.0.1").status_code == 200
        assert log_in(unknown, "nobody@example.nl", "wrong", ip="10.0.0.2").status_code == 200

    known_page = log_in(known, anna.email, "wrong", ip="10.0.0.1")
    unknown_page = log_in(unknown, "nobody@example.nl", "wrong", ip="10.0.0.2")
    right_password = log_in(known, anna.email, PASSWORD, ip="10.0.0.3")

    for response in (known_page, unknown_page, right_password):
        assert response.status_code == 429
        assert response["Retry-After"] == str(15 * 60)
    assert page_text(known_page) == page_text(unknown_page)
    assert anna.email.encode() not in known_page.content
    assert logged_in_as(known) is None
    page = known_page.content.decode()
    assert "Too many failed logins" in page and "15 minutes" in page
    # The public site's page, not the admin's.
    assert 'class="withdraw-entry"' in page and f'href="{RESET}"' in page
    assert "admin" not in page.lower()


def test_the_admin_login_keeps_its_own_lockout_page(client, support):
    for _attempt in range(5):
        response = client.post(
            "/admin/login/", {"username": support.email, "password": "wrong", "next": "/admin/"}
        )

    assert response.status_code == 429
    assert b"withdraw-entry" not in response.content
    assert b"Too many failed logins" in response.content


# --- language (point 6) ----------------------------------------------------------------------


def test_login_speaks_the_language_of_the_customers_profile(client, anna):
    assert anna.language == "nl"

    response = log_in(client, anna.email)

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nl"
    home = client.get("/")
    assert home.headers["Content-Language"] == "nl"
    assert b'<html lang="nl"' in home.content


def test_setting_a_password_also_speaks_the_profiles_language(client, imported):
    client.post(ACTIVATE, {"email": imported.email})
    _form, done = set_password(client, link_in(Email.objects.get()))

    assert done.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nl"


def test_a_logged_in_customer_switching_language_keeps_it_on_the_profile(client, anna):
    client.force_login(anna.user)

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert Customer.objects.get(pk=anna.pk).language == "en"
    # Their next login speaks it.
    client.logout()
    assert log_in(client, anna.email).cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_a_visitor_or_a_staff_member_switching_language_changes_no_profile(client, anna, support):
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    client.force_login(support)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.force_login(anna.user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})  # not a language of ours

    assert Customer.objects.get(pk=anna.pk).language == "nl"


def test_a_staff_member_may_log_in_on_the_portal_and_goes_to_the_back_office(client):
    staff = UserFactory(email="staff@webstore4.example", is_staff=True)

    response = log_in(client, staff.email)

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert logged_in_as(client) == staff


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
@pytest.mark.parametrize("kind", ["account_activation", "password_reset"])
def test_each_account_e_mail_renders_in_each_language_with_its_link(kind, language, anna):
    from notifications.services import email_queue

    email = email_queue(
        kind=kind, dedupe_key=f"t:{kind}", to=anna.email, language=language, subject=anna.user
    )

    subject, text, html = email_render(email)
    assert subject and "\n" not in subject
    assert "Anna de Vries" in text
    assert link_in(email).startswith("/account/set-password/")
    assert f'<html lang="{language}">' in html
