"""The queue's stored "a deadline passed" (`Ticket.overdue_from`, `Ticket.overdue`, issue
19): what staff see marked Overdue is what the chaser finds due, after every change of a
ticket, as the days pass, when a policy changes and after the upgrade that adds it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from demo.data import seed_demo
from policies.models import ReturnPolicy
from refunds.refunding import refund_approve, refund_pay, refund_propose
from rma import services
from rma.models import Ticket
from rma.selectors import overdue_q
from rma.services.overdue import mark_overdue, refresh_overdue
from rma.states import State
from tests.factories import AMSTERDAM, staff_member
from tests.refunds.refund_flow import accountant, diagnosed_ticket
from tests.rma.lifecycle import ticket_in

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:rma_ticket_changelist")


def marked() -> set[int]:
    return set(Ticket.objects.filter(overdue=True).values_list("pk", flat=True))


def due_on(day: dt.date) -> set[int]:
    """What the chaser finds due on `day`, from its own SQL conditions."""
    due = overdue_q(today=day, policies=ReturnPolicy.objects.all())
    return set(Ticket.objects.filter(due).values_list("pk", flat=True))


def test_the_demo_is_marked_as_the_chaser_finds_it_day_after_day():
    """The demo moves tickets through every service (create, each transition, a
    withdrawal, refunds paid): each save left the mark right, and each day that turns
    marks what fell due that day, neither more nor less."""
    today = timezone.localdate()
    seed_demo(today)
    assert refresh_overdue(Ticket.objects.all(), today=today) == 0  # nothing was stale
    assert marked() == due_on(today)
    for days in range(1, 40):
        day = today + dt.timedelta(days=days)
        mark_overdue(day)
        assert marked() == due_on(day), day


def test_a_request_turns_overdue_at_midnight_in_the_queue_without_a_chase(client, support):
    """webstore4 answers within 2 days: requested on the 10th, late from the 13th, 00:00
    in Amsterdam. The queue marks it then, though no chaser ran (the embedded default)."""
    with time_machine.travel(dt.datetime(2026, 11, 10, 9, 0, tzinfo=AMSTERDAM), tick=False):
        ticket = ticket_in(State.REQUESTED)
    client.force_login(support)

    with time_machine.travel(dt.datetime(2026, 11, 12, 23, 59, tzinfo=AMSTERDAM), tick=False):
        before = client.get(QUEUE).text
    with time_machine.travel(dt.datetime(2026, 11, 13, 0, 1, tzinfo=AMSTERDAM), tick=False):
        after = client.get(QUEUE).text

    assert ticket.number in before and "retour-overdue" not in before
    assert 'class="retour-overdue"' in after
    assert marked() == {ticket.pk}


def test_shipping_details_take_an_authorized_ticket_off_the_overdue_list(client, support):
    with time_machine.travel(timezone.now() - dt.timedelta(days=8), tick=False):
        ticket = ticket_in(State.AUTHORIZED)  # D2: not shipped after 7 days
    mark_overdue(timezone.localdate())
    assert marked() == {ticket.pk}
    customer = ticket.order.customer.user

    services.ticket_details_set(
        ticket=ticket,
        by=customer,
        changes={"shipped_on": timezone.localdate(), "carrier": "PostNL"},
    )
    assert marked() == set()
    ticket.refresh_from_db()
    # D3 next: no tracking number three days after shipping.
    assert ticket.overdue_from == timezone.localdate() + dt.timedelta(days=3)

    services.ticket_details_set(ticket=ticket, by=customer, changes={"tracking_number": "3S1"})
    ticket.refresh_from_db()
    # Only a parcel still not in when the authorization lapses comes back to staff (D2).
    authorized_on = timezone.localdate(ticket.state_changed_at)
    assert ticket.overdue_from == authorized_on + dt.timedelta(days=31)
    client.force_login(support)
    assert ticket.number not in client.get(QUEUE).text


def test_a_paid_refund_ends_a_withdrawal_s_overdue_mark():
    """D4 (W7) chases a withdrawal's refund until the customer has the money."""
    ticket = diagnosed_ticket(reason="withdrawal", quantity=1, paid_with="card")
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    services.ticket_resolve(ticket=ticket, by=staff_member("support"), resolution="refund")
    assert marked() == {ticket.pk}  # filed in October: its refund was due in November

    refund = refund_approve(refund=refund, by=accountant("bea"))
    part = refund.parts.get()
    refund_pay(refund=refund, by=accountant("bea"), references={part.pk: "card-refund-1"})

    assert marked() == set()
    assert Ticket.objects.get(pk=ticket.pk).overdue_from is None


def test_a_policy_s_new_response_time_moves_its_open_tickets_marks(
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(timezone.now() - dt.timedelta(days=4), tick=False):
        ticket = ticket_in(State.REQUESTED)  # webstore4: late after 2 days
    mark_overdue(timezone.localdate())
    assert marked() == {ticket.pk}
    policy = ReturnPolicy.objects.get(preset="webstore4")
    policy.response_days = 10
    app.conf.task_always_eager = True  # the worker's task, run here
    try:
        with django_capture_on_commit_callbacks(execute=True):
            policy.save()
    finally:
        app.conf.task_always_eager = False

    assert marked() == set()
    ticket.refresh_from_db()
    assert ticket.overdue_from == timezone.localdate(ticket.created_at) + dt.timedelta(days=11)


def test_migrate_marks_the_tickets_already_there():
    """The upgrade that adds the marks (rma 0011), and every deploy after it: `migrate`
    recomputes the open tickets' marks with the rules of the code deployed."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=20), tick=False):
        requested = ticket_in(State.REQUESTED)
        authorized = ticket_in(State.AUTHORIZED)
        received = ticket_in(State.RECEIVED)
    saved = {t.pk: t.overdue_from for t in Ticket.objects.all()}
    Ticket.objects.update(overdue_from=None, overdue=False)  # as before the upgrade

    call_command("migrate", verbosity=0)

    now = {t.pk: (t.overdue_from, t.overdue) for t in Ticket.objects.all()}
    assert now[requested.pk] == (saved[requested.pk], True)
    assert now[authorized.pk] == (saved[authorized.pk], True)
    assert now[received.pk] == (None, False)
    assert marked() == due_on(timezone.localdate())


def test_the_queue_opens_when_the_cache_is_down_and_still_marks_the_day(client, support, settings):
    """An unreachable cache costs a marking per list, never the list."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=4), tick=False):
        ticket = ticket_in(State.REQUESTED)  # late after 2 days
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing answers there
        }
    }
    client.force_login(support)

    response = client.get(QUEUE)

    assert response.status_code == 200
    assert 'class="retour-overdue"' in response.text and ticket.number in response.text
