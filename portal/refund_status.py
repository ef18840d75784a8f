"""A ticket's refunds as its customer sees them (F1, F5–F8): the items in the customer's
own language as they were quoted, the total, the state in plain words, how each part
comes back to them, the credit note once it is there, and whether we still need their
bank account (F6).

Reads only: the ticket page reads its refunds in three queries however many refunds,
items and parts there are, and "my returns" the tickets whose refund waits for an account in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.periods import Sentence, long_date
from orders.enums import PaymentMethod
from orders.models import Customer
from refunds.models import Channel, CreditNote, Refund, RefundItem, RefundPart, RefundState
from refunds.refunding import needs_account
from rma.models import Ticket

# What each state means to the customer (F8); "paid" says the day.
_STATE = {
    RefundState.PROPOSED: _("Being checked"),
    RefundState.APPROVED: _("Approved, payment on its way"),
    RefundState.FAILED: _("The payment did not go through; we are trying again"),
}
PAID_ON = _("Paid on {day}")

# F6: a part paid outside Retour goes back the way it was paid.
_OUTSIDE = {
    PaymentMethod.CARD: _("back to your card, through the card's payment provider"),
    PaymentMethod.PAYPAL: _("back to your PayPal account, through PayPal"),
    PaymentMethod.BILLINK: _("through Billink, which settles it with your invoice"),
    PaymentMethod.BITCOIN: _("in Bitcoin, at the rate on the day we pay"),
    PaymentMethod.GIFT_VOUCHER: _("as a gift voucher, as you paid"),
    PaymentMethod.SAVINGS_POINTS: _("as savings points, as you paid"),
}
THROUGH_PROVIDER = _("through {provider}")
TO_ACCOUNT = _("to your bank account ending in {last4}")
TO_ACCOUNT_ASKED = _("by bank transfer, to the account you give us below")
STORE_CREDIT_UNTIL = _("as store credit, valid until {day}")
STORE_CREDIT_MONTHS = ngettext_lazy(
    "as store credit, valid %(months)d month from the day we book it",
    "as store credit, valid %(months)d months from the day we book it",
    "months",
)
STORE_CREDIT = _("as store credit")

# The states in which we may still be given an account (refunding.refund_set_account).
_TAKES_ACCOUNT = (RefundState.PROPOSED, RefundState.APPROVED, RefundState.FAILED)


def masked_account(iban: str) -> str:
    """The account as the customer may see it on screen: its last four characters only."""
    return f"…{iban[-4:]}" if iban else ""


def asks_account(refund: Refund) -> bool:
    """F6: the customer still has to tell us where a bank-transfer part goes, or the
    transfer to the account they gave failed and they may check or change it."""
    return refund.state in _TAKES_ACCOUNT and (needs_account(refund) or transfer_failed(refund))


def transfer_failed(refund: Refund) -> bool:
    """The bank refused the transfer (F8 failed): the account given may be wrong."""
    return refund.state == RefundState.FAILED and any(
        part.channel == Channel.SEPA for part in refund.parts.all()
    )


@dataclass(frozen=True)
class Payback:
    """One part of a refund and how it comes back to the customer."""

    amount: Decimal
    how: Sentence
    paid: bool


@dataclass(frozen=True)
class RefundStatus:
    refund: Refund
    items: tuple[RefundItem, ...]
    state: Sentence
    paid_on: date | None
    paybacks: tuple[Payback, ...]
    account: str  # masked: "…4300"
    asks_account: bool
    credit_note: CreditNote | None  # once it is issued and its PDF is rendered

    @property
    def total(self) -> Decimal:
        return self.refund.total

    @property
    def charges_total(self) -> Decimal:
        """F5: charged separately, never taken off the refund."""
        return self.refund.charges_total


def _state(refund: Refund) -> tuple[Sentence, date | None]:
    if refund.state == RefundState.PAID and refund.paid_at is not None:
        day = timezone.localdate(refund.paid_at)
        return format_lazy(PAID_ON, day=long_date(day)), day
    return _STATE.get(RefundState(refund.state), refund.get_state_display()), None


def _how(refund: Refund, part: RefundPart) -> Sentence:
    """F6, F7: how this part reaches the customer, in their words."""
    if part.channel == Channel.SEPA:
        if refund.iban:
            return format_lazy(TO_ACCOUNT, last4=masked_account(refund.iban))
        return TO_ACCOUNT_ASKED
    if part.channel == Channel.STORE_CREDIT:
        if part.grant is not None and part.grant.valid_until is not None:
            return format_lazy(STORE_CREDIT_UNTIL, day=long_date(part.grant.valid_until))
        if refund.store_credit_valid_months:
            months = refund.store_credit_valid_months
            return STORE_CREDIT_MONTHS % {"months": months}
        return STORE_CREDIT
    if part.method in _OUTSIDE:
        return _OUTSIDE[PaymentMethod(part.method)]
    provider = PaymentMethod(part.method).label if part.method in PaymentMethod.values else ""
    return format_lazy(THROUGH_PROVIDER, provider=provider or part.method)


def refund_status(refund: Refund) -> RefundStatus:
    """What the customer sees of `refund`, read with its items, parts (and their grants)
    and credit note already at hand (no query)."""
    state, paid_on = _state(refund)
    try:
        note: CreditNote | None = refund.credit_note
    except CreditNote.DoesNotExist:
        note = None
    return RefundStatus(
        refund=refund,
        items=tuple(refund.items.all()),
        state=state,
        paid_on=paid_on,
        paybacks=tuple(
            Payback(amount=part.amount, how=_how(refund, part), paid=part.paid_at is not None)
            for part in refund.parts.all()
        ),
        account=masked_account(refund.iban),
        asks_account=asks_account(refund),
        credit_note=note
        if note is not None and refund.state == RefundState.PAID and note.pdf
        else None,
    )


def _with_details(refunds):
    return refunds.select_related("credit_note").prefetch_related(
        Prefetch("items", queryset=RefundItem.objects.order_by("position")),
        Prefetch("parts", queryset=RefundPart.objects.select_related("grant").order_by("pk")),
    )


def ticket_refunds(ticket: Ticket) -> list[RefundStatus]:
    """The ticket's refunds that are not cancelled, oldest first (three queries)."""
    refunds = _with_details(
        Refund.objects.filter(ticket=ticket)
        .exclude(state=RefundState.CANCELLED)
        .order_by("proposed_at", "pk")
    )
    return [refund_status(refund) for refund in refunds]


def tickets_asking_account(customer: Customer) -> list[Ticket]:
    """The customer's tickets with a refund that waits for their bank account, by their
    oldest such refund (one query): "my returns" lists them as something to do. The
    filter is `asks_account` in SQL: a part that goes by SEPA, and no IBAN yet or a
    failed transfer."""
    sepa_parts = RefundPart.objects.filter(refund=OuterRef("pk"), channel=Channel.SEPA)
    refunds = (
        Refund.objects.filter(ticket__order__customer=customer, state__in=_TAKES_ACCOUNT)
        .filter(Q(iban="") | Q(state=RefundState.FAILED))
        .filter(Exists(sepa_parts))
        .select_related("ticket")
        .order_by("proposed_at", "pk")
    )
    tickets: dict[int, Ticket] = {}
    for refund in refunds:
        tickets.setdefault(refund.ticket_id, refund.ticket)
    return list(tickets.values())
