"""D1–D4: chase each ticket's deadlines once per ticket and stage (SPEC §6).

Run by `deadlines.chasing.chase_deadlines` with the chasers of D5 (`vendors/chasing.py`)
and D6/F7 (`refunds/chasing.py`), on the same pattern. Each stage asks the database for
its due tickets only (`rma.selectors.tickets_due`: the windows of `rma/deadlines.py` per
policy, on the partial indexes of the ticket table) and streams them in chunks.

Once per ticket and stage, even when two chasers overlap or one dies mid-run:
- every ticket is handled in its own transaction, after locking its row and checking
  again that it is still due (a staff action in between wins, as in `rma.services`);
- a reminder or alert is an outbox row whose unique dedupe key names the ticket and the
  stage (`reminder_ship:42:D2-ship-1`); the second chaser's insert finds it and sends
  nothing, and customer reminders already in the outbox are not even read again;
- expiry goes through `ticket_expire`, which refuses a second expiry (`TicketError`).
A chaser that dies leaves the tickets it had not reached for the next run.

A staff stage whose role has nobody to write to (no accountant yet) queues nothing, so
its tickets would stay due and each run would lock and read every one of them again
(27 s instead of 3 s at a million tickets). The chaser asks once per run and role, at the
stage's first due ticket, and when nobody holds the role it reports the stage's due
tickets as `nobody_to_tell` and moves on. They stay due, so the first run after someone
takes the role sends their alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Protocol

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from core.windows import Tally
from notifications.selectors import queued, queued_to_staff
from notifications.services import staff_alert_queue
from policies.models import ReturnPolicy
from rma.deadlines import Stage, authorization_valid_until
from rma.emails import ticket_email_queue
from rma.models import Ticket
from rma.selectors import stage_due_q, tickets_due
from rma.services import TicketError, ticket_expire
from rma.services.overdue import mark_overdue

# Tickets read per round trip: memory stays flat however many are due.
CHUNK_SIZE = 500

# E-mail kinds (templates in notifications/) per stage.
KIND = {
    Stage.RESPONSE_OVERDUE: "staff_response_overdue",
    Stage.ACKNOWLEDGE_DUE: "staff_response_overdue",
    Stage.SHIP_REMINDER: "reminder_ship",
    Stage.TRACKING_REMINDER: "reminder_tracking",
    Stage.REFUND_ALERT: "staff_refund_due",
    Stage.REFUND_OVERDUE: "staff_refund_due",
}
# Who hears of a staff stage.
ROLE = {
    Stage.RESPONSE_OVERDUE: Role.SUPPORT,
    Stage.ACKNOWLEDGE_DUE: Role.SUPPORT,
    Stage.REFUND_ALERT: Role.ACCOUNTANT,
    Stage.REFUND_OVERDUE: Role.ACCOUNTANT,
}
CUSTOMER_STAGES = (Stage.SHIP_REMINDER, Stage.TRACKING_REMINDER)

EXPIRY_NOTE = "Not received within {days} days of the authorization (D2)."


def dedupe_key(stage: str, ticket_pk: int) -> str:
    """The outbox key of a stage's message: the same as `ticket_email_queue` builds."""
    return f"{KIND[stage]}:{ticket_pk}:{stage}"


def _context(ticket: Ticket, stage: str, today: date) -> dict:
    terms = ticket.policy.terms()
    context = {
        "ticket_number": ticket.number,
        "stage": stage,
        "state": ticket.state,
        "state_changed_on": timezone.localdate(ticket.state_changed_at),
        "today": today,
    }
    if stage == Stage.SHIP_REMINDER:
        context["authorized_on"] = context["state_changed_on"]
        context["valid_until"] = authorization_valid_until(context["authorized_on"], terms)
    elif stage == Stage.TRACKING_REMINDER:
        context["shipped_on"] = ticket.shipped_on
    elif stage in (Stage.RESPONSE_OVERDUE, Stage.ACKNOWLEDGE_DUE):
        context["requested_on"] = context["state_changed_on"]
        context["response_days"] = terms.response_days
        context["statutory"] = stage == Stage.ACKNOWLEDGE_DUE
    elif stage in (Stage.REFUND_ALERT, Stage.REFUND_OVERDUE):
        context["notice_on"] = ticket.notice_on
        context["refund_due_on"] = ticket.refund_due_on
        context["overdue"] = stage == Stage.REFUND_OVERDUE
        # W7: the shop may wait for the goods or proof of sending; the accountant decides.
        context["shipped_on"] = ticket.shipped_on
    return context


