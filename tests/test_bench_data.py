"""`manage.py bench_data`: a shop's worth of data in set-based SQL (issue 19), checked small."""

import re

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.db.models import Count, Exists, F, OuterRef, Sum

from demo.data import ADMIN, DEMO_PASSWORD, STAFF
from orders.models import Order, OrderLine
from rma import services
from rma.models import Ticket, TicketEvent, TicketLine
from rma.states import GOODS_GO_BACK, RELEASING_STATES, State

pytestmark = pytest.mark.django_db

TICKETS, ORDERS = 200, 60
BENCH = {"order__number__startswith": "WS-B"}


@pytest.fixture
def bench_data():
    call_command("bench_data", tickets=TICKETS, orders=ORDERS, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_bench_data_writes_tickets_in_several_states_with_lines_and_events(bench_data):
    tickets = Ticket.objects.filter(**BENCH)
    assert tickets.count() == TICKETS
    assert Order.objects.filter(number__startswith="WS-B").count() == ORDERS
    states = set(tickets.values_list("state", flat=True))
    assert len(states) >= 4 and State.RESOLVED in states
    assert set(tickets.values_list("reason", flat=True)) >= {"withdrawal", "defective"}
    assert not tickets.annotate(n=Count("lines")).filter(n=0).exists()
    assert not Order.objects.filter(number__startswith="WS-B", lines__isnull=True).exists()
    # Each ticket's events run from "requested" to its state, in time order.
    for ticket in tickets.prefetch_related("events"):
        path = [e for e in ticket.events.all() if e.kind == "transition"]
        assert path[0].to_state == State.REQUESTED and path[-1].to_state == ticket.state
        assert [e.at for e in path] == sorted(e.at for e in path)
        assert path[-1].at == ticket.state_changed_at
    withdrawals = tickets.filter(reason="withdrawal")
    assert not withdrawals.filter(notice_on__isnull=True).exists()
    assert not withdrawals.filter(refund_due_on__lte=F("notice_on")).exists()
    # Resolved withdrawals were refunded (W7): D4 chases only the open ones.
    resolved = withdrawals.filter(state=State.RESOLVED)
    assert resolved.exists() and not resolved.filter(refund_paid_on__isnull=True).exists()
    unresolved = withdrawals.exclude(state=State.RESOLVED)
    assert not unresolved.filter(refund_paid_on__isnull=False).exists()
    assert tickets.exclude(tracking_number="").exists()


def test_bench_data_keeps_every_constraint_and_the_held_quantities(bench_data):
    # Check and unique constraints held on insert; foreign keys are checked here again,
    # one query per key of every model (bench_data may check them itself at the end).
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey):
                parent = field.related_model._default_manager.filter(pk=OuterRef(field.attname))
                orphans = model._default_manager.filter(**{f"{field.attname}__isnull": False})
                assert not orphans.filter(~Exists(parent)).exists(), (model, field.name)
    # The units the tickets hold are what the order lines say they hold (SPEC §2).
    holding = (
        TicketLine.objects.exclude(ticket__state__in=RELEASING_STATES)
        .exclude(ticket__state=State.RESOLVED, ticket__resolution__in=GOODS_GO_BACK)
        .values("order_line")
        .annotate(units=Sum("quantity"))
    )
    held = {row["order_line"]: row["units"] for row in holding}
    for line in OrderLine.objects.filter(order__number__startswith="WS-B"):
        assert line.held_quantity == held.get(line.pk, 0) <= line.delivered_quantity
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    assert all(re.fullmatch(r"RMA-20\d\d-\d{6}", number) for number in numbers)


def test_the_demo_staff_still_log_in_after_bench_data(bench_data, client):
    for email in [*(email for email, _role in STAFF), ADMIN]:
        assert client.login(username=email, password=DEMO_PASSWORD), email
        client.logout()


def test_the_next_real_ticket_takes_a_number_after_the_bench_ones(bench_data):
    order = Order.objects.select_related("customer__user").get(number="WS-DEMO-001")
    ticket = services.ticket_create(
        order=order,
        reason="withdrawal",
        lines=[services.LineRequest("1", 1)],
        by=order.customer.user,
        factory_reset_confirmed=True,
    )
    year = ticket.number[4:8]
    bench = Ticket.objects.filter(number__startswith=f"RMA-{year}-").exclude(pk=ticket.pk)
    assert Ticket.objects.filter(number=ticket.number).count() == 1
    assert ticket.number > max(bench.values_list("number", flat=True))
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1


def test_bench_data_refuses_a_second_run_unless_replacing(bench_data):
    with pytest.raises(CommandError, match="--replace"):
        call_command("bench_data", tickets=10, orders=5)
    call_command("bench_data", tickets=10, orders=5, replace=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Ticket.objects.filter(**BENCH).count() == 10
    assert Order.objects.filter(number__startswith="WS-B").count() == 5


def test_bench_data_refuses_sqlite_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench_data", tickets=10, orders=5)
