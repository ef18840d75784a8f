"""Quote what a customer gets back for returning order lines (F1–F6, P1, W8, W10).

Pure: an order's facts, the lines and quantities, the reason, the policy's `Terms` and the
day go in; an itemized `Quote` comes out, each item with its rule id so an accountant can
read why (F1). Each item is rounded half-up to cents once, and the total is the exact sum
of the items, so the statement always adds up.

A line's units are refunded in order (SPEC §1, issue 13): the units held by other tickets
(`LineFacts.held_by_other_tickets`, open or refunded) are the line's first units, and a
quote takes the next ones. What the first k units of a line are worth is rounded once,
from the exact amount, and a run of units gets the difference of two such amounts, so the
refunds of a line's units in any split (1 + 1 + 1, 2 + 1, …) add up to the refund of the
whole line to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.calendar import SHOP_CALENDAR, LegalCalendar
from core.money import ZERO, allocate, plain_number, to_cents
from core.periods import Sentence
from orders.enums import PaymentMethod
from orders.facts import LineFacts, OrderFacts
from policies.reasons import Reason
from policies.terms import Terms
from refunds.quotes import ORIGINAL_METHOD, Charge, MethodPart, Quote, QuoteError, QuoteItem
from rma.rules import claimable_quantity, partner_restocking_applies, reason_decision
from withdrawals.rules import withdrawal_decision

HUNDRED = Decimal("100")


def _euros(amount: Decimal) -> str:
    return "€\u00a0" + number_format(amount, decimal_pos=2, force_grouping=True)


# Rendered with the active language's separators when the sentence is ("€ 1,057.95").
euros = lazy(_euros, str)


def quote(
    order: OrderFacts,
    selection: Sequence[tuple[str, int]],
    *,
    reason: str,
    terms: Terms,
    on: date,
    changed_mind: bool = False,
    store_credit_choice: bool = False,
    deductions: Mapping[str, Decimal] | None = None,
    investigation_hours: Decimal | None = None,
    calendar: LegalCalendar = SHOP_CALENDAR,
    withdrawn_elsewhere: Mapping[str, int] | None = None,
) -> Quote:
    """Quote the refund for returning `selection` [(line id, quantity)] for `reason` on `on`.

    `deductions` are F4's depreciation/repair amounts per line id, set at diagnosis;
    `investigation_hours` (R8, R12) become an F5 charge at the policy's hourly rate;
    `withdrawn_elsewhere` counts, per line id, the units the order's other withdrawals
    hold (W8: the withdrawal that completes the order gets the delivery costs).
    """
    picked = _validated(order, selection, reason=reason, terms=terms, on=on, calendar=calendar)
    deductions = dict(deductions or {})
    unknown = set(deductions) - {line.id for line, _qty in picked}
    if unknown:
        raise QuoteError(
            format_lazy(
                _("Deductions name items that are not being returned: {lines}."),
                lines=", ".join(sorted(unknown)),
            )
        )

    withdrawal = _as_withdrawal(order, picked, reason=reason, terms=terms, on=on, calendar=calendar)
    items: list[QuoteItem] = []
    shares = order.discount_shares
    for line, quantity in picked:
        items.extend(_line_items(line, quantity, shares[line.id], deductions.get(line.id)))
    goods = sum((item.amount for item in items), ZERO)
    items.extend(
        _delivery_items(
            order, picked, withdrawal=withdrawal, on=on, elsewhere=withdrawn_elsewhere or {}
        )
    )
    p1 = reason == Reason.ORDER_ERROR and partner_restocking_applies(order, terms)
    items.extend(
        _fee_items(
            goods, reason=reason, terms=terms, p1=p1, changed_mind=changed_mind,
            withdrawal=withdrawal,
        )
    )  # fmt: skip
    total = sum((item.amount for item in items), ZERO)
    methods, credit_months = _methods(order, total, terms, p1=p1, choice=store_credit_choice)
    return Quote(
        order=order.number,
        reason=reason,
        items=tuple(items),
        methods=methods,
        charges=_charges(investigation_hours, terms),
        store_credit_valid_months=credit_months,
    )


def _validated(
    order: OrderFacts,
    selection: Sequence[tuple[str, int]],
    *,
    reason: str,
    terms: Terms,
    on: date,
    calendar: LegalCalendar,
) -> list[tuple[LineFacts, int]]:
    """Refuse unknown lines, bad quantities and reasons the line cannot use that day."""
    if reason not in Reason.values:
        raise QuoteError(format_lazy(_("Unknown return reason {reason}."), reason=reason))
    if not selection:
        raise QuoteError(_("Choose at least one item to return."))
    picked: list[tuple[LineFacts, int]] = []
    for line_id, quantity in selection:
        try:
            line = order.line(line_id)
        except KeyError:
            raise QuoteError(
                format_lazy(
                    _("Order {order} has no item {line}."), order=order.number, line=line_id
                )
            ) from None
        if any(seen.id == line_id for seen, _qty in picked):
            raise QuoteError(format_lazy(_("Item {line} is listed twice."), line=line_id))
        if quantity <= 0:
            raise QuoteError(
                format_lazy(_("The quantity for item {line} must be at least 1."), line=line_id)
            )
        available = claimable_quantity(order, line, reason, on)
        if quantity > available:
            raise QuoteError(
                format_lazy(
                    _("Only {available} of item {line} can be returned, not {quantity}."),
                    available=available,
                    line=line_id,
                    quantity=quantity,
                )
            )
        decision = reason_decision(order, line, reason, terms=terms, on=on, calendar=calendar)
        if not decision.allowed:
            raise QuoteError(decision.sentence)
        picked.append((line, quantity))
    return picked


def _as_withdrawal(
    order: OrderFacts,
    picked: list[tuple[LineFacts, int]],
    *,
    reason: str,
    terms: Terms,
    on: date,
    calendar: LegalCalendar,
) -> bool:
    """W10: tell whether the return is refunded as a statutory withdrawal.

    It is when the consumer withdraws (R1; `_validated` has checked they may), and when a
    consumer who may still withdraw every returned line picks an order error (R2): they
    are returning under the statutory right whatever reason was picked, so the return is
    free of charge (no F2, F3 or P1) and W8 refunds the delivery as for a withdrawal.
    """
    if reason == Reason.WITHDRAWAL:
        return True
    return (
        reason == Reason.ORDER_ERROR
        and order.customer.is_consumer
        and all(
            withdrawal_decision(order, line, on=on, terms=terms, calendar=calendar).allowed
            for line, _qty in picked
        )
    )


def _line_items(
    line: LineFacts, quantity: int, share: Decimal, deduction: Decimal | None
) -> list[QuoteItem]:
    """F1 goods less the line's discount share for `quantity`; F4 deduction capped at the rest.

    The units are the `quantity` after those other tickets hold. The first k of the line's
    n units are worth k × unit price, and k/n of the line's net (what was paid less its
    discount share), each rounded once; the units from a to b get the worth of the first b less that
    of the first a. So every unit always gets the same cents, and any split of the line
    adds up to the whole line: goods to k × unit price, discount share to the share.
    """
    before = max(0, min(line.held_by_other_tickets, line.quantity - quantity))
    after = before + quantity

    def goods_of_first(units: int) -> Decimal:
        return to_cents(units * line.unit_price)

    def net_of_first(units: int) -> Decimal:
        # SPEC §1: the share of a partial quantity is not rounded before the net is formed.
        return to_cents(units * (line.paid - share) / line.quantity)

    goods = goods_of_first(after) - goods_of_first(before)
    net = net_of_first(after) - net_of_first(before)
    items = [
        QuoteItem(
            rule="F1",
            description=format_lazy(
                _("{quantity} × {product} at {price} each"),
                quantity=quantity,
                # What the customer bought, as the invoice named it (the SKU when unnamed).
                product=line.name or line.sku,
                price=euros(line.unit_price),
            ),
            amount=goods,
            line=line.id,
        )
    ]
    # F1: the units' part of the line's share is what their goods and net differ by; never
    # more than the goods, so no refund exceeds what was paid.
    discount = min(goods, goods - net)
    if discount:
        items.append(
            QuoteItem(
                rule="F1",
                description=format_lazy(_("Share of the order discount for {sku}"), sku=line.sku),
                amount=-discount,
                line=line.id,
            )
        )
    if deduction:
        if deduction < 0:
            raise QuoteError(_("A deduction cannot be negative."))
        # F4: depreciation and repair never above the line value.
        capped = min(to_cents(deduction), goods - discount)
        items.append(
            QuoteItem(
                rule="F4",
                description=format_lazy(
                    _("Depreciation or repair for {sku}, set at diagnosis"), sku=line.sku
                ),
                amount=-capped,
                line=line.id,
            )
        )
    return items


def _delivery_items(
    order: OrderFacts,
    picked: list[tuple[LineFacts, int]],
    *,
    withdrawal: bool,
    on: date,
    elsewhere: Mapping[str, int],
) -> list[QuoteItem]:
    """W8: delivery refunded only for a whole-order withdrawal, up to the standard price.

    `withdrawal` is `_as_withdrawal`'s: a consumer's in-period order error (W10) is one.
    "Whole" means every good delivered is withdrawn, by this withdrawal together with the
    order's others (`elsewhere`); lines never shipped or delivered, and digital content,
    do not keep an order from being whole. The withdrawal that completes it is refunded
    the delivery, so it is refunded once.
    """
    shipping = order.shipping
    if not withdrawal or shipping.price <= 0:
        return []
    returned = {line.id: quantity for line, quantity in picked}
    delivered = {
        line.id: order.delivered_quantity(line.id, on) for line in order.lines if line.is_goods
    }
    covered_before = all(elsewhere.get(line_id, 0) >= n for line_id, n in delivered.items())
    whole_order = (
        any(delivered.values())
        and not covered_before  # the earlier withdrawal that completed it had the delivery
        and all(
            returned.get(line_id, 0) + elsewhere.get(line_id, 0) >= n
            for line_id, n in delivered.items()
        )
    )
    if not whole_order:
        return [
            QuoteItem(
                rule="W8",
                description=_(
                    "Delivery costs are refunded only when the whole order is withdrawn."
                ),
                amount=ZERO,
            )
        ]
    refundable = to_cents(min(shipping.price, shipping.standard))
    if refundable < shipping.price:
        description = format_lazy(
            _(
                "Delivery, refunded up to the cheapest standard delivery ({standard}); the "
                "{surcharge} surcharge for {method} is not refunded"
            ),
            standard=euros(refundable),
            surcharge=euros(shipping.price - refundable),
            method=shipping.method,
        )
    else:
        description = _("Delivery costs")
    return [QuoteItem(rule="W8", description=description, amount=refundable)]


def _fee_items(
    goods: Decimal,
    *,
    reason: str,
    terms: Terms,
    p1: bool,
    changed_mind: bool,
    withdrawal: bool,
) -> list[QuoteItem]:
    """F2, F3 and P1 fees, as percentages of the goods refunded after F4 deductions.

    Only an order error (R2) carries fees: R1 is a consumer's statutory withdrawal, free of
    charge (W10, article 7.8), and R3–R6 are the shop's, the carrier's or the vendor's
    business. F2's four seed cases (wrong product or module, wrong details, changed mind)
    are all returned as R2; `changed_mind` only words the fee. `withdrawal` is
    `_as_withdrawal`'s.
    """
    if reason != Reason.ORDER_ERROR:
        return []
    fees = _fees(terms, p1=p1, changed_mind=changed_mind)
    if not fees:
        return []
    if withdrawal:
        # W10: a consumer who may still withdraw is returning under the statutory right,
        # whatever reason was picked, and that is free of charge.
        return [
            QuoteItem(
                rule="W10",
                description=_(
                    "No fees: you are within your withdrawal period, so this return is free "
                    "of charge."
                ),
                amount=ZERO,
            )
        ]
    return [
        QuoteItem(
            rule=rule,
            description=format_lazy(template, percent=plain_number(percent)),
            amount=-to_cents(goods * percent / HUNDRED),
        )
        for rule, percent, template in fees
    ]


def _fees(terms: Terms, *, p1: bool, changed_mind: bool) -> list[tuple[str, Decimal, Sentence]]:
    """The order error's fees the policy charges: (rule id, percent, wording)."""
    fees: list[tuple[str, Decimal, Sentence]] = []
    if terms.transaction_fee_percent:
        template = (
            _("{percent}% transaction fee: you changed your mind")
            if changed_mind
            else _("{percent}% transaction fee: wrong item or order details")
        )
        fees.append(("F2", terms.transaction_fee_percent, template))
    if p1:
        fees.append(
            ("P1", terms.partner_restocking_percent, _("{percent}% partner restocking fee"))
        )
    elif terms.order_error_restocking_percent:
        fees.append(("F3", terms.order_error_restocking_percent, _("{percent}% restocking fee")))
    return fees


