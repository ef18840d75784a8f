"""R1–R6, R11, R14, V4, P1: which reasons a line can use on a given day under each preset.

The order in most rows: two phones delivered on Saturday 3 October 2026, invoiced 1 October,
24 months vendor warranty, 14 days vendor DOA.
"""

from datetime import date

import pytest
from django.utils import translation

from core.periods import add_months
from orders.facts import Flag
from policies.reasons import Reason
from policies.terms import PRESETS
from rma.guarantees import legal_guarantee, warranty
from rma.rules import claimable_quantity, line_eligibility, reason_decision, returnable_quantity
from tests.builders import DELIVERED, business, consumer, licence, order, partner, phone, shipment

WEBSTORE4 = PRESETS["webstore4"]
VOIP = PRESETS["voip-distributor"]
B2B = PRESETS["b2b-distributor"]
LICENCE = PRESETS["licence-shop"]


def phones(**fields):
    """The usual line: two phones with serials S1 and S2 and a 14-day vendor DOA."""
    return phone(**({"quantity": 2, "serials": ("S1", "S2"), "vendor_doa_days": 14} | fields))


def decide(facts, reason, on, terms=WEBSTORE4, **kw):
    return reason_decision(facts, facts.lines[0], reason, terms=terms, on=on, **kw)


@pytest.mark.parametrize(
    ("reason", "terms", "customer", "last_open_day"),
    [
        # A business keeps the preset's windows; a consumer's R3, R6 run on (R14, below).
        (Reason.DELIVERY_ERROR, WEBSTORE4, business(), date(2026, 11, 2)),  # R3: 30 days
        (Reason.DAMAGED_IN_TRANSIT, WEBSTORE4, business(), date(2026, 10, 10)),  # R6: 7 days
        (Reason.DEAD_ON_ARRIVAL, WEBSTORE4, consumer(), date(2026, 10, 17)),  # R5: vendor's 14
        (Reason.DEAD_ON_ARRIVAL, B2B, business(), date(2026, 11, 17)),  # R5: the policy's 45
        (Reason.ORDER_ERROR, VOIP, business(), date(2026, 11, 2)),  # R2: 30 days
        (Reason.ORDER_ERROR, LICENCE, business(), date(2026, 10, 17)),  # R2: 14 days
    ],
    ids=[
        "R3-delivery-error-30-days",
        "R6-damaged-in-transit-7-days",
        "R5-vendor-doa-14-days",
        "R5-b2b-doa-45-days",
        "R2-voip-order-error-30-days",
        "R2-licence-shop-order-error-14-days",
    ],
)
def test_a_window_after_delivery_includes_its_last_day_and_not_the_next(
    reason, terms, customer, last_open_day
):
    facts = order(phones(), customer=customer)
    day_after = date.fromordinal(last_open_day.toordinal() + 1)

    on_last_day = decide(facts, reason, last_open_day, terms)
    on_day_after = decide(facts, reason, day_after, terms)

    assert on_last_day.allowed
    assert not on_day_after.allowed
    assert on_day_after.rules == on_last_day.rules


def test_after_the_doa_window_a_dead_unit_is_a_warranty_case():
    facts = order(phones())

    doa = decide(facts, Reason.DEAD_ON_ARRIVAL, date(2026, 10, 18))
    defective = decide(facts, Reason.DEFECTIVE, date(2026, 10, 18))

    assert not doa.allowed
    assert doa.rules == ("R5",)
    with translation.override("en"):
        assert str(doa.sentence) == (
            "The dead-on-arrival window ended on Saturday 17 October 2026; "
            "report it as defective instead."
        )
    assert defective.allowed


def test_a_vendor_without_doa_window_sends_dead_units_to_warranty():
    facts = order(phones(vendor_doa_days=0))

    assert not decide(facts, Reason.DEAD_ON_ARRIVAL, DELIVERED).allowed


