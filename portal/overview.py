"""A customer's orders and returns, as the "my returns" page shows them: per order line
what can still be returned today, for which reasons, until when, and why not where not
(the rules' own decisions, sentences and rule ids), and the customer's tickets with their
state and next step.

A fixed number of queries whatever the number of orders, lines and tickets: the orders of
a page are read with their customer, and their lines, shipments, payments and discounts
once for the whole page (`orders_facts`, the bulk twin of `orders.selectors.order_facts`,
which reads three queries per order); the tickets with their lines in two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import F, Prefetch, Value
from django.utils.translation import gettext_lazy as _

from core.calendar import LegalCalendar, local_day
from core.periods import Sentence
from orders.facts import (
    CustomerFacts,
    DiscountFacts,
    LineFacts,
    OrderFacts,
    PaymentFacts,
    ShippingFacts,
)
from orders.models import Customer, Discount, Order, OrderLine, Payment, Shipment
from orders.selectors import shipment_facts
from policies.reasons import Reason
from policies.selectors import rules_configuration
from policies.terms import Terms
from portal.status import _next_step
from rma.decisions import ReasonDecision
from rma.guarantees import Cover
from rma.models import Ticket, TicketLine
from rma.rules import HELD_ELSEWHERE, LineEligibility, claimable_quantity, line_eligibility
from rma.states import OPEN_STATES
from withdrawals.rules import goods_back_by

ORDERS_PER_PAGE = 10
NOTHING_FREE = HELD_ELSEWHERE
NOT_DELIVERED = _("This item has not been delivered yet.")
# "My returns" lists the open tickets (a customer has few) and the newest closed ones;
# every ticket is on the paginated list of all the customer's returns.
OPEN_SHOWN = 50
CLOSED_SHOWN = 5
TICKETS_PER_PAGE = 25


# --- the orders' facts, read in bulk ---------------------------------------------------


def orders_facts(orders: Sequence[Order]) -> dict[int, OrderFacts]:
    """The facts of each order (by pk), as `order_facts(order)` copies them, in three
    queries for all of `orders` together. The orders come with their customer."""
    pks = [order.pk for order in orders]
    lines: dict[int, list[OrderLine]] = {pk: [] for pk in pks}
    for line in (
        OrderLine.objects.filter(order__in=pks)
        .select_related("product__vendor")
        .order_by("order_id", "pk")
    ):
        lines[line.order_id].append(line)
    shipments = _shipment_rows(pks)
    payments, discounts = _payment_and_discount_rows(pks)
    facts = {}
    for order in orders:
        customer = order.customer

        def day(moment: datetime, country: str = customer.country) -> date:
            return local_day(moment, country)  # W1: the customer's own calendar day

        facts[order.pk] = OrderFacts(
            number=order.number,
            customer=CustomerFacts(
                type=customer.type, partner=customer.partner, country=customer.country
            ),
            placed_at=day(order.placed_at),
            invoiced_on=order.invoiced_on,
            shipping=ShippingFacts(
                method=order.shipping_method,
                price=order.shipping_price,
                standard_price=order.standard_shipping_price,
            ),
            discounts=tuple(discounts.get(order.pk, ())),
            payments=tuple(payments.get(order.pk, ())),
            lines=tuple(_line_facts(line, day) for line in lines[order.pk]),
            shipments=tuple(
                shipment
                for shipped_at, delivered_at, held in shipments.get(order.pk, {}).values()
                if (shipment := shipment_facts(shipped_at, delivered_at, held, day)) is not None
            ),
        )
    return facts


def _line_facts(line: OrderLine, day: Callable[[datetime], date]) -> LineFacts:
    product = line.product
    return LineFacts(
        id=line.line_id,
        sku=product.sku,
        name=line.name,
        quantity=line.quantity,
        unit_price=line.unit_price,
        vat_rate=line.vat_rate,
        flags=product.flags,
        promotion=line.promotion,
        serials=tuple(line.serials),
        activated_at=day(line.activated_at) if line.activated_at else None,
        warranty_months=product.vendor.warranty_months,
        warranty_override_months=product.warranty_months,
        expected_lifetime_months=product.expected_lifetime_months,
        vendor_doa_days=product.vendor.doa_days,
        held_by_other_tickets=line.held_quantity,
    )


_ShipmentRow = tuple[datetime | None, datetime | None, dict[str, int]]


def _shipment_rows(order_pks: list[int]) -> dict[int, dict[int, _ShipmentRow]]:
    """Per order, its shipments in their own order, each with its quantity of each line."""
    rows = (
        Shipment.objects.filter(order__in=order_pks)
        .order_by("order_id", "shipped_at", "pk", "lines__pk")
        .values_list(
            "order_id",
            "pk",
            "shipped_at",
            "delivered_at",
            "lines__line__line_id",
            "lines__quantity",
        )
    )
    shipments: dict[int, dict[int, _ShipmentRow]] = {}
    for order_pk, pk, shipped_at, delivered_at, line_id, quantity in rows:
        of_order = shipments.setdefault(order_pk, {})
        _shipped, _delivered, held = of_order.setdefault(pk, (shipped_at, delivered_at, {}))
        if line_id is not None:
            held[line_id] = quantity
    return shipments


def _payment_and_discount_rows(
    order_pks: list[int],
) -> tuple[dict[int, list[PaymentFacts]], dict[int, list[DiscountFacts]]]:
    """Every order's payments and discounts, in the order they were imported (one query)."""
    payments = (
        Payment.objects.filter(order__in=order_pks)
        .annotate(kind=Value("payment"), name=F("method"))
        .values_list("order_id", "kind", "pk", "name", "amount")
    )
    discounts = (
        Discount.objects.filter(order__in=order_pks)
        .annotate(kind=Value("discount"), name=F("code"))
        .values_list("order_id", "kind", "pk", "name", "amount")
    )
    rows: Iterable[tuple[int, str, int, str, Decimal]] = payments.union(
        discounts, all=True
    ).order_by("order_id", "kind", "pk")
    paid: dict[int, list[PaymentFacts]] = {}
    discounted: dict[int, list[DiscountFacts]] = {}
    for order_pk, kind, _pk, name, amount in rows:
        if kind == "payment":
            paid.setdefault(order_pk, []).append(PaymentFacts(method=name, amount=amount))
        else:
            discounted.setdefault(order_pk, []).append(DiscountFacts(code=name, amount=amount))
    return paid, discounted


