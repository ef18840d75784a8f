"""SPEC §2: the ticket lifecycle — allowed transitions, refusals, permissions, the log."""

import datetime as dt

import pytest
import time_machine

from rma import services
from rma.models import TicketEvent
from rma.states import State
from tests.factories import AMSTERDAM, delivered_order
from tests.rma.lifecycle import apply, staff, ticket_in

ALLOWED = [
    # (from, transition, role, to)
    (State.REQUESTED, "authorize", "support", State.AUTHORIZED),
    (State.REQUESTED, "reject", "support", State.REJECTED),
    (State.REQUESTED, "cancel", "support", State.CANCELLED),
    (State.AUTHORIZED, "cancel", "support", State.CANCELLED),
    (State.AUTHORIZED, "expire", "support", State.EXPIRED),
    (State.AUTHORIZED, "receive", "warehouse", State.RECEIVED),
    (State.RECEIVED, "diagnose", "support", State.DIAGNOSED),
    (State.DIAGNOSED, "resolve", "support", State.RESOLVED),
    (State.DIAGNOSED, "resolve", "accountant", State.RESOLVED),
]
TRANSITIONS = ["authorize", "reject", "cancel", "expire", "receive", "diagnose", "resolve"]
REFUSED = [
    (state, name)
    for state in State.values
    for name in TRANSITIONS
    if not any(row[0] == state and row[1] == name for row in ALLOWED)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "name", "role", "target"), ALLOWED)
def test_it_allows_the_lifecycle_transition(source, name, role, target):
    ticket = ticket_in(source)
    user = staff(role)

    ticket = apply(ticket, name, user)

    ticket.refresh_from_db()
    assert ticket.state == target
    last = ticket.events.order_by("id").last()
    assert (last.from_state, last.to_state, last.by) == (source, target, user)


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "name"), REFUSED)
def test_it_refuses_a_transition_the_lifecycle_does_not_allow(source, name, admin):
    ticket = ticket_in(source)
    log_before = TicketEvent.objects.filter(ticket=ticket).count()

    with pytest.raises(services.TicketError, match="can no longer be"):
        apply(ticket, name, admin)

    ticket.refresh_from_db()
    assert ticket.state == source
    assert TicketEvent.objects.filter(ticket=ticket).count() == log_before


ROLE_MAY = {
    "support": {"authorize", "reject", "cancel", "expire", "diagnose", "resolve"},
    "warehouse": {"receive"},
    "accountant": {"resolve"},
}
FIRST_STATE_OF = {
    "authorize": State.REQUESTED,
    "reject": State.REQUESTED,
    "cancel": State.REQUESTED,
    "expire": State.AUTHORIZED,
    "receive": State.AUTHORIZED,
    "diagnose": State.RECEIVED,
    "resolve": State.DIAGNOSED,
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLE_MAY))
@pytest.mark.parametrize("name", TRANSITIONS)
def test_each_role_may_make_only_its_own_transitions(role, name):
    ticket = ticket_in(FIRST_STATE_OF[name])
    user = staff(role)

    if name in ROLE_MAY[role]:
        assert apply(ticket, name, user).state != FIRST_STATE_OF[name]
    else:
        with pytest.raises(services.TicketError, match="not allowed"):
            apply(ticket, name, user)
        ticket.refresh_from_db()
        assert ticket.state == FIRST_STATE_OF[name]


@pytest.mark.django_db
def test_a_customer_may_cancel_their_own_request_but_not_someone_elses(anna, stranger):
    ticket = ticket_in(State.REQUESTED, customer=anna)

    with pytest.raises(services.TicketError, match="not allowed"):
        services.ticket_cancel(ticket=ticket, by=stranger)
    cancelled = services.ticket_cancel(ticket=ticket, by=anna.user, note="Found the manual.")

    assert cancelled.state == State.CANCELLED
    assert cancelled.events.last().note == "Found the manual."


@pytest.mark.django_db
def test_a_customer_may_not_authorize_their_own_request(anna):
    ticket = ticket_in(State.REQUESTED, customer=anna)

    with pytest.raises(services.TicketError, match="not allowed"):
        services.ticket_authorize(ticket=ticket, by=anna.user)


@pytest.mark.django_db
def test_it_keeps_the_whole_history_with_who_when_from_to_and_note():
    ticket = ticket_in(State.RESOLVED)

    history = list(ticket.events.order_by("id").values_list("from_state", "to_state"))

    assert history == [
        ("", "requested"),
        ("requested", "authorized"),
        ("authorized", "received"),
        ("received", "diagnosed"),
        ("diagnosed", "resolved"),
    ]
    assert all(t.at is not None for t in ticket.events.all())


@pytest.mark.django_db
def test_a_rejection_needs_a_reason_the_customer_can_read(support):
    ticket = ticket_in(State.REQUESTED)

    with pytest.raises(services.TicketError, match="Say why"):
        services.ticket_reject(ticket=ticket, by=support, reason="   ")

    ticket.refresh_from_db()
    assert ticket.state == State.REQUESTED