@pytest.mark.parametrize(
    ("reason", "terms", "customer"),
    [
        (Reason.ORDER_ERROR, WEBSTORE4, consumer()),  # a consumer's order error is a withdrawal
        (Reason.ORDER_ERROR, WEBSTORE4, business()),  # and not offered to non-partner businesses
        (Reason.DEAD_ON_ARRIVAL, VOIP, business()),
        (Reason.DAMAGED_IN_TRANSIT, VOIP, business()),
        (Reason.DAMAGED_IN_TRANSIT, LICENCE, business()),  # refused at the door instead
        (Reason.ORDER_ERROR, B2B, business()),
    ],
)
def test_a_reason_the_policy_does_not_offer_is_refused_with_its_rule(reason, terms, customer):
    decision = decide(order(phones(), customer=customer), reason, date(2026, 10, 5), terms)

    assert not decision.allowed
    assert decision.rules == ({"order_error": "R2", "dead_on_arrival": "R5"}.get(reason, "R6"),)


@pytest.mark.parametrize(
    ("reason", "allowed"),
    [
        (Reason.WITHDRAWAL, True),  # W10: statutory whatever the preset
        (Reason.DELIVERY_ERROR, True),  # the shop's own mistake
        (Reason.DEFECTIVE, True),  # R14 legal guarantee
        (Reason.DEAD_ON_ARRIVAL, False),  # the 45-day DOA is a trade arrangement
    ],
)
def test_a_business_only_shop_leaves_a_consumer_only_the_statutory_reasons(reason, allowed):
    assert decide(order(phones()), reason, date(2026, 10, 5), B2B).allowed is allowed


# --- R3, R6 for consumers: non-conformity under the legal guarantee (BW 7:17, 7:23) -----


@pytest.mark.parametrize(
    ("reason", "terms"),
    [
        (Reason.DELIVERY_ERROR, WEBSTORE4),  # the preset's 30 days ended on 2 November
        (Reason.DAMAGED_IN_TRANSIT, WEBSTORE4),  # the preset's 7 days ended on 10 October
        (Reason.DAMAGED_IN_TRANSIT, VOIP),  # not offered by the preset at all
        (Reason.DAMAGED_IN_TRANSIT, B2B),  # a business-only shop's consumer too
    ],
)
def test_a_consumer_reports_a_wrong_or_damaged_delivery_while_the_legal_guarantee_runs(
    reason, terms
):
    # Delivered 3 October 2026: the legal guarantee runs until 3 October 2028.
    decision = decide(order(phones()), reason, date(2027, 3, 1), terms)

    assert decision.allowed
    assert decision.rules == ({"delivery_error": "R3"}.get(reason, "R6"), "R14")
    with translation.override("en"):
        assert "within two months of discovering it" in str(decision.sentence)
        assert "Tuesday 3 October 2028" in str(decision.sentence)


def test_after_the_legal_guarantee_a_consumer_is_told_it_ended_not_the_preset_window():
    decision = decide(order(phones()), Reason.DELIVERY_ERROR, date(2028, 10, 4))

    assert not decision.allowed
    assert decision.rules == ("R3", "R14")
    with translation.override("en"):
        assert str(decision.sentence) == "The legal guarantee ended on Tuesday 3 October 2028."


def test_a_business_keeps_the_presets_window_for_a_wrong_delivery():
    decision = decide(
        order(phones(), customer=business()), Reason.DELIVERY_ERROR, date(2026, 11, 3)
    )

    assert not decision.allowed
    assert decision.rules == ("R3",)


# --- V4 warranty and R14 legal guarantee --------------------------------------------


@pytest.mark.parametrize(
    ("on", "active"),
    [
        (date(2028, 10, 3), True),  # warranty ending today still covers today
        (date(2028, 10, 4), False),  # it ended yesterday
    ],
    ids=["ending-today", "ended-yesterday"],
)
def test_a_warranty_ending_today_is_active_and_one_ending_yesterday_is_not(on, active):
    facts = order(phones())

    cover = warranty(facts, facts.lines[0], on)

    assert cover.until == date(2028, 10, 3)
    assert cover.active is active