# --- what each line can be returned for ------------------------------------------------


@dataclass(frozen=True)
class LineReturnability:
    """One order line as the customer sees it today."""

    line: LineFacts
    returnable_quantity: int  # delivered units no other return holds
    withdrawal: ReasonDecision  # R1, W1–W5: through the withdrawal function (art. 11a)
    withdrawal_last_day: date | None
    warranty: Cover  # V4
    legal_guarantee: Cover  # R14
    # Reasons the portal's return form takes (R2–R6), allowed today with units to take.
    allowed: tuple[ReasonDecision, ...]
    # The other reasons of R2–R6, with the rule's sentence saying why not.
    refused: tuple[ReasonDecision, ...]

    @property
    def can_withdraw(self) -> bool:
        return self.withdrawal.allowed

    @property
    def can_file(self) -> bool:
        return bool(self.allowed)


def line_returnability(
    order: OrderFacts, eligibility: LineEligibility, on: date
) -> LineReturnability:
    """Split the rules' decisions into what the return form offers and what it does not.

    A reason is offered when the rules allow it and the line has delivered units no other
    return holds (only delivered units travel back; a withdrawal has its own flow, which
    also takes units not delivered yet).
    """
    line = eligibility.line
    withdrawal = eligibility.decisions[0]
    allowed, refused = [], []
    for decision in eligibility.decisions:
        if decision.reason == Reason.WITHDRAWAL:
            withdrawal = decision
            continue
        free = min(
            eligibility.returnable_quantity, claimable_quantity(order, line, decision.reason, on)
        )
        if decision.allowed and free > 0:
            allowed.append(decision)
        elif decision.allowed:
            # Allowed, but every delivered unit is already on its way back (or not here yet).
            refused.append(
                ReasonDecision(
                    reason=decision.reason,
                    allowed=False,
                    rules=(),
                    sentence=NOTHING_FREE if line.held_by_other_tickets else NOT_DELIVERED,
                )
            )
        else:
            refused.append(decision)
    return LineReturnability(
        line=line,
        returnable_quantity=eligibility.returnable_quantity,
        withdrawal=withdrawal,
        withdrawal_last_day=eligibility.withdrawal.last_day,
        warranty=eligibility.warranty,
        legal_guarantee=eligibility.legal_guarantee,
        allowed=tuple(allowed),
        refused=tuple(refused),
    )


