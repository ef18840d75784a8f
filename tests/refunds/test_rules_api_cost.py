"""What a request of the rules API costs (issue 19): a fixed handful of queries whatever the
size of the order, no write of the token's last use within the minute, and the policies
and holidays remembered between requests without missing a change."""

import datetime as dt
import os
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.api_auth import _count
from accounts.models import ApiToken
from orders.models import Discount, Payment, ShipmentLine
from policies.models import LegalHoliday, ReturnPolicy
from policies.selectors import _GENERATION_KEY
from tests.factories import (
    AMSTERDAM,
    OrderFactory,
    OrderLineFactory,
    ShipmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# The token with its user, the order with its customer and its lines (with products and
# vendors), the user's permissions, then the rest of the facts: the shipments (with what
# each held), the payments and discounts. The policies and the legal calendar are remembered.
RETURNABILITY_QUERIES = 5
# … and the units other withdrawals of the order hold (W8).
QUOTE_QUERIES = RETURNABILITY_QUERIES + 1


def an_order(number: str, *, lines: int, shipments: int, payments: int):
    """An order delivered in `shipments` parcels between 2 and 8 October 2026, its lines
    shared out over them, paid in `payments` parts, with a discount."""
    order = OrderFactory(number=number)
    parcels = [
        ShipmentFactory(
            order=order,
            shipped_at=dt.datetime(2026, 10, 2 + 2 * n, 9, 0, tzinfo=AMSTERDAM),
            delivered_at=dt.datetime(2026, 10, 3 + 2 * n, 14, 0, tzinfo=AMSTERDAM),
        )
        for n in range(shipments)
    ]
    for n in range(lines):
        line = OrderLineFactory(
            order=order, line_id=str(n + 1), quantity=1 + n % 3, serials=[f"SN{n}"]
        )
        ShipmentLine.objects.create(
            shipment=parcels[n % shipments], line=line, quantity=line.quantity
        )
    Discount.objects.create(order=order, code="WELCOME", amount=Decimal("5.00"))
    for n in range(payments):
        Payment.objects.create(order=order, method="ideal", amount=Decimal("10.00") + n)
    return order


@pytest.fixture
def small_order(db):
    return an_order("WS-SMALL", lines=1, shipments=1, payments=1)


@pytest.fixture
def large_order(db):
    return an_order("WS-LARGE", lines=30, shipments=4, payments=3)


@pytest.fixture
def key(support):
    _token, key = ApiToken.issue(user=support, name="tests")
    return key


def returnability(client, key, number):
    return client.get(
        f"/api/v1/orders/{number}/returnability?on=2026-10-12",
        headers={"authorization": f"Bearer {key}"},
    )


def quote(client, key, number):
    return client.post(
        "/api/v1/refund-quotes",
        {
            "order": number,
            "lines": [{"line": "1", "quantity": 1}],
            "reason": "withdrawal",
            "on": "2026-10-12",
        },
        content_type="application/json",
        headers={"authorization": f"Bearer {key}"},
    )


def queries_of(ask) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = ask()
    assert response.status_code == 200, response.content
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize(
    ("ask", "expected"), [(returnability, RETURNABILITY_QUERIES), (quote, QUOTE_QUERIES)]
)
def test_a_request_costs_the_same_queries_for_one_line_as_for_thirty(
    client, key, small_order, large_order, ask, expected
):
    ask(client, key, small_order.number)  # the first request reads the policies once

    small = queries_of(lambda: ask(client, key, small_order.number))
    large = queries_of(lambda: ask(client, key, large_order.number))

    assert len(small) == len(large) == expected, "\n".join(large)


@pytest.mark.parametrize("ask", [returnability, quote])
def test_a_second_request_within_the_minute_does_not_write_the_last_use(
    client, key, small_order, ask
):
    ask(client, key, small_order.number)
    token = ApiToken.objects.get()
    first_use = token.last_used_at
    assert first_use is not None

    queries = queries_of(lambda: ask(client, key, small_order.number))

    assert not [sql for sql in queries if not sql.lstrip().upper().startswith(("SELECT", "("))]
    token.refresh_from_db()
    assert token.last_used_at == first_use


def test_a_changed_policy_answers_the_next_request(client, key, small_order):
    before = returnability(client, key, small_order.number).json()
    policy = ReturnPolicy.default()
    policy.withdrawal_days = 30
    policy.save()

    after = returnability(client, key, small_order.number).json()

    # Delivered on Saturday 3 October 2026: 14 days end on Saturday the 17th, so on
    # Monday the 19th (W2); 30 days on Monday 2 November.
    assert before["lines"][0]["withdrawal"]["last_day"] == "2026-10-19"
    assert after["lines"][0]["withdrawal"]["last_day"] == "2026-11-02"


def test_a_legal_holiday_added_or_removed_answers_the_next_request(client, key, small_order):
    def last_day():
        return returnability(client, key, small_order.number).json()["lines"][0]["withdrawal"][
            "last_day"
        ]

    before = last_day()
    holiday = LegalHoliday.objects.create(
        country="NL", day=dt.date(2026, 10, 19), name="Test decree"
    )
    with_holiday = last_day()
    holiday.delete()

    assert (before, with_holiday, last_day()) == ("2026-10-19", "2026-10-20", "2026-10-19")


def test_a_change_another_process_announces_is_read_again(client, key, small_order):
    """Another worker's change reaches this one through the generation in the shared cache;
    here the change bypasses this process's signals, as one made elsewhere does."""

    def last_day():
        return returnability(client, key, small_order.number).json()["lines"][0]["withdrawal"][
            "last_day"
        ]

    before = last_day()
    ReturnPolicy.objects.filter(is_default=True).update(withdrawal_days=30)
    remembered = last_day()

    cache.set(_GENERATION_KEY, "announced by another process")

    assert (before, remembered, last_day()) == ("2026-10-19", "2026-10-19", "2026-11-02")


def test_a_staff_member_needs_the_permission_in_their_own_right_or_a_group(client, small_order):
    alone = UserFactory(email="alone@webstore4.example", is_staff=True)
    direct = UserFactory(email="direct@webstore4.example", is_staff=True)
    direct.user_permissions.add(
        Permission.objects.get(content_type__app_label="orders", codename="view_order")
    )
    statuses = {}
    for user in (alone, direct):
        _token, user_key = ApiToken.issue(user=user, name="tests")
        statuses[user.email] = returnability(client, user_key, small_order.number).status_code

    assert statuses == {"alone@webstore4.example": 404, "direct@webstore4.example": 200}


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis of production")
def test_the_redis_count_adds_one_expires_with_its_window_and_reads_back(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "retour-tests",
        }
    }
    key = f"api-rate:test:{uuid.uuid4().hex}"
    redis = caches["default"]
    try:
        counts = [_count(key) for _request in range(3)]

        assert counts == [1, 2, 3]
        assert redis.get(key) == 3
        client = redis._cache.get_client(redis.make_and_validate_key(key))
        assert 0 < client.ttl(redis.make_and_validate_key(key)) <= 120, "the window expires"
    finally:
        redis.delete(key)