@pytest.mark.parametrize(
    ("line", "until"),
    [
        (phones(warranty_months=12), date(2027, 10, 3)),
        (phones(warranty_months=12, warranty_override_months=36), date(2029, 10, 3)),
        (phones(warranty_months=36, warranty_override_months=6), date(2027, 4, 3)),
    ],
    ids=["vendor-12-months", "product-override-longer", "product-override-shorter"],
)
def test_the_product_override_wins_over_the_vendor_warranty(line, until):
    facts = order(line)

    assert warranty(facts, line, DELIVERED).until == until


def two_shipments():
    """The two phones in two parcels to a business: 2–3 October and 7–8 October."""
    return order(
        phones(),
        number="WS-2",
        customer=business(),
        invoiced=None,
        shipments=(
            # Given out of order: the earliest shipment still gets the first serial.
            shipment({"1": 1}, shipped=date(2026, 10, 7), delivered=date(2026, 10, 8)),
            shipment({"1": 1}, shipped=date(2026, 10, 2), delivered=date(2026, 10, 3)),
        ),
    )


@pytest.mark.parametrize(
    ("serial", "until", "allowed"),
    [
        ("S1", date(2028, 10, 3), False),  # first serial, first shipment: ended 3 Oct
        ("S2", date(2028, 10, 8), True),  # second serial, second shipment
    ],
)
def test_the_warranty_counts_from_the_delivery_of_the_unit_returned(serial, until, allowed):
    facts = two_shipments()
    on = date(2028, 10, 5)

    assert warranty(facts, facts.lines[0], on, serial=serial).until == until
    assert decide(facts, Reason.DEFECTIVE, on, serial=serial).allowed is allowed


def test_a_line_shipped_in_parts_shows_the_warranty_of_its_last_unit():
    facts = two_shipments()

    assert warranty(facts, facts.lines[0], date(2026, 10, 10)).until == date(2028, 10, 8)


@pytest.mark.parametrize(
    ("customer", "on", "allowed", "rules"),
    [
        (business(), date(2027, 10, 3), True, ("R4", "V4")),
        (business(), date(2027, 10, 4), False, ("V4",)),
        (consumer(), date(2027, 10, 3), True, ("R4", "V4", "R14")),
        (consumer(), date(2027, 10, 4), True, ("R4", "R14")),  # vendor ended, legal runs on
        (consumer(), date(2028, 10, 3), True, ("R4", "R14")),
        (consumer(), date(2028, 10, 4), False, ("V4", "R14")),
    ],
    ids=[
        "business-last-warranty-day",
        "business-after-warranty",
        "consumer-both-running",
        "consumer-legal-guarantee-only",
        "consumer-last-legal-day",
        "consumer-after-both",
    ],
)
def test_a_defect_claim_is_open_while_the_warranty_or_for_consumers_the_legal_guarantee_runs(
    customer, on, allowed, rules
):
    facts = order(phones(warranty_months=12), customer=customer)

    decision = decide(facts, Reason.DEFECTIVE, on)

    assert decision.allowed is allowed
    assert decision.rules == rules


def test_business_customers_have_no_legal_guarantee():
    facts = order(phones(), customer=business())

    cover = legal_guarantee(facts, facts.lines[0], WEBSTORE4, DELIVERED)

    assert cover.until is None
    assert not cover.active


# --- undelivered goods and quantities ------------------------------------------------


@pytest.mark.parametrize(
    "reason",
    [Reason.DELIVERY_ERROR, Reason.DEFECTIVE, Reason.DEAD_ON_ARRIVAL, Reason.DAMAGED_IN_TRANSIT],
)
def test_undelivered_goods_cannot_be_returned_for_a_fault(reason):
    facts = order(phones(), delivered=None)

    decision = decide(facts, reason, date(2026, 10, 5))

    assert not decision.allowed
    with translation.override("en"):
        assert str(decision.sentence) == "This item has not been delivered yet."


def test_an_order_error_in_transit_waits_for_delivery():
    facts = order(phones(), customer=business(), delivered=None)

    assert not decide(facts, Reason.ORDER_ERROR, date(2026, 10, 5), VOIP).allowed


