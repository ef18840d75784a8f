"""Refunds from proposal to payment (F1, F6, F8, W7; SPEC §5).

An accountant proposes a refund from a diagnosed or resolved ticket: the calculator
quotes the units the back office diagnosed for a refund (and any withdrawn before
delivery), with their F4 deductions and F5 charges, and the quote's items become the
refund's, each with its rule id. A second accountant approves it (four eyes: nobody
approves a refund they proposed or adjusted); paying is a separate permission. A part
is paid by a SEPA batch (`refunds.sepa`), as store credit (the F7 ledger) or outside
Retour with a reference; when every part is paid the refund is, its credit note is
issued (`refunds.credit_notes`) and D4 stops chasing the ticket.

A unit is refunded once: `RefundUnit.unit` is unique and the ticket line's
`refunded_quantity` is bounded by its quantity in the database, so two accountants
proposing at the same moment cannot both win.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from sequences import get_next_value

from core.money import ZERO, allocate, to_cents
from orders.enums import PaymentMethod
from orders.selectors import order_facts, order_for_rules
from policies.selectors import legal_calendar
from refunds.calculator import ORIGINAL_METHOD, quote
from refunds.iban import IbanError, normalized_iban
from refunds.models import (
    Channel,
    Refund,
    RefundEvent,
    RefundEventKind,
    RefundItem,
    RefundLine,
    RefundPart,
    RefundState,
    RefundUnit,
)
from refunds.quotes import Quote, QuoteError
from refunds.services import store_credit_grant
from rma.diagnosis import investigation_charge
from rma.models import Outcome, ReturnedUnit, Ticket, TicketLine
from rma.selectors import units_withdrawn
from rma.states import Resolution, State

if TYPE_CHECKING:
    from accounts.models import User


class RefundError(Exception):
    """A refused refund action, with a message the person can read."""


# Messages a person may see; the tests assert on them.
NOT_ALLOWED = gettext_noop("You are not allowed to do this with refunds.")
TICKET_NOT_READY = gettext_noop(
    "A refund is proposed once the ticket is diagnosed or resolved; {ticket} is {state}."
)
NOTHING_TO_REFUND = gettext_noop(
    "Nothing of {ticket} is left to refund: no diagnosed unit to refund that another "
    "refund does not already hold."
)
ALREADY_REFUNDED = gettext_noop(
    "Another refund took these units a moment ago; reload the ticket to see it."
)
FOUR_EYES = gettext_noop(
    "You proposed or adjusted this refund, so someone else approves it (four eyes)."
)
WRONG_STATE = gettext_noop("Refund {refund} is {state}; that is not possible now.")
REASON_NEEDED = gettext_noop("Say why; the reason is kept beside the original amount.")
TOTAL_NEGATIVE = gettext_noop("The refund's total cannot be below EUR 0.00.")
REFERENCE_NEEDED = gettext_noop(
    "Give the reference of the payment made outside Retour (provider, voucher or points)."
)

# F6: the ways of paying back each way of paying. Bank transfers (and iDEAL, paid from
# a bank account, and orders that recorded no payment) go into a SEPA batch; store
# credit back into the ledger (F7: never as money); every other one is refunded
# through its provider (card, PayPal, Billink, Bitcoin at the day's rate) or in kind
# (gift voucher, savings points) outside Retour and booked here with its reference.
_SEPA_METHODS = {PaymentMethod.BANK_TRANSFER, PaymentMethod.IDEAL, ORIGINAL_METHOD}


def channel_of(method: str) -> str:
    """F6: how a part paid with `method` is paid back."""
    if method == PaymentMethod.STORE_CREDIT:
        return Channel.STORE_CREDIT
    if method in _SEPA_METHODS:
        return Channel.SEPA
    return Channel.OUTSIDE


def _require(by: User | None, permission: str) -> None:
    if by is not None and not by.has_perm(permission):
        raise RefundError(_(NOT_ALLOWED))


def _locked(refund: Refund) -> Refund:
    return Refund.objects.select_for_update().select_related("ticket").get(pk=refund.pk)


def _record(refund: Refund, kind: str, by: User | None, note: str = "", **data: object) -> None:
    RefundEvent.objects.create(refund=refund, kind=kind, by=by, note=note, data=data)


def _refuse_state(refund: Refund) -> RefundError:
    return RefundError(
        _(WRONG_STATE).format(refund=refund.number, state=refund.get_state_display())
    )


# --- propose -------------------------------------------------------------------------


def _units_to_refund(ticket: Ticket) -> list[ReturnedUnit]:
    """The ticket's units diagnosed for a refund that no refund holds yet."""
    return list(
        ReturnedUnit.objects.filter(
            ticket_line__ticket=ticket,
            diagnosed_at__isnull=False,
            outcome=Outcome.REFUND,
            refund_unit__isnull=True,
        )
        .select_related("ticket_line__order_line")
        .order_by("ticket_line__order_line__line_id", "number")
    )


