"""SPEC Appendix B: the returnability report's keys and values for the worked example.

WS-100234 delivered Saturday 3 October 2026, asked on 10 October: the fourteenth day,
Saturday 17 October, moves to Monday 19 October (W1, W2); a 24-month vendor warranty and
the 24-month legal guarantee both run until 3 October 2028.
"""

from datetime import date

import pytest
from django.utils import translation

from orders.facts import Flag
from policies.reasons import Reason
from policies.terms import PRESETS
from refunds.calculator import quote
from refunds.reports import returnability_report
from tests.builders import DELIVERED, business, nvr, order, phone, shipping

WEBSTORE4 = PRESETS["webstore4"]
ON = date(2026, 10, 10)


def ws_100234(customer=None, delivered=DELIVERED):
    """Appendix A's order in full: serials, login flags, the discount and the express delivery."""
    return order(
        phone(
            quantity=2,
            flags=frozenset({Flag.HAS_LOGIN}),
            serials=("GS2614A001", "GS2614A002"),
            warranty_months=24,
            vendor_doa_days=14,
        ),
        nvr(flags=frozenset({Flag.HAS_LOGIN}), serials=("HKNVR8A0001",), warranty_months=24),
        customer=customer,
        shipping=shipping("express", "12.95", standard="6.95"),
        discounts={"5PCT-OVER-1000": "55.00"},
        payments={"ideal": "1057.95"},
        delivered=delivered,
    )


def test_the_report_matches_appendix_b_for_ws_100234():
    report = returnability_report(ws_100234(), WEBSTORE4, ON)

    assert report["order"] == "WS-100234"
    assert report["on"] == "2026-10-10"
    assert report["policy"] == "webstore4"
    first = report["lines"][0]
    assert first["line"] == "1"
    assert first["sku"] == "GS-GRP2614"
    assert first["returnable_quantity"] == 2
    assert {k: first["withdrawal"][k] for k in ("allowed", "last_day", "rules")} == {
        "allowed": True,
        "last_day": "2026-10-19",
        "rules": ["W1", "W2"],
    }
    assert first["warranty"] == {"until": "2028-10-03", "active": True}
    assert first["legal_guarantee"] == {"until": "2028-10-03", "active": True}
    assert report["lines"][1]["line"] == "2"
    assert report["lines"][1]["returnable_quantity"] == 1


@pytest.mark.parametrize(
    ("line_index", "reasons"),
    [
        # webstore4 takes no order errors from consumers (that is their withdrawal); R5 by
        # the vendor's 14 days; R6 on its seventh and last day.
        (0, ["withdrawal", "delivery_error", "defective", "dead_on_arrival", "damaged_in_transit"]),
        # Hikvision here has no DOA window.
        (1, ["withdrawal", "delivery_error", "defective", "damaged_in_transit"]),
    ],
)
def test_the_report_lists_the_reasons_a_consumer_can_choose_that_day(line_index, reasons):
    report = returnability_report(ws_100234(), WEBSTORE4, ON)

    assert report["lines"][line_index]["reasons"] == reasons


def test_the_report_explains_each_reason_in_a_sentence():
    with translation.override("en"):
        report = returnability_report(ws_100234(), WEBSTORE4, ON)

    why = report["lines"][0]["why"]
    assert why["withdrawal"]["sentence"] == "You can withdraw until Monday 19 October 2026."
    assert why["order_error"] == {
        "allowed": False,
        "rules": ["R2"],
        "conditions": [],
        "sentence": "This shop does not take returns for an order error.",
    }


def test_a_business_customer_gets_no_withdrawal_and_no_legal_guarantee():
    line = returnability_report(ws_100234(customer=business()), WEBSTORE4, ON)["lines"][0]

    assert {k: line["withdrawal"][k] for k in ("allowed", "last_day", "rules")} == {
        "allowed": False,
        "last_day": None,
        "rules": ["W5"],
    }
    assert line["legal_guarantee"] == {"until": None, "active": False}
    assert line["warranty"] == {"until": "2028-10-03", "active": True}
    assert "withdrawal" not in line["reasons"]


def test_an_undelivered_order_can_be_withdrawn_with_no_last_day_yet():
    line = returnability_report(ws_100234(delivered=None), WEBSTORE4, ON)["lines"][0]

    assert line["returnable_quantity"] == 0
    assert line["withdrawable_quantity"] == 2
    assert line["withdrawal"]["allowed"] is True
    assert line["withdrawal"]["last_day"] is None
    assert line["warranty"] == {"until": None, "active": False}
    assert line["reasons"] == ["withdrawal"]


def test_a_period_over_is_reported_with_its_last_day():
    line = returnability_report(ws_100234(), WEBSTORE4, date(2026, 10, 20))["lines"][0]

    assert {k: line["withdrawal"][k] for k in ("allowed", "last_day", "rules")} == {
        "allowed": False,
        "last_day": "2026-10-19",
        "rules": ["W1"],
    }


def test_the_report_shows_each_units_serial_and_delivery():
    line = returnability_report(ws_100234(), WEBSTORE4, ON)["lines"][0]

    assert line["units"] == [
        {"serial": "GS2614A001", "shipped_at": "2026-10-02", "delivered_at": "2026-10-03"},
        {"serial": "GS2614A002", "shipped_at": "2026-10-02", "delivered_at": "2026-10-03"},
    ]


def test_the_quote_is_in_appendix_b_shape():
    data = quote(
        ws_100234(), [("1", 2), ("2", 1)], reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=ON
    ).as_dict()

    # 240.00 - 12.00 + 860.00 - 43.00 + 6.95 standard delivery
    assert [(i["rule"], i["amount"]) for i in data["items"]] == [
        ("F1", "240.00"),
        ("F1", "-12.00"),
        ("F1", "860.00"),
        ("F1", "-43.00"),
        ("W8", "6.95"),
    ]
    assert data["total"] == "1051.95"
    assert data["methods"] == [{"method": "ideal", "amount": "1051.95"}]