def order_returnability(
    facts: OrderFacts, *, terms: Terms, on: date, calendar: LegalCalendar
) -> tuple[LineReturnability, ...]:
    return tuple(
        line_returnability(
            facts, line_eligibility(facts, line, terms=terms, on=on, calendar=calendar), on
        )
        for line in facts.lines
    )


@dataclass(frozen=True)
class OrderOverview:
    order: Order
    lines: tuple[LineReturnability, ...]

    @property
    def can_file(self) -> bool:
        """The "Return items" button: some line can go back through the return form."""
        return any(line.can_file for line in self.lines)

    @property
    def can_withdraw(self) -> bool:
        return any(line.can_withdraw for line in self.lines)


# --- the customer's tickets ------------------------------------------------------------


@dataclass(frozen=True)
class TicketOverview:
    ticket: Ticket
    lines: tuple[TicketLine, ...]
    next_step: Sentence

    @property
    def is_open(self) -> bool:
        return self.ticket.state in OPEN_STATES


def ticket_next_step(ticket: Ticket, calendar: LegalCalendar) -> Sentence:
    """`portal.status`'s next step for `ticket`, without its timeline (no query)."""
    send_back_by = None
    if ticket.reason == Reason.WITHDRAWAL and ticket.notice_on and ticket.goods_to_return:
        send_back_by = goods_back_by(ticket.notice_on, calendar)  # W6
    return _next_step(ticket, send_back_by)


def customer_tickets_query(customer: Customer):
    """The customer's tickets, newest first, with their order and lines (two queries)."""
    return (
        Ticket.objects.filter(order__customer=customer)
        .select_related("order")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=TicketLine.objects.select_related("order_line").order_by("pk"),
            )
        )
        .order_by("-created_at", "-pk")
    )


def ticket_rows(tickets, calendar: LegalCalendar) -> list[TicketOverview]:
    """Each ticket with its lines and next step, as the lists show them (no query)."""
    return [
        TicketOverview(
            ticket=ticket,
            lines=tuple(ticket.lines.all()),
            next_step=ticket_next_step(ticket, calendar),
        )
        for ticket in tickets
    ]


# --- the page --------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerOverview:
    customer: Customer
    on: date
    orders: list[OrderOverview]
    open_tickets: list[TicketOverview]
    past_tickets: list[TicketOverview]  # the newest closed ones
    more_tickets: bool  # more closed ones than shown: on the list of all returns


def customer_overview(customer: Customer, orders: Sequence[Order], *, on: date) -> CustomerOverview:
    """What "my returns" shows of `orders` (one page of the customer's, newest first) and
    of the customer's tickets on `on`, under the shop's default policy."""
    configuration = rules_configuration()
    terms = configuration.terms(None)
    calendar = configuration.calendar
    if terms is None:  # no policy at all: nothing can be decided, nothing is offered
        raise LookupError("no default return policy")
    facts = orders_facts(orders)
    overviews = [
        OrderOverview(
            order=order,
            lines=order_returnability(facts[order.pk], terms=terms, on=on, calendar=calendar),
        )
        for order in orders
    ]
    tickets = customer_tickets_query(customer)
    closed = list(tickets.exclude(state__in=OPEN_STATES)[: CLOSED_SHOWN + 1])
    return CustomerOverview(
        customer=customer,
        on=on,
        orders=overviews,
        open_tickets=ticket_rows(tickets.filter(state__in=OPEN_STATES)[:OPEN_SHOWN], calendar),
        past_tickets=ticket_rows(closed[:CLOSED_SHOWN], calendar),
        more_tickets=len(closed) > CLOSED_SHOWN,
    )