def _undelivered_to_refund(ticket: Ticket) -> dict[int, int]:
    """Per ticket line: units withdrawn before delivery (W1) no refund holds yet. They
    never come back as units; the line's refunded count less its refunded units is
    what refunds took of them."""
    lines = (
        TicketLine.objects.filter(ticket=ticket, undelivered_quantity__gt=0)
        .annotate(units=Count("returned_units__refund_unit"))
        .values_list("pk", "undelivered_quantity", "refunded_quantity", "units")
    )
    return {
        pk: undelivered - (refunded - units)
        for pk, undelivered, refunded, units in lines
        if undelivered - (refunded - units) > 0
    }


def _investigation_hours(ticket: Ticket, units: list[ReturnedUnit]) -> Decimal:
    """F5 (R8, R12): hours charged for the units, charged with the ticket's first refund."""
    if Refund.objects.filter(ticket=ticket).exclude(state=RefundState.CANCELLED).exists():
        return ZERO
    charged = ReturnedUnit.objects.filter(
        ticket_line__ticket=ticket, diagnosed_at__isnull=False, investigation_hours__gt=0
    ).values_list("investigation_hours", "defect_confirmed", "locked")
    return sum(
        (
            investigation_charge(
                reason=ticket.reason,
                hours=hours,
                hourly_rate=ZERO,
                defect_confirmed=defect_confirmed,
                locked=locked,
            ).hours
            for hours, defect_confirmed, locked in charged
        ),
        ZERO,
    )


def _quote(ticket: Ticket, units: list[ReturnedUnit], undelivered: dict[int, int]) -> Quote:
    """The calculator's quote for these units, on the day of the request (W3, R14)."""
    lines = {line.pk: line for line in ticket.lines.select_related("order_line")}
    selection: dict[str, int] = defaultdict(int)
    deductions: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for unit in units:
        line_id = unit.ticket_line.order_line.line_id
        selection[line_id] += 1
        if unit.deduction:
            deductions[line_id] += unit.deduction
    for pk, quantity in undelivered.items():
        selection[lines[pk].order_line.line_id] += quantity
    # The units this ticket's earlier refunds took come first in their line (so every
    # split of a line adds up to the whole line to the cent): they count as held by others.
    own = {line.order_line_id: line.quantity - line.refunded_quantity for line in lines.values()}
    facts = order_facts(order_for_rules(ticket.order.number), held_by_ticket=own)
    return quote(
        facts,
        sorted(selection.items()),
        reason=ticket.reason,
        terms=ticket.policy.terms(),
        on=ticket.notice_on or timezone.localdate(ticket.created_at),
        # F6: the customer's choice at the request, where the policy offered it.
        # The customer's choice (F6) was checked against the policy when they made it;
        # `_parts` honours it even if the policy changed since.
        store_credit_choice=False,
        deductions=dict(deductions),
        investigation_hours=_investigation_hours(ticket, units) or None,
        calendar=legal_calendar(),
        withdrawn_elsewhere=units_withdrawn(ticket.order, besides=ticket),
    )