def test_an_unshipped_item_ordered_by_mistake_can_be_cancelled():
    # F2's "chose the wrong product and noticed before shipment".
    facts = order(phones(), customer=business(), shipped=None)

    decision = decide(facts, Reason.ORDER_ERROR, date(2026, 10, 2), LICENCE)

    assert decision.allowed
    assert claimable_quantity(facts, facts.lines[0], Reason.ORDER_ERROR, date(2026, 10, 2)) == 2


@pytest.mark.parametrize(
    ("held", "delivered", "returnable"),
    [
        (0, DELIVERED, 2),
        (1, DELIVERED, 1),
        (2, DELIVERED, 0),
        (3, DELIVERED, 0),  # never negative
        (0, None, 0),  # undelivered
    ],
)
def test_returnable_quantity_is_delivered_minus_held_by_other_tickets(held, delivered, returnable):
    facts = order(phones(held_by_other_tickets=held), delivered=delivered)

    assert returnable_quantity(facts, facts.lines[0], date(2026, 10, 5)) == returnable


def test_a_partly_delivered_line_returns_only_its_delivered_units():
    facts = two_shipments()

    assert returnable_quantity(facts, facts.lines[0], date(2026, 10, 5)) == 1
    assert returnable_quantity(facts, facts.lines[0], date(2026, 10, 8)) == 2


def test_a_line_wholly_held_by_other_tickets_offers_no_reason():
    facts = order(phones(held_by_other_tickets=2))

    eligibility = line_eligibility(facts, facts.lines[0], terms=WEBSTORE4, on=date(2026, 10, 5))

    assert eligibility.reasons == ()


# --- P1 partner restocking -----------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "allowed", "rules"),
    [
        (date(2026, 12, 1), True, ("R2", "P1")),  # invoiced 1 Oct + 2 months
        (date(2026, 12, 2), False, ("P1",)),
    ],
    ids=["last-day", "day-after"],
)
def test_a_partner_can_restock_up_to_two_months_after_the_invoice(on, allowed, rules):
    decision = decide(order(phones(), customer=partner()), Reason.ORDER_ERROR, on)

    assert decision.allowed is allowed
    assert decision.rules == rules


def test_partner_restocking_is_only_for_sealed_packaging_and_says_so():
    decision = decide(order(phones(), customer=partner()), Reason.ORDER_ERROR, date(2026, 10, 5))

    assert decision.conditions == ("P1",)
    with translation.override("en"):
        assert str(decision.sentence) == (
            "You can return this item for restocking until Tuesday 1 December 2026, in its "
            "sealed packaging only; 20% is kept and the rest is paid as store credit valid "
            "12 months."
        )


@pytest.mark.parametrize("flag", [Flag.OUTLET, Flag.SPECIAL_ORDER])
def test_outlet_items_and_special_orders_cannot_be_restocked(flag):
    facts = order(phones(flags=frozenset({flag})), customer=partner())

    decision = decide(facts, Reason.ORDER_ERROR, date(2026, 10, 5))

    assert not decision.allowed
    assert decision.rules == ("P1",)


def test_partner_restocking_ends_on_the_last_day_of_a_shorter_month():
    facts = order(
        phones(),
        number="WS-4",
        customer=partner(),
        placed=date(2026, 12, 31),
        invoiced=date(2026, 12, 31),
        shipped=date(2027, 1, 4),
        delivered=date(2027, 1, 5),
    )

    assert decide(facts, Reason.ORDER_ERROR, date(2027, 2, 28)).allowed
    assert not decide(facts, Reason.ORDER_ERROR, date(2027, 3, 1)).allowed


# --- R11 licence-shop ineligibility list ---------------------------------------------


