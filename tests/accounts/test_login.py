"""Logging in (issue 17.6): by e-mail address in any case, and locked out after repeated
failures, per address and per network, with the same page for every address."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.test import Client
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-only"  # tests/factories.py
LOGIN = "/admin/login/"


def log_in(client: Client, email: str, password: str = PASSWORD, ip: str = "10.0.0.1"):
    return client.post(
        LOGIN, {"username": email, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip
    )


def fail(client: Client, email: str, times: int, ip: str = "10.0.0.1") -> None:
    for _attempt in range(times):
        response = log_in(client, email, "wrong-password", ip=ip)
        assert response.status_code == 200, "a failure below the limit shows the form again"
        assert b"correct e-mail address and password" in response.content


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- lockout ---------------------------------------------------------------------------------


def test_the_fifth_failure_locks_the_address_out_and_the_sixth_is_refused_with_the_right_password(
    client, support
):
    fail(client, support.email, 4)

    fifth = log_in(client, support.email, "wrong-password")
    sixth = log_in(client, support.email)

    for response in (fifth, sixth):
        assert response.status_code == 429
        assert response["Retry-After"] == str(15 * 60)
        assert b"Too many failed logins" in response.content
        assert b"15 minutes" in response.content
    assert not logged_in(client)


def test_an_unknown_address_gets_the_same_lockout_page_as_a_known_one(support):
    known, unknown = Client(), Client()
    fail(known, support.email, 4, ip="10.0.0.1")
    fail(unknown, "nobody@webstore4.example", 4, ip="10.0.0.2")

    known_page = log_in(known, support.email, "wrong-password", ip="10.0.0.1")
    unknown_page = log_in(unknown, "nobody@webstore4.example", "wrong", ip="10.0.0.2")

    assert known_page.status_code == unknown_page.status_code == 429
    assert known_page.content == unknown_page.content
    assert support.email.encode() not in known_page.content


def test_the_lockout_holds_from_another_network_and_lifts_after_a_quarter_of_an_hour(
    client, support
):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail(client, support.email, 4)
        assert log_in(client, support.email, "wrong-password").status_code == 429

        assert log_in(client, support.email, ip="10.9.9.9").status_code == 429
        clock.shift(dt.timedelta(minutes=14))
        assert log_in(client, support.email).status_code == 429
        clock.shift(dt.timedelta(minutes=15, seconds=1))
        response = log_in(client, support.email)

    assert response.status_code == 302
    assert logged_in(client)


def test_different_cases_of_one_address_share_one_count(client, support):
    fail(client, support.email.upper(), 2)
    fail(client, support.email.title(), 2)

    assert log_in(client, support.email, "wrong-password").status_code == 429


def test_a_successful_login_forgets_the_failures(client, support):
    fail(client, support.email, 4)
    assert log_in(client, support.email).status_code == 302
    client.logout()

    fail(client, support.email, 4)  # would have been the 5th to 8th failure

    assert log_in(client, support.email, "wrong-password").status_code == 429


def test_a_network_is_locked_out_after_its_own_larger_limit(settings, support):
    settings.AXES_FAILURE_LIMIT_PER_IP = 8
    attacker = Client()
    for n in range(8):  # one failure each for eight addresses: no address reaches five
        last = log_in(attacker, f"guess{n}@webstore4.example", "wrong", ip="10.6.6.6")
    assert last.status_code == 429

    refused = log_in(attacker, support.email, ip="10.6.6.6")
    elsewhere = log_in(Client(), support.email, ip="10.7.7.7")

    assert refused.status_code == 429
    assert elsewhere.status_code == 302


def test_the_limits_are_five_per_address_fifty_per_network_for_a_quarter_of_an_hour(settings):
    from axes.helpers import get_cool_off

    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_FAILURE_LIMIT_PER_IP == 50
    assert get_cool_off() == dt.timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


def test_behind_a_trusted_proxy_the_network_is_the_one_the_proxy_saw(settings, support):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT_PER_IP = 3
    client = Client()
    for n in range(3):
        client.post(
            LOGIN,
            {"username": f"guess{n}@webstore4.example", "password": "wrong"},
            REMOTE_ADDR="172.16.0.1",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 10.6.6.6",  # what the client wrote is ignored
        )

    def right_password_from(forwarded_for: str):
        return Client().post(
            LOGIN,
            {"username": support.email, "password": PASSWORD},
            REMOTE_ADDR="172.16.0.1",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    assert right_password_from("9.9.9.9, 10.6.6.6").status_code == 429
    assert right_password_from("10.8.8.8").status_code == 302, "another client, same proxy"


# --- the address in any case -----------------------------------------------------------------


def test_an_address_logs_in_in_any_case():
    user = UserFactory(email="support@webstore4.example", is_staff=True)
    client = Client()

    response = log_in(client, "  Support@WebStore4.example ")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_authenticate_finds_the_user_in_any_case_and_refuses_a_wrong_password(support):
    assert authenticate(username=support.email.upper(), password=PASSWORD) == support
    assert authenticate(username=support.email.upper(), password="wrong") is None
    assert authenticate(username="nobody@webstore4.example", password=PASSWORD) is None


def test_an_inactive_user_is_refused_whatever_the_case():
    UserFactory(email="gone@webstore4.example", is_staff=True, is_active=False)
    client = Client()

    response = log_in(client, "Gone@WebStore4.example")

    assert response.status_code == 200
    assert not logged_in(client)


def test_two_addresses_differing_only_in_case_log_in_only_exactly():
    exact = UserFactory(email="Twin@webstore4.example")
    other = UserFactory(email="twin@webstore4.example")

    assert authenticate(username="Twin@webstore4.example", password=PASSWORD) == exact
    assert authenticate(username="twin@webstore4.example", password=PASSWORD) == other
    assert authenticate(username="TWIN@webstore4.example", password=PASSWORD) is None


def test_the_test_client_still_logs_in_without_a_request(support):
    client = Client()

    assert client.login(username=support.email, password=PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_without_a_request_a_locked_out_address_is_still_refused(support):
    fail(Client(), support.email, 4)
    log_in(Client(), support.email, "wrong-password")

    assert not Client().login(username=support.email, password=PASSWORD)
