"""W1–W9: the consumer's last day to withdraw, its W2 shift, and the W5 exclusions.

Every expected date is worked out by hand in the row: delivery + 14 days, then moved past
weekends and Dutch public holidays (W2).
"""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from core.calendar import SHOP_CALENDAR, LegalCalendar
from orders.facts import Flag
from policies.terms import PRESETS, Terms
from tests.builders import business, licence, nvr, order, partner, phone, shipment
from withdrawals.rules import goods_back_by, refund_due_by, service_owed, withdrawal_decision

WEBSTORE4 = PRESETS["webstore4"]


def order_delivered(delivered, *, line=None, customer=None, placed=None):
    """Order WS-1 of one line (a phone unless given), shipped and delivered on `delivered`.

    Placed that day too unless `placed` says otherwise; not invoiced.
    """
    return order(
        line or phone(),
        number="WS-1",
        customer=customer,
        placed=placed or delivered,
        invoiced=None,
        shipped=delivered,
        delivered=delivered,
    )


def decide(order, on, line_id="1", terms=WEBSTORE4, **kw):
    return withdrawal_decision(order, order.line(line_id), on=on, terms=terms, **kw)


@pytest.mark.parametrize(
    ("delivered", "last_day", "rules"),
    [
        (date(2026, 10, 5), date(2026, 10, 19), ("W1",)),  # Monday → Monday
        (date(2026, 10, 6), date(2026, 10, 20), ("W1",)),  # Tuesday
        (date(2026, 10, 7), date(2026, 10, 21), ("W1",)),  # Wednesday
        (date(2026, 10, 8), date(2026, 10, 22), ("W1",)),  # Thursday
        (date(2026, 10, 9), date(2026, 10, 23), ("W1",)),  # Friday
        (date(2026, 10, 10), date(2026, 10, 26), ("W1", "W2")),  # Saturday → Sat 24 → Mon 26
        (date(2026, 10, 11), date(2026, 10, 26), ("W1", "W2")),  # Sunday → Sun 25 → Mon 26
    ],
    ids=["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
)
def test_the_last_day_is_fourteen_days_after_delivery_on_each_weekday(delivered, last_day, rules):
    decision = decide(order_delivered(delivered), on=delivered)

    assert decision.allowed
    assert decision.last_day == last_day
    assert decision.rules == rules


@pytest.mark.parametrize(
    ("delivered", "last_day"),
    [
        # Appendix B: delivered Sat 3 Oct; Sat 17 Oct → Mon 19 Oct.
        (date(2026, 10, 3), date(2026, 10, 19)),
        # Day 14 is Easter Monday 6 April 2026 → Tuesday 7 April.
        (date(2026, 3, 23), date(2026, 4, 7)),
        # Day 14 is King's Day, Monday 27 April 2026 → Tuesday 28 April.
        (date(2026, 4, 13), date(2026, 4, 28)),
        # 27 April 2025 is a Sunday, so King's Day is Saturday 26 April → Monday 28 April.
        (date(2025, 4, 12), date(2025, 4, 28)),
        # Christmas Day Friday 25 Dec 2026, Boxing Day Sat, Sunday → Monday 28 Dec.
        (date(2026, 12, 11), date(2026, 12, 28)),
        # Christmas Day Monday 25 Dec 2028, Second Day of Christmas Tue → Wednesday 27 Dec.
        (date(2028, 12, 11), date(2028, 12, 27)),
        # Second Day of Christmas Wednesday 26 Dec 2029 → Thursday 27 Dec.
        (date(2029, 12, 12), date(2029, 12, 27)),
        # Sunday 31 Dec 2028, New Year's Day Monday → Tuesday 2 January 2029.
        (date(2028, 12, 17), date(2029, 1, 2)),
    ],
    ids=[
        "saturday",
        "easter-monday",
        "kings-day-27-april",
        "kings-day-26-april-when-27th-is-sunday",
        "christmas-into-weekend",
        "christmas-25-and-26-on-weekdays",
        "boxing-day-on-a-wednesday",
        "new-years-day-across-the-year",
    ],
)
def test_a_last_day_on_a_weekend_or_holiday_moves_to_the_next_working_day(delivered, last_day):
    decision = decide(order_delivered(delivered), on=delivered)

    assert decision.last_day == last_day
    assert decision.rules == ("W1", "W2")


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 4, 27), False),  # King's Day
        (date(2026, 4, 28), True),
        (date(2025, 4, 26), False),  # King's Day moved to Saturday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 12, 24), True),  # Christmas Eve is a working day
        (date(2028, 12, 25), False),
        (date(2028, 12, 26), False),
        (date(2026, 10, 17), False),  # Saturday
        (date(2026, 10, 18), False),  # Sunday
    ],
)
def test_working_days_come_from_the_dutch_holiday_calendar(day, working):
    assert SHOP_CALENDAR.is_working_day(day) is working


