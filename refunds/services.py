"""Grant, use, withdraw and write off store credit (F7, article 14 of the terms).

Every change is a new ledger entry (`refunds.models.StoreCreditEntry`). A debit draws on
the customer's grants that are still valid, the one that lapses first first, and names
each grant it draws from. The customer's row is locked for the length of the
transaction, so two debits at once cannot spend the same euro twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.money import ZERO, format_amount, to_cents
from orders.models import Customer
from policies.models import ReturnPolicy
from refunds.deadlines import credit_valid_until
from refunds.models import EntryKind, StoreCreditEntry

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from accounts.models import User
    from orders.models import Order
    from rma.models import Ticket


class StoreCreditError(Exception):
    """A refused store-credit action, with a message the person can read."""


# Messages a person may see; the tests assert on them.
AMOUNT_NOT_POSITIVE = gettext_noop("The amount must be more than EUR 0.00.")
REASON_NEEDED = gettext_noop("Say why; the reason is kept with the entry.")
NOT_ENOUGH_CREDIT = gettext_noop(
    "Only EUR {available} of store credit is valid on {day}, not EUR {amount}."
)
NOT_ALLOWED = gettext_noop("You are not allowed to change store credit.")

MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=12, decimal_places=2)


if TYPE_CHECKING:

    class _Remaining(TypedDict):
        remaining: Decimal

    # A grant as `with_remaining` returns it: with what is left of it as `remaining`.
    Grant = WithAnnotations[StoreCreditEntry, _Remaining]


def with_remaining(grants: QuerySet[StoreCreditEntry]) -> QuerySet[Grant]:
    """Annotate each grant with `remaining`: its amount less every debit drawn from it."""
    debits = (
        StoreCreditEntry.objects.filter(grant=OuterRef("pk"))
        .order_by()
        .values("grant")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return grants.annotate(
        remaining=F("amount") + Coalesce(Subquery(debits, output_field=MONEY), Value(ZERO)),
    )


def open_grants(customer_id: int, *, on: date) -> QuerySet[Grant]:
    """The customer's grants usable on `on`, the first to lapse first, with `remaining`."""
    return with_remaining(
        StoreCreditEntry.objects.filter(
            customer_id=customer_id,
            kind=EntryKind.GRANT,
            closed_on__isnull=True,
            issued_on__lte=on,
            valid_until__gte=on,
        )
    ).order_by("valid_until", "pk")


def store_credit_available(customer: Customer, *, on: date) -> Decimal:
    """What the customer can spend on `on`: the remainders of their valid grants."""
    total = sum((grant.remaining for grant in open_grants(customer.pk, on=on)), ZERO)
    return to_cents(total)


def store_credit_balance(customer: Customer) -> Decimal:
    """The ledger's balance: the sum of every entry (equals `available` once lapsed
    grants are written off, which the chaser does every 15 minutes)."""
    total = StoreCreditEntry.objects.filter(customer=customer).aggregate(total=Sum("amount"))
    return to_cents(total["total"] or ZERO)


def _amount(amount: Decimal) -> Decimal:
    amount = to_cents(Decimal(amount))
    if amount <= 0:
        raise StoreCreditError(_(AMOUNT_NOT_POSITIVE))
    return amount


def _check_staff(by: User | None, reason: str) -> None:
    if by is not None and not by.has_perm("refunds.add_storecreditentry"):
        raise StoreCreditError(_(NOT_ALLOWED))
    if not reason.strip():
        raise StoreCreditError(_(REASON_NEEDED))


def ledger_lock(customer_id: int) -> None:
    """Lock the customer's row: their ledger changes one transaction at a time."""
    Customer.objects.select_for_update().filter(pk=customer_id).values_list("pk").first()


