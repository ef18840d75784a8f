"""F1–F6, P1, W8, W10: itemized refund quotes, each amount worked out by hand in the test.

Appendix A's order WS-100234: 2 × 120.00 phones + 1 × 860.00 NVR = 1100.00, minus the
5% discount 55.00 (12.00 on the phones, 43.00 on the NVR: 55 × 240/1100 and 55 × 860/1100),
plus express delivery 12.95 (standard 6.95), paid 1057.95 by iDEAL; delivered Saturday
3 October 2026.
"""

from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import translation

from orders.facts import Flag
from policies.reasons import Reason
from policies.terms import PRESETS
from refunds.calculator import QuoteError, quote
from tests.builders import business, licence, line, nvr, order, partner, phone, shipping

WEBSTORE4 = PRESETS["webstore4"]
VOIP = PRESETS["voip-distributor"]
LICENCE = PRESETS["licence-shop"]

IN_PERIOD = date(2026, 10, 10)

# Appendix A without serials or vendor DOA; its one discount is coded D0.
APPENDIX_A = order(
    phone(quantity=2, flags=frozenset({Flag.HAS_LOGIN})),
    nvr(flags=frozenset({Flag.HAS_LOGIN})),
    discounts={"D0": "55.00"},
    shipping=shipping("express", "12.95", standard="6.95"),
    payments={"ideal": "1057.95"},
)


def amounts(q):
    return [(item.rule, item.amount) for item in q.items]


# --- F1 goods and discounts, W8 delivery ---------------------------------------------


def test_a_whole_order_withdrawal_refunds_goods_less_discount_and_standard_delivery():
    q = quote(
        APPENDIX_A, [("1", 2), ("2", 1)], reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=IN_PERIOD
    )

    assert amounts(q) == [
        ("F1", D("240.00")),
        ("F1", D("-12.00")),
        ("F1", D("860.00")),
        ("F1", D("-43.00")),
        ("W8", D("6.95")),  # the 6.00 express surcharge is not refunded
    ]
    assert q.total == D("1051.95")


def test_the_express_surcharge_is_named_as_not_refunded():
    q = quote(
        APPENDIX_A, [("1", 2), ("2", 1)], reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=IN_PERIOD
    )

    with translation.override("en"):
        assert str(q.items[-1].description) == (
            "Delivery, refunded up to the cheapest standard delivery (€\u00a06.95); "
            "the €\u00a06.00 surcharge for express is not refunded"
        )


def test_standard_delivery_is_refunded_in_full_on_a_whole_order_withdrawal():
    facts = order(line("1", "50.00"), shipping=shipping("standard", "6.95"), paid_by="ideal")

    q = quote(facts, [("1", 1)], reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=IN_PERIOD)

    assert amounts(q) == [("F1", D("50.00")), ("W8", D("6.95"))]


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        # one of two phones: 120.00 less half its 12.00 share
        ([("1", 1)], [("F1", D("120.00")), ("F1", D("-6.00")), ("W8", D("0.00"))]),
        # every line but not every unit
        (
            [("1", 1), ("2", 1)],
            [
                ("F1", D("120.00")),
                ("F1", D("-6.00")),
                ("F1", D("860.00")),
                ("F1", D("-43.00")),
                ("W8", D("0.00")),
            ],
        ),
    ],
    ids=["one-unit", "not-every-unit"],
)
def test_a_partial_order_withdrawal_does_not_refund_delivery(selection, expected):
    q = quote(APPENDIX_A, selection, reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=IN_PERIOD)

    assert amounts(q) == expected


def test_delivery_is_not_refunded_when_part_of_the_order_is_in_another_return():
    phones = line("1", "120.00", 2, held_by_other_tickets=1)
    facts = order(phones, shipping=shipping("standard", "6.95"), paid_by="ideal")

    q = quote(facts, [("1", 1)], reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=IN_PERIOD)

    assert amounts(q) == [("F1", D("120.00")), ("W8", D("0.00"))]


