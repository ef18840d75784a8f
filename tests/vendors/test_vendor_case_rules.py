"""D5: when a vendor case is overdue, one row per boundary day.

A case opened on day S at a vendor that usually decides within N days is in time through
S + N and overdue from S + N + 1 on.
"""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendors.deadlines import CASE_OVERDUE, case_overdue_on, case_overdue_window

OPENED = date(2026, 11, 2)

CASES = [
    # (opened on, usual days, today, overdue?)
    # The usual 21 days: day 21 is still in time, day 22 is overdue.
    (OPENED, 21, OPENED, False),
    (OPENED, 21, OPENED + timedelta(days=20), False),
    (OPENED, 21, OPENED + timedelta(days=21), False),
    (OPENED, 21, OPENED + timedelta(days=22), True),
    (OPENED, 21, OPENED + timedelta(days=60), True),
    # A quick vendor (7 days) and a slow one (45 days).
    (OPENED, 7, OPENED + timedelta(days=7), False),
    (OPENED, 7, OPENED + timedelta(days=8), True),
    (OPENED, 45, OPENED + timedelta(days=45), False),
    (OPENED, 45, OPENED + timedelta(days=46), True),
    # A vendor that decides the same day: the next day is late.
    (OPENED, 0, OPENED, False),
    (OPENED, 0, OPENED + timedelta(days=1), True),
    (OPENED, 1, OPENED + timedelta(days=1), False),
    (OPENED, 1, OPENED + timedelta(days=2), True),
    # A case the vendor received "tomorrow" (a clock set back) is not overdue.
    (OPENED, 21, OPENED - timedelta(days=1), False),
    # Across the turn of the year and the end of a leap-year February.
    (date(2026, 12, 20), 21, date(2027, 1, 10), False),
    (date(2026, 12, 20), 21, date(2027, 1, 11), True),
    (date(2028, 2, 8), 21, date(2028, 2, 29), False),
    (date(2028, 2, 8), 21, date(2028, 3, 1), True),
    # Across the end of summer time (25 October 2026): days, not hours, are counted.
    (date(2026, 10, 20), 7, date(2026, 10, 27), False),
    (date(2026, 10, 20), 7, date(2026, 10, 28), True),
]


@pytest.mark.parametrize(("opened_on", "usual_days", "today", "overdue"), CASES)
def test_the_window_holds_the_cases_opened_longer_ago_than_the_vendor_usually_takes(
    opened_on, usual_days, today, overdue
):
    window = case_overdue_window(usual_days, today)

    assert window.contains(opened_on) is overdue
    assert window.before is None  # D5 has one stage: overdue stays overdue


@pytest.mark.parametrize(("opened_on", "usual_days", "today", "overdue"), CASES)
def test_the_first_overdue_day_agrees_with_the_window(opened_on, usual_days, today, overdue):
    assert (today >= case_overdue_on(opened_on, usual_days)) is overdue


@pytest.mark.parametrize(
    ("opened_on", "usual_days", "first_overdue_day"),
    [
        (OPENED, 21, date(2026, 11, 24)),
        (OPENED, 0, date(2026, 11, 3)),
        (date(2026, 10, 26), 21, date(2026, 11, 17)),
        (date(2026, 12, 20), 21, date(2027, 1, 11)),
        (date(2028, 2, 8), 21, date(2028, 3, 1)),
    ],
)
def test_a_case_is_overdue_from_the_day_after_the_usual_days(
    opened_on, usual_days, first_overdue_day
):
    assert case_overdue_on(opened_on, usual_days) == first_overdue_day


def test_a_case_without_an_opening_day_is_never_in_the_window():
    assert not case_overdue_window(21, OPENED).contains(None)


@given(
    opened_on=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    usual_days=st.integers(min_value=0, max_value=365),
    age=st.integers(min_value=-30, max_value=800),
)
def test_the_window_and_the_first_overdue_day_never_disagree(opened_on, usual_days, age):
    today = opened_on + timedelta(days=age)

    overdue = case_overdue_window(usual_days, today).contains(opened_on)

    assert overdue is (today >= case_overdue_on(opened_on, usual_days))
    assert overdue is (age > usual_days)


def test_the_stage_name_is_stable_because_the_outbox_dedupes_on_it():
    assert CASE_OVERDUE == "D5-vendor-overdue"
