"""Money invariants of every quote, over generated orders (hypothesis).

Whatever the order, selection, reason and policy: the items add up to the total, no refund
exceeds what was paid for the returned lines (plus refundable delivery), and the refund
methods add up to the total without paying any method back more than it paid. However a
line's units are split over several refunds, the refunds add up to the refund of the whole
line, to the cent (SPEC §1: rounded once, at the end).
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.money import allocate
from orders.enums import PaymentMethod
from policies.reasons import Reason
from policies.terms import PRESETS
from refunds.calculator import quote
from tests.builders import business, consumer, line, order, partner, shipping, splits

CENT = Decimal("0.01")
ON = date(2026, 10, 10)  # a week after delivery: inside every window used below

# (customer, reason, policy) combinations the rules allow for a delivered full-price line.
SCENARIOS = [
    (consumer(), Reason.WITHDRAWAL, "webstore4"),
    (consumer(), Reason.WITHDRAWAL, "licence-shop"),
    (consumer(), Reason.ORDER_ERROR, "voip-distributor"),
    (business(), Reason.ORDER_ERROR, "licence-shop"),
    (business(), Reason.ORDER_ERROR, "voip-distributor"),
    (partner(), Reason.ORDER_ERROR, "webstore4"),
    (business(), Reason.DELIVERY_ERROR, "webstore4"),
    (business(), Reason.DEFECTIVE, "b2b-distributor"),
]
METHODS = [
    PaymentMethod.IDEAL,
    PaymentMethod.CARD,
    PaymentMethod.GIFT_VOUCHER,
    PaymentMethod.STORE_CREDIT,
    PaymentMethod.SAVINGS_POINTS,
]

cents = st.integers(min_value=1, max_value=200_000).map(lambda c: Decimal(c) * CENT)


@st.composite
def cases(draw):
    lines = tuple(
        line(str(i), quantity=draw(st.integers(1, 4)), unit_price=draw(cents))
        for i in range(1, draw(st.integers(1, 4)) + 1)
    )
    goods = sum(ln.paid for ln in lines)
    discount = Decimal(draw(st.integers(0, int(goods / CENT) // 10))) * CENT
    price = Decimal(draw(st.integers(0, 2_000))) * CENT
    standard = Decimal(draw(st.integers(0, int(price / CENT)))) * CENT
    paid = goods - discount + price
    methods = draw(st.lists(st.sampled_from(METHODS), min_size=1, max_size=3, unique=True))
    cuts = sorted(draw(st.integers(0, int(paid / CENT))) for _ in methods[1:])
    bounds = [0, *cuts, int(paid / CENT)]
    payments = {
        method: Decimal(bounds[i + 1] - bounds[i]) * CENT for i, method in enumerate(methods)
    }
    customer, reason, preset = draw(st.sampled_from(SCENARIOS))
    facts = order(
        *lines,
        number="WS-P",
        customer=customer,
        shipping=shipping("express", price, standard=standard),
        discounts={"D": discount} if discount else {},
        payments=payments,
    )
    chosen = draw(st.lists(st.sampled_from(lines), min_size=1, unique=True))
    selection = [(ln.id, draw(st.integers(1, ln.quantity))) for ln in chosen]
    deductions = {
        ln_id: Decimal(draw(st.integers(0, 2 * int(facts.line(ln_id).paid / CENT)))) * CENT
        for ln_id, _qty in selection
        if draw(st.booleans())
    }
    return facts, selection, reason, PRESETS[preset], deductions, draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(cases())
def test_a_quote_always_adds_up_and_never_refunds_more_than_was_paid(case):
    order, selection, reason, terms, deductions, changed_mind = case

    q = quote(
        order,
        selection,
        reason=reason,
        terms=terms,
        on=ON,
        changed_mind=changed_mind,
        deductions=deductions,
    )

    paid_for_lines = sum(order.line(ln_id).unit_price * qty for ln_id, qty in selection)
    refundable_delivery = min(order.shipping.price, order.shipping.standard)
    assert q.total == sum(item.amount for item in q.items)
    assert all(item.amount == item.amount.quantize(CENT) for item in q.items)
    assert Decimal("0") <= q.total <= paid_for_lines + refundable_delivery
    assert sum(part.amount for part in q.methods) == q.total
    assert all(part.amount > 0 for part in q.methods)
    if any(item.rule == "P1" for item in q.items):
        # P1: a partner's restocking refund is all store credit, whatever paid the order.
        assert [part.method for part in q.methods] in ([], [PaymentMethod.STORE_CREDIT])
    else:
        # F6: each way of paying gets back at most what it paid.
        paid_by = {p.method: p.amount for p in order.payments}
        assert all(part.amount <= paid_by[part.method] for part in q.methods)


@st.composite
def split_lines(draw):
    """An order of 1–3 lines (1–10 units, prices with cents) with an order discount, and
    the line whose units are refunded in parts."""
    lines = tuple(
        line(str(i), quantity=draw(st.integers(1, 10)), unit_price=draw(cents))
        for i in range(1, draw(st.integers(1, 3)) + 1)
    )
    goods = sum(ln.paid for ln in lines)
    discount = Decimal(draw(st.integers(1, int(goods / CENT) // 2 or 1))) * CENT
    customer, reason, preset = draw(st.sampled_from(SCENARIOS))
    facts = order(
        *lines, number="WS-S", customer=customer, discounts={"D": discount}, paid_by="ideal"
    )
    return facts, draw(st.sampled_from(lines)).id, reason, PRESETS[preset]


def goods_items(order, line_id, quantity, *, before, reason, terms):
    """F1's goods and discount-share amounts for `quantity` units of a line after `before`
    units of it went back in earlier returns (they are held by those tickets)."""
    held = tuple(
        replace(ln, held_by_other_tickets=before) if ln.id == line_id else ln for ln in order.lines
    )
    q = quote(replace(order, lines=held), [(line_id, quantity)], reason=reason, terms=terms, on=ON)
    f1 = [item.amount for item in q.items if item.rule == "F1" and item.line == line_id]
    return sum(a for a in f1 if a > 0), sum(a for a in f1 if a < 0)


# 10.00 over a 3 × 100.00 line and a 50.00 line: the line's share is 8.57; a third of it is
# 2.856…, so three one-unit refunds rounded on their own would give 3 × 2.86 = 8.58.
THIRDS = order(
    line("1", "100.00", 3), line("2", "50.00"), discounts={"D": "10.00"}, paid_by="ideal"
)
# Hypothesis's smallest: 2 × 0.01 less 0.01; each unit's half-cent share rounded on its own
# is a cent, so two one-unit refunds took 0.02 of discount.
HALF_CENTS = order(line("1", "0.01", 2), discounts={"D": "0.01"}, paid_by="ideal")


@settings(max_examples=150, deadline=None)
@given(split_lines())
@example((THIRDS, "1", Reason.WITHDRAWAL, PRESETS["webstore4"]))
@example((HALF_CENTS, "1", Reason.WITHDRAWAL, PRESETS["webstore4"]))
def test_refunds_of_a_lines_units_in_any_split_add_up_to_the_whole_lines_refund(case):
    order, line_id, reason, terms = case
    quantity = order.line(line_id).quantity
    # Every split is a run of consecutive parts; quote each (units before, units) once.
    parts = {
        (before, n): goods_items(order, line_id, n, before=before, reason=reason, terms=terms)
        for before in range(quantity)
        for n in range(1, quantity - before + 1)
    }
    whole = parts[0, quantity]

    for split in splits(quantity):
        starts = [sum(split[:i]) for i in range(len(split))]
        goods = sum(parts[before, n][0] for before, n in zip(starts, split, strict=True))
        share = sum(parts[before, n][1] for before, n in zip(starts, split, strict=True))
        assert (goods, share) == whole, split


@settings(max_examples=300, deadline=None)
@given(
    st.integers(-10_000_000, 10_000_000),
    st.lists(st.integers(0, 1_000_000), min_size=1, max_size=8).filter(any),
)
def test_an_allocation_sums_exactly_and_each_part_is_within_a_cent_of_its_share(amount, weights):
    total = Decimal(amount) * CENT
    parts = allocate(total, [Decimal(w) * CENT for w in weights])

    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = total * weight / sum(weights)
        assert abs(part - exact) < CENT
