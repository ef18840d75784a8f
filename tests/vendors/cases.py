"""Bring a unit of a defect ticket to its vendor through the services, as staff would."""

from datetime import date, datetime, time, timedelta

from orders.enums import Route
from orders.models import Vendor
from policies.reasons import Reason
from rma import services as tickets
from rma.models import TicketLine
from rma.states import State
from tests.factories import AMSTERDAM, VendorFactory, delivered_order
from tests.rma.lifecycle import PATHS, apply, staff
from vendors.models import VendorCase
from vendors.services import vendor_case_open

TODAY = date(2026, 11, 23)  # the fixed day every test runs on (tests/conftest.py)


def vendor(name: str, *, route: str = Route.VIA_SHOP, usual_decision_days: int = 21) -> Vendor:
    return VendorFactory(name=name, route=route, usual_decision_days=usual_decision_days)


def ticket_line(
    *,
    of: Vendor,
    state: str = State.RECEIVED,
    quantity: int = 1,
    serials: tuple[str, ...] = (),
    reason: str = Reason.DEFECTIVE,
    customer=None,
) -> TicketLine:
    """The line of a ticket for `quantity` units of one product of vendor `of`, in `state`.

    The order line knows the units' serials, as the order import writes them.
    """
    order = delivered_order(customer=customer, lines=((quantity, "120.00"),))
    line = order.lines.get()
    line.serials = list(serials)
    line.save(update_fields=["serials"])
    line.product.vendor = of
    line.product.save(update_fields=["vendor"])
    ticket = tickets.ticket_create(
        order=order,
        reason=reason,
        lines=[tickets.LineRequest("1", quantity, serials=list(serials))],
        by=order.customer.user,
    )
    for name, role in PATHS[state]:
        ticket = apply(ticket, name, staff(role))
    return ticket.lines.get()


def case_at(of: Vendor, *, by, serial: str = "", days_open: int = 0) -> VendorCase:
    """A case of a received defect unit of vendor `of`, opened `days_open` days ago."""
    case = vendor_case_open(ticket_line=ticket_line(of=of), by=by, serial=serial)
    if days_open:
        opened_on(case, TODAY - timedelta(days=days_open))
    return VendorCase.objects.get(pk=case.pk)


def opened_on(case: VendorCase, day: date, at: time = time(10, 0)) -> None:
    """Backdate the case's opening to `at` o'clock (Amsterdam) on `day`."""
    moment = datetime.combine(day, at, tzinfo=AMSTERDAM)
    VendorCase.objects.filter(pk=case.pk).update(opened_at=moment)


def reloaded(case: VendorCase) -> VendorCase:
    return VendorCase.objects.get(pk=case.pk)
