"""A ticket as its customer sees it: what happened (the timeline, without internal notes
and without staff's edits), when the notice was received, the deadlines that run, and
the next step in plain words. Every date comes from the rule that sets it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils.dateparse import parse_date
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.periods import Sentence, long_date
from policies.reasons import Reason
from policies.selectors import legal_calendar
from rma.models import EventKind, NoticeChannel, Ticket
from rma.states import LABELLED_STATES, State
from withdrawals.rules import goods_back_by

# What each state change means to the customer (a withdrawal's opening says "received").
_HAPPENED = {
    State.REQUESTED: _("We received your return request."),
    State.AUTHORIZED: _("Your return was authorized."),
    State.REJECTED: _("Your request was rejected."),
    State.CANCELLED: _("The return was cancelled."),
    State.EXPIRED: _("The authorization expired."),
    State.RECEIVED: _("We received your parcel."),
    State.DIAGNOSED: _("We examined the goods."),
    State.RESOLVED: _("The return was settled."),
}


# What the customer told us about their parcel (R10), as their own timeline says it.
_TOLD = {
    "shipped_on": _("You told us you shipped the parcel on {value}."),
    "carrier": _("You told us the carrier: {value}."),
    "tracking_number": _("You gave us the tracking number {value}."),
}
_WITHDRAWN = {
    "carrier": _("You removed the carrier."),
    "tracking_number": _("You removed the tracking number."),
}


@dataclass(frozen=True)
class Step:
    at: datetime
    what: Sentence
    note: str = ""


@dataclass(frozen=True)
class TicketStatus:
    ticket: Ticket
    lines: list
    is_withdrawal: bool
    notice_at: datetime | None  # when the notice reached us, to the second (W3, W4)
    notice_on: date | None  # the date of notice that counts (a letter's own day)
    notice_registered_late: bool
    send_back_by: date | None  # W6
    refund_due_on: date | None  # W7
    has_label: bool
    may_give_shipping: bool  # R10: the customer tells where the parcel is
    next_step: Sentence
    timeline: list[Step]


def ticket_status(ticket: Ticket) -> TicketStatus:
    """Everything the customer's status page shows of `ticket` (four queries)."""
    events = list(ticket.events.order_by("at", "pk"))
    lines = list(ticket.lines.select_related("order_line").order_by("pk"))
    is_withdrawal = ticket.reason == Reason.WITHDRAWAL
    opened = next((e for e in events if e.kind == EventKind.TRANSITION and not e.from_state), None)
    timeline = []
    for event in events:
        if event.kind != EventKind.TRANSITION:
            if not event.internal:  # the customer's own shipping details (R10)
                timeline.append(Step(at=event.at, what=_told(event.data)))
            continue  # staff's edits of details are theirs
        what = _HAPPENED[State(event.to_state)]
        if event is opened and is_withdrawal:
            what = _("We received your notice of withdrawal.")
        note = "" if event.internal else event.note  # internal notes are staff's (SPEC §2)
        if event.to_state == State.AUTHORIZED and is_withdrawal and event.by_id is None:
            # Authorized with the notice (W10): the sentence says it, the note is staff's.
            what, note = _("Your withdrawal was registered and the return started."), ""
        timeline.append(Step(at=event.at, what=what, note=note))
    send_back_by = None
    if is_withdrawal and ticket.notice_on and ticket.goods_to_return:
        send_back_by = goods_back_by(ticket.notice_on, legal_calendar())
    notice_at = opened.at if opened else None
    return TicketStatus(
        ticket=ticket,
        lines=lines,
        is_withdrawal=is_withdrawal,
        notice_at=notice_at,
        notice_on=ticket.notice_on,
        notice_registered_late=bool(
            notice_at and ticket.notice_on and ticket.notice_channel != NoticeChannel.ONLINE
        ),
        send_back_by=send_back_by,
        refund_due_on=ticket.refund_due_on,
        has_label=ticket.goods_to_return and ticket.state in LABELLED_STATES,
        may_give_shipping=ticket.goods_to_return and ticket.state == State.AUTHORIZED,
        next_step=_next_step(ticket, send_back_by),
        timeline=timeline,
    )


def _told(data: dict) -> Sentence:
    """A change the customer made to their shipping details, in their words."""
    field, value = data.get("field"), data.get("new")
    if field not in _TOLD:
        return _("You changed the details of your parcel.")
    if value in (None, ""):
        return _WITHDRAWN.get(field, _("You changed the details of your parcel."))
    if field == "shipped_on":
        day = parse_date(value) if isinstance(value, str) else value
        value = long_date(day) if isinstance(day, date) else value
    return format_lazy(_TOLD[field], value=value)


def _next_step(ticket: Ticket, send_back_by: date | None) -> Sentence:
    """What the customer does (or waits for) now, in plain words."""
    state = ticket.state
    refund = ticket.refund_due_on
    if state == State.AUTHORIZED and not ticket.goods_to_return:
        return format_lazy(
            _(
                "Nothing to send back: the goods had not reached you, so they are cancelled. "
                "We refund you by {day}."
            ),
            day=long_date(refund),
        )
    if state == State.AUTHORIZED and ticket.shipped_on and not ticket.tracking_number:
        return _(
            "Your parcel is on its way to us. Please give us its tracking number, so that "
            "we can follow it."
        )
    if state == State.AUTHORIZED and ticket.shipped_on:
        return _("Your parcel is on its way to us. We tell you when it has arrived.")
    if state == State.AUTHORIZED and send_back_by:
        return format_lazy(
            _(
                "Print the return label below, stick it on the parcel and send the goods back "
                "by {day}. We refund you by {refund}."
            ),
            day=long_date(send_back_by),
            refund=long_date(refund),
        )
    if state == State.AUTHORIZED:
        return _("Print the return label below, stick it on the parcel and send it to us.")
    if state == State.REQUESTED:
        return _("We are looking at your request and answer you by e-mail.")
    if state in (State.RECEIVED, State.DIAGNOSED) and refund:
        return format_lazy(
            _("We have your parcel and are checking it. We refund you by {day}."),
            day=long_date(refund),
        )
    if state in (State.RECEIVED, State.DIAGNOSED):
        return _("We have your parcel and are checking it; we tell you the outcome by e-mail.")
    if state == State.RESOLVED:
        return format_lazy(
            _("This return is settled ({resolution}). Nothing more to do."),
            resolution=ticket.get_resolution_display(),
        )
    return _("This return is closed. Nothing more to do.")
