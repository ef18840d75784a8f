"""D6 and F7: tell customers before their store credit lapses, and write off what lapsed.

Run by `deadlines.chasing.chase_deadlines` (beat every 15 minutes, and the `chase_deadlines`
command). Only grants that still hold credit are read, through the partial index on
their last valid day. Once per grant, even when two chasers overlap: the notice is an
outbox row whose unique key names the grant and the stage; the write-off locks the
customer's ledger and a grant can be written off once (a unique constraint).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import Q

from core.money import ZERO, format_amount
from core.windows import any_group, day_within
from notifications.selectors import queued
from notifications.services import customer_email_queue
from policies.models import ReturnPolicy
from refunds.deadlines import EXPIRY_NOTICE, LAPSED, expiry_notice_window, lapsed_window
from refunds.models import EntryKind, StoreCreditEntry
from refunds.services import ledger_lock, open_grants, store_credit_write_off

KIND = "store_credit_expiring"
CHUNK_SIZE = 500
# The rows the partial index `store_credit_open_grant_idx` holds.
OPEN_GRANT = Q(kind=EntryKind.GRANT, closed_on__isnull=True)


def dedupe_key(grant_pk: int) -> str:
    return f"{KIND}:{grant_pk}:{EXPIRY_NOTICE}"


def notice_due_q(*, policies: Iterable[ReturnPolicy], today: date) -> Q:
    """D6: open grants whose owner is to be told on `today`, each under its own policy."""
    return OPEN_GRANT & any_group(
        ((policy.store_credit_notice_days, policy.pk) for policy in policies),
        lambda days, pks: (
            Q(policy_id__in=pks) & day_within("valid_until", expiry_notice_window(days, today))
        ),
    )


def lapsed_q(*, today: date) -> Q:
    """F7: open grants past their last valid day."""
    return OPEN_GRANT & day_within("valid_until", lapsed_window(today))


def _notice(grant: StoreCreditEntry, today: date) -> bool:
    with transaction.atomic():
        # A use in between may have spent it: look again under the ledger's lock.
        ledger_lock(grant.customer_id)
        remainders = {g.pk: g.remaining for g in open_grants(grant.customer_id, on=today)}
        remaining = remainders.get(grant.pk, ZERO)
        if remaining <= 0:
            return False
        email = customer_email_queue(
            customer=grant.customer,
            kind=KIND,
            dedupe_key=dedupe_key(grant.pk),
            context={
                "customer_name": grant.customer.name,
                "amount": format_amount(remaining),
                "valid_until": grant.valid_until,
                "issued_on": grant.issued_on,
                "available": format_amount(sum(remainders.values(), ZERO)),
            },
        )
    return email is not None


def chase_store_credit(*, today: date, policies: Iterable[ReturnPolicy], report) -> None:
    """Send the due D6 notices and write off lapsed grants (F7); count them in `report`."""
    due = (
        StoreCreditEntry.objects.filter(notice_due_q(policies=policies, today=today))
        .exclude(queued(KIND, EXPIRY_NOTICE))
        .select_related("customer")
        .order_by()
    )
    for grant in due.iterator(chunk_size=CHUNK_SIZE):
        report.count(EXPIRY_NOTICE, acted=_notice(grant, today))
    lapsed = StoreCreditEntry.objects.filter(lapsed_q(today=today)).order_by()
    for grant in lapsed.iterator(chunk_size=CHUNK_SIZE):
        report.count(LAPSED, acted=store_credit_write_off(grant=grant, on=today) is not None)