@pytest.mark.django_db
def test_a_resolution_must_be_chosen(support):
    ticket = ticket_in(State.DIAGNOSED)

    with pytest.raises(services.TicketError, match="Choose how"):
        services.ticket_resolve(ticket=ticket, by=support, resolution="")


@pytest.mark.django_db
def test_a_grandstream_defect_needs_the_vendor_support_ticket_before_authorization(support, anna):
    # V3: vendor support validates the fault first.
    from tests.factories import VendorFactory, delivered_order

    order = delivered_order(customer=anna, lines=((1, "120.00"),))
    line = order.lines.get()
    line.product.vendor = VendorFactory(name="Grandstream", route="vendor_validation_first")
    line.product.save()
    ticket = services.ticket_create(
        order=order, reason="defective", lines=[services.LineRequest("1", 1)], by=anna.user
    )

    with pytest.raises(services.TicketError, match="V3"):
        services.ticket_authorize(ticket=ticket, by=support)
    assert sorted(services.ticket_transitions_for(ticket, support)) == ["cancel", "reject"]


@pytest.mark.django_db
def test_a_ticket_holds_its_quantity_and_releases_it_when_cancelled(anna, support):
    ticket = ticket_in(State.REQUESTED, customer=anna, quantity=2)
    line = ticket.order.lines.get()
    assert (line.delivered_quantity, line.held_quantity) == (2, 2)

    with pytest.raises(services.TicketError, match="only 0 can be returned"):
        services.ticket_create(
            order=ticket.order,
            reason="defective",
            lines=[services.LineRequest("1", 1)],
            by=anna.user,
        )
    services.ticket_cancel(ticket=ticket, by=support)

    line.refresh_from_db()
    assert line.held_quantity == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "at least one line"),
        ([services.LineRequest("9", 1)], "Line 9 is not part of order"),
        ([services.LineRequest("1", 0)], "at least 1"),
        ([services.LineRequest("1", -1)], "at least 1"),
        ([services.LineRequest("1", 3)], "only 2 can be returned, not 3"),
        ([services.LineRequest("1", 1), services.LineRequest("1", 1)], "appears twice"),
    ],
)
def test_it_refuses_a_request_for_lines_that_cannot_be_returned(anna, lines, message):
    from tests.factories import delivered_order

    order = delivered_order(customer=anna, lines=((2, "120.00"),))

    with pytest.raises(services.TicketError, match=message):
        services.ticket_create(order=order, reason="defective", lines=lines, by=anna.user)

    assert not order.tickets.exists()
    assert order.lines.get().held_quantity == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("resolution", "held_after"),
    [("refund", 1), ("credit_note", 1), ("repair", 0), ("replacement", 0)],
)
def test_a_resolution_that_sends_goods_back_frees_the_quantity(resolution, held_after, support):
    ticket = ticket_in(State.DIAGNOSED)

    services.ticket_resolve(ticket=ticket, by=support, resolution=resolution)

    assert ticket.order.lines.get().held_quantity == held_after


# W10 (CRD art. 12, 13(3)): a withdrawal the rules allowed binds the shop. The factory's
# orders arrived on 3 October 2026: the consumer withdraws within the period.
WITHIN_THE_PERIOD = time_machine.travel(dt.datetime(2026, 10, 8, 12, tzinfo=AMSTERDAM))


@WITHIN_THE_PERIOD
@pytest.mark.django_db
def test_support_cannot_reject_a_withdrawal_and_is_not_offered_the_button(anna, support):
    order = delivered_order(customer=anna)
    ticket = services.ticket_create(
        order=order, reason="withdrawal", lines=[services.LineRequest("1", 1)], by=anna.user
    )

    assert "reject" not in services.ticket_transitions_for(ticket, support)
    with pytest.raises(services.TicketError, match="cannot be rejected or expired"):
        services.ticket_reject(ticket=ticket, by=support, reason="We would rather not.")
    ticket.refresh_from_db()
    assert ticket.state == State.REQUESTED


@WITHIN_THE_PERIOD
@pytest.mark.django_db
def test_a_withdrawal_never_expires_not_by_staff_and_not_by_the_system(anna, support):
    order = delivered_order(customer=anna)
    ticket = services.ticket_create(
        order=order, reason="withdrawal", lines=[services.LineRequest("1", 1)], by=anna.user
    )
    ticket = services.ticket_authorize(ticket=ticket, by=support)

    assert "expire" not in services.ticket_transitions_for(ticket, support)
    for by in (support, None):
        with pytest.raises(services.TicketError, match="cannot be rejected or expired"):
            services.ticket_expire(ticket=ticket, by=by)
    ticket.refresh_from_db()
    assert ticket.state == State.AUTHORIZED
