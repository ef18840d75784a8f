"""Appendix B through its two doors: the management commands and the JSON API."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiToken
from orders.models import Discount, Payment, ShipmentLine
from tests.factories import (
    AMSTERDAM,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ShipmentFactory,
    VendorFactory,
)


@pytest.fixture
def ws_100234(anna):
    """The order of Appendix A: delivered on Saturday 3 October 2026."""
    order = OrderFactory(
        number="WS-100234",
        customer=anna,
        shipping_method="express",
        shipping_price=Decimal("12.95"),
        standard_shipping_price=Decimal("6.95"),
    )
    phone = ProductFactory(
        sku="GS-GRP2614", vendor=VendorFactory(name="Grandstream"), has_login=True
    )
    nvr = ProductFactory(sku="HK-NVR-8CH", vendor=VendorFactory(name="Hikvision"), has_login=True)
    lines = [
        OrderLineFactory(
            order=order, line_id="1", product=phone, quantity=2, unit_price=Decimal("120.00")
        ),
        OrderLineFactory(
            order=order, line_id="2", product=nvr, quantity=1, unit_price=Decimal("860.00")
        ),
    ]
    shipment = ShipmentFactory(
        order=order, delivered_at=dt.datetime(2026, 10, 3, 14, 0, tzinfo=AMSTERDAM)
    )
    for line in lines:
        ShipmentLine.objects.create(shipment=shipment, line=line, quantity=line.quantity)
    Discount.objects.create(order=order, code="5PCT-OVER-1000", amount=Decimal("55.00"))
    Payment.objects.create(order=order, method="ideal", amount=Decimal("1057.95"))
    return order


def run(command: str, *args: str) -> dict:
    from io import StringIO

    out = StringIO()
    call_command(command, *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_the_returnability_command_prints_appendix_b_for_the_example_order(ws_100234):
    report = run("returnability", "WS-100234", "--on", "2026-10-10")

    assert (report["order"], report["on"], report["policy"]) == (
        "WS-100234",
        "2026-10-10",
        "webstore4",
    )
    first = report["lines"][0]
    assert first["line"] == "1" and first["sku"] == "GS-GRP2614"
    assert first["returnable_quantity"] == 2
    # Saturday 17 October moves to Monday 19 October (W2).
    withdrawal = first["withdrawal"]
    assert (withdrawal["allowed"], withdrawal["last_day"], withdrawal["rules"]) == (
        True,
        "2026-10-19",
        ["W1", "W2"],
    )
    assert withdrawal["sentence"] == "You can withdraw until Monday 19 October 2026."
    assert first["warranty"] == {"until": "2028-10-03", "active": True}
    assert first["legal_guarantee"] == {"until": "2028-10-03", "active": True}
    assert "withdrawal" in first["reasons"]


@pytest.mark.django_db
def test_the_returnability_command_uses_another_preset_when_asked(ws_100234):
    report = run("returnability", "WS-100234", "--on", "2026-10-10", "--policy", "licence-shop")

    assert report["policy"] == "licence-shop"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["WS-999999"], "There is no order WS-999999"),
        (["WS-100234", "--on", "10-10-2026"], "is not a date"),
        (["WS-100234", "--policy", "cheapest"], "There is no policy"),
    ],
)
def test_the_returnability_command_refuses_bad_input_clearly(ws_100234, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("returnability", *args)


@pytest.mark.django_db
def test_the_refund_quote_command_itemizes_a_whole_order_withdrawal(ws_100234):
    quote = run(
        "refund_quote",
        "WS-100234",
        "--line",
        "1:2",
        "--line",
        "2:1",
        "--reason",
        "withdrawal",
        "--on",
        "2026-10-10",
    )

    amounts = [Decimal(item["amount"]) for item in quote["items"]]
    assert sum(amounts) == Decimal(quote["total"])
    # goods 1100.00 − discount 55.00 + standard delivery 6.95 (W8: not the express 12.95)
    assert Decimal(quote["total"]) == Decimal("1051.95")
    assert {item["rule"] for item in quote["items"]} >= {"F1", "W8"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--line", "9:1", "--reason", "withdrawal"], "9"),
        (["--line", "1:3", "--reason", "withdrawal"], "2"),
        (["--line", "1:x", "--reason", "withdrawal"], "is not a line and quantity"),
        (["--line", "1:1", "--reason", "boredom"], "is not a reason"),
        (["--reason", "withdrawal"], "Name at least one line"),
    ],
)
def test_the_refund_quote_command_refuses_bad_input_clearly(ws_100234, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("refund_quote", "WS-100234", "--on", "2026-10-10", *args)


@pytest.mark.django_db
def test_the_customer_sees_their_own_order_returnability_over_the_api(client, ws_100234, anna):
    client.force_login(anna.user)

    response = client.get("/api/v1/orders/WS-100234/returnability?on=2026-10-10")

    assert response.status_code == 200
    assert response.json()["lines"][0]["withdrawal"]["last_day"] == "2026-10-19"


@pytest.mark.django_db
def test_another_customer_does_not_find_the_order(client, ws_100234, stranger):
    client.force_login(stranger)

    response = client.get("/api/v1/orders/WS-100234/returnability?on=2026-10-10")

    assert response.status_code == 404


@pytest.mark.django_db
def test_nobody_logged_in_gets_401(client, ws_100234):
    assert client.get("/api/v1/orders/WS-100234/returnability").status_code == 401


@pytest.mark.django_db
def test_staff_with_a_token_may_ask_about_any_order(client, ws_100234, support):
    _token, key = ApiToken.issue(user=support, name="tests")

    response = client.get(
        "/api/v1/orders/WS-100234/returnability?on=2026-10-10",
        headers={"authorization": f"Bearer {key}"},
    )

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_bad_date_over_the_api_is_a_400_with_a_reason(client, ws_100234, anna):
    client.force_login(anna.user)

    response = client.get("/api/v1/orders/WS-100234/returnability?on=tomorrow")

    assert response.status_code == 400
    assert "is not a date" in response.json()["detail"]


@pytest.mark.django_db
def test_the_refund_quote_api_returns_the_itemized_quote(client, ws_100234, anna):
    client.force_login(anna.user)

    response = client.post(
        "/api/v1/refund-quotes",
        {
            "order": "WS-100234",
            "lines": [{"line": "1", "quantity": 1}],
            "reason": "withdrawal",
            "on": "2026-10-10",
        },
        content_type="application/json",
    )

    assert response.status_code == 200
    quote = response.json()
    assert sum(Decimal(i["amount"]) for i in quote["items"]) == Decimal(quote["total"])
    # One phone of 120.00 less its share of the 55.00 discount (240/1100 × 55 / 2 = 6.00);
    # a partial withdrawal refunds no delivery (W8).
    assert Decimal(quote["total"]) == Decimal("114.00")
    assert "W8" not in {item["rule"] for item in quote["items"] if Decimal(item["amount"]) > 0}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status"),
    [
        (
            {"order": "WS-100234", "lines": [{"line": "1", "quantity": 5}], "reason": "withdrawal"},
            400,
        ),
        ({"order": "WS-100234", "lines": [{"line": "1"}], "reason": "whim"}, 400),
        ({"order": "WS-000000", "lines": [{"line": "1"}], "reason": "withdrawal"}, 404),
        ({"order": "WS-100234", "lines": "all", "reason": "withdrawal"}, 422),
    ],
)
def test_the_refund_quote_api_refuses_bad_input_without_a_500(
    client, ws_100234, anna, body, status
):
    client.force_login(anna.user)

    response = client.post("/api/v1/refund-quotes", body, content_type="application/json")

    assert response.status_code == status