@transaction.atomic
def store_credit_grant(
    *,
    customer: Customer,
    amount: Decimal,
    by: User | None,
    reason: str = "",
    ticket: Ticket | None = None,
    policy: ReturnPolicy | None = None,
    valid_months: int | None = None,
    on: date | None = None,
) -> StoreCreditEntry:
    """Grant store credit: for a ticket's refund (F6, P1) or by staff with a reason.

    Valid `valid_months` from issue: the policy's 24 (F7) unless the caller says
    otherwise (P1 partner restocking credit: `policy.partner_credit_valid_months`).
    """
    amount = _amount(amount)
    if ticket is None:
        _check_staff(by, reason)
    policy = policy or (ticket.policy if ticket is not None else ReturnPolicy.default())
    issued_on = on or timezone.localdate()
    months = valid_months if valid_months is not None else policy.store_credit_valid_months
    ledger_lock(customer.pk)
    return StoreCreditEntry.objects.create(
        customer=customer,
        kind=EntryKind.GRANT,
        amount=amount,
        by=by,
        reason=reason.strip(),
        ticket=ticket,
        policy=policy,
        issued_on=issued_on,
        valid_until=credit_valid_until(issued_on, months),
    )


@dataclass(frozen=True)
class _Draw:
    grant: Grant
    amount: Decimal


def _debit(
    *,
    customer: Customer,
    amount: Decimal,
    kind: str,
    on: date,
    by: User | None,
    reason: str = "",
    order: Order | None = None,
) -> list[StoreCreditEntry]:
    """Draw `amount` from the customer's valid grants, the first to lapse first."""
    ledger_lock(customer.pk)
    draws, left = [], amount
    grants = list(open_grants(customer.pk, on=on))
    for grant in grants:
        if left == 0:
            break
        take = min(grant.remaining, left)
        if take > 0:
            draws.append(_Draw(grant, take))
            left -= take
    if left > 0:
        available = sum((grant.remaining for grant in grants), ZERO)
        raise StoreCreditError(
            _(NOT_ENOUGH_CREDIT).format(
                available=format_amount(available),
                day=on.isoformat(),
                amount=format_amount(amount),
            )
        )
    entries = StoreCreditEntry.objects.bulk_create(
        StoreCreditEntry(
            customer=customer,
            kind=kind,
            amount=-draw.amount,
            by=by,
            reason=reason.strip(),
            order=order,
            grant=draw.grant,
        )
        for draw in draws
    )
    emptied = [draw.grant.pk for draw in draws if draw.amount == draw.grant.remaining]
    StoreCreditEntry.objects.filter(pk__in=emptied).update(closed_on=on)
    return entries


@transaction.atomic
def store_credit_use(
    *,
    customer: Customer,
    amount: Decimal,
    order: Order | None = None,
    by: User | None = None,
    on: date | None = None,
) -> list[StoreCreditEntry]:
    """Spend store credit on an order (article 14.6: deducted at checkout)."""
    return _debit(
        customer=customer,
        amount=_amount(amount),
        kind=EntryKind.USE,
        on=on or timezone.localdate(),
        by=by,
        order=order,
    )


@transaction.atomic
def store_credit_withdraw(
    *, customer: Customer, amount: Decimal, by: User | None, reason: str, on: date | None = None
) -> list[StoreCreditEntry]:
    """Take store credit back, with a reason (article 14.6, 14.23)."""
    amount = _amount(amount)
    _check_staff(by, reason)
    return _debit(
        customer=customer,
        amount=amount,
        kind=EntryKind.WITHDRAWAL,
        on=on or timezone.localdate(),
        by=by,
        reason=reason,
    )


@transaction.atomic
def store_credit_write_off(*, grant: StoreCreditEntry, on: date) -> StoreCreditEntry | None:
    """F7: book what is left of a lapsed grant as expired, once; close the grant.

    Return the expiry entry, or None when there was nothing to do (nothing left, not yet
    lapsed, or written off by a run that overlapped this one).
    """
    ledger_lock(grant.customer_id)
    current = with_remaining(StoreCreditEntry.objects.filter(pk=grant.pk)).get()
    if current.closed_on is not None:
        return None
    assert current.valid_until is not None  # every grant has one (store_credit_grant_shape)
    if current.valid_until >= on:
        return None
    entry = None
    if current.remaining > 0:
        entry = StoreCreditEntry.objects.create(
            customer_id=current.customer_id,
            kind=EntryKind.EXPIRY,
            amount=-current.remaining,
            grant=current,
        )
    StoreCreditEntry.objects.filter(pk=current.pk).update(closed_on=on)
    return entry