@pytest.mark.parametrize(
    ("prices", "discount", "shares"),
    [
        # 50.00 over three equal lines: 16.666… each; the left-over cents go first-come.
        (["333.33", "333.33", "333.33"], "50.00", ["16.67", "16.67", "16.66"]),
        # 5% above 1000: 1009.99 × 5% = 50.4995 → 50.50. 5050 cents × 333.33/1009.99 =
        # 1666.696… (×3) and × 10/1009.99 = 50.0005: floors 5048, 2 cents to the first two.
        (["333.33", "333.33", "333.33", "10.00"], "50.50", ["16.67", "16.67", "16.66", "0.50"]),
        # Appendix A: 55 × 240/1100 and 55 × 860/1100
        (["240.00", "860.00"], "55.00", ["12.00", "43.00"]),
        # 10.00 over 300 and 50: 857.14… and 142.857… cents → 8.57 and 1.43
        (["300.00", "50.00"], "10.00", ["8.57", "1.43"]),
    ],
    ids=["three-lines-of-333.33", "five-percent-above-1000", "appendix-a", "uneven-weights"],
)
def test_order_discounts_are_allocated_to_lines_by_paid_amount_to_the_cent(
    prices, discount, shares
):
    facts = order(
        *[line(str(i), p) for i, p in enumerate(prices, 1)],
        discounts={"D0": discount},
        paid_by="ideal",
    )

    assert list(facts.discount_shares.values()) == [D(s) for s in shares]


@pytest.mark.parametrize(
    ("line_id", "net"),
    [("1", D("316.66")), ("2", D("316.66")), ("3", D("316.67"))],
)
def test_a_withdrawn_line_is_refunded_less_its_own_discount_share(line_id, net):
    facts = order(
        *[line(str(i), "333.33") for i in (1, 2, 3)], discounts={"D0": "50.00"}, paid_by="ideal"
    )

    q = quote(facts, [(line_id, 1)], reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=IN_PERIOD)

    assert q.total == net


@pytest.mark.parametrize(
    ("quantity", "discount_part", "total"),
    [
        (1, D("-2.86"), D("97.14")),  # 8.57 × 1/3 = 2.856…
        (2, D("-5.71"), D("194.29")),  # 8.57 × 2/3 = 5.713…
        (3, D("-8.57"), D("291.43")),
    ],
)
def test_a_partial_quantity_gets_its_proportional_discount_share(quantity, discount_part, total):
    facts = order(
        line("1", "100.00", 3), line("2", "50.00"), discounts={"D0": "10.00"}, paid_by="ideal"
    )

    q = quote(facts, [("1", quantity)], reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=IN_PERIOD)

    assert q.items[1].amount == discount_part
    assert q.total == total


# --- F2 transaction fee, F3 restocking, P1, W10 --------------------------------------


@pytest.mark.parametrize(
    ("order", "selection", "on", "changed_mind", "fee", "total"),
    [
        # wrong product, noticed before shipment: 240.00 × 6%
        (
            order(line("1", "120.00", 2), customer=business(), shipped=None, paid_by="ideal"),
            [("1", 2)],
            date(2026, 10, 2),
            False,
            D("-14.40"),
            D("225.60"),
        ),
        # wrong module, noticed before activation: 199.00 × 6% = 11.94
        (
            order(licence(), customer=business(), paid_by="ideal"),
            [("1", 1)],
            date(2026, 10, 5),
            False,
            D("-11.94"),
            D("187.06"),
        ),
        # wrong order details, one unit cancelled in time: 120.00 × 6%
        (
            order(line("1", "120.00", 2), customer=business(), shipped=None, paid_by="ideal"),
            [("1", 1)],
            date(2026, 10, 2),
            False,
            D("-7.20"),
            D("112.80"),
        ),
        # changed their mind after delivery, within the 14-day order-error window
        (
            order(line("1", "120.00", 2), customer=business(), paid_by="ideal"),
            [("1", 2)],
            IN_PERIOD,
            True,
            D("-14.40"),
            D("225.60"),
        ),
    ],
    ids=[
        "wrong-product-before-shipment",
        "wrong-module-before-activation",
        "wrong-details-cancelled-in-time",
        "changed-mind",
    ],
)
def test_the_licence_shop_deducts_its_6_percent_transaction_fee_in_its_four_cases(
    order, selection, on, changed_mind, fee, total
):
    q = quote(
        order, selection, reason=Reason.ORDER_ERROR, terms=LICENCE, on=on, changed_mind=changed_mind
    )

    assert [(i.rule, i.amount) for i in q.items if i.rule == "F2"] == [("F2", fee)]
    assert q.total == total


