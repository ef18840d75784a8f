"""Decide which return reasons (R1–R6) a line can use on a given day under a policy.

Pure: plain facts (`orders.facts`), the policy's `Terms` and the day go in, decisions with
their rule ids and a sentence for the customer come out. Windows "within N days of
delivery" include day N. Windows count from the delivery of the unit being returned (V4);
asked about a whole line, from its latest delivered unit, so the line is offered while any
of its units still qualifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.calendar import SHOP_CALENDAR, LegalCalendar
from core.money import plain_number
from core.periods import Sentence, add_months, long_date
from orders.facts import Flag, LineFacts, OrderFacts, UnitDelivery
from policies.reasons import Reason
from policies.terms import Terms
from rma.decisions import RULE, ReasonDecision, allow, refuse, within
from rma.guarantees import Cover, delivered_on, legal_guarantee, warranty
from withdrawals.rules import WithdrawalDecision, withdrawal_decision

LABEL: dict[str, Sentence] = {
    Reason.WITHDRAWAL: _("withdrawal"),
    Reason.ORDER_ERROR: _("an order error"),
    Reason.DELIVERY_ERROR: _("a delivery error"),
    Reason.DEFECTIVE: _("a defect"),
    Reason.DEAD_ON_ARRIVAL: _("dead on arrival"),
    Reason.DAMAGED_IN_TRANSIT: _("damage in transit"),
}

HELD_ELSEWHERE = _("Every unit of this item is already part of another open return.")

# A business-only shop (b2b-distributor) has no consumer terms of its own; a consumer who
# bought there anyway keeps only what the law gives: withdrawal (W10), the legal guarantee
# (R14) for defects, and the shop's own delivery mistakes. Its trade extras stay closed.
TRADE_ONLY = frozenset({Reason.ORDER_ERROR, Reason.DEAD_ON_ARRIVAL})
# A wrong item (R3) and damage in transit (R6) are non-conformity too (BW 7:17; the risk
# is the shop's until delivery, 7:11): a consumer reports them within two months of
# discovering them (7:23) while the legal guarantee runs, whatever the preset's window.
CONFORMITY = frozenset({Reason.DELIVERY_ERROR, Reason.DAMAGED_IN_TRANSIT})


@dataclass(frozen=True)
class LineEligibility:
    line: LineFacts
    returnable_quantity: int
    withdrawable_quantity: int
    units: tuple[UnitDelivery, ...]
    withdrawal: WithdrawalDecision
    warranty: Cover
    legal_guarantee: Cover
    decisions: tuple[ReasonDecision, ...]  # one per reason, in Reason.values order

    @property
    def reasons(self) -> tuple[str, ...]:
        """Return the reasons the customer can choose for this line on that day."""
        return tuple(d.reason for d in self.decisions if d.allowed)


def returnable_quantity(order: OrderFacts, line: LineFacts, on: date) -> int:
    """Return the delivered units not already held by another open ticket."""
    return max(0, order.delivered_quantity(line.id, on) - line.held_by_other_tickets)


def claimable_quantity(order: OrderFacts, line: LineFacts, reason: str, on: date) -> int:
    """Return how many units of the line a ticket for `reason` can take on `on`.

    R1: before delivery one can always withdraw, so every unit not held elsewhere counts.
    R2: units not yet shipped can still be cancelled (F2's "noticed before shipment").
    R3–R6: only delivered units can be returned.
    """
    if reason == Reason.WITHDRAWAL:
        count = line.quantity
    elif reason == Reason.ORDER_ERROR:
        count = order.delivered_quantity(line.id, on) + order.unshipped_quantity(line.id, on)
    else:
        count = order.delivered_quantity(line.id, on)
    return max(0, count - line.held_by_other_tickets)


def partner_restocking_applies(order: OrderFacts, terms: Terms) -> bool:
    """P1: a partner's order error is restocking under the partner terms, if the shop has them."""
    return terms.partner_restocking and order.customer.is_partner


def _final_sale(order: OrderFacts, line: LineFacts, reason: str, on: date) -> Sentence | None:
    """R11 (licence-shop list): what line data shows is not eligible, for `reason`.

    R11's other items (signs of use, seals, packaging, fully functional) are seen only at
    receipt. The shop's own delivery mistakes (R3) stay its to fix, and a consumer's defect
    claim stands under the legal guarantee (R14) even for final-sale items.
    """
    if reason == Reason.DELIVERY_ERROR:
        return None
    if reason == Reason.DEFECTIVE and order.customer.is_consumer:
        return None
    if line.has(Flag.DIGITAL) and line.activation_began(on):
        return _(
            "Licences, modules and other digital products cannot be returned once activation began."
        )
    if line.promotion or line.has(Flag.OUTLET):
        return _("Items bought at a discount or on promotion are final sale.")
    return None


def reason_decision(
    order: OrderFacts,
    line: LineFacts,
    reason: str,
    *,
    terms: Terms,
    on: date,
    serial: str | None = None,
    calendar: LegalCalendar = SHOP_CALENDAR,
) -> ReasonDecision:
    """Decide whether `line` (or one unit of it, by `serial`) can be returned for `reason`."""
    if reason not in RULE:
        raise ValueError(f"unknown reason {reason!r}")
    if reason == Reason.WITHDRAWAL:
        # W10: statutory, whatever the policy; R11 cannot narrow it either.
        decision = withdrawal_decision(order, line, on=on, terms=terms, calendar=calendar)
        if decision.allowed and claimable_quantity(order, line, reason, on) == 0:
            return refuse(reason, (), HELD_ELSEWHERE)
        return ReasonDecision(
            reason=reason,
            allowed=decision.allowed,
            rules=decision.rules,
            sentence=decision.sentence,
            conditions=decision.conditions,
        )
    refused = _closed_to(order, line, reason, terms=terms, on=on)
    if refused is not None:
        return refused
    return _window(order, line, reason, terms=terms, on=on, serial=serial)


def _closed_to(
    order: OrderFacts, line: LineFacts, reason: str, *, terms: Terms, on: date
) -> ReasonDecision | None:
    """Refuse `reason` for the line whatever the day: not offered, trade only, final sale
    (R11), or every unit already held by another return; None when none of these holds."""
    rule = RULE[reason]
    consumer = order.customer.is_consumer
    offered = reason in terms.offered_reasons() or (
        # R14: a consumer's conformity claims stand whatever the policy; P1: partners restock.
        (consumer and (reason == Reason.DEFECTIVE or reason in CONFORMITY))
        or (reason == Reason.ORDER_ERROR and partner_restocking_applies(order, terms))
    )
    if not offered:
        return refuse(
            reason,
            (rule,),
            format_lazy(_("This shop does not take returns for {reason}."), reason=LABEL[reason]),
        )
    if terms.business_only and consumer and reason in TRADE_ONLY:
        return refuse(
            reason,
            (rule,),
            format_lazy(
                _("This shop serves businesses; as a consumer you cannot return for {reason}."),
                reason=LABEL[reason],
            ),
        )
    if terms.strict_ineligibility:
        final_sale = _final_sale(order, line, reason, on)
        if final_sale is not None:
            return refuse(reason, ("R11",), final_sale)
    if claimable_quantity(order, line, reason, on) == 0 and line.held_by_other_tickets:
        return refuse(reason, (), HELD_ELSEWHERE)
    return None


def _window(
    order: OrderFacts,
    line: LineFacts,
    reason: str,
    *,
    terms: Terms,
    on: date,
    serial: str | None,
) -> ReasonDecision:
    """Decide the time window of `reason` (R2–R6), counted from the unit's delivery."""
    delivered = delivered_on(order, line, on, serial)
    if reason == Reason.ORDER_ERROR:
        return _order_error(order, line, terms=terms, on=on, delivered=delivered)
    if reason == Reason.DELIVERY_ERROR:
        preset = within(
            reason,
            delivered,
            terms.delivery_error_days,
            on,
            _("You can report a wrong delivery until {day}."),
            _("Wrong deliveries had to be reported by {day}."),
        )
        return _conformity(order, line, preset, terms=terms, on=on, serial=serial)
    if reason == Reason.DEFECTIVE:
        return _defective(order, line, terms=terms, on=on, serial=serial)
    if reason == Reason.DEAD_ON_ARRIVAL:
        days = terms.doa_days if terms.doa_days is not None else line.vendor_doa_days
        if days <= 0:
            return refuse(
                reason,
                (RULE[reason],),
                _("There is no dead-on-arrival window for this product; report it as defective."),
            )
        return within(
            reason,
            delivered,
            days,
            on,
            _("You can report it dead on arrival until {day}."),
            # R5: after the window a dead unit is a warranty case (R4).
            _("The dead-on-arrival window ended on {day}; report it as defective instead."),
        )
    preset = within(
        reason,
        delivered,
        terms.damaged_in_transit_days,
        on,
        _("You can report damage in transit until {day}."),
        _("Damage in transit had to be reported by {day}."),
    )
    return _conformity(order, line, preset, terms=terms, on=on, serial=serial)


def _conformity(
    order: OrderFacts,
    line: LineFacts,
    preset: ReasonDecision,
    *,
    terms: Terms,
    on: date,
    serial: str | None,
) -> ReasonDecision:
    """R3, R6 for a consumer: the preset's window, and after it the legal guarantee (R14)."""
    if preset.allowed or not order.customer.is_consumer:
        return preset
    legal = legal_guarantee(order, line, terms, on, serial)
    if legal.until is None:
        return preset  # not delivered yet
    rules = (RULE[preset.reason], "R14")
    if not legal.active:
        return refuse(
            preset.reason,
            rules,
            format_lazy(_("The legal guarantee ended on {day}."), day=long_date(legal.until)),
        )
    return allow(
        preset.reason,
        rules,
        format_lazy(
            _(
                "As a consumer you can report it within two months of discovering it, while "
                "the legal guarantee runs (until {day})."
            ),
            day=long_date(legal.until),
        ),
    )


def _order_error(
    order: OrderFacts, line: LineFacts, *, terms: Terms, on: date, delivered: date | None
) -> ReasonDecision:
    """R2: the customer ordered the wrong item; P1 decides it for partners."""
    reason = Reason.ORDER_ERROR
    if partner_restocking_applies(order, terms):
        return _partner_restocking(order, line, terms=terms, on=on, delivered=delivered)
    if not line.is_goods:
        if line.activation_began(on):
            return refuse(
                reason,
                ("R2",),
                _("Digital products cannot be cancelled once activation began."),
            )
        # F2: "bought the wrong module/digital product and noticed before activation".
        return within(
            reason,
            order.placed_at,
            terms.order_error_days,
            on,
            _("You can cancel this digital product before activation, until {day}."),
            _("Wrongly ordered digital products had to be reported by {day}."),
        )
    if delivered is None and order.unshipped_quantity(line.id, on) > 0:
        # F2: "chose the wrong product and noticed before shipment": a cancellation.
        return allow(reason, ("R2",), _("You can cancel this item before it ships."))
    return within(
        reason,
        delivered,
        terms.order_error_days,
        on,
        _(
            "You can return a wrongly ordered item, unused and in its original packaging, "
            "until {day}."
        ),
        _("Wrongly ordered items had to be returned by {day}."),
    )


def _partner_restocking(
    order: OrderFacts, line: LineFacts, *, terms: Terms, on: date, delivered: date | None
) -> ReasonDecision:
    """P1: restock up to N months after the invoice date, sealed only; not outlet or special."""
    reason = Reason.ORDER_ERROR
    if line.has(Flag.OUTLET) or line.has(Flag.SPECIAL_ORDER):
        return refuse(reason, ("P1",), _("Outlet items and special orders cannot be restocked."))
    if delivered is None:
        return refuse(reason, ("P1",), _("This item has not been delivered yet."))
    until = add_months(order.invoiced_on or order.placed_at, terms.partner_restocking_months)
    if on > until:
        return refuse(
            reason,
            ("P1",),
            format_lazy(_("Restocking was possible until {day}."), day=long_date(until)),
        )
    return allow(
        reason,
        ("R2", "P1"),
        format_lazy(
            _(
                "You can return this item for restocking until {day}, in its sealed packaging "
                "only; {percent}% is kept and the rest is paid as store credit valid "
                "{months} months."
            ),
            day=long_date(until),
            percent=plain_number(terms.partner_restocking_percent),
            months=terms.partner_credit_valid_months,
        ),
        conditions=("P1",),
    )


def _defective(
    order: OrderFacts, line: LineFacts, *, terms: Terms, on: date, serial: str | None
) -> ReasonDecision:
    """R4: open while the vendor's warranty (V4) or, for consumers, the legal guarantee runs."""
    reason = Reason.DEFECTIVE
    vendor = warranty(order, line, on, serial)
    legal = legal_guarantee(order, line, terms, on, serial)
    if vendor.until is None:
        return refuse(reason, ("R4",), _("This item has not been delivered yet."))
    grounds: list[str] = []
    if terms.offers_defective and vendor.active:
        grounds.append("V4")
    if legal.active:
        grounds.append("R14")
    if grounds:
        until = max(c.until for c in (vendor, legal) if c.active and c.until is not None)
        return allow(
            reason,
            ("R4", *grounds),
            format_lazy(_("You can report a defect until {day}."), day=long_date(until)),
        )
    refusing = ("V4", "R14") if order.customer.is_consumer else ("V4",)
    ended = max(c.until for c in (vendor, legal) if c.until is not None)
    return refuse(
        reason,
        refusing,
        format_lazy(_("The warranty ended on {day}."), day=long_date(ended)),
    )


def line_eligibility(
    order: OrderFacts,
    line: LineFacts,
    *,
    terms: Terms,
    on: date,
    calendar: LegalCalendar = SHOP_CALENDAR,
) -> LineEligibility:
    """Decide everything the returnability report shows for one line."""
    return LineEligibility(
        line=line,
        returnable_quantity=returnable_quantity(order, line, on),
        withdrawable_quantity=claimable_quantity(order, line, Reason.WITHDRAWAL, on),
        units=order.units(line.id, on),
        withdrawal=withdrawal_decision(order, line, on=on, terms=terms, calendar=calendar),
        warranty=warranty(order, line, on),
        legal_guarantee=legal_guarantee(order, line, terms, on),
        decisions=tuple(
            reason_decision(order, line, reason, terms=terms, on=on, calendar=calendar)
            for reason in Reason.values
        ),
    )