@pytest.mark.parametrize(
    ("line", "customer", "reason", "allowed", "rules"),
    [
        (phones(promotion=True), business(), Reason.ORDER_ERROR, False, ("R11",)),
        (phones(flags=frozenset({Flag.OUTLET})), business(), Reason.ORDER_ERROR, False, ("R11",)),
        (phones(promotion=True), business(), Reason.DEFECTIVE, False, ("R11",)),
        (phones(promotion=True), consumer(), Reason.DEFECTIVE, True, ("R4", "V4", "R14")),
        (phones(promotion=True), business(), Reason.DELIVERY_ERROR, True, ("R3",)),
        (phones(promotion=True), consumer(), Reason.WITHDRAWAL, True, ("W1", "W2")),
        (phones(), business(), Reason.ORDER_ERROR, True, ("R2",)),
    ],
    ids=[
        "promotion-is-final-sale",
        "outlet-is-discounted",
        "business-defect-on-promotion",
        "consumer-defect-keeps-legal-guarantee",
        "wrong-delivery-is-the-shops-mistake",
        "consumer-withdrawal-is-statutory",
        "full-price-item",
    ],
)
def test_the_strict_ineligibility_list_refuses_final_sale_items(
    line, customer, reason, allowed, rules
):
    decision = decide(order(line, customer=customer), reason, date(2026, 10, 12), LICENCE)

    assert decision.allowed is allowed
    assert decision.rules == rules


@pytest.mark.parametrize(
    ("line", "on", "allowed", "rules"),
    [
        (licence(), date(2026, 10, 15), True, ("R2",)),  # placed 1 Oct + 14 days
        (licence(), date(2026, 10, 16), False, ("R2",)),
        (licence(activated_at=date(2026, 10, 5)), date(2026, 10, 5), False, ("R11",)),
    ],
    ids=["before-activation", "after-the-window", "activation-began"],
)
def test_a_wrongly_ordered_licence_can_be_cancelled_only_before_activation(
    line, on, allowed, rules
):
    facts = order(line, customer=business(), shipped=None)

    decision = decide(facts, Reason.ORDER_ERROR, on, LICENCE)

    assert decision.allowed is allowed
    assert decision.rules == rules


def test_a_policy_without_the_strict_list_still_refuses_an_activated_licence():
    facts = order(licence(activated_at=date(2026, 10, 2)), customer=business(), shipped=None)

    decision = decide(facts, Reason.ORDER_ERROR, date(2026, 10, 5), VOIP)

    assert not decision.allowed
    assert decision.rules == ("R2",)


# --- helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "result"),
    [
        (date(2026, 10, 3), 24, date(2028, 10, 3)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 11, 30), 2, date(2027, 1, 30)),
    ],
)
def test_adding_months_keeps_the_day_or_takes_the_last_day_of_a_shorter_month(day, months, result):
    assert add_months(day, months) == result


def test_an_unknown_reason_is_a_programming_error():
    with pytest.raises(ValueError):
        decide(order(phones()), "bored", DELIVERED)


def test_an_unknown_serial_is_refused():
    with pytest.raises(KeyError):
        decide(order(phones()), Reason.DEFECTIVE, DELIVERED, serial="NOPE")


# --- R14 for the product's expected lifetime (BW 7:17) -----------------------------------


def test_the_legal_guarantee_lasts_the_products_expected_lifetime():
    # An NVR the shop expects to work five years, delivered 3 October 2026.
    facts = order(phones(expected_lifetime_months=60))

    cover = legal_guarantee(facts, facts.lines[0], WEBSTORE4, date(2029, 6, 1))
    decision = decide(facts, Reason.DEFECTIVE, date(2029, 6, 1))

    assert cover.until == date(2031, 10, 3) and cover.active
    assert decision.allowed and "R14" in decision.rules
    with translation.override("en"):
        assert "warranty ended" not in str(decision.sentence)
        assert "Friday 3 October 2031" in str(decision.sentence)


def test_a_lifetime_shorter_than_the_policys_guarantee_does_not_shorten_it():
    facts = order(phones(expected_lifetime_months=12))

    cover = legal_guarantee(facts, facts.lines[0], WEBSTORE4, date(2027, 6, 1))

    assert cover.until == date(2028, 10, 3)  # the policy's 24 months stand
