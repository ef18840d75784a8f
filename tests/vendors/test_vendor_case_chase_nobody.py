"""D5 with nobody in support: the overdue vendor cases are reported, not locked and read
again case by case on every run, and alerted once someone joins support."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deadlines.chasing import chase_deadlines
from notifications.models import Email
from tests.factories import staff_member
from tests.vendors.test_vendor_case_chasing import NOW, alerts, case
from vendors.chasing import KIND, dedupe_key
from vendors.deadlines import CASE_OVERDUE

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the chaser's concurrency is PostgreSQL's"
)


def queries_of_a_run() -> int:
    with CaptureQueriesContext(connection) as run:
        chase_deadlines(now=NOW)
    return len(run.captured_queries)


def test_overdue_cases_with_nobody_in_support_are_reported_and_queue_nothing(accountant):
    case(22)
    case(30)
    case(10)  # not overdue yet

    report = chase_deadlines(now=NOW)

    assert report.nobody[CASE_OVERDUE] == 2
    assert report.done[CASE_OVERDUE] == report.already[CASE_OVERDUE] == 0
    assert CASE_OVERDUE in report.unreached["support"]
    assert not Email.objects.filter(kind=KIND).exists()


def test_a_run_asks_the_same_number_of_queries_however_many_cases_have_nobody(accountant):
    case(22)
    with_one = queries_of_a_run()
    for days in range(23, 28):
        case(days)

    with_six = queries_of_a_run()

    assert with_six == with_one
    assert alerts() == []


def test_the_alerts_go_out_on_the_first_run_after_someone_joins_support(accountant):
    first, second = case(22), case(30)
    held_back = chase_deadlines(now=NOW)
    assert held_back.nobody[CASE_OVERDUE] == 2

    sam = staff_member("support")
    report = chase_deadlines(now=NOW)

    assert report.done[CASE_OVERDUE] == 2
    assert report.nobody[CASE_OVERDUE] == 0
    assert alerts() == sorted(
        [f"{dedupe_key(first.pk)}:{sam.pk}", f"{dedupe_key(second.pk)}:{sam.pk}"]
    )
