"""SPEC §1, F1: money is rounded once, at the end, and a line refunded in parts adds up.

The order: a line of 3 × 100.00 and a line of 1 × 50.00, 10.00 order discount. The first
line's share is 10.00 × 300/350 = 8.571… → 8.57 (`discount_shares`), so its net is 291.43.
The first k units are worth k/3 of that net, rounded once: 97.143… → 97.14, 194.286… →
194.29, 291.43. A quote takes the units after those other tickets hold, and gets the
difference: units 1, 2, 3 are worth 97.14, 97.15 and 97.14, their shares 2.86, 2.85, 2.86.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from policies.reasons import Reason
from policies.terms import PRESETS
from refunds.calculator import quote
from tests.builders import line, order, splits

WEBSTORE4 = PRESETS["webstore4"]
IN_PERIOD = date(2026, 10, 10)

THREE = order(
    line("1", "100.00", 3), line("2", "50.00"), discounts={"D0": "10.00"}, paid_by="ideal"
)


def f1(facts, quantity, *, held=0, line_id="1"):
    """F1 amounts for `quantity` units of the line after `held` units other tickets hold."""
    lines = tuple(
        replace(ln, held_by_other_tickets=held) if ln.id == line_id else ln for ln in facts.lines
    )
    q = quote(
        replace(facts, lines=lines),
        [(line_id, quantity)],
        reason=Reason.WITHDRAWAL,
        terms=WEBSTORE4,
        on=IN_PERIOD,
    )
    return [item.amount for item in q.items if item.rule == "F1"]


@pytest.mark.parametrize(
    ("held", "quantity", "amounts"),
    [
        (0, 1, [D("100.00"), D("-2.86")]),  # 100.00 - 97.14
        (1, 1, [D("100.00"), D("-2.85")]),  # 100.00 - (194.29 - 97.14)
        (2, 1, [D("100.00"), D("-2.86")]),  # 100.00 - (291.43 - 194.29)
        (0, 2, [D("200.00"), D("-5.71")]),  # 200.00 - 194.29
        (1, 2, [D("200.00"), D("-5.71")]),  # 200.00 - (291.43 - 97.14)
        (0, 3, [D("300.00"), D("-8.57")]),  # the whole line: its share exactly
    ],
    ids=["unit-1", "unit-2", "unit-3", "units-1-2", "units-2-3", "whole-line"],
)
def test_each_unit_gets_the_same_cents_whichever_return_takes_it(held, quantity, amounts):
    assert f1(THREE, quantity, held=held) == amounts


@pytest.mark.parametrize("split", splits(3), ids=lambda split: "+".join(map(str, split)))
def test_the_returns_of_a_lines_units_in_any_split_add_up_to_the_whole_line(split):
    starts = [sum(split[:i]) for i in range(len(split))]

    parts = [f1(THREE, n, held=held) for held, n in zip(starts, split, strict=True)]

    assert sum(amount for part in parts for amount in part) == D("291.43")
    assert sum(part[1] for part in parts) == D("-8.57")


def test_the_share_of_a_unit_is_not_rounded_before_its_net_is_formed():
    # 2 × 10.00, 0.01 discount: the first unit's net is 19.99 / 2 = 9.995, half up 10.00,
    # so it carries no discount item; the second unit's net is 19.99 - 10.00 = 9.99.
    # Rounding the half-cent share on its own (0.005 → 0.01) would take a cent twice.
    facts = order(line("1", "10.00", 2), discounts={"D0": "0.01"}, paid_by="ideal")

    assert f1(facts, 1) == [D("10.00")]
    assert f1(facts, 1, held=1) == [D("10.00"), D("-0.01")]
    assert f1(facts, 2) == [D("20.00"), D("-0.01")]


def test_every_split_of_a_quantity_is_listed_once():
    assert splits(3) == [(3,), (2, 1), (1, 2), (1, 1, 1)]
    assert len(set(splits(10))) == 2**9
    assert all(sum(split) == 10 for split in splits(10))