def test_the_fee_says_why_it_is_charged():
    facts = order(line("1", "120.00", 2), customer=business(), paid_by="ideal")

    q = quote(
        facts, [("1", 2)], reason=Reason.ORDER_ERROR, terms=LICENCE, on=IN_PERIOD, changed_mind=True
    )

    with translation.override("en"):
        assert str(q.items[-1].description) == "6% transaction fee: you changed your mind"


def test_a_consumers_withdrawal_is_free_of_charge_even_when_they_changed_their_mind():
    facts = order(line("1", "120.00", 2), paid_by="ideal")

    q = quote(
        facts, [("1", 2)], reason=Reason.WITHDRAWAL, terms=LICENCE, on=IN_PERIOD, changed_mind=True
    )

    assert amounts(q) == [("F1", D("240.00"))]  # W10: no F2


@pytest.mark.parametrize("terms", [LICENCE, VOIP], ids=["no-F2", "no-F3"])
def test_a_consumer_who_may_still_withdraw_pays_no_order_error_fee(terms):
    facts = order(line("1", "120.00", 2), paid_by="ideal")

    q = quote(facts, [("1", 2)], reason=Reason.ORDER_ERROR, terms=terms, on=IN_PERIOD)

    assert amounts(q) == [("F1", D("240.00")), ("W10", D("0.00"))]


# Two phones at 120.00 by express, 12.95 (standard 6.95), paid 252.95 by iDEAL.
EXPRESS_PHONES = {
    "shipping": shipping("express", "12.95", standard="6.95"),
    "payments": {"ideal": "252.95"},
}


@pytest.mark.parametrize(
    ("facts", "selection", "terms", "on", "expected", "total"),
    [
        # W10: returned as a withdrawal, so W8 refunds delivery up to the standard 6.95
        (
            order(phone(quantity=2), **EXPRESS_PHONES),
            [("1", 2)],
            VOIP,
            IN_PERIOD,
            [("F1", D("240.00")), ("W8", D("6.95")), ("W10", D("0.00"))],
            D("246.95"),
        ),
        (
            order(phone(quantity=2), **EXPRESS_PHONES),
            [("1", 2)],
            LICENCE,
            IN_PERIOD,
            [("F1", D("240.00")), ("W8", D("6.95")), ("W10", D("0.00"))],
            D("246.95"),
        ),
        # standard delivery, no surcharge: all 4.95 back
        (
            order(phone(quantity=2), shipping=shipping("standard", "4.95"), paid_by="ideal"),
            [("1", 2)],
            VOIP,
            IN_PERIOD,
            [("F1", D("240.00")), ("W8", D("4.95")), ("W10", D("0.00"))],
            D("244.95"),
        ),
        # W8: one of two phones is not the whole order, so no delivery
        (
            order(phone(quantity=2), **EXPRESS_PHONES),
            [("1", 1)],
            VOIP,
            IN_PERIOD,
            [("F1", D("120.00")), ("W8", D("0.00")), ("W10", D("0.00"))],
            D("120.00"),
        ),
        # nor is the rest of an order whose other phone is in another return
        (
            order(phone(quantity=2, held_by_other_tickets=1), **EXPRESS_PHONES),
            [("1", 1)],
            VOIP,
            IN_PERIOD,
            [("F1", D("120.00")), ("W8", D("0.00")), ("W10", D("0.00"))],
            D("120.00"),
        ),
        # withdrawal ended Monday 19 Oct: an order error, 15% of 240.00, no delivery
        (
            order(phone(quantity=2), **EXPRESS_PHONES),
            [("1", 2)],
            VOIP,
            date(2026, 11, 2),
            [("F1", D("240.00")), ("F3", D("-36.00"))],
            D("204.00"),
        ),
        # a business has no withdrawal right: an order error, 15% of 240.00, no delivery
        (
            order(phone(quantity=2), customer=business(), **EXPRESS_PHONES),
            [("1", 2)],
            VOIP,
            IN_PERIOD,
            [("F1", D("240.00")), ("F3", D("-36.00"))],
            D("204.00"),
        ),
    ],
    ids=[
        "whole-order-voip",
        "whole-order-licence-shop",
        "standard-delivery",
        "part-of-the-order",
        "rest-held-by-another-ticket",
        "past-the-withdrawal-period",
        "business",
    ],
)
def test_a_consumers_in_period_order_error_gets_delivery_back_as_a_withdrawal(
    facts, selection, terms, on, expected, total
):
    q = quote(facts, selection, reason=Reason.ORDER_ERROR, terms=terms, on=on)

    assert amounts(q) == expected
    assert q.total == total


