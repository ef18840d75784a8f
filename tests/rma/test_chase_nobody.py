"""A staff stage whose role nobody holds: reported, not redone ticket by ticket, and sent
once someone takes the role (D1, D4)."""

import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deadlines.chasing import chase_deadlines
from notifications.models import Email
from policies.reasons import Reason
from rma.chasing import dedupe_key
from rma.deadlines import Stage
from rma.models import Ticket
from rma.states import State
from tests.factories import UserFactory, staff_member
from tests.rma.test_chasing import NOW, ticket

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the chaser's concurrency is PostgreSQL's"
)


def refund_alert_due() -> Ticket:
    """A withdrawal received, its refund due within the alert days (D4)."""
    return ticket(State.RECEIVED, 1, reason=Reason.WITHDRAWAL, notice_days=11, shipped_days=5)


def refund_overdue() -> Ticket:
    return ticket(State.DIAGNOSED, 1, reason=Reason.WITHDRAWAL, notice_days=14, shipped_days=8)


def queries_of_a_run() -> int:
    with CaptureQueriesContext(connection) as run:
        chase_deadlines(now=NOW)
    return len(run.captured_queries)


def test_a_due_refund_alert_with_no_accountant_is_reported_and_queues_nothing(support, caplog):
    refund_alert_due()
    refund_alert_due()
    refund_overdue()

    with caplog.at_level(logging.WARNING, logger="deadlines.chasing"):
        report = chase_deadlines(now=NOW)

    assert not Email.objects.filter(kind="staff_refund_due").exists()
    assert report.nobody[Stage.REFUND_ALERT] == 2
    assert report.nobody[Stage.REFUND_OVERDUE] == 1
    assert report.done[Stage.REFUND_ALERT] == report.already[Stage.REFUND_ALERT] == 0
    assert report.unreached == {"accountant": [Stage.REFUND_ALERT, Stage.REFUND_OVERDUE]}
    # Support is there: its stages are not held back.
    assert report.nobody[Stage.RESPONSE_OVERDUE] == 0
    # One warning for the run, naming the role and what waits.
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "no active accountant" in warnings[0]
    assert "3 due alert(s)" in warnings[0]


def test_the_report_lines_show_who_is_missing(support):
    refund_alert_due()
    out = StringIO()

    call_command("chase_deadlines", "--now", NOW.isoformat(), stdout=out)

    text = out.getvalue()
    assert "0 done, 0 already done, 1 nobody to tell (no accountant)" in text
    assert "D2 not shipped yet: 0 done, 0 already done\n" in text  # nothing added elsewhere


def test_a_run_asks_the_same_number_of_queries_however_many_alerts_have_nobody(support):
    refund_alert_due()
    refund_overdue()
    with_two = queries_of_a_run()
    for _ in range(5):
        refund_alert_due()
        refund_overdue()

    with_twelve = queries_of_a_run()

    assert with_twelve == with_two
    assert not Email.objects.filter(kind="staff_refund_due").exists()


def test_the_alerts_go_out_on_the_first_run_after_an_accountant_is_added(support):
    alert, overdue = refund_alert_due(), refund_overdue()
    held_back = chase_deadlines(now=NOW)
    assert held_back.nobody[Stage.REFUND_ALERT] == held_back.nobody[Stage.REFUND_OVERDUE] == 1

    ada = staff_member("accountant")
    report = chase_deadlines(now=NOW)

    assert report.done[Stage.REFUND_ALERT] == report.done[Stage.REFUND_OVERDUE] == 1
    assert report.nobody == dict.fromkeys(report.nobody, 0)
    assert report.unreached == {}
    assert sorted(
        Email.objects.filter(kind="staff_refund_due").values_list("dedupe_key", "to")
    ) == (
        sorted(
            [
                (f"{dedupe_key(Stage.REFUND_ALERT, alert.pk)}:{ada.pk}", ada.email),
                (f"{dedupe_key(Stage.REFUND_OVERDUE, overdue.pk)}:{ada.pk}", ada.email),
            ]
        )
    )


def test_an_accountant_without_an_address_or_inactive_counts_as_nobody(support):
    UserFactory(email="", role="accountant")
    UserFactory(email="gone@webstore4.example", role="accountant", is_active=False)
    refund_alert_due()

    report = chase_deadlines(now=NOW)

    assert report.nobody[Stage.REFUND_ALERT] == 1
    assert not Email.objects.filter(kind="staff_refund_due").exists()


def test_support_missing_holds_back_d1_alone(accountant):
    requested = ticket(State.REQUESTED, 3)
    refund_alert_due()

    report = chase_deadlines(now=NOW)

    assert report.nobody[Stage.RESPONSE_OVERDUE] == 1
    assert report.unreached == {"support": [Stage.RESPONSE_OVERDUE]}
    assert report.done[Stage.REFUND_ALERT] == 1
    assert not Email.objects.filter(kind="staff_response_overdue", ticket=requested).exists()