def _remind_customer(ticket: Ticket, stage: str, today: date) -> bool:
    email = ticket_email_queue(
        ticket=ticket, kind=KIND[stage], stage=stage, context=_context(ticket, stage, today)
    )
    return email is not None


def _alert_staff(ticket: Ticket, stage: str, today: date) -> bool:
    emails = staff_alert_queue(
        kind=KIND[stage],
        dedupe_key=dedupe_key(stage, ticket.pk),
        role=ROLE[stage],
        context=_context(ticket, stage, today),
        subject=ticket,
    )
    return bool(emails)


def _expire(ticket: Ticket, stage: str, today: date) -> bool:
    note = _(EXPIRY_NOTE).format(days=ticket.policy.authorization_valid_days)
    try:
        ticket_expire(ticket=ticket, by=None, note=note)
    except TicketError:  # another chaser (or a person) changed it first
        return False
    return True


ACTIONS: dict[str, Callable[[Ticket, str, date], bool]] = {
    Stage.RESPONSE_OVERDUE: _alert_staff,
    Stage.ACKNOWLEDGE_DUE: _alert_staff,
    Stage.SHIP_REMINDER: _remind_customer,
    Stage.EXPIRE: _expire,
    Stage.TRACKING_REMINDER: _remind_customer,
    Stage.REFUND_ALERT: _alert_staff,
    Stage.REFUND_OVERDUE: _alert_staff,
}


class StaffTally(Tally, Protocol):
    """What `chase_tickets` reports to: a `Tally` that also hears of the due tickets of a
    staff stage whose role has nobody to tell."""

    def nobody_to_tell(self, stage: str, *, role: str, due: int) -> None: ...


def role_has_recipients(role: str) -> bool:
    """Someone holds `role` whom `staff_alert_queue` writes to: active, with an address."""
    return (
        get_user_model()
        .objects.filter(groups__name=role, is_active=True)
        .exclude(email="")
        .exists()
    )


def _not_in_outbox(queryset: QuerySet, stage: str) -> QuerySet:
    """Leave out tickets whose message for `stage` is already in the outbox.

    A customer's reminder is found by its unique key; staff alerts have one row per
    recipient, found through the ticket's outbox rows.
    """
    if stage in CUSTOMER_STAGES:
        return queryset.exclude(queued(KIND[stage], stage))
    return queryset.exclude(queued_to_staff(KIND[stage], stage, subject=Ticket))


def chase_tickets(*, today: date, policies: Iterable[ReturnPolicy], report: StaffTally) -> None:
    """Send the due reminders and alerts of D1–D4 and expire lapsed authorizations (D2),
    once each; count them in `report`, and the due alerts of a role nobody holds. First
    the queue learns which tickets fell due since the last run (`Ticket.overdue`)."""
    mark_overdue(today)
    # Per role, asked once per run and only when one of its stages has a ticket due: a
    # run with nothing due costs no query more.
    has_recipients: dict[str, bool] = {}
    for stage in Stage.CHASED:
        due = tickets_due(stage=stage, today=today, policies=policies)
        if stage in KIND:
            due = _not_in_outbox(due, stage)
        still_due = stage_due_q(stage, policies=policies, today=today)
        role = ROLE.get(stage)
        tickets = due.select_related("policy", "order__customer").iterator(chunk_size=CHUNK_SIZE)
        for ticket in tickets:
            if role is not None:
                if role not in has_recipients:
                    has_recipients[role] = role_has_recipients(role)
                if not has_recipients[role]:
                    # Nobody to tell: each ticket would be locked and read for nothing,
                    # again on every run. Count them; they stay due for the next run.
                    report.nobody_to_tell(stage, role=role, due=due.count())
                    break
            with transaction.atomic():
                # Lock and look again: a staff action since the query above wins.
                locked = Ticket.objects.select_for_update(of=("self",)).filter(
                    still_due, pk=ticket.pk
                )
                if not locked.values_list("pk", flat=True):
                    report.count(stage, acted=False)
                    continue
                acted = ACTIONS[stage](ticket, stage, today)
            report.count(stage, acted=acted)