def test_a_consumer_past_the_withdrawal_period_pays_the_restocking_fee():
    # Withdrawal ended Monday 19 Oct; voip's facts-error window runs to Monday 2 Nov.
    facts = order(line("1", "120.00", 2), paid_by="ideal")

    q = quote(facts, [("1", 2)], reason=Reason.ORDER_ERROR, terms=VOIP, on=date(2026, 11, 2))

    assert amounts(q) == [("F1", D("240.00")), ("F3", D("-36.00"))]  # 15% of 240.00


def test_a_business_order_error_pays_the_voip_restocking_fee():
    facts = order(line("1", "120.00", 2), customer=business(), paid_by="ideal")

    q = quote(facts, [("1", 2)], reason=Reason.ORDER_ERROR, terms=VOIP, on=IN_PERIOD)

    assert amounts(q) == [("F1", D("240.00")), ("F3", D("-36.00"))]
    assert q.total == D("204.00")


def test_partner_restocking_keeps_20_percent_and_pays_the_rest_as_store_credit():
    facts = order(line("1", "120.00", 2), customer=partner(), payments={"bank_transfer": "240.00"})

    q = quote(facts, [("1", 2)], reason=Reason.ORDER_ERROR, terms=WEBSTORE4, on=IN_PERIOD)

    assert amounts(q) == [("F1", D("240.00")), ("P1", D("-48.00"))]
    assert [(m.method, m.amount) for m in q.methods] == [("store_credit", D("192.00"))]
    assert q.store_credit_valid_months == 12


@pytest.mark.parametrize(
    ("reason", "terms", "on"),
    [
        (Reason.DELIVERY_ERROR, LICENCE, IN_PERIOD),
        (Reason.DELIVERY_ERROR, VOIP, IN_PERIOD),
        (Reason.DEAD_ON_ARRIVAL, WEBSTORE4, IN_PERIOD),
        (Reason.DAMAGED_IN_TRANSIT, WEBSTORE4, IN_PERIOD),
        (Reason.DEFECTIVE, VOIP, date(2027, 3, 1)),
    ],
    ids=["R3-licence-shop", "R3-voip", "R5", "R6", "R4"],
)
def test_faults_of_the_shop_carrier_or_product_carry_no_fees(reason, terms, on):
    facts = order(line("1", "120.00", 2, vendor_doa_days=14), customer=business(), paid_by="ideal")

    q = quote(facts, [("1", 2)], reason=reason, terms=terms, on=on, changed_mind=True)

    assert amounts(q) == [("F1", D("240.00"))]


