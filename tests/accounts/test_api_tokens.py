"""API tokens (issue 17.6): they expire, can be revoked from the admin and a command, note
their last use once a minute, and are held to a rate limit."""

import datetime as dt
import os

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.api_auth import API_TOKEN_RATE_LIMIT
from accounts.models import ApiToken
from tests.factories import AMSTERDAM

pytestmark = pytest.mark.django_db
# Any API address that needs a token: an unknown order is 404 to staff who are let in.
URL = "/api/v1/orders/NO-SUCH-ORDER/returnability"


def ask(client, key: str):
    return client.get(URL, headers={"authorization": f"Bearer {key}"})


# --- expiry ----------------------------------------------------------------------------------


def test_a_token_expires_after_ninety_days_unless_issued_for_fewer(client, support):
    token, key = ApiToken.issue(user=support, name="feed")
    short, short_key = ApiToken.issue(user=support, name="trial", days=7)

    assert token.expires_at - token.created_at == pytest.approx(
        dt.timedelta(days=90), abs=dt.timedelta(seconds=5)
    )
    with time_machine.travel(short.expires_at - dt.timedelta(seconds=1), tick=False):
        assert ask(client, short_key).status_code == 404
    with time_machine.travel(short.expires_at, tick=False):
        assert ask(client, short_key).status_code == 401
        assert ask(client, key).status_code == 404
    with time_machine.travel(token.expires_at + dt.timedelta(seconds=1), tick=False):
        assert ask(client, key).status_code == 401


def test_issue_api_token_takes_the_days_and_prints_the_expiry(support, capsys):
    call_command("issue_api_token", support.email, "--name", "trial", "--days", "30")

    out, err = capsys.readouterr()
    token = ApiToken.objects.get(user=support)
    assert ApiToken.objects.for_key(out.strip()) == token
    assert (token.expires_at - timezone.now()).days == 29  # 30 days less a moment
    assert token.prefix == out.strip()[:8]
    assert token.prefix in err
    assert "valid until" in err


@pytest.mark.parametrize("days", ["0", "-3", "367"])
def test_issue_api_token_refuses_a_lifetime_out_of_bounds(support, days):
    with pytest.raises(CommandError, match="1 to 366 days"):
        call_command("issue_api_token", support.email, "--name", "feed", "--days", days)

    assert not ApiToken.objects.exists()


# --- revocation ------------------------------------------------------------------------------


def test_a_superuser_revokes_tokens_with_the_admin_action(client, admin, support):
    token, key = ApiToken.issue(user=support, name="feed")
    kept, kept_key = ApiToken.issue(user=support, name="other feed")
    client.force_login(admin)

    response = client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 token revoked." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert ask(client, key).status_code == 401
    assert ask(client, kept_key).status_code == 404


def test_the_token_admin_lists_and_finds_tokens_by_owner_name_or_key_start(client, admin, support):
    token, _key = ApiToken.issue(user=support, name="webshop feed")
    client.force_login(admin)

    for query in ("sam.support", "webshop", token.prefix):
        page = client.get("/admin/accounts/apitoken/", {"q": query}).content.decode()
        assert "webshop feed" in page, query
        assert "active" in page
    assert (
        "webshop feed"
        not in client.get("/admin/accounts/apitoken/", {"q": "nobody"}).content.decode()
    )


def test_support_staff_cannot_see_or_revoke_tokens(client, support):
    ApiToken.issue(user=support, name="feed")
    client.force_login(support)

    assert client.get("/admin/accounts/apitoken/").status_code == 403


def test_revoke_api_token_by_the_start_of_the_key(client, support, capsys):
    token, key = ApiToken.issue(user=support, name="feed")
    kept, kept_key = ApiToken.issue(user=support, name="other feed")

    call_command("revoke_api_token", "--prefix", key[:6])

    assert "1 token revoked." in capsys.readouterr().out
    assert ask(client, key).status_code == 401
    assert ask(client, kept_key).status_code == 404


def test_revoke_api_token_by_the_whole_key(client, support):
    _token, key = ApiToken.issue(user=support, name="feed")

    call_command("revoke_api_token", "--prefix", key)

    assert ask(client, key).status_code == 401


def test_revoke_api_token_every_token_of_a_user(client, support, warehouse, capsys):
    keys = [ApiToken.issue(user=support, name=f"feed {n}")[1] for n in range(2)]
    _other, other_key = ApiToken.issue(user=warehouse, name="scanner")

    call_command("revoke_api_token", "--email", support.email.upper())

    assert "2 tokens revoked." in capsys.readouterr().out
    assert [ask(client, key).status_code for key in keys] == [401, 401]
    assert ask(client, other_key).status_code == 404


