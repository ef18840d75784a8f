"""Upgrading to refunds recorded in Retour (rma 0010): the withdrawals resolved before
then are not all "refund overdue" at once (D4, W7)."""

import importlib
from datetime import date, datetime, timedelta
from itertools import count
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from policies.models import ReturnPolicy
from policies.reasons import Reason
from rma.deadlines import Stage
from rma.models import Ticket, TicketLine
from rma.selectors import tickets_overdue
from rma.states import State
from tests.factories import AMSTERDAM, delivered_order
from withdrawals.rules import refund_due_by

pytestmark = pytest.mark.django_db
_numbers = count(1)

migration = importlib.import_module("rma.migrations.0010_refunds_paid_before_retour_recorded_them")


def withdrawal(state: str, changed_at: datetime, *, reason: str = Reason.WITHDRAWAL) -> Ticket:
    order = delivered_order()
    notice = changed_at.date() - timedelta(days=20)
    made = Ticket.objects.create(
        number=f"RMA-2025-{next(_numbers):06d}",
        order=order,
        policy=ReturnPolicy.objects.get(is_default=True),
        reason=reason,
        state=state,
        notice_on=notice if reason == Reason.WITHDRAWAL else None,
        refund_due_on=refund_due_by(notice) if reason == Reason.WITHDRAWAL else None,
    )
    TicketLine.objects.create(ticket=made, order_line=order.lines.get(), quantity=1)
    Ticket.objects.filter(pk=made.pk).update(state_changed_at=changed_at)
    return made


def refund_overdue() -> set[int]:
    return set(
        tickets_overdue(now=timezone.now(), stage=Stage.REFUND_OVERDUE).values_list("pk", flat=True)
    )


def run_migration() -> None:
    migration.record_refunds_paid_on_resolution(apps, SimpleNamespace(connection=connection))


def test_withdrawals_resolved_before_refunds_were_recorded_count_as_paid_that_day():
    # The shop upgraded ten days ago (0008 applied then).
    applied = timezone.now() - timedelta(days=10)
    MigrationRecorder.Migration.objects.filter(app="rma", name="0008_ticket_refund_paid_on").update(
        applied=applied
    )
    # Resolved at 00:30 in Amsterdam, 23:30 the day before in UTC: the shop's day counts.
    long_ago = datetime(2025, 3, 2, 0, 30, tzinfo=AMSTERDAM)
    old = withdrawal(State.RESOLVED, long_ago)
    just_before = withdrawal(State.RESOLVED, applied - timedelta(minutes=1))
    # Still owed: resolved after Retour recorded refunds, or not resolved yet.
    after = withdrawal(State.RESOLVED, applied + timedelta(minutes=1))
    still_open = withdrawal(State.DIAGNOSED, long_ago)
    defect = withdrawal(State.RESOLVED, long_ago, reason=Reason.DEFECTIVE)
    assert refund_overdue() >= {old.pk, just_before.pk}  # the flood the upgrade caused

    run_migration()

    paid_on = dict(Ticket.objects.values_list("pk", "refund_paid_on"))
    assert paid_on[old.pk] == date(2025, 3, 2)
    assert paid_on[just_before.pk] == timezone.localdate(applied - timedelta(minutes=1))
    assert paid_on[after.pk] is paid_on[still_open.pk] is paid_on[defect.pk] is None
    overdue = refund_overdue()
    assert old.pk not in overdue and just_before.pk not in overdue
    assert {after.pk, still_open.pk} <= overdue


def test_running_it_again_changes_nothing():
    old = withdrawal(State.RESOLVED, datetime(2025, 3, 2, 12, 0, tzinfo=AMSTERDAM))
    run_migration()
    Ticket.objects.filter(pk=old.pk).update(refund_paid_on=date(2025, 3, 5))  # a later record
    run_migration()
    assert Ticket.objects.get(pk=old.pk).refund_paid_on == date(2025, 3, 5)
