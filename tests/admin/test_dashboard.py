"""The staff dashboard (issue 16 §7): each figure against a hand-built shop, the same
queries whatever the rows, the cache and its button, and the page for every role."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice import dashboard
from orders.models import ShipmentLine
from policies.models import ReturnPolicy
from policies.reasons import Reason
from rma.deadlines import Stage
from rma.models import ParcelScan, ScanOutcome, Ticket, TicketEvent, TicketLine
from rma.selectors import tickets_overdue
from rma.services import ticket_number_next
from rma.states import State
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ShipmentFactory,
    UserFactory,
    VendorFactory,
    delivered_order,
)
from tests.rma.lifecycle import ticket_in
from tests.vendors.cases import case_at, vendor

pytestmark = pytest.mark.django_db

URL = "/admin/dashboard/"


def _ticket(
    state: str,
    *,
    created_days: float = 0,
    changed_days: float | None = None,
    reason: str = Reason.DEFECTIVE,
    line=None,
    quantity: int = 1,
    shipped_days: int | None = None,
) -> Ticket:
    """A ticket in `state`, requested `created_days` and last changed `changed_days` ago
    (the same by default), for `quantity` units of `line` (a new delivered order's)."""
    now = timezone.now()
    line = line or delivered_order().lines.get()
    ticket = Ticket.objects.create(
        number=ticket_number_next(now.year),
        order=line.order,
        policy=ReturnPolicy.objects.get(preset="webstore4"),
        reason=reason,
        state=state,
        shipped_on=None if shipped_days is None else (now - timedelta(days=shipped_days)).date(),
    )
    TicketLine.objects.create(ticket=ticket, order_line=line, quantity=quantity)
    changed = created_days if changed_days is None else changed_days
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=now - timedelta(days=created_days),
        state_changed_at=now - timedelta(days=changed),
    )
    return Ticket.objects.get(pk=ticket.pk)


def test_open_tickets_counted_by_state_and_age():
    hour = 1 / 24
    for days in (0, 2 + hour):
        _ticket(State.REQUESTED, created_days=days)  # 0–2 days
    _ticket(State.REQUESTED, created_days=3 + hour)  # 3–7
    _ticket(State.AUTHORIZED, created_days=8 + hour)  # 8–14
    _ticket(State.AUTHORIZED, created_days=14 + hour)  # 8–14
    _ticket(State.RECEIVED, created_days=15 + hour)  # 15–30
    _ticket(State.RECEIVED, created_days=30 + hour)  # 15–30
    _ticket(State.DIAGNOSED, created_days=31 + hour)  # > 30
    _ticket(State.DIAGNOSED, created_days=100)  # > 30
    _ticket(State.RESOLVED, created_days=5)  # closed: not counted
    _ticket(State.CANCELLED, created_days=1)  # closed: not counted

    assert dashboard.open_by_state_and_age(timezone.now()) == {
        State.REQUESTED: [2, 1, 0, 0, 0],
        State.AUTHORIZED: [0, 0, 2, 0, 0],
        State.RECEIVED: [0, 0, 0, 2, 0],
        State.DIAGNOSED: [0, 0, 0, 0, 2],
    }


def test_overdue_counted_per_deadline_kind_as_the_overdue_filter_finds_them(support):
    _ticket(State.REQUESTED, changed_days=3)  # D1: response overdue (2 days)
    _ticket(State.REQUESTED, changed_days=14)  # D1: article 17's last day
    _ticket(State.REQUESTED, changed_days=0)  # not due yet
    _ticket(State.AUTHORIZED, changed_days=7)  # D2: not shipped yet
    _ticket(State.AUTHORIZED, changed_days=5, shipped_days=3)  # D3: no tracking number
    case_at(vendor("Slowcom"), by=support, days_open=40)  # D5: usual 21 days
    case_at(vendor("Quickcom"), by=support, days_open=2)  # not due

    counts = dashboard.overdue_counts(timezone.localdate())

    # Each stage as the staff's Overdue filter lists it.
    for stage in Stage.ALL:
        assert counts[f"stage:{stage}"] == tickets_overdue(now=timezone.now(), stage=stage).count()
    assert counts["stage:D1-response"] == 1
    assert counts["stage:D1-art17"] == 1
    assert counts["kind:D1"] == 2
    assert counts["kind:D2"] == 1
    assert counts["kind:D3"] == 1
    assert counts["kind:D4"] == 0
    assert counts["kind:D5"] == 1