def _parts(ticket: Ticket, found: Quote) -> tuple[list[tuple[str, Decimal]], int | None]:
    """F6: the quote's method split, or all store credit when the customer chose it or
    staff resolved the ticket so (valid as the policy says, P1's partner credit 1 year
    as the quote says)."""
    if found.total <= 0:
        return [], None
    if ticket.store_credit_chosen or ticket.resolution == Resolution.STORE_CREDIT:
        months = found.store_credit_valid_months or ticket.policy.store_credit_valid_months
        return [(PaymentMethod.STORE_CREDIT, found.total)], months
    return [(part.method, part.amount) for part in found.methods], found.store_credit_valid_months


def refund_preview(ticket: Ticket) -> Quote | None:
    """What `refund_propose` would quote now: the units no refund holds yet (None when
    there are none). Raises QuoteError when the calculator refuses them."""
    units = _units_to_refund(ticket)
    undelivered = _undelivered_to_refund(ticket)
    if not units and not undelivered:
        return None
    return _quote(ticket, units, undelivered)


@transaction.atomic
def refund_propose(*, ticket: Ticket, by: User | None) -> Refund:
    """Propose the refund of the ticket's diagnosed units that no refund holds yet."""
    _require(by, "refunds.add_refund")
    ticket = Ticket.objects.select_for_update().select_related("order__customer").get(pk=ticket.pk)
    if ticket.state not in (State.DIAGNOSED, State.RESOLVED):
        raise RefundError(
            _(TICKET_NOT_READY).format(ticket=ticket.number, state=ticket.get_state_display())
        )
    units = _units_to_refund(ticket)
    undelivered = _undelivered_to_refund(ticket)
    if not units and not undelivered:
        raise RefundError(_(NOTHING_TO_REFUND).format(ticket=ticket.number))
    # The quote's sentences are the credit note's: in the customer's language.
    with translation.override(ticket.order.customer.language or "nl"):
        try:
            found = _quote(ticket, units, undelivered)
        except QuoteError as error:
            raise RefundError(str(error)) from None
        items = [(item, str(item.description)) for item in found.items]
        charges = sum((charge.amount for charge in found.charges), ZERO)
    parts, months = _parts(ticket, found)
    year = timezone.localdate().year
    refund = Refund.objects.create(
        number=f"RF-{year}-{get_next_value(f'refund-{year}'):05d}",
        ticket=ticket,
        due_on=ticket.refund_due_on,
        total=found.total,
        charges_total=charges,
        store_credit_valid_months=months,
        proposed_by=by,
    )
    vat_rates = dict(ticket.order.lines.values_list("line_id", "vat_rate"))
    delivery_rate = max(vat_rates.values(), default=None)
    RefundItem.objects.bulk_create(
        RefundItem(
            refund=refund,
            position=position,
            rule=item.rule,
            description=description,
            line_id=item.line or "",
            vat_rate=vat_rates.get(item.line)
            if item.line
            else (delivery_rate if item.rule == "W8" and item.amount else None),
            original_amount=item.amount,
            amount=item.amount,
        )
        for position, (item, description) in enumerate(items, start=1)
    )
    RefundPart.objects.bulk_create(
        RefundPart(refund=refund, method=method, channel=channel_of(method), amount=amount)
        for method, amount in parts
    )
    _hold(refund, units, undelivered)
    _record(refund, RefundEventKind.PROPOSED, by, total=str(refund.total))
    return refund


def _hold(refund: Refund, units: list[ReturnedUnit], undelivered: dict[int, int]) -> None:
    """Take the units for this refund; the database refuses a unit taken twice."""
    per_line: dict[int, int] = defaultdict(int, undelivered)
    for unit in units:
        per_line[unit.ticket_line_id] += 1
    try:
        with transaction.atomic():
            RefundUnit.objects.bulk_create(RefundUnit(refund=refund, unit=unit) for unit in units)
            RefundLine.objects.bulk_create(
                RefundLine(refund=refund, ticket_line_id=pk, quantity=quantity)
                for pk, quantity in sorted(per_line.items())
            )
            for pk, quantity in sorted(per_line.items()):
                TicketLine.objects.filter(pk=pk).update(
                    refunded_quantity=F("refunded_quantity") + quantity
                )
    except IntegrityError:
        raise RefundError(_(ALREADY_REFUNDED)) from None


