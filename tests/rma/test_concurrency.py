"""Two people (or workers) at once, on PostgreSQL with a connection each (SPEC §2)."""

import re

import pytest
from django.db import connection

from rma import services
from rma.models import Ticket
from rma.states import State
from tests.factories import delivered_order
from tests.rma.lifecycle import staff, ticket_in
from tests.threads import run_together

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (make test uses it)"
)


@pytest.mark.django_db(transaction=True)
def test_ticket_numbers_are_unique_and_gapless_under_concurrent_creation(anna):
    orders = [delivered_order(customer=anna, lines=((1, "50.00"),)) for _ in range(8)]

    def open_request(order):
        return lambda: (
            services.ticket_create(
                order=order, reason="defective", lines=[services.LineRequest("1", 1)], by=anna.user
            ).number
        )

    numbers = run_together([open_request(order) for order in orders])

    assert all(isinstance(n, str) for n in numbers), numbers
    year = numbers[0][4:8]
    assert all(re.fullmatch(rf"RMA-{year}-\d{{6}}", n) for n in numbers)
    assert sorted(int(n[-6:]) for n in numbers) == list(range(1, 9))


@pytest.mark.django_db(transaction=True)
def test_two_staff_authorizing_one_ticket_at_once_one_wins_the_other_is_told():
    ticket = ticket_in(State.REQUESTED)
    first, second = staff("support"), staff("support")

    results = run_together(
        [
            lambda: services.ticket_authorize(ticket=ticket, by=first),
            lambda: services.ticket_reject(ticket=ticket, by=second, reason="No warranty."),
        ]
    )

    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, services.TicketError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "can no longer be" in str(losers[0])
    ticket.refresh_from_db()
    assert ticket.state == winners[0].state
    assert ticket.events.exclude(from_state="").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_requests_for_the_last_unit_at_once_hold_it_only_once(anna):
    order = delivered_order(customer=anna, lines=((1, "50.00"),))

    def open_request():
        return services.ticket_create(
            order=order, reason="defective", lines=[services.LineRequest("1", 1)], by=anna.user
        )

    results = run_together([open_request, open_request])

    assert sum(isinstance(r, Ticket) for r in results) == 1, results
    assert any("only 0 can be returned" in str(r) for r in results)
    assert order.lines.get().held_quantity == 1
    assert order.tickets.count() == 1