def test_parcels_received_today_however_received(support, warehouse):
    ticket_in(State.RECEIVED)  # by the ticket page's button, today
    ticket_in(State.DIAGNOSED)  # received today, diagnosed since
    yesterday = ticket_in(State.RECEIVED)
    before = timezone.now() - timedelta(days=1)
    Ticket.objects.filter(pk=yesterday.pk).update(state_changed_at=before)
    TicketEvent.objects.filter(ticket=yesterday).update(at=before)
    ticket_in(State.AUTHORIZED)  # not in yet
    ParcelScan.objects.create(by=warehouse, scanned="RMA-X", outcome=ScanOutcome.UNKNOWN)
    ParcelScan.objects.create(by=warehouse, scanned="RMA-Y", outcome=ScanOutcome.NOT_AUTHORIZED)
    old = ParcelScan.objects.create(by=warehouse, scanned="RMA-Z", outcome=ScanOutcome.EXPIRED)
    ParcelScan.objects.filter(pk=old.pk).update(at=before)

    assert dashboard.received_today(timezone.now()) == {"received": 2, "refused": 2}


DAY = 86400


def resolved_set() -> None:
    """Resolved in the last 30 days after 1, 2, 4 and 10 days (median 3 days); one more
    resolved 40 days ago after 100 days (90 days: median 4 days)."""
    for duration in (1, 2, 4, 10):
        _ticket(State.RESOLVED, created_days=duration + 1, changed_days=1)
    _ticket(State.RESOLVED, created_days=140, changed_days=40)
    _ticket(State.DIAGNOSED, created_days=50, changed_days=2)  # not resolved


@pytest.mark.parametrize("in_database", [None, False])
def test_the_median_time_from_request_to_resolution(in_database):
    resolved_set()
    now = timezone.now()

    month = dashboard.resolution_median(
        dashboard.period_start("30", now), now, in_database=in_database
    )
    quarter = dashboard.resolution_median(
        dashboard.period_start("90", now), now, in_database=in_database
    )

    assert month == {"count": 4, "seconds": 3 * DAY}
    assert quarter == {"count": 5, "seconds": 4 * DAY}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="percentile_cont is PostgreSQL's")
def test_postgresql_and_python_give_the_same_median():
    now = timezone.now()
    for seconds in (3600.25, 7 * DAY + 17.5, 2 * DAY + 0.75, 90061.0, 5.0, 400000.125):
        ticket = _ticket(State.RESOLVED, created_days=0)
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=now - timedelta(seconds=seconds, hours=1),
            state_changed_at=now - timedelta(hours=1),
        )
        start = dashboard.period_start("30", now)
        database = dashboard.resolution_median(start, now, in_database=True)
        python = dashboard.resolution_median(start, now, in_database=False)
        assert database == python


