"""D6 and F7 chased on PostgreSQL: customers hear once before their store credit lapses,
and what lapsed is written off once."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from deadlines.chasing import chase_deadlines
from notifications.models import Email
from notifications.rendering import email_render
from policies.models import ReturnPolicy
from refunds.chasing import KIND, dedupe_key, notice_due_q
from refunds.deadlines import EXPIRY_NOTICE, LAPSED
from refunds.models import EntryKind, StoreCreditEntry
from refunds.services import (
    store_credit_available,
    store_credit_balance,
    store_credit_grant,
    store_credit_use,
)
from tests.factories import AMSTERDAM, CustomerFactory
from tests.threads import in_parallel

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=AMSTERDAM)
TODAY = NOW.date()

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the chaser's concurrency is PostgreSQL's"
)


@pytest.fixture
def ada(accountant):
    return accountant


def grant(customer, amount: str, *, valid_until: date, by, policy=None) -> StoreCreditEntry:
    """A grant whose last valid day is `valid_until` (issued 24 months before)."""
    return store_credit_grant(
        customer=customer,
        amount=Decimal(amount),
        by=by,
        reason="Goodwill for a late delivery",
        policy=policy,
        on=date(valid_until.year - 2, valid_until.month, valid_until.day),
    )


def notices() -> list[str]:
    return sorted(Email.objects.filter(kind=KIND).values_list("dedupe_key", flat=True))


def test_the_customer_hears_once_in_the_last_30_days_of_a_grant(anna, bram, ada):
    due = grant(anna, "40.00", valid_until=TODAY + timedelta(days=30), by=ada)
    grant(anna, "15.00", valid_until=TODAY + timedelta(days=31), by=ada)  # not yet
    last_day = grant(bram, "10.00", valid_until=TODAY, by=ada)  # last valid day: still told

    first = chase_deadlines(now=NOW)
    again = chase_deadlines(now=NOW + timedelta(hours=12))

    assert notices() == sorted([dedupe_key(due.pk), dedupe_key(last_day.pk)])
    assert first.done[EXPIRY_NOTICE] == 2
    assert again.done[EXPIRY_NOTICE] == again.already[EXPIRY_NOTICE] == 0
    email = Email.objects.get(dedupe_key=dedupe_key(due.pk))
    assert (email.to, email.language) == ("anna@example.nl", "nl")
    assert email.context["amount"] == "40.00"
    assert email.context["available"] == "55.00"


def test_credit_already_used_up_is_not_announced(anna, ada):
    spent = grant(anna, "25.00", valid_until=TODAY + timedelta(days=10), by=ada)
    store_credit_use(customer=anna, amount=Decimal("25.00"), on=TODAY)

    report = chase_deadlines(now=NOW)

    assert notices() == []
    assert report.done[EXPIRY_NOTICE] == 0
    assert StoreCreditEntry.objects.get(pk=spent.pk).closed_on == TODAY


def test_the_notice_names_what_is_left_of_the_grant_in_dutch_and_english(anna, bram, ada):
    for customer in (anna, bram):
        grant(customer, "50.00", valid_until=date(2026, 12, 15), by=ada)
        store_credit_use(customer=customer, amount=Decimal("12.50"), on=TODAY)

    chase_deadlines(now=NOW)

    dutch = email_render(Email.objects.get(kind=KIND, to=anna.email))
    english = email_render(Email.objects.get(kind=KIND, to=bram.email))
    assert english[0] == "Your store credit of EUR 37.50 can be used until Dec. 15, 2026"
    assert "Dear Bram Smit," in english[1]
    assert "that we gave you on Dec. 15, 2024 can be used until Dec. 15, 2026" in english[1]
    assert "deducted automatically at the checkout of your next order" in english[1]
    assert "37.50" in dutch[0] and "15 december 2026" in dutch[0]
    assert "Beste Anna de Vries" in dutch[1] or "Geachte Anna de Vries" in dutch[1]
    assert "{{" not in dutch[1] + dutch[2] + english[1] + english[2]
    assert 'lang="nl"' in dutch[2]


def test_each_policy_gives_its_own_notice(anna, ada):
    early = ReturnPolicy.from_preset("licence-shop")
    early.preset, early.name, early.store_credit_notice_days = "early", "Early notice", 60
    early.save()
    told = grant(anna, "20.00", valid_until=TODAY + timedelta(days=45), by=ada, policy=early)
    grant(anna, "20.00", valid_until=TODAY + timedelta(days=45), by=ada)  # webstore4: 30

    chase_deadlines(now=NOW)

    assert notices() == [dedupe_key(told.pk)]


def test_a_lapsed_grant_is_written_off_once_and_the_balance_follows(anna, ada):
    lapsed = grant(anna, "30.00", valid_until=TODAY - timedelta(days=1), by=ada)
    grant(anna, "20.00", valid_until=TODAY + timedelta(days=200), by=ada)
    store_credit_use(customer=anna, amount=Decimal("5.00"), on=TODAY - timedelta(days=3))

    first = chase_deadlines(now=NOW)
    again = chase_deadlines(now=NOW + timedelta(days=1))

    expiry = StoreCreditEntry.objects.get(kind=EntryKind.EXPIRY)
    assert (expiry.grant_id, expiry.amount) == (lapsed.pk, Decimal("-25.00"))
    assert first.done[LAPSED] == 1
    assert again.done[LAPSED] == again.already[LAPSED] == 0
    assert store_credit_balance(anna) == store_credit_available(anna, on=TODAY) == Decimal("20.00")


def test_only_open_grants_near_their_last_day_are_read(anna, ada):
    grant(anna, "20.00", valid_until=TODAY + timedelta(days=3), by=ada)
    policies = list(ReturnPolicy.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = StoreCreditEntry.objects.filter(
            notice_due_q(policies=policies, today=TODAY)
        ).explain()

    assert "store_credit_open_grant_idx" in plan


@pytest.mark.django_db(transaction=True)
def test_two_chasers_at_once_tell_once_and_write_off_once(ada):
    customers = [CustomerFactory(email=f"c{n}@example.nl") for n in range(8)]
    expiring = [grant(c, "10.00", valid_until=TODAY + timedelta(days=5), by=ada) for c in customers]
    lapsed = [grant(c, "7.00", valid_until=TODAY - timedelta(days=2), by=ada) for c in customers]

    reports = in_parallel(2, lambda: chase_deadlines(now=NOW))

    assert notices() == sorted(dedupe_key(g.pk) for g in expiring)
    assert StoreCreditEntry.objects.filter(kind=EntryKind.EXPIRY).count() == len(lapsed)
    assert sum(r.done[EXPIRY_NOTICE] for r in reports) == 8
    assert sum(r.done[LAPSED] for r in reports) == 8
    for customer in customers:
        assert store_credit_balance(customer) == Decimal("10.00")


def test_a_chaser_that_dies_mid_run_leaves_the_rest_for_the_next_run(ada, monkeypatch):
    from refunds import chasing

    customers = [CustomerFactory(email=f"c{n}@example.nl") for n in range(5)]
    grants = [grant(c, "10.00", valid_until=TODAY + timedelta(days=9), by=ada) for c in customers]
    real_queue = chasing.customer_email_queue
    calls = []

    def dies_on_the_third(**kwargs):
        calls.append(kwargs["dedupe_key"])
        if len(calls) == 3:
            raise SystemExit("worker killed")
        return real_queue(**kwargs)

    monkeypatch.setattr(chasing, "customer_email_queue", dies_on_the_third)
    with pytest.raises(SystemExit):
        chase_deadlines(now=NOW)
    assert len(notices()) == 2
    monkeypatch.setattr(chasing, "customer_email_queue", real_queue)

    report = chase_deadlines(now=NOW)

    assert report.done[EXPIRY_NOTICE] == 3
    assert notices() == sorted(dedupe_key(g.pk) for g in grants)