def _release(refund: Refund) -> None:
    """A cancelled refund lets its units go, for a new proposal."""
    for line in refund.lines.all():
        TicketLine.objects.filter(pk=line.ticket_line_id).update(
            refunded_quantity=F("refunded_quantity") - line.quantity
        )
    refund.units.all().delete()


# --- adjust, approve, cancel ---------------------------------------------------------


@transaction.atomic
def refund_adjust(*, item: RefundItem, amount: Decimal, reason: str, by: User) -> RefundItem:
    """Change an item's amount before approval, with a reason kept beside the original."""
    _require(by, "refunds.change_refund")
    refund = _locked(item.refund)
    if refund.state != RefundState.PROPOSED:
        raise _refuse_state(refund)
    if not reason.strip():
        raise RefundError(_(REASON_NEEDED))
    item = RefundItem.objects.get(pk=item.pk, refund=refund)
    amount = to_cents(Decimal(amount))
    total = refund.total - item.amount + amount
    if total < 0:
        raise RefundError(_(TOTAL_NEGATIVE))
    _record(
        refund,
        RefundEventKind.ADJUSTED,
        by,
        reason.strip(),
        rule=item.rule,
        position=item.position,
        old=str(item.amount),
        new=str(amount),
    )
    item.amount = amount
    item.adjustment_reason = reason.strip()
    item.adjusted_by = by
    item.adjusted_at = timezone.now()
    item.save()
    refund.total = total
    refund.save(update_fields=["total"])
    _split_again(refund)
    return item


def _split_again(refund: Refund) -> None:
    """F6: spread a changed total over the same ways of paying back, in proportion."""
    parts = list(refund.parts.all())
    refund.parts.all().delete()
    if refund.total <= 0:
        return
    if not parts:
        method = ORIGINAL_METHOD
        parts = [RefundPart(method=method, channel=channel_of(method), amount=Decimal(1))]
    amounts = allocate(refund.total, [part.amount for part in parts])
    RefundPart.objects.bulk_create(
        RefundPart(refund=refund, method=part.method, channel=part.channel, amount=amount)
        for part, amount in zip(parts, amounts, strict=True)
        if amount
    )


def refund_may_approve(refund: Refund, by: User) -> bool:
    """Four eyes: whoever proposed or adjusted the refund does not approve it."""
    return refund.proposed_by_id != by.pk and not refund.items.filter(adjusted_by=by).exists()


@transaction.atomic
def refund_approve(*, refund: Refund, by: User) -> Refund:
    _require(by, "refunds.approve_refund")
    refund = _locked(refund)
    if refund.state != RefundState.PROPOSED:
        raise _refuse_state(refund)
    if not refund_may_approve(refund, by):
        raise RefundError(_(FOUR_EYES))
    refund.approve()
    refund.approved_at = timezone.now()
    refund.approved_by = by
    refund.save()
    _record(refund, RefundEventKind.APPROVED, by)
    if not refund.parts.exists():
        # Nothing to pay (every unit deducted in full): settled as it is approved.
        _settle(refund, by)
    return refund


@transaction.atomic
def refund_cancel(*, refund: Refund, by: User) -> Refund:
    _require(by, "refunds.add_refund")
    refund = _locked(refund)
    if refund.state not in (RefundState.PROPOSED, RefundState.FAILED):
        raise _refuse_state(refund)
    refund.cancel()
    refund.cancelled_at = timezone.now()
    refund.cancelled_by = by
    refund.save()
    _record(refund, RefundEventKind.CANCELLED, by)
    refund.parts.update(batch=None)
    _release(refund)
    return refund


# --- pay -------------------------------------------------------------------------------