def test_revoke_api_token_refuses_a_short_prefix_and_one_that_matches_nothing(support):
    ApiToken.issue(user=support, name="feed")

    with pytest.raises(CommandError, match="at least 6 characters"):
        call_command("revoke_api_token", "--prefix", "abc")
    with pytest.raises(CommandError, match="nothing was revoked"):
        call_command("revoke_api_token", "--prefix", "zzzzzzzz")
    with pytest.raises(CommandError, match="nothing was revoked"):
        call_command("revoke_api_token", "--email", "nobody@webstore4.example")

    assert ApiToken.objects.usable().count() == 1


def test_revoke_api_token_refuses_a_prefix_shared_by_two_tokens(support):
    one, _ = ApiToken.issue(user=support, name="one")
    two, _ = ApiToken.issue(user=support, name="two")
    ApiToken.objects.filter(pk=one.pk).update(prefix="Abcdef12")
    ApiToken.objects.filter(pk=two.pk).update(prefix="Abcdef34")

    with pytest.raises(CommandError, match="More than one"):
        call_command("revoke_api_token", "--prefix", "Abcdef")

    assert ApiToken.objects.usable().count() == 2


# --- last use --------------------------------------------------------------------------------


def test_the_last_use_is_noted_at_most_once_a_minute(client, support):
    token, key = ApiToken.issue(user=support, name="feed")
    start = dt.datetime(2026, 11, 23, 10, 0, 0, tzinfo=AMSTERDAM)

    with time_machine.travel(start, tick=False) as clock:
        assert token.last_used_at is None
        ask(client, key)
        token.refresh_from_db()
        assert token.last_used_at == start

        clock.shift(dt.timedelta(seconds=59))
        ask(client, key)
        token.refresh_from_db()
        assert token.last_used_at == start, "no write within the minute"

        clock.shift(dt.timedelta(seconds=2))
        ask(client, key)
        token.refresh_from_db()
        assert token.last_used_at == start + dt.timedelta(seconds=61)


def test_a_request_within_the_minute_writes_nothing(client, support, django_assert_num_queries):
    _token, key = ApiToken.issue(user=support, name="feed")
    ask(client, key)

    # The token with its user, and the order looked up: no update of the last use.
    with django_assert_num_queries(2):
        assert ask(client, key).status_code == 404


# --- rate limit ------------------------------------------------------------------------------


def test_the_limit_is_120_requests_a_minute(settings):
    assert not hasattr(settings, "API_TOKEN_RATE_LIMIT")
    assert API_TOKEN_RATE_LIMIT == 120


def test_over_the_limit_a_token_gets_429_with_retry_after_until_the_minute_ends(
    client, settings, support
):
    settings.API_TOKEN_RATE_LIMIT = 3
    _token, key = ApiToken.issue(user=support, name="feed")
    _other, other_key = ApiToken.issue(user=support, name="other feed")

    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, 40, tzinfo=AMSTERDAM), tick=False):
        answers = [ask(client, key) for _request in range(4)]
        other = ask(client, other_key)

    assert [answer.status_code for answer in answers] == [404, 404, 404, 429]
    assert answers[-1].json() == {"detail": "Too many requests."}
    assert answers[-1]["Retry-After"] == "20"
    assert other.status_code == 404, "each token has its own count"
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 1, 0, tzinfo=AMSTERDAM), tick=False):
        assert ask(client, key).status_code == 404, "a new minute, a new count"


def test_the_full_limit_of_a_minute_is_served_and_the_next_request_refused(client, support):
    _token, key = ApiToken.issue(user=support, name="feed")

    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, 0, tzinfo=AMSTERDAM), tick=False):
        statuses = [ask(client, key).status_code for _request in range(API_TOKEN_RATE_LIMIT + 1)]

    assert statuses[:-1] == [404] * API_TOKEN_RATE_LIMIT
    assert statuses[-1] == 429


def test_a_session_is_not_held_to_the_token_limit(client, settings, anna):
    settings.API_TOKEN_RATE_LIMIT = 1
    client.force_login(anna.user)

    assert [client.get(URL).status_code for _request in range(3)] == [404, 404, 404]


def test_an_unavailable_cache_lets_requests_through_rather_than_failing_them(
    client, support, monkeypatch
):
    def unreachable(key):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr("accounts.api_auth._count", unreachable)
    _token, key = ApiToken.issue(user=support, name="feed")

    assert ask(client, key).status_code == 404


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis of production")
def test_the_limit_is_counted_in_redis_as_production_shares_it(client, settings, support):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
    settings.API_TOKEN_RATE_LIMIT = 2
    _token, key = ApiToken.issue(user=support, name="feed")

    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, 30, tzinfo=AMSTERDAM), tick=False):
        statuses = [ask(client, key).status_code for _request in range(3)]

    assert statuses == [404, 404, 429]