def test_the_shops_country_decides_the_holidays():
    # Wednesday 11 Nov 2026 is Armistice Day in Belgium, a working day in the Netherlands.
    facts = order_delivered(date(2026, 10, 28))

    assert decide(facts, on=date(2026, 10, 28)).last_day == date(2026, 11, 11)
    assert decide(facts, on=date(2026, 10, 28), calendar=LegalCalendar("BE")).last_day == date(
        2026, 11, 12
    )


@pytest.mark.parametrize(
    ("on", "allowed", "rules"),
    [
        (date(2026, 10, 19), True, ("W1", "W2")),  # the last day itself
        (date(2026, 10, 20), False, ("W1",)),  # the day after
    ],
    ids=["on-the-last-day", "the-day-after"],
)
def test_withdrawal_is_open_through_the_last_day_and_closed_the_day_after(on, allowed, rules):
    decision = decide(order_delivered(date(2026, 10, 3)), on=on)

    assert decision.allowed is allowed
    assert decision.rules == rules
    assert decision.last_day == date(2026, 10, 19)


def two_shipment_order(second_delivered):
    """Line 1 (2 phones) split over two shipments; line 2 (an NVR) fully in the first."""
    return order(
        phone("1", quantity=2),
        nvr("2"),
        number="WS-2",
        invoiced=None,
        shipments=(
            shipment({"1": 1, "2": 1}, shipped=date(2026, 10, 2), delivered=date(2026, 10, 3)),
            shipment({"1": 1}, shipped=date(2026, 10, 7), delivered=second_delivered),
        ),
    )


@pytest.mark.parametrize("line_id", ["1", "2"])
def test_several_shipments_count_from_the_last_delivery_of_the_order(line_id):
    # Last delivery Thursday 8 Oct → Thursday 22 Oct, for the line that came first too.
    facts = two_shipment_order(second_delivered=date(2026, 10, 8))

    decision = decide(facts, on=date(2026, 10, 20), line_id=line_id)

    assert decision.allowed
    assert decision.last_day == date(2026, 10, 22)
    assert decision.rules == ("W1",)


@pytest.mark.parametrize(
    ("second_delivered", "on"),
    [
        (None, date(2026, 10, 25)),  # second parcel still on its way
        (date(2026, 10, 9), date(2026, 10, 8)),  # delivered after the day asked about
    ],
    ids=["in-transit", "delivered-later"],
)
def test_the_period_has_not_started_while_part_of_the_order_is_undelivered(second_delivered, on):
    decision = decide(two_shipment_order(second_delivered), on=on, line_id="2")

    assert decision.allowed
    assert decision.last_day is None
    assert decision.rules == ("W1",)


def test_undelivered_goods_can_always_be_withdrawn():
    facts = order(phone(), number="WS-3", invoiced=None, shipped=None)

    decision = decide(facts, on=date(2026, 12, 1))

    assert decision.allowed
    assert decision.last_day is None
    with translation.override("en"):
        assert str(decision.sentence) == "You can withdraw now, and until 14 days after delivery."


def test_digital_content_counts_from_the_conclusion_of_the_contract():
    # Placed Thursday 1 Oct 2026 → Thursday 15 Oct, never delivered.
    facts = order_delivered(None, line=licence(), placed=date(2026, 10, 1))

    decision = decide(facts, on=date(2026, 10, 15))

    assert decision.allowed
    assert decision.last_day == date(2026, 10, 15)
    assert decide(facts, on=date(2026, 10, 16)).rules == ("W1",)


@pytest.mark.parametrize(
    ("line", "on"),
    [
        (phone(flags=frozenset({Flag.CUSTOM})), date(2026, 10, 5)),
        (
            phone(flags=frozenset({Flag.ACTIVATES_ON_USE}), activated_at=date(2026, 10, 4)),
            date(2026, 10, 5),
        ),
        (phone(flags=frozenset({Flag.GIFT_VOUCHER})), date(2026, 10, 5)),
        (licence(activated_at=date(2026, 10, 5)), date(2026, 10, 5)),
        (licence(activated_at=date(2026, 10, 2)), date(2026, 10, 5)),
    ],
    ids=[
        "custom",
        "activates-on-use-and-activated",
        "gift-voucher",
        "digital-activated-that-day",
        "digital-activated-before",
    ],
)
def test_excluded_products_cannot_be_withdrawn(line, on):
    facts = order_delivered(date(2026, 10, 3), line=line, placed=date(2026, 10, 1))

    decision = decide(facts, on=on)

    assert not decision.allowed
    assert decision.rules == ("W5",)


