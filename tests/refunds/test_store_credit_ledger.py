"""F7: the store-credit ledger — grants, uses, withdrawals, write-offs, and its guarantees."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from policies.models import ReturnPolicy
from refunds.models import EntryKind, LedgerEntryImmutable, StoreCreditEntry
from refunds.services import (
    AMOUNT_NOT_POSITIVE,
    NOT_ALLOWED,
    NOT_ENOUGH_CREDIT,
    REASON_NEEDED,
    StoreCreditError,
    store_credit_available,
    store_credit_balance,
    store_credit_grant,
    store_credit_use,
    store_credit_withdraw,
    store_credit_write_off,
    with_remaining,
)
from tests.threads import run_together

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)  # the conftest's fixed test day
GOODWILL = "Goodwill for a late delivery"


@pytest.fixture
def ada(accountant):
    """Ada keeps the ledger: she may grant and withdraw store credit, with a reason."""
    return accountant


def grant(customer, amount: str, *, by, on: date = TODAY, **kwargs) -> StoreCreditEntry:
    return store_credit_grant(
        customer=customer, amount=Decimal(amount), by=by, reason=GOODWILL, on=on, **kwargs
    )


def remaining(entry: StoreCreditEntry) -> Decimal:
    return with_remaining(StoreCreditEntry.objects.filter(pk=entry.pk)).get().remaining


def sum_of_entries(customer) -> Decimal:
    return sum(
        StoreCreditEntry.objects.filter(customer=customer).values_list("amount", flat=True),
        Decimal("0.00"),
    )


def not_enough(available: str, day: date, amount: str) -> str:
    return NOT_ENOUGH_CREDIT.format(available=available, day=day.isoformat(), amount=amount)


# Granting -------------------------------------------------------------------------------


def test_it_keeps_staff_credit_valid_for_24_months_under_the_default_policy(anna, ada):
    entry = grant(anna, "25.00", by=ada)

    entry.refresh_from_db()
    assert entry.kind == EntryKind.GRANT
    assert entry.policy == ReturnPolicy.default()
    assert entry.policy.preset == "webstore4"
    assert (entry.issued_on, entry.valid_until) == (TODAY, date(2028, 11, 23))
    assert (entry.amount, entry.by, entry.reason) == (Decimal("25.00"), ada, GOODWILL)
    assert entry.closed_on is None
    assert store_credit_available(anna, on=TODAY) == Decimal("25.00")


def test_it_keeps_partner_credit_valid_for_one_year_when_granted_for_12_months(anna, ada):
    partner_months = ReturnPolicy.default().partner_credit_valid_months
    assert partner_months == 12

    entry = grant(anna, "18.00", by=ada, valid_months=partner_months)

    entry.refresh_from_db()
    assert (entry.issued_on, entry.valid_until) == (TODAY, date(2027, 11, 23))


def test_it_counts_the_validity_from_the_day_the_grant_is_issued(anna, ada):
    entry = grant(anna, "5.00", by=ada, on=date(2027, 3, 31), valid_months=12)

    assert (entry.issued_on, entry.valid_until) == (date(2027, 3, 31), date(2028, 3, 31))


@pytest.mark.parametrize(
    ("asked", "booked"),
    [("10.005", "10.01"), ("19.994", "19.99"), ("7", "7.00"), ("0.005", "0.01")],
)
def test_it_rounds_a_granted_amount_to_cents(anna, ada, asked, booked):
    entry = grant(anna, asked, by=ada)

    entry.refresh_from_db()
    assert entry.amount == Decimal(booked)
    assert store_credit_balance(anna) == Decimal(booked)


@pytest.mark.parametrize("reason", ["", "   "])
def test_it_refuses_a_staff_grant_without_a_reason_and_writes_nothing(anna, ada, reason):
    with pytest.raises(StoreCreditError) as refused:
        store_credit_grant(customer=anna, amount=Decimal("10.00"), by=ada, reason=reason, on=TODAY)

    assert str(refused.value) == REASON_NEEDED
    assert not StoreCreditEntry.objects.exists()


def test_it_refuses_a_grant_by_support_who_may_not_change_store_credit(anna, support):
    with pytest.raises(StoreCreditError) as refused:
        grant(anna, "10.00", by=support)

    assert str(refused.value) == NOT_ALLOWED
    assert not StoreCreditEntry.objects.exists()


@pytest.mark.parametrize("amount", ["0", "0.00", "0.004", "-5.00"])
def test_it_refuses_a_grant_of_nothing_or_less(anna, ada, amount):
    with pytest.raises(StoreCreditError) as refused:
        grant(anna, amount, by=ada)

    assert str(refused.value) == AMOUNT_NOT_POSITIVE
    assert not StoreCreditEntry.objects.exists()


# Using ----------------------------------------------------------------------------------


def test_it_draws_a_use_from_the_grant_that_lapses_first_first(anna, ada):
    lasting = grant(anna, "40.00", by=ada)  # booked first, but valid until 2028-11-23
    partner = grant(anna, "30.00", by=ada, valid_months=12)  # valid until 2027-11-23
    day = date(2027, 1, 10)

    debits = store_credit_use(customer=anna, amount=Decimal("50.00"), on=day)

    assert [(d.kind, d.grant_id, d.amount) for d in debits] == [
        (EntryKind.USE, partner.pk, Decimal("-30.00")),
        (EntryKind.USE, lasting.pk, Decimal("-20.00")),
    ]
    assert StoreCreditEntry.objects.filter(kind=EntryKind.USE).count() == 2
    partner.refresh_from_db()
    lasting.refresh_from_db()
    assert partner.closed_on == day  # nothing left of it since the use
    assert lasting.closed_on is None
    assert (remaining(partner), remaining(lasting)) == (Decimal("0.00"), Decimal("20.00"))
    assert store_credit_available(anna, on=day) == Decimal("20.00")
    assert store_credit_balance(anna) == Decimal("20.00")
    assert sum_of_entries(anna) == Decimal("20.00")


def test_it_draws_a_small_use_from_one_grant_only(anna, ada):
    lasting = grant(anna, "40.00", by=ada)
    partner = grant(anna, "30.00", by=ada, valid_months=12)

    debits = store_credit_use(customer=anna, amount=Decimal("12.50"), on=TODAY)

    assert [(d.grant_id, d.amount) for d in debits] == [(partner.pk, Decimal("-12.50"))]
    assert (remaining(partner), remaining(lasting)) == (Decimal("17.50"), Decimal("40.00"))
    partner.refresh_from_db()
    assert partner.closed_on is None


def test_it_refuses_a_use_larger_than_the_credit_and_writes_nothing(anna, ada):
    grant(anna, "30.00", by=ada)
    grant(anna, "20.00", by=ada, valid_months=12)

    with pytest.raises(StoreCreditError) as refused:
        store_credit_use(customer=anna, amount=Decimal("60.00"), on=TODAY)

    assert str(refused.value) == not_enough("50.00", TODAY, "60.00")
    assert str(refused.value) == (
        "Only EUR 50.00 of store credit is valid on 2026-11-23, not EUR 60.00."
    )
    assert StoreCreditEntry.objects.count() == 2
    assert not StoreCreditEntry.objects.filter(closed_on__isnull=False).exists()
    assert store_credit_balance(anna) == Decimal("50.00")


def test_it_refuses_a_use_when_there_is_no_credit_at_all(anna):
    with pytest.raises(StoreCreditError) as refused:
        store_credit_use(customer=anna, amount=Decimal("1.00"), on=TODAY)

    assert str(refused.value) == not_enough("0.00", TODAY, "1.00")
    assert not StoreCreditEntry.objects.exists()


def test_it_lets_a_grant_be_used_on_its_last_valid_day(anna, ada):
    entry = grant(anna, "25.00", by=ada, valid_months=12)

    store_credit_use(customer=anna, amount=Decimal("25.00"), on=date(2027, 11, 23))

    entry.refresh_from_db()
    assert entry.closed_on == date(2027, 11, 23)
    assert store_credit_balance(anna) == Decimal("0.00")


def test_it_refuses_to_use_a_grant_after_its_last_valid_day(anna, ada):
    grant(anna, "25.00", by=ada, valid_months=12)  # valid until 2027-11-23
    day_after = date(2027, 11, 24)

    with pytest.raises(StoreCreditError) as refused:
        store_credit_use(customer=anna, amount=Decimal("5.00"), on=day_after)

    assert str(refused.value) == not_enough("0.00", day_after, "5.00")
    assert store_credit_available(anna, on=day_after) == Decimal("0.00")
    assert StoreCreditEntry.objects.count() == 1


# Withdrawing ----------------------------------------------------------------------------


def test_it_withdraws_credit_with_a_reason_from_the_grant_that_lapses_first(anna, ada):
    grant(anna, "40.00", by=ada)
    partner = grant(anna, "30.00", by=ada, valid_months=12)

    (debit,) = store_credit_withdraw(
        customer=anna, amount=Decimal("10.00"), by=ada, reason=" Granted twice ", on=TODAY
    )

    assert (debit.kind, debit.grant_id, debit.amount) == (
        EntryKind.WITHDRAWAL,
        partner.pk,
        Decimal("-10.00"),
    )
    assert (debit.by, debit.reason) == (ada, "Granted twice")
    assert store_credit_balance(anna) == Decimal("60.00")


def test_it_refuses_a_withdrawal_by_support_or_without_a_reason(anna, ada, support):
    grant(anna, "40.00", by=ada)

    with pytest.raises(StoreCreditError) as by_support:
        store_credit_withdraw(
            customer=anna, amount=Decimal("10.00"), by=support, reason="Oops", on=TODAY
        )
    with pytest.raises(StoreCreditError) as without_reason:
        store_credit_withdraw(customer=anna, amount=Decimal("10.00"), by=ada, reason="", on=TODAY)

    assert str(by_support.value) == NOT_ALLOWED
    assert str(without_reason.value) == REASON_NEEDED
    assert StoreCreditEntry.objects.count() == 1
    assert store_credit_balance(anna) == Decimal("40.00")


# Writing off ----------------------------------------------------------------------------


def test_it_writes_off_what_is_left_of_a_lapsed_grant_once(anna, ada):
    entry = grant(anna, "40.00", by=ada, valid_months=12)  # valid until 2027-11-23
    store_credit_use(customer=anna, amount=Decimal("15.00"), on=date(2027, 5, 1))
    lapsed_on = date(2027, 11, 24)

    expiry = store_credit_write_off(grant=entry, on=lapsed_on)

    assert (expiry.kind, expiry.grant_id, expiry.amount) == (
        EntryKind.EXPIRY,
        entry.pk,
        Decimal("-25.00"),
    )
    entry.refresh_from_db()
    assert entry.closed_on == lapsed_on
    assert remaining(entry) == Decimal("0.00")
    assert store_credit_balance(anna) == Decimal("0.00")
    booked = StoreCreditEntry.objects.count()

    assert store_credit_write_off(grant=entry, on=lapsed_on) is None
    assert store_credit_write_off(grant=entry, on=date(2027, 12, 1)) is None

    assert StoreCreditEntry.objects.count() == booked
    assert StoreCreditEntry.objects.filter(kind=EntryKind.EXPIRY).count() == 1
    entry.refresh_from_db()
    assert entry.closed_on == lapsed_on


@pytest.mark.parametrize("day", [date(2027, 11, 22), date(2027, 11, 23)])
def test_it_does_not_write_off_a_grant_on_or_before_its_last_valid_day(anna, ada, day):
    entry = grant(anna, "40.00", by=ada, valid_months=12)  # valid until 2027-11-23

    assert store_credit_write_off(grant=entry, on=day) is None

    entry.refresh_from_db()
    assert entry.closed_on is None
    assert StoreCreditEntry.objects.count() == 1
    assert store_credit_available(anna, on=day) == Decimal("40.00")


def test_it_closes_a_lapsed_grant_with_nothing_left_without_an_expiry_entry(anna, ada):
    entry = grant(anna, "40.00", by=ada, valid_months=12)
    store_credit_use(customer=anna, amount=Decimal("40.00"), on=date(2027, 5, 1))

    assert store_credit_write_off(grant=entry, on=date(2027, 11, 24)) is None

    assert not StoreCreditEntry.objects.filter(kind=EntryKind.EXPIRY).exists()
    assert store_credit_balance(anna) == Decimal("0.00")


def test_it_balances_the_ledger_to_the_sum_of_its_entries(anna, ada):
    lasting = grant(anna, "100.00", by=ada)  # valid until 2028-11-23
    partner = grant(anna, "30.50", by=ada, valid_months=12)  # valid until 2027-11-23
    store_credit_use(customer=anna, amount=Decimal("20.25"), on=date(2027, 1, 10))
    store_credit_withdraw(
        customer=anna, amount=Decimal("5.00"), by=ada, reason="Granted twice", on=date(2027, 3, 1)
    )
    expiry = store_credit_write_off(grant=partner, on=date(2027, 11, 24))
    store_credit_use(customer=anna, amount=Decimal("12.00"), on=date(2027, 12, 1))

    # 100.00 + 30.50 − 20.25 − 5.00 − 5.25 (partner credit lapsed) − 12.00
    assert expiry.amount == Decimal("-5.25")
    assert store_credit_balance(anna) == Decimal("88.00")
    assert sum_of_entries(anna) == Decimal("88.00")
    assert store_credit_available(anna, on=date(2027, 12, 1)) == Decimal("88.00")
    assert remaining(lasting) == Decimal("88.00")
    kinds = list(StoreCreditEntry.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["grant", "grant", "use", "withdrawal", "expiry", "use"]


def test_it_keeps_a_lapsed_grant_in_the_balance_until_it_is_written_off(anna, ada):
    entry = grant(anna, "40.00", by=ada, valid_months=12)
    day_after = date(2027, 11, 24)

    assert store_credit_available(anna, on=day_after) == Decimal("0.00")
    assert store_credit_balance(anna) == Decimal("40.00")

    store_credit_write_off(grant=entry, on=day_after)

    assert store_credit_balance(anna) == store_credit_available(anna, on=day_after)


# Immutability and the database's own guarantees -----------------------------------------


def test_it_refuses_to_change_a_booked_entry(anna, ada):
    entry = grant(anna, "40.00", by=ada)
    (debit,) = store_credit_use(customer=anna, amount=Decimal("15.00"), on=TODAY)

    entry.amount = Decimal("400.00")
    with pytest.raises(LedgerEntryImmutable):
        entry.save()
    stored = StoreCreditEntry.objects.get(pk=debit.pk)
    stored.amount = Decimal("-1.00")
    with pytest.raises(LedgerEntryImmutable):
        stored.save()
    with pytest.raises(LedgerEntryImmutable):
        debit.save()

    assert StoreCreditEntry.objects.get(pk=entry.pk).amount == Decimal("40.00")
    assert StoreCreditEntry.objects.get(pk=debit.pk).amount == Decimal("-15.00")
    assert store_credit_balance(anna) == Decimal("25.00")


def test_it_refuses_to_delete_a_booked_entry(anna, ada):
    entry = grant(anna, "40.00", by=ada)
    (debit,) = store_credit_use(customer=anna, amount=Decimal("15.00"), on=TODAY)

    with pytest.raises(LedgerEntryImmutable):
        debit.delete()
    with pytest.raises(LedgerEntryImmutable):
        StoreCreditEntry.objects.get(pk=entry.pk).delete()

    assert StoreCreditEntry.objects.count() == 2
    assert store_credit_balance(anna) == Decimal("25.00")


def test_the_database_refuses_a_grant_with_a_negative_amount(anna):
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditEntry.objects.create(
            customer=anna,
            kind=EntryKind.GRANT,
            amount=Decimal("-10.00"),
            policy=ReturnPolicy.default(),
            issued_on=TODAY,
            valid_until=date(2028, 11, 23),
        )

    assert not StoreCreditEntry.objects.exists()


def test_the_database_refuses_a_grant_without_a_last_valid_day(anna):
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditEntry.objects.create(
            customer=anna,
            kind=EntryKind.GRANT,
            amount=Decimal("10.00"),
            policy=ReturnPolicy.default(),
            issued_on=TODAY,
        )

    assert not StoreCreditEntry.objects.exists()


def test_the_database_refuses_a_debit_that_names_no_grant(anna):
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditEntry.objects.create(customer=anna, kind=EntryKind.USE, amount=Decimal("-5.00"))

    assert not StoreCreditEntry.objects.exists()


def test_the_database_refuses_a_debit_with_a_positive_amount(anna, ada):
    entry = grant(anna, "40.00", by=ada)

    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditEntry.objects.create(
            customer=anna, kind=EntryKind.USE, amount=Decimal("5.00"), grant=entry
        )

    assert StoreCreditEntry.objects.count() == 1


def test_the_database_refuses_a_second_write_off_of_one_grant(anna, ada):
    entry = grant(anna, "40.00", by=ada, valid_months=12)
    store_credit_write_off(grant=entry, on=date(2027, 11, 24))

    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditEntry.objects.create(
            customer=anna, kind=EntryKind.EXPIRY, amount=Decimal("-1.00"), grant=entry
        )

    assert StoreCreditEntry.objects.filter(kind=EntryKind.EXPIRY).count() == 1


# Two at once (PostgreSQL) -----------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (make test uses it)"
)
@pytest.mark.django_db(transaction=True)
def test_two_uses_at_once_of_one_grant_spend_it_only_once(anna, ada):
    entry = grant(anna, "50.00", by=ada)

    def use():
        return store_credit_use(customer=anna, amount=Decimal("30.00"), on=TODAY)

    results = run_together([use, use])

    winners = [r for r in results if isinstance(r, list)]
    losers = [r for r in results if isinstance(r, StoreCreditError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert str(losers[0]) == not_enough("20.00", TODAY, "30.00")
    assert StoreCreditEntry.objects.filter(kind=EntryKind.USE).count() == 1
    assert remaining(entry) == Decimal("20.00")
    assert store_credit_balance(anna) == Decimal("20.00")
    assert store_credit_available(anna, on=TODAY) == Decimal("20.00")
