"""Bring a ticket to any state through the services, as staff would."""

from rma import services
from rma.states import Resolution, State
from tests.factories import delivered_order, staff_member

# The path from requested to each state: (transition, role that makes it).
PATHS = {
    State.REQUESTED: [],
    State.AUTHORIZED: [("authorize", "support")],
    State.REJECTED: [("reject", "support")],
    State.CANCELLED: [("cancel", "support")],
    State.EXPIRED: [("authorize", "support"), ("expire", "support")],
    State.RECEIVED: [("authorize", "support"), ("receive", "warehouse")],
    State.DIAGNOSED: [("authorize", "support"), ("receive", "warehouse"), ("diagnose", "support")],
    State.RESOLVED: [
        ("authorize", "support"),
        ("receive", "warehouse"),
        ("diagnose", "support"),
        ("resolve", "accountant"),
    ],
}


def staff(role: str):
    """The persona in `role`, the same user as the conftest fixture of that name."""
    return staff_member(role)


def apply(ticket, name: str, by):
    """Make transition `name` with the input it needs."""
    service = getattr(services, f"ticket_{name}")
    if name == "reject":
        return service(ticket=ticket, by=by, reason="Outside the warranty.")
    if name == "resolve":
        return service(ticket=ticket, by=by, resolution=Resolution.REFUND)
    return service(ticket=ticket, by=by)


def ticket_in(state: str, *, customer=None, quantity: int = 1):
    order = delivered_order(customer=customer, lines=((2, "120.00"),))
    ticket = services.ticket_create(
        order=order,
        reason="defective",
        lines=[services.LineRequest("1", quantity)],
        by=order.customer.user,
    )
    for name, role in PATHS[state]:
        ticket = apply(ticket, name, staff(role))
    return ticket
