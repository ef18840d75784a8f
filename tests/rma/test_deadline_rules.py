"""D1–D4: which deadline stages are due on a day, one row per stage boundary."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.reasons import Reason
from policies.terms import PRESETS, Terms
from rma.deadlines import (
    STAGE_LABELS,
    Stage,
    TicketDates,
    acknowledge_due_window,
    due_stages,
    expire_window,
    overdue_from,
    refund_alert_window,
    refund_overdue_window,
    response_overdue_window,
    ship_reminder_window,
    tracking_reminder_window,
)
from rma.states import State
from withdrawals.rules import refund_due_by

TODAY = date(2026, 11, 20)
# The webstore4 numbers: answer in 2 days, remind to ship after 7, valid 30, tracking
# after 3, refund alert 3 days before the W7 day.
TERMS = PRESETS["webstore4"]


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def requested(days_ago: int, reason: str = Reason.DEFECTIVE) -> TicketDates:
    return TicketDates(state="requested", state_changed_on=ago(days_ago), reason=reason)


def authorized(
    days_ago: int, shipped_days_ago: int | None = None, tracking: bool = False
) -> TicketDates:
    return TicketDates(
        state="authorized",
        state_changed_on=ago(days_ago),
        reason=Reason.DEFECTIVE,
        shipped_on=None if shipped_days_ago is None else ago(shipped_days_ago),
        has_tracking=tracking,
    )


def withdrawal(
    notice_days_ago: int, state: str = "authorized", paid_days_ago: int | None = None
) -> TicketDates:
    return TicketDates(
        state=state,
        state_changed_on=ago(1),
        reason=Reason.WITHDRAWAL,
        notice_on=ago(notice_days_ago),
        refund_due_on=refund_due_by(ago(notice_days_ago)),
        refund_paid_on=None if paid_days_ago is None else ago(paid_days_ago),
        shipped_on=ago(1),
        has_tracking=True,
    )


def withdrawn_unshipped(authorized_days_ago: int) -> TicketDates:
    """A withdrawal authorized that long ago whose goods have not left; its notice is of
    the same day (the D4 refund stages are not what these rows are about)."""
    return TicketDates(
        state="authorized",
        state_changed_on=ago(authorized_days_ago),
        reason=Reason.WITHDRAWAL,
        notice_on=TODAY,
    )


CASES = [
    # D1: answering on day 2 is in time; late from day 3 until the statutory day 14.
    ("D1 requested today", requested(0), ()),
    ("D1 day 2 still in time", requested(2), ()),
    ("D1 day 3 response overdue", requested(3), (Stage.RESPONSE_OVERDUE,)),
    ("D1 day 13 response overdue", requested(13), (Stage.RESPONSE_OVERDUE,)),
    ("D1 day 14 statutory last day", requested(14), (Stage.ACKNOWLEDGE_DUE,)),
    ("D1 day 40 statutory still due", requested(40), (Stage.ACKNOWLEDGE_DUE,)),
    ("D1 only while requested", authorized(3, shipped_days_ago=1, tracking=True), ()),
    # D2: remind on day 7 after the authorization, valid through day 30, expire on 31.
    ("D2 day 6 not yet", authorized(6), ()),
    ("D2 day 7 ship reminder", authorized(7), (Stage.SHIP_REMINDER,)),
    ("D2 day 30 last valid day", authorized(30), (Stage.SHIP_REMINDER,)),
    ("D2 day 31 expires", authorized(31), (Stage.EXPIRE,)),
    ("D2 day 90 expires", authorized(90), (Stage.EXPIRE,)),
    ("D2 shipped: no ship reminder", authorized(7, shipped_days_ago=1, tracking=True), ()),
    (
        "D2 shipped and lapsed: staff look, no expiry",
        authorized(31, shipped_days_ago=10, tracking=True),
        (Stage.IN_TRANSIT_LAPSED,),
    ),
    # W10: a withdrawal binds the shop; unshipped past the 30 days it is reminded, never expired.
    ("D2 withdrawal day 30 ship reminder", withdrawn_unshipped(30), (Stage.SHIP_REMINDER,)),
    ("D2 withdrawal day 31 reminded, not expired", withdrawn_unshipped(31), (Stage.SHIP_REMINDER,)),
    ("D2 withdrawal day 90 still reminded", withdrawn_unshipped(90), (Stage.SHIP_REMINDER,)),
    # D3: tracking asked for 3 days after the customer says they shipped.
    ("D3 day 2 not yet", authorized(5, shipped_days_ago=2), ()),
    ("D3 day 3 tracking reminder", authorized(5, shipped_days_ago=3), (Stage.TRACKING_REMINDER,)),
    ("D3 with tracking nothing", authorized(5, shipped_days_ago=3, tracking=True), ()),
    (
        "D3 received: nothing to chase",
        TicketDates(
            state="received", state_changed_on=ago(1), reason="defective", shipped_on=ago(9)
        ),
        (),
    ),
    # D4: refund due on notice + 14 (W7); alert 3 days before, overdue from the due day.
    ("D4 notice 10 days ago nothing", withdrawal(10), ()),
    ("D4 notice 11 days ago alert", withdrawal(11), (Stage.REFUND_ALERT,)),
    ("D4 notice 13 days ago alert", withdrawal(13), (Stage.REFUND_ALERT,)),
    ("D4 notice 14 days ago overdue", withdrawal(14), (Stage.REFUND_OVERDUE,)),
    ("D4 notice 60 days ago overdue", withdrawal(60), (Stage.REFUND_OVERDUE,)),
    ("D4 diagnosed still owed", withdrawal(12, state="diagnosed"), (Stage.REFUND_ALERT,)),
    # D4 chases until the customer has the money, not until the ticket is resolved.
    ("D4 resolved unpaid", withdrawal(20, state="resolved"), (Stage.REFUND_OVERDUE,)),
    ("D4 resolved and paid", withdrawal(20, state="resolved", paid_days_ago=3), ()),
    ("D4 paid before resolved", withdrawal(12, state="diagnosed", paid_days_ago=0), ()),
    ("D4 rejected owes nothing", withdrawal(20, state="rejected"), ()),
    ("D4 cancelled owes nothing", withdrawal(20, state="cancelled"), ()),
    (
        "D4 only withdrawals",
        TicketDates(
            state="authorized",
            state_changed_on=ago(1),
            reason=Reason.DEFECTIVE,
            notice_on=ago(20),
            shipped_on=ago(1),
            has_tracking=True,
        ),
        (),
    ),
    (
        "D4 withdrawal without notice date",
        TicketDates(
            state="received", state_changed_on=ago(1), reason=Reason.WITHDRAWAL, notice_on=None
        ),
        (),
    ),
    # Several deadlines at once: a requested withdrawal nobody answered.
    (
        "D1 and D4 together",
        TicketDates(
            state="requested",
            state_changed_on=ago(12),
            reason=Reason.WITHDRAWAL,
            notice_on=ago(12),
            refund_due_on=refund_due_by(ago(12)),
        ),
        (Stage.RESPONSE_OVERDUE, Stage.REFUND_ALERT),
    ),
]


@pytest.mark.parametrize(
    ("ticket", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_due_stages_at_each_boundary(ticket, expected):
    assert due_stages(ticket, TERMS, TODAY) == expected


@pytest.mark.parametrize(
    ("field", "value", "ticket", "expected"),
    [
        ("response_days", 5, requested(5), ()),
        ("response_days", 5, requested(6), (Stage.RESPONSE_OVERDUE,)),
        # A response time beyond 14 days never outruns article 17.
        ("response_days", 20, requested(14), (Stage.ACKNOWLEDGE_DUE,)),
        ("response_days", 20, requested(13), ()),
        ("ship_reminder_days", 3, authorized(3), (Stage.SHIP_REMINDER,)),
        ("authorization_valid_days", 10, authorized(10), (Stage.SHIP_REMINDER,)),
        ("authorization_valid_days", 10, authorized(11), (Stage.EXPIRE,)),
        # Reminder later than the expiry: the customer only hears that it expired.
        ("ship_reminder_days", 40, authorized(31), (Stage.EXPIRE,)),
        (
            "tracking_reminder_days",
            1,
            authorized(5, shipped_days_ago=1),
            (Stage.TRACKING_REMINDER,),
        ),
        ("refund_alert_days", 7, withdrawal(7), (Stage.REFUND_ALERT,)),
        ("refund_alert_days", 7, withdrawal(6), ()),
        ("refund_alert_days", 0, withdrawal(13), ()),
    ],
)
def test_each_policy_number_moves_its_boundary(field, value, ticket, expected):
    terms = Terms(**{**TERMS.__dict__, field: value})
    assert due_stages(ticket, terms, TODAY) == expected


def test_windows_are_what_due_stages_reads():
    """The chaser turns these windows into SQL: they must say the same as `due_stages`."""
    assert response_overdue_window(TERMS, TODAY).latest == ago(3)
    assert response_overdue_window(TERMS, TODAY).before == ago(14)
    assert acknowledge_due_window(TERMS, TODAY).latest == ago(14)
    assert ship_reminder_window(TERMS, TODAY).latest == ago(7)
    assert ship_reminder_window(TERMS, TODAY).before == ago(31)
    assert ship_reminder_window(TERMS, TODAY, lapses=False).before is None  # W10
    assert expire_window(TERMS, TODAY).latest == ago(31)
    assert tracking_reminder_window(TERMS, TODAY).latest == ago(3)
    # D4 reads the refund's due day, stored at notice (W7 counted with W2's calendar).
    assert refund_overdue_window(TERMS, TODAY).latest == TODAY
    assert refund_alert_window(TERMS, TODAY).latest == TODAY + timedelta(days=3)
    assert refund_alert_window(TERMS, TODAY).before == TODAY


def test_every_stage_has_a_label_for_staff():
    assert set(STAGE_LABELS) == set(Stage.ALL)
    assert set(Stage.CHASED) < set(Stage.ALL)


def test_stages_are_reported_once_each_across_a_year_of_days():
    """Walk a ticket through a year: each chased stage is due on a contiguous run of days."""
    ticket = authorized(0)
    runs: dict[str, list[int]] = {}
    for offset in range(366):
        for stage in due_stages(ticket, TERMS, TODAY + timedelta(days=offset)):
            runs.setdefault(stage, []).append(offset)
    assert runs[Stage.SHIP_REMINDER] == list(range(7, 31))
    assert runs[Stage.EXPIRE] == list(range(31, 366))


_DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))


@st.composite
def tickets_and_terms(draw):
    ticket = TicketDates(
        state=draw(st.sampled_from(State.values)),
        state_changed_on=draw(_DAYS),
        reason=draw(st.sampled_from(Reason.values)),
        refund_due_on=draw(st.none() | _DAYS),
        refund_paid_on=draw(st.none() | _DAYS),
        shipped_on=draw(st.none() | _DAYS),
        has_tracking=draw(st.booleans()),
        goods_to_return=draw(st.booleans()),
    )
    lags = st.integers(min_value=0, max_value=60)
    terms = Terms(
        **{
            **TERMS.__dict__,
            "response_days": draw(lags),
            "ship_reminder_days": draw(lags),
            "authorization_valid_days": draw(lags),
            "tracking_reminder_days": draw(lags),
            "refund_alert_days": draw(lags),
        }
    )
    return ticket, terms


@given(tickets_and_terms())
def test_a_ticket_is_overdue_every_day_from_overdue_from_on(ticket_and_terms):
    """The queue's stored day says, for every day, what `due_stages` says: nothing is due
    before it, something is due on it and every day after (as long as the ticket stays
    as it is), and nothing ever when it is None."""
    ticket, terms = ticket_and_terms
    first = overdue_from(ticket, terms)
    for day in (date(2025, 10, 1) + timedelta(days=n) for n in range(0, 560, 3)):
        assert bool(due_stages(ticket, terms, day)) == (first is not None and day >= first)
    if first is not None:
        assert due_stages(ticket, terms, first)
        assert not due_stages(ticket, terms, first - timedelta(days=1))


def test_overdue_from_on_the_boundaries_of_the_cases_above():
    assert overdue_from(requested(0), TERMS) == TODAY + timedelta(days=3)  # D1 day 3
    assert overdue_from(authorized(0), TERMS) == TODAY + timedelta(days=7)  # D2 day 7
    assert overdue_from(withdrawal(0), TERMS) == refund_due_by(TODAY) - timedelta(days=3)
    received = TicketDates(state="received", state_changed_on=TODAY, reason="defective")
    assert overdue_from(received, TERMS) is None