def test_digital_content_activated_after_the_day_asked_about_is_not_yet_excluded():
    facts = order_delivered(
        None, line=licence(activated_at=date(2026, 10, 6)), placed=date(2026, 10, 1)
    )

    assert decide(facts, on=date(2026, 10, 5)).allowed


def test_a_product_that_activates_on_use_but_was_not_activated_can_be_withdrawn():
    # Terms 8(i), CRD art. 16: the exclusion is the activation, not the product's flag.
    # (Before: the flag alone refused it.)
    facts = order_delivered(date(2026, 10, 3), line=phone(flags=frozenset({Flag.ACTIVATES_ON_USE})))

    decision = decide(facts, on=date(2026, 10, 5))

    assert decision.allowed
    assert decision.conditions == ("W5",)  # diagnosis looks for an activation
    with translation.override("en"):
        assert str(decision.sentence) == (
            "You can withdraw until Monday 19 October 2026, "
            "as long as it has not been activated or registered."
        )


def test_sealed_software_can_be_withdrawn_on_condition_the_seal_is_unbroken():
    facts = order_delivered(date(2026, 10, 3), line=phone(flags=frozenset({Flag.SEALED_SOFTWARE})))

    decision = decide(facts, on=date(2026, 10, 5))

    assert decision.allowed
    assert decision.conditions == ("W5",)
    with translation.override("en"):
        assert str(decision.sentence) == (
            "You can withdraw until Monday 19 October 2026, "
            "as long as the software's seal is unbroken."
        )


def test_an_excluded_product_past_its_period_is_refused_by_both_rules():
    facts = order_delivered(date(2026, 10, 3), line=phone(flags=frozenset({Flag.CUSTOM})))

    decision = decide(facts, on=date(2026, 10, 20))

    assert decision.rules == ("W1", "W5")
    assert decision.last_day == date(2026, 10, 19)


@pytest.mark.parametrize("customer", [business(), partner()], ids=["business", "partner"])
def test_business_customers_have_no_right_of_withdrawal(customer):
    decision = decide(order_delivered(date(2026, 10, 3), customer=customer), on=date(2026, 10, 5))

    assert not decision.allowed
    assert decision.last_day is None
    assert decision.rules == ("W5",)
    with translation.override("en"):
        assert str(decision.sentence) == "Business customers have no right of withdrawal."


@pytest.mark.parametrize(
    ("withdrawal_days", "last_day"),
    [
        (30, date(2026, 11, 2)),  # Sat 3 Oct + 30 = Monday 2 Nov: a more generous policy
        (7, date(2026, 10, 19)),  # W10: never less than the statutory 14 days
    ],
    ids=["more-generous", "never-shorter"],
)
def test_a_policy_can_lengthen_the_period_but_never_shorten_it(withdrawal_days, last_day):
    terms = Terms(preset="custom", withdrawal_days=withdrawal_days)

    assert (
        decide(order_delivered(date(2026, 10, 3)), on=date(2026, 10, 5), terms=terms).last_day
        == last_day
    )


def test_the_sentence_names_the_exact_last_day():
    decision = decide(order_delivered(date(2026, 10, 3)), on=date(2026, 10, 10))

    with translation.override("en"):
        assert str(decision.sentence) == "You can withdraw until Monday 19 October 2026."


def test_the_refused_sentence_names_the_day_the_period_ended():
    decision = decide(order_delivered(date(2026, 10, 3)), on=date(2026, 10, 20))

    with translation.override("en"):
        assert str(decision.sentence) == "The withdrawal period ended on Monday 19 October 2026."


def test_goods_go_back_and_the_refund_is_due_fourteen_days_after_the_notice():
    notice = date(2026, 10, 12)

    assert goods_back_by(notice) == date(2026, 10, 26)  # W6
    assert refund_due_by(notice) == date(2026, 10, 26)  # W7


@pytest.mark.parametrize(
    ("price", "share", "owed"),
    [
        (Decimal("100.00"), Decimal("0.25"), Decimal("25.00")),
        (Decimal("99.99"), Decimal("0.5"), Decimal("50.00")),  # 49.995 rounds half up
        (Decimal("80.00"), Decimal("0"), Decimal("0.00")),
    ],
)
def test_a_service_started_in_the_period_is_owed_pro_rata(price, share, owed):
    assert service_owed(price, share) == owed  # W9


def test_a_performed_share_above_one_is_refused():
    with pytest.raises(ValueError):
        service_owed(Decimal("100.00"), Decimal("1.5"))