def _methods(
    order: OrderFacts, total: Decimal, terms: Terms, *, p1: bool, choice: bool
) -> tuple[tuple[MethodPart, ...], int | None]:
    """F6: split the total over how it is paid back; return the parts and credit validity."""
    if p1:
        # P1: the partner's restocking refund is store credit valid 1 year (F7).
        part = MethodPart(PaymentMethod.STORE_CREDIT, total)
        return ((part,) if total > 0 else ()), terms.partner_credit_valid_months
    if choice and not terms.store_credit_by_choice:
        raise QuoteError(_("This shop does not offer store credit instead of a refund."))
    if total <= 0:
        return (), None
    if choice:
        part = MethodPart(PaymentMethod.STORE_CREDIT, total)
        return (part,), terms.store_credit_valid_months
    paid: dict[str, Decimal] = {}
    for payment in order.payments:
        if payment.amount > 0:
            paid[payment.method] = paid.get(payment.method, ZERO) + payment.amount
    if not paid:
        return (MethodPart(ORIGINAL_METHOD, total),), None
    # F6 (article 14.20): each way of paying gets back its share of what was paid, so gift
    # voucher, store credit and savings points parts return in the same form, the rest to
    # the original method(s).
    amounts = allocate(total, list(paid.values()))
    parts = tuple(
        MethodPart(method, amount) for method, amount in zip(paid, amounts, strict=True) if amount
    )
    has_credit = any(part.method == PaymentMethod.STORE_CREDIT for part in parts)
    return parts, terms.store_credit_valid_months if has_credit else None


def _charges(hours: Decimal | None, terms: Terms) -> tuple[Charge, ...]:
    """F5: an investigation (R8, R12) at the policy's hourly rate, charged, not deducted."""
    if not hours:
        return ()
    return (
        Charge(
            rule="F5",
            description=format_lazy(
                _("Investigation: {hours} hours at {rate} per hour"),
                hours=plain_number(hours),
                rate=euros(terms.hourly_rate),
            ),
            amount=to_cents(hours * terms.hourly_rate),
        ),
    )
