"""Decide which deadline stages (D1–D4) of a ticket are due on a given day.

Pure: a ticket's relevant dates, the policy's `Terms` and the day go in, stage names come
out; no ORM, no clock. Each stage is "due when one of the ticket's days is on or before a
cut-off day", and the cut-offs below are the single source of truth: `due_stages` uses
them for one ticket, the chaser (`rma/chasing.py`) and the staff's overdue list
(`rma/selectors.py`) turn the very same cut-offs into SQL, so only due rows are read.

Day counting: a period of N days that starts on day S ends at the end of day S + N
("within N days" includes day N, as everywhere in Retour); "after N days" fires on S + N.

Stage names are stable: they are part of the outbox's dedupe keys
(`reminder_ship:<ticket>:D2-ship-1`), so renaming one would send its reminder again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from core.periods import Window
from policies.reasons import Reason, binds_the_shop
from policies.terms import Terms
from rma.states import REFUND_OWED_STATES, State

# Article 17.2 of the webstore4 terms (the Dutch model terms every preset shares): a
# complaint is answered, or at least acknowledged, within 14 days of its receipt.
ACKNOWLEDGE_DAYS = 14


class Stage:
    """The deadline stages, in the order the chaser works through them."""

    RESPONSE_OVERDUE = "D1-response"  # D1: support has not answered within response_days
    ACKNOWLEDGE_DUE = "D1-art17"  # D1: last day of the statutory 14 (article 17)
    SHIP_REMINDER = "D2-ship-1"  # D2: authorized, customer has not shipped yet
    EXPIRE = "D2-expire"  # D2: authorization lapsed unshipped → ticket expires (not W10)
    IN_TRANSIT_LAPSED = "D2-transit"  # D2: lapsed, but shipped: staff look, never auto-expire
    TRACKING_REMINDER = "D3-tracking-1"  # D3: shipped without a tracking number
    REFUND_ALERT = "D4-refund-alert"  # D4: refund due within refund_alert_days (W7)
    REFUND_OVERDUE = "D4-refund-overdue"  # D4: refund due day reached, still unpaid

    ALL = (
        RESPONSE_OVERDUE,
        ACKNOWLEDGE_DUE,
        SHIP_REMINDER,
        EXPIRE,
        IN_TRANSIT_LAPSED,
        TRACKING_REMINDER,
        REFUND_ALERT,
        REFUND_OVERDUE,
    )
    # What the chaser acts on; IN_TRANSIT_LAPSED is only shown to staff (see `due_stages`).
    CHASED = (
        RESPONSE_OVERDUE,
        ACKNOWLEDGE_DUE,
        SHIP_REMINDER,
        EXPIRE,
        TRACKING_REMINDER,
        REFUND_ALERT,
        REFUND_OVERDUE,
    )


STAGE_LABELS = {
    Stage.RESPONSE_OVERDUE: _("D1 response overdue"),
    Stage.ACKNOWLEDGE_DUE: _("D1 statutory 14-day answer due"),
    Stage.SHIP_REMINDER: _("D2 not shipped yet"),
    Stage.EXPIRE: _("D2 authorization lapsed"),
    Stage.IN_TRANSIT_LAPSED: _("D2 lapsed while in transit"),
    Stage.TRACKING_REMINDER: _("D3 tracking number missing"),
    Stage.REFUND_ALERT: _("D4 refund due soon"),
    Stage.REFUND_OVERDUE: _("D4 refund overdue"),
}


@dataclass(frozen=True)
class TicketDates:
    """What the deadline rules need to know of a ticket, as plain values."""

    state: str
    state_changed_on: date  # the local day the ticket entered its current state
    reason: str
    notice_on: date | None = None  # W3: a withdrawal's date of notice
    refund_due_on: date | None = None  # W7: its refund's due day
    refund_paid_on: date | None = None  # D4 stops once it is paid
    shipped_on: date | None = None  # R10: the day the customer says they shipped
    has_tracking: bool = False
    goods_to_return: bool = True  # False: withdrawn before delivery, nothing to ship


def _days(today: date, days: int) -> date:
    return today - timedelta(days=days)


def response_overdue_window(terms: Terms, today: date) -> Window:
    """D1: requested for more than `response_days` days, not yet at the statutory day.

    Requested on S with 2 response days: answering on S + 2 is in time, on S + 3 it is late.
    """
    return Window(
        latest=_days(today, terms.response_days + 1),
        before=acknowledge_due_window(terms, today).latest,
    )


def acknowledge_due_window(terms: Terms, today: date) -> Window:
    """D1 article 17: support is told on the last of the 14 days, whatever the policy says.

    A policy's response time may be longer than 14 days; this stage is the floor.
    """
    return Window(latest=_days(today, ACKNOWLEDGE_DAYS))


def expire_window(terms: Terms, today: date) -> Window:
    """D2: authorized on S, valid through S + authorization_valid_days; expires the day after."""
    return Window(latest=_days(today, terms.authorization_valid_days + 1))


def ship_reminder_window(terms: Terms, today: date, *, lapses: bool = True) -> Window:
    """D2: still unshipped `ship_reminder_days` after the authorization, and not yet lapsed.

    `lapses=False` is a withdrawal, which never expires (W10): its reminder stays due
    however long the goods take.
    """
    return Window(
        latest=_days(today, terms.ship_reminder_days),
        before=expire_window(terms, today).latest if lapses else None,
    )


def tracking_reminder_window(terms: Terms, today: date) -> Window:
    """D3 (R10): the customer shipped on S and still has no tracking number on S + N."""
    return Window(latest=_days(today, terms.tracking_reminder_days))


def refund_overdue_window(terms: Terms, today: date) -> Window:
    """D4 (W7): overdue from the refund's due day on (`Ticket.refund_due_on`, fixed at the
    notice by `withdrawals.rules.refund_due_by`)."""
    return Window(latest=today)


def refund_alert_window(terms: Terms, today: date) -> Window:
    """D4 (W7): accountants hear `refund_alert_days` before the due day, until it comes."""
    return Window(latest=today + timedelta(days=terms.refund_alert_days), before=today)


def response_due_on(requested_on: date, terms: Terms) -> date:
    """D1: the last day support answers a request in time (`response_days` after it)."""
    return requested_on + timedelta(days=terms.response_days)


def authorization_valid_until(authorized_on: date, terms: Terms) -> date:
    """D2: the last day an authorization is valid; the ticket expires the day after."""
    return authorized_on + timedelta(days=terms.authorization_valid_days)


def due_stages(ticket: TicketDates, terms: Terms, today: date) -> tuple[str, ...]:
    """Return the stages due for `ticket` on `today`, in `Stage.ALL` order.

    A stage is sent once per ticket (the outbox's dedupe key), so "due" here means "due
    now or earlier and the condition still holds", not "becomes due today".
    """
    due: list[str] = []
    changed = ticket.state_changed_on
    if ticket.state == State.REQUESTED:
        if response_overdue_window(terms, today).contains(changed):
            due.append(Stage.RESPONSE_OVERDUE)
        if acknowledge_due_window(terms, today).contains(changed):
            due.append(Stage.ACKNOWLEDGE_DUE)
    if ticket.state == State.AUTHORIZED:
        lapses = not binds_the_shop(ticket.reason)
        if ticket.shipped_on is None and ticket.goods_to_return:
            if ship_reminder_window(terms, today, lapses=lapses).contains(changed):
                due.append(Stage.SHIP_REMINDER)
            if lapses and expire_window(terms, today).contains(changed):
                due.append(Stage.EXPIRE)
        # The customer said the parcel is on its way: expiring now would make the
        # warehouse refuse it (R7), and for a withdrawal sent in time (W6) the shop must
        # take it back. Staff see it in the overdue list instead.
        elif expire_window(terms, today).contains(changed):
            due.append(Stage.IN_TRANSIT_LAPSED)
        if not ticket.has_tracking and tracking_reminder_window(terms, today).contains(
            ticket.shipped_on
        ):
            due.append(Stage.TRACKING_REMINDER)
    # D4: until the refund is paid, also after the ticket is resolved.
    if (
        ticket.reason == Reason.WITHDRAWAL
        and ticket.state in REFUND_OWED_STATES
        and ticket.refund_paid_on is None
    ):
        if refund_alert_window(terms, today).contains(ticket.refund_due_on):
            due.append(Stage.REFUND_ALERT)
        if refund_overdue_window(terms, today).contains(ticket.refund_due_on):
            due.append(Stage.REFUND_OVERDUE)
    return tuple(due)


# Every window above, as a function of (terms, today): each is due from its ticket's day
# plus a fixed number of days, which `overdue_from` reads off the window itself.
_WINDOWS = (
    response_overdue_window,
    acknowledge_due_window,
    ship_reminder_window,
    expire_window,
    tracking_reminder_window,
    refund_alert_window,
    refund_overdue_window,
)
_ANY_DAY = date(2000, 1, 1)


def overdue_from(ticket: TicketDates, terms: Terms) -> date | None:
    """Return the first day a stage is due for `ticket` as it is now, or None if none
    ever will be: from that day on `due_stages` is never empty until the ticket changes.

    It is stored on the ticket (`Ticket.overdue_from`) so the staff's queue asks "overdue
    today?" of one indexed column. The day a stage starts is one of the ticket's days
    plus one window's lag, so each such sum is tried in order with `due_stages` itself.
    """
    days = [ticket.state_changed_on, ticket.shipped_on, ticket.refund_due_on]
    lags = {_ANY_DAY - window(terms, _ANY_DAY).latest for window in _WINDOWS}
    candidates = sorted({day + lag for day in days if day is not None for lag in lags})
    return next((day for day in candidates if due_stages(ticket, terms, day)), None)