# --- F4 deductions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deduction", "applied"),
    [
        (D("50.00"), D("-50.00")),
        (D("1000.00"), D("-817.00")),  # capped at 860.00 - 43.00
    ],
    ids=["as-set", "capped-at-the-line-value"],
)
def test_a_depreciation_deduction_is_never_above_the_line_value(deduction, applied):
    q = quote(
        APPENDIX_A,
        [("2", 1)],
        reason=Reason.WITHDRAWAL,
        terms=WEBSTORE4,
        on=IN_PERIOD,
        deductions={"2": deduction},
    )

    assert ("F4", applied) in amounts(q)
    assert q.total >= 0


def test_the_transaction_fee_is_taken_on_what_is_refunded_after_deductions():
    facts = order(line("1", "120.00", 2), customer=business(), paid_by="ideal")

    q = quote(
        facts,
        [("1", 2)],
        reason=Reason.ORDER_ERROR,
        terms=LICENCE,
        on=IN_PERIOD,
        deductions={"1": D("40.00")},
    )

    # (240.00 - 40.00) × 6% = 12.00
    assert amounts(q) == [("F1", D("240.00")), ("F4", D("-40.00")), ("F2", D("-12.00"))]
    assert q.total == D("188.00")


# --- F6 refund methods ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "payments", "selection", "methods"),
    [
        # all of a 100.00 order paid 25.00 gift voucher + 75.00 iDEAL
        (
            [line("1", "100.00")],
            {"gift_voucher": "25.00", "ideal": "75.00"},
            [("1", 1)],
            [("gift_voucher", D("25.00")), ("ideal", D("75.00"))],
        ),
        # 50.00 of a 150.00 order paid 50.00 voucher + 100.00 iDEAL: 16.666… + 33.333…
        (
            [line("1", "100.00"), line("2", "50.00")],
            {"gift_voucher": "50.00", "ideal": "100.00"},
            [("2", 1)],
            [("gift_voucher", D("16.67")), ("ideal", D("33.33"))],
        ),
        # store credit 40.00 + card 200.00, all returned
        (
            [line("1", "120.00", 2)],
            {"store_credit": "40.00", "card": "200.00"},
            [("1", 2)],
            [("store_credit", D("40.00")), ("card", D("200.00"))],
        ),
        # savings points 10.00 + PayPal 230.00, one of two phones: 120 × 10/240 = 5.00
        (
            [line("1", "120.00", 2)],
            {"savings_points": "10.00", "paypal": "230.00"},
            [("1", 1)],
            [("savings_points", D("5.00")), ("paypal", D("115.00"))],
        ),
    ],
    ids=[
        "gift-voucher-and-ideal",
        "gift-voucher-pro-rata",
        "store-credit-and-card",
        "savings-points",
    ],
)
def test_parts_paid_by_voucher_credit_or_points_are_refunded_in_the_same_form(
    lines, payments, selection, methods
):
    facts = order(*lines, payments=payments)

    q = quote(facts, selection, reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=IN_PERIOD)

    assert [(m.method, m.amount) for m in q.methods] == methods
    assert sum(m.amount for m in q.methods) == q.total


def test_store_credit_refunds_say_how_long_the_credit_is_valid():
    facts = order(line("1", "120.00", 2), payments={"store_credit": "40.00", "card": "200.00"})

    q = quote(facts, [("1", 2)], reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=IN_PERIOD)

    assert q.store_credit_valid_months == 24


def test_the_customer_can_choose_store_credit_where_the_policy_offers_it():
    facts = order(line("1", "120.00", 2), payments={"card": "240.00"})

    q = quote(
        facts,
        [("1", 2)],
        reason=Reason.WITHDRAWAL,
        terms=LICENCE,
        on=IN_PERIOD,
        store_credit_choice=True,
    )

    assert [(m.method, m.amount) for m in q.methods] == [("store_credit", D("240.00"))]


def test_store_credit_by_choice_is_refused_where_the_policy_does_not_offer_it():
    with pytest.raises(QuoteError):
        quote(
            APPENDIX_A,
            [("1", 1)],
            reason=Reason.WITHDRAWAL,
            terms=WEBSTORE4,
            on=IN_PERIOD,
            store_credit_choice=True,
        )