@transaction.atomic
def refund_pay(
    *, refund: Refund, by: User | None, references: dict[int, str] | None = None
) -> Refund:
    """Pay what is not paid by bank: book the store-credit parts in the ledger (F7) and
    the parts paid outside Retour with their references; settle once all are paid."""
    _require(by, "refunds.pay_refund")
    refund = _locked(refund)
    if refund.state != RefundState.APPROVED:
        raise _refuse_state(refund)
    references = references or {}
    now = timezone.now()
    for part in refund.parts.filter(paid_at__isnull=True).order_by("pk"):
        if part.channel == Channel.STORE_CREDIT:
            part.grant = store_credit_grant(
                customer=refund.ticket.order.customer,
                amount=part.amount,
                by=by,
                ticket=refund.ticket,
                reason=refund.number,
                valid_months=refund.store_credit_valid_months,
            )
            part.reference = refund.number
        elif part.channel == Channel.OUTSIDE:
            reference = references.get(part.pk, "").strip()
            if not reference:
                raise RefundError(_(REFERENCE_NEEDED))
            part.reference = reference
        else:
            continue  # SEPA: paid when its batch is booked as executed
        part.paid_at = now
        part.save()
    settle_if_paid(refund, by)
    return refund


def settle_if_paid(refund: Refund, by: User | None) -> bool:
    """Mark an approved refund paid once every part is: the caller holds its lock."""
    if refund.state != RefundState.APPROVED or refund.parts.filter(paid_at__isnull=True).exists():
        return False
    _settle(refund, by)
    return True


def _settle(refund: Refund, by: User | None) -> None:
    from refunds.credit_notes import credit_note_issue

    refund.pay()
    refund.paid_at = timezone.now()
    refund.paid_by = by
    refund.save()
    _record(refund, RefundEventKind.PAID, by, total=str(refund.total))
    # D4 stops: the customer has the money (W7). Saved, not updated: the ticket's
    # `overdue_from` follows the day (the queue no longer shows it overdue).
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=refund.ticket_id)
    if ticket.refund_paid_on is None:
        ticket.refund_paid_on = timezone.localdate(refund.paid_at)
        ticket.save(update_fields=["refund_paid_on"])
    credit_note_issue(refund)


@transaction.atomic
def refund_fail(*, refund: Refund, by: User, reason: str) -> Refund:
    """The bank (or provider) refused the payment: out of its batch, to be retried."""
    _require(by, "refunds.pay_refund")
    refund = _locked(refund)
    if refund.state != RefundState.APPROVED:
        raise _refuse_state(refund)
    if not reason.strip():
        raise RefundError(_(REASON_NEEDED))
    refund.fail()
    refund.failed_at = timezone.now()
    refund.failure_reason = reason.strip()
    refund.save()
    _record(refund, RefundEventKind.FAILED, by, refund.failure_reason)
    refund.parts.filter(paid_at__isnull=True).update(batch=None)
    return refund


@transaction.atomic
def refund_retry(*, refund: Refund, by: User) -> Refund:
    """Pay a failed refund again (into the next batch, to a corrected IBAN if given)."""
    _require(by, "refunds.pay_refund")
    refund = _locked(refund)
    if refund.state != RefundState.FAILED:
        raise _refuse_state(refund)
    refund.retry()
    refund.save()
    _record(refund, RefundEventKind.RETRIED, by)
    return refund


@transaction.atomic
def refund_set_account(*, refund: Refund, iban: str, holder: str, by: User | None = None) -> Refund:
    """F6: the account a bank-transfer refund goes to, checked by its checksum (given by
    the customer in the portal, or corrected after a failed payment)."""
    refund = _locked(refund)
    if refund.state in (RefundState.PAID, RefundState.CANCELLED):
        raise _refuse_state(refund)
    try:
        refund.iban = normalized_iban(iban)
    except IbanError as error:
        raise RefundError(str(error)) from None
    holder = " ".join(holder.split())
    if not holder:
        raise RefundError(_("Give the name of the account holder."))
    refund.account_holder = holder[:70]
    refund.save(update_fields=["iban", "account_holder"])
    # The last four characters only: the history is read by every accountant.
    _record(refund, RefundEventKind.ACCOUNT, by, ending=refund.iban[-4:])
    return refund


def needs_account(refund: Refund) -> bool:
    """The refund has a bank-transfer part and no account to send it to."""
    return not refund.iban and any(part.channel == Channel.SEPA for part in refund.parts.all())


def refundable_units(ticket: Ticket) -> int:
    """How many units of the ticket a new refund would take now (0: nothing to propose)."""
    return len(_units_to_refund(ticket)) + sum(_undelivered_to_refund(ticket).values())