def test_the_median_in_python_is_percentile_cont():
    assert dashboard.median_seconds([4.0, 1.0, 3.0]) == 3.0
    assert dashboard.median_seconds([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert dashboard.median_seconds([]) is None


def _delivered(product, quantity: int, *, days_ago: int):
    """An order of `quantity` units of `product` delivered `days_ago` days ago."""
    order = OrderFactory(customer=CustomerFactory())
    at = timezone.now() - timedelta(days=days_ago)
    shipment = ShipmentFactory(order=order, shipped_at=at, delivered_at=at)
    line = OrderLineFactory(order=order, product=product, quantity=quantity)
    ShipmentLine.objects.create(shipment=shipment, line=line, quantity=quantity)
    return line


def defect_set() -> None:
    """Acme: 20 units delivered, 2 defective and 1 dead on arrival (15 %); Bolt: 5
    delivered, a withdrawal and an old defect (0 %)."""
    acme, bolt = VendorFactory(name="Acme"), VendorFactory(name="Bolt")
    router = ProductFactory(sku="R1", name="Router", vendor=acme)
    switch = ProductFactory(sku="S1", name="Switch", vendor=acme)
    camera = ProductFactory(sku="C1", name="Camera", vendor=bolt)
    _ticket(State.REQUESTED, line=_delivered(router, 10, days_ago=10), quantity=2)
    _ticket(
        State.RECEIVED,
        line=_delivered(switch, 10, days_ago=5),
        reason=Reason.DEAD_ON_ARRIVAL,
        created_days=2,
    )
    camera_line = _delivered(camera, 5, days_ago=3)
    _ticket(State.AUTHORIZED, line=camera_line, reason=Reason.WITHDRAWAL)
    old = _delivered(camera, 1, days_ago=200)
    _ticket(State.RESOLVED, line=old, created_days=100)


def test_defect_rates_per_vendor_and_product():
    defect_set()
    now = timezone.now()

    rates = dashboard.defect_rates(dashboard.period_start("30", now), now)

    def table(rows):
        return [(row["name"], row["defective"], row["delivered"], str(row["rate"])) for row in rows]

    assert table(rates["vendors"]) == [("Acme", 3, 20, "15.0"), ("Bolt", 0, 5, "0.0")]
    assert table(rates["products"]) == [("R1 Router", 2, 10, "20.0"), ("S1 Switch", 1, 10, "10.0")]


def _figure_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, {"fresh": "1"})
    assert response.status_code == 200
    return len(captured)


def test_the_dashboard_costs_the_same_queries_for_few_or_many_rows(client, support):
    client.force_login(support)
    client.get(URL)  # the session, the permissions
    _ticket(State.REQUESTED)
    few = _figure_queries(client)

    resolved_set()
    defect_set()
    case_at(vendor("Slowcom"), by=support, days_open=40)
    for state in (State.AUTHORIZED, State.RECEIVED, State.DIAGNOSED):
        _ticket(state, created_days=20, changed_days=9)
    many = _figure_queries(client)

    assert many == few
    assert few <= 20


def test_the_figures_are_kept_a_few_minutes_and_computed_again_on_the_button(client, support):
    client.force_login(support)
    _ticket(State.REQUESTED)
    first = client.get(URL)
    assert first.context["open_total"] == 1

    _ticket(State.REQUESTED)
    with CaptureQueriesContext(connection) as captured:
        cached = client.get(URL)
    assert cached.context["open_total"] == 1  # from the cache
    assert not any("rma_ticket" in query["sql"] for query in captured)

    assert client.get(URL, {"fresh": "1"}).context["open_total"] == 2
    assert client.get(URL).context["open_total"] == 2


def test_the_worker_computes_every_period_ahead_so_no_view_waits(client, support, settings):
    from backoffice.dashboard import CACHE_SECONDS
    from backoffice.tasks import refresh_dashboard

    entry = settings.CELERY_BEAT_SCHEDULE["backoffice-refresh-dashboard"]
    assert entry["task"] == refresh_dashboard.name
    assert entry["schedule"] < CACHE_SECONDS  # computed again before they expire
    client.force_login(support)
    _ticket(State.REQUESTED)
    refresh_dashboard()  # what beat's worker runs

    for period in ("30", "90", "year"):
        with CaptureQueriesContext(connection) as captured:
            page = client.get(URL, {"period": period})
        assert page.context["open_total"] == 1
        assert not any("rma_ticket" in query["sql"] for query in captured)


def test_each_period_has_its_own_figures_and_a_wrong_one_shows_the_default(client, support):
    client.force_login(support)
    resolved_set()

    assert client.get(URL, {"period": "30"}).context["median"] == {"count": 4, "seconds": 3 * DAY}
    assert client.get(URL, {"period": "90"}).context["median"] == {"count": 5, "seconds": 4 * DAY}
    year = client.get(URL, {"period": "year"})
    assert year.context["start"] == datetime(2026, 1, 1, tzinfo=timezone.get_current_timezone())
    wrong = client.get(URL, {"period": "1000'; DROP"})
    assert wrong.status_code == 200
    assert wrong.context["period"] == "30"


@pytest.mark.parametrize("role", ["support", "warehouse", "accountant", "admin"])
def test_every_staff_role_sees_the_dashboard_linked_from_the_admin(client, request, role):
    client.force_login(request.getfixturevalue(role))
    resolved_set()
    defect_set()

    index = client.get(reverse("admin:index"))
    assert f'href="{URL}"' in index.text

    response = client.get(URL)
    assert response.status_code == 200
    page = response.text
    assert "<h1>Dashboard</h1>" in page
    assert page.count('role="img"') == 4  # each chart, with its title and numbers
    assert (
        "Open tickets by age: 0–2 days 3; 3–7 days 0; 8–14 days 0; 15–30 days 0; "
        "more than 30 days 1"
    ) in page
    assert "Acme 15.0 %" in page
    assert "3 days" in page  # the median of the last 30 days
    assert '<td class="num">15.0 %</td>' in page


def test_customers_get_the_admin_login_and_staff_without_a_role_are_refused(client, anna):
    client.force_login(anna.user)
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))

    client.force_login(UserFactory(email="intern@webstore4.example", is_staff=True))
    assert client.get(URL).status_code == 403