# --- F5 charges ----------------------------------------------------------------------


def test_an_investigation_is_a_charge_and_not_a_negative_refund():
    facts = order(line("1", "120.00"), customer=business(), paid_by="ideal")

    q = quote(
        facts,
        [("1", 1)],
        reason=Reason.DEFECTIVE,
        terms=WEBSTORE4,
        on=IN_PERIOD,
        investigation_hours=D("1.5"),
    )

    assert [(c.rule, c.amount) for c in q.charges] == [("F5", D("112.50"))]  # 1.5 × 75.00
    assert q.total == D("120.00")


# --- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selection", "reason", "message"),
    [
        ([("9", 1)], Reason.WITHDRAWAL, "Order WS-100234 has no item 9."),
        ([("1", 0)], Reason.WITHDRAWAL, "The quantity for item 1 must be at least 1."),
        ([("1", -1)], Reason.WITHDRAWAL, "The quantity for item 1 must be at least 1."),
        ([("1", 3)], Reason.WITHDRAWAL, "Only 2 of item 1 can be returned, not 3."),
        ([("1", 1), ("1", 1)], Reason.WITHDRAWAL, "Item 1 is listed twice."),
        ([], Reason.WITHDRAWAL, "Choose at least one item to return."),
        ([("1", 1)], "bored", "Unknown return reason bored."),
        ([("1", 1)], Reason.ORDER_ERROR, "This shop does not take returns for an order error."),
    ],
    ids=[
        "unknown-line",
        "zero-quantity",
        "negative-quantity",
        "above-returnable",
        "listed-twice",
        "nothing",
        "unknown-reason",
        "reason-not-allowed",
    ],
)
def test_bad_input_is_refused_with_a_clear_message(selection, reason, message):
    with pytest.raises(QuoteError) as refused, translation.override("en"):
        quote(APPENDIX_A, selection, reason=reason, terms=WEBSTORE4, on=IN_PERIOD)

    with translation.override("en"):
        assert str(refused.value) == message


def test_a_business_cannot_get_a_withdrawal_quote():
    facts = order(line("1", "120.00"), customer=business(), paid_by="ideal")

    with pytest.raises(QuoteError) as refused:
        quote(facts, [("1", 1)], reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=IN_PERIOD)

    with translation.override("en"):
        assert str(refused.value) == "Business customers have no right of withdrawal."


def test_units_held_by_another_ticket_cannot_be_quoted_again():
    facts = order(line("1", "120.00", 2, held_by_other_tickets=2), paid_by="ideal")

    with pytest.raises(QuoteError):
        quote(facts, [("1", 1)], reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=IN_PERIOD)


@pytest.mark.parametrize(
    "deductions",
    [{"2": D("10.00")}, {"1": D("-5.00")}],
    ids=["line-not-returned", "negative"],
)
def test_bad_deductions_are_refused(deductions):
    with pytest.raises(QuoteError):
        quote(
            APPENDIX_A,
            [("1", 1)],
            reason=Reason.WITHDRAWAL,
            terms=WEBSTORE4,
            on=IN_PERIOD,
            deductions=deductions,
        )


# --- Appendix B shape ----------------------------------------------------------------


def test_the_quote_renders_appendix_b_with_two_decimal_strings():
    q = quote(APPENDIX_A, [("1", 1)], reason=Reason.WITHDRAWAL, terms=WEBSTORE4, on=IN_PERIOD)

    with translation.override("en"):
        data = q.as_dict()

    assert [(i["rule"], i["amount"]) for i in data["items"]] == [
        ("F1", "120.00"),
        ("F1", "-6.00"),
        ("W8", "0.00"),
    ]
    # The line's name when the order gave one, else its SKU (this one has none).
    assert data["items"][0]["description"] == "1 × GS-GRP2614 at €\u00a0120.00 each"
    assert data["total"] == "114.00"
    assert data["methods"] == [{"method": "ideal", "amount": "114.00"}]
    assert data["charges"] == []
