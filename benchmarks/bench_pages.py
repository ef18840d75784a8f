"""Measure the back office's pages and the API as the data grows from small to a shop's size.

Run `python benchmarks/bench_pages.py [--sizes 10000,1000000] [--requests 30]`. For each
size it (re)creates a PostgreSQL database of its own (`retour_bench_pages_10000`, …, never
the tests' or the shop's), migrates it, loads the demo (its staff logins) and fills it
with `manage.py bench_data` (that many tickets on 0.3 × as many orders, with everything
that comes with them). Then it times, with Django's test client in this process (the
whole middleware stack, no network), logged in as the demo's support member (the admin
where support may not see the page):

- a bare view behind the same middleware (`bench_urls` adds it): the floor;
- the ticket list: its default view (the triage queue, "needs a person"), all tickets, with
  each filter (state, reason, policy, creation date, vendor, route, assignee, overdue: any
  and each stage) and searching for an RMA number, an order number, an e-mail address, a
  serial, a tracking number, a customer's surname and a product's name; a ticket's page;
- the order list, searching by number, e-mail and name; an order's page;
- the customer list and its search; the vendor case list and each of its filters; the
  e-mail outbox; the store-credit ledger;
- the API: `GET /api/v1/orders/{n}/returnability`, `POST /api/v1/refund-quotes`;
- the warehouse's scan round trip: an authorized ticket's number POSTed to the scan
  station (the parcel received) and the station it leads back to.

Each page is timed at every size in turn, request by request (small, large, small, …),
so that a machine that slows down for a minute slows every size alike: the growth is
the data's, not the hour's. Each is timed `--requests` times per size after 3 warm-up
requests (fewer when a page is so slow that they would take longer than `--budget`
seconds: the table says how many), and printed as p50 and p95 in milliseconds, the SQL
queries of one request and the ratio of its p50 to the bare view's. Then, per page, its
p50 at the largest size over its p50 at the smallest: the goal of issue 19 is at most
1.5× and a p50 under 60 ms at every size. Beside it, the rows each list showed at both
sizes: a filter that matches a handful of tickets at the small size fills its page of 50
at the large one, and rendering rows costs (about 0.2 ms a row). So a list that shows
fewer rows at the small size is also timed, in the same turns, at the large size with
its page cut to that many rows (the admin's `list_per_page`): its growth at equal rows
is the data's alone. A smaller page is a smaller LIMIT, which PostgreSQL may plan
otherwise (a search's few hundred keys read along the sort's index rather than sorted):
that too shows there. The warehouse's scan changes what it scans, so it is timed one
size after the other.

The cache is the shop's: Redis at --redis-url (the API's rate limit counts in it, raised
for this run); tasks go nowhere (no broker): e-mails queued by the demo stay in the outbox.
`--keep` leaves the databases for a look afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory and slows every request
BENCH_URL = "postgres://postgres@127.0.0.1:5432/retour_bench_pages"
GOAL_P50_MS = 60
GOAL_GROWTH = 1.5


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10000,1000000", help="tickets per step, comma-separated"
    )
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument(
        "--budget", type=float, default=20.0, help="seconds a page may take (fewer requests)"
    )
    parser.add_argument(
        "--database-url", default=BENCH_URL, help="each size's database: this name + _<size>"
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="the cache; '' for the embedded local-memory cache",
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the databases at the end")
    parser.add_argument("--only", default="", help="measure only pages whose name contains this")
    args = parser.parse_args()
    args.sizes = sorted(int(size.replace("_", "")) for size in args.sizes.split(","))
    return args


ARGS = _arguments()
DATABASE_URLS = {size: f"{ARGS.database_url}_{size}" for size in ARGS.sizes}
os.environ["DATABASE_URL"] = DATABASE_URLS[ARGS.sizes[0]]
# No broker: what the demo and bench queue stays in the outbox, and no worker of anyone
# else's picks it up. The cache is set to Redis below, for the measured requests.
os.environ.pop("REDIS_URL", None)
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"


from scratch import recreate_database  # noqa: E402 - benchmarks/, after the path is set

for _url in DATABASE_URLS.values():
    recreate_database(_url)

import dj_database_url  # noqa: E402
import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402

from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, reset_queries  # noqa: E402
from django.db.models import F  # noqa: E402
from django.db.utils import load_backend  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import resolve  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import ApiToken, User  # noqa: E402
from backoffice.admin_filters import ANY  # noqa: E402
from demo.data import ADMIN, STAFF, seed_demo  # noqa: E402
from orders.models import Customer, Order, Shipment, Vendor  # noqa: E402
from policies.models import ReturnPolicy  # noqa: E402
from rma.models import Ticket  # noqa: E402
from rma.selectors import SEVERITY  # noqa: E402
from vendors.models import VendorCase  # noqa: E402


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    body: dict | None = None  # a JSON POST
    api: bool = False


@dataclass
class Figure:
    p50: float
    p95: float
    queries: int
    requests: int
    who: str
    error: str = ""
    rows: int | None = None  # the rows a list shows (a full page costs more to render)
    # The largest size's p50 with its list cut to the rows the smallest size showed.
    p50_equal_rows: float | None = None


@dataclass
class Samples:
    """Real values from the bench data to search for and open, near the middle of it."""

    ticket: Ticket
    serial: str
    surname: str
    product: str
    order: Order
    customer: Customer
    on: dt.date
    quote: dict = field(default_factory=dict)


def _samples() -> Samples:
    middle = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() // 2
    bench = Ticket.objects.filter(order__number__startswith="WS-B", pk__gte=middle)
    cased = VendorCase.objects.filter(ticket_line__ticket__pk__gte=middle).order_by("pk").first()
    ticket = (
        Ticket.objects.get(pk=cased.ticket_line.ticket_id)
        if cased and cased.ticket_line.ticket.tracking_number
        else bench.exclude(tracking_number="").order_by("pk").first()
    )
    line = ticket.lines.select_related("order_line__product").order_by("pk").first()
    customer = ticket.order.customer
    order = (
        Order.objects.filter(
            number__startswith="WS-B",
            customer__type="consumer",
            shipments__delivered_at__isnull=False,
            lines__delivered_quantity__gt=F("lines__held_quantity"),  # one left to quote
            pk__gte=ticket.order_id,
        )
        .order_by("pk")
        .first()
    )
    delivered = Shipment.objects.filter(order=order).values_list("delivered_at", flat=True)[0]
    return Samples(
        ticket=ticket,
        serial=(line.serials or line.order_line.serials or [""])[0],
        surname=customer.name.split(" ", 1)[1],
        product=line.order_line.product.name,
        order=order,
        customer=customer,
        on=timezone.localdate(delivered) + dt.timedelta(days=3),
    )


def _pages(samples: Samples) -> list[Page]:
    ticket, order, customer = samples.ticket, samples.order, samples.customer
    tickets = "/admin/rma/ticket/"
    today = timezone.localdate()
    month = today.replace(day=1)
    year = today.replace(month=1, day=1)
    next_month = (month + dt.timedelta(days=32)).replace(day=1)

    def created(since: dt.date, until: dt.date) -> str:
        """The links of the admin's date filter (DateFieldListFilter): local midnights."""
        first, last = (
            str(timezone.make_aware(dt.datetime.combine(day, dt.time()))) for day in (since, until)
        )
        return f"created_at__gte={_q(first)}&created_at__lt={_q(last)}"

    policy = ReturnPolicy.default().pk
    vendor = Vendor.objects.get(name="Hikvision").pk
    pages = [
        Page("bare view", "/bench/bare"),
        Page("tickets", tickets),
        Page("tickets state=authorized", f"{tickets}?state__exact=authorized"),
        Page("tickets state=resolved", f"{tickets}?state__exact=resolved"),
        Page("tickets reason=withdrawal", f"{tickets}?reason__exact=withdrawal"),
        Page("tickets policy=default", f"{tickets}?policy__id__exact={policy}"),
        Page(
            "tickets created past 7 days",
            f"{tickets}?{created(today - dt.timedelta(days=7), today + dt.timedelta(days=1))}",
        ),
        Page("tickets created this month", f"{tickets}?{created(month, next_month)}"),
        Page(
            "tickets created this year",
            f"{tickets}?{created(year, year.replace(year=year.year + 1))}",
        ),
        Page(f"tickets overdue={ANY}", f"{tickets}?overdue={ANY}"),
        *(Page(f"tickets overdue={stage}", f"{tickets}?overdue={stage}") for stage in SEVERITY),
        # The triage queue (issue 16): "tickets" above is its default view.
        Page("tickets queue=all", f"{tickets}?queue=all"),
        Page("tickets vendor=Hikvision", f"{tickets}?vendor={vendor}"),
        Page("tickets route=vendor_direct", f"{tickets}?route__exact=vendor_direct"),
        Page("tickets assignee=nobody", f"{tickets}?assignee=nobody"),
        Page("tickets assignee=me", f"{tickets}?assignee=me"),
        Page("tickets queue search surname", f"{tickets}?queue=needs&q={_q(samples.surname)}"),
        Page("tickets search RMA number", f"{tickets}?q={_q(ticket.number)}"),
        Page("tickets search order number", f"{tickets}?q={_q(ticket.order.number)}"),
        Page("tickets search e-mail", f"{tickets}?q={_q(customer.email)}"),
        Page("tickets search serial", f"{tickets}?q={_q(samples.serial)}"),
        Page("tickets search tracking", f"{tickets}?q={_q(ticket.tracking_number)}"),
        Page("tickets search surname", f"{tickets}?q={_q(samples.surname)}"),
        Page("tickets search product name", f"{tickets}?q={_q(samples.product)}"),
        Page("ticket page", f"{tickets}{ticket.pk}/change/"),
        Page("orders", "/admin/orders/order/"),
        Page("orders search number", f"/admin/orders/order/?q={_q(order.number)}"),
        Page("orders search e-mail", f"/admin/orders/order/?q={_q(customer.email)}"),
        Page("orders search name", f"/admin/orders/order/?q={_q(customer.name)}"),
        Page("order page", f"/admin/orders/order/{order.pk}/change/"),
        Page("customers", "/admin/orders/customer/"),
        Page("customers search surname", f"/admin/orders/customer/?q={_q(samples.surname)}"),
        Page("customers search e-mail", f"/admin/orders/customer/?q={_q(customer.email)}"),
        Page("vendor cases", "/admin/vendors/vendorcase/"),
        Page("vendor cases overdue=yes", "/admin/vendors/vendorcase/?overdue=yes"),
        Page("vendor cases state=at_vendor", "/admin/vendors/vendorcase/?state__exact=at_vendor"),
        Page(
            "vendor cases route=vendor_direct",
            "/admin/vendors/vendorcase/?route__exact=vendor_direct",
        ),
        Page(
            "vendor cases vendor=Hikvision",
            f"/admin/vendors/vendorcase/?vendor__id__exact={vendor}",
        ),
        Page("e-mails", "/admin/notifications/email/"),
        # The dashboard (issue 16 §7): as staff see it (cached a few minutes per period),
        # and computed afresh on every request (its button), over 30 days and this year.
        Page("dashboard", "/admin/dashboard/"),
        Page("dashboard computed afresh", "/admin/dashboard/?fresh=1"),
        Page("dashboard this year afresh", "/admin/dashboard/?period=year&fresh=1"),
        Page("store credit", "/admin/refunds/storecreditentry/"),
        Page(
            "API returnability",
            f"/api/v1/orders/{_q(order.number)}/returnability?on={samples.on.isoformat()}",
            api=True,
        ),
        Page("API refund quote", "/api/v1/refund-quotes", body=samples.quote, api=True),
    ]
    return [page for page in pages if ARGS.only in page.name or page.name == "bare view"]


def _q(text: str) -> str:
    return quote_plus(text)


class Clients:
    """Who asks: support first, the admin where support may not see a page; the API with
    a support member's token."""

    def __init__(self) -> None:
        support = User.objects.get(email=STAFF[0][0])
        self.support = Client()
        self.support.force_login(support)
        self.admin = Client()
        self.admin.force_login(User.objects.get(email=ADMIN))
        _token, key = ApiToken.issue(user=support, name="bench_pages")
        self.api = Client(headers={"authorization": f"Bearer {key}"})

    def sender(self, page: Page) -> tuple[str, Callable[[], object]]:
        if page.api:
            client, who = self.api, "support token"
        else:
            client, who = self.support, "support"
            if self._refused(client.get(page.url)):
                client, who = self.admin, "admin"

        def send(client=client):
            if page.body is not None:
                response = client.post(
                    page.url, json.dumps(page.body), content_type="application/json"
                )
            else:
                response = client.get(page.url)
            if response.status_code != 200:
                raise PageFailed(
                    f"{page.name}: {page.url} answered {response.status_code} "
                    f"{response.get('Location', '')} {response.content[:300]!r}"
                )
            return response

        return who, send

    @staticmethod
    def _refused(response) -> bool:
        return response.status_code == 403 or (
            response.status_code == 302 and "/login/" in response.get("Location", "")
        )


def _quote_body(samples: Samples, api: Client) -> dict:
    """A refund quote the API answers for the sample order (a withdrawal when it may be)."""
    line = samples.order.lines.filter(delivered_quantity__gt=F("held_quantity")).first()
    for reason in ("withdrawal", "order_error", "defective", "dead_on_arrival"):
        body = {
            "order": samples.order.number,
            "lines": [{"line": line.line_id, "quantity": 1}],
            "reason": reason,
            "on": samples.on.isoformat(),
        }
        response = api.post(
            "/api/v1/refund-quotes", json.dumps(body), content_type="application/json"
        )
        if response.status_code == 200:
            return body
    return body  # answered with an error: the page shows it


class Shop:
    """One size's database: its connection, its cache keys, its logins and its pages."""

    def __init__(self, size: int) -> None:
        self.size = size
        name = dj_database_url.parse(DATABASE_URLS[size])["NAME"]
        settings = {**connections.settings["default"], "NAME": name}
        backend = load_backend(settings["ENGINE"])
        self.connection = backend.DatabaseWrapper(settings, "default")
        self.clients: Clients | None = None
        self.pages: dict[str, Page] = {}

    def use(self) -> None:
        """Requests from now on read this size's database and keep their cache apart."""
        connections["default"] = self.connection
        caches["default"].key_prefix = f"retour-bench-pages-{self.size}"


def _measure(name: str, shops: list[Shop]) -> dict[int, Figure]:
    """Warm the page up at each size (fewer requests when slow) and count the queries of
    its last warm-up request; then time it at each size in turn, as many rounds as the
    budget allows (3 to --requests)."""
    senders, queries, rows, each = {}, {}, {}, 0.0
    for shop in shops:
        shop.use()
        who, send = shop.clients.sender(shop.pages[name])
        started = time.perf_counter()
        warmups = 0
        while warmups < max(1, ARGS.warmup):
            with CaptureQueriesContext(connection) as captured:
                response = send()
            # Now: the next request's start empties the log (django.db.reset_queries).
            queries[shop.size] = len(captured.captured_queries)
            warmups += 1
            if time.perf_counter() - started > ARGS.budget / 4:
                break
        each += (time.perf_counter() - started) / warmups
        senders[shop.size] = (who, send)
        rows[shop.size] = _rows(response)
    small, large = shops[0], shops[-1]
    turns = [(shop, shop.size, senders[shop.size][1]) for shop in shops]
    if rows[small.size] and rows[large.size] and rows[small.size] < rows[large.size]:
        large.use()
        cut = _cut(large.pages[name], senders[large.size][1], rows[small.size])
        if _rows(cut()) != rows[small.size]:
            raise PageFailed(f"{name}: its page could not be cut to {rows[small.size]} rows")
        turns.append((large, EQUAL_ROWS, cut))
    count = max(3, min(ARGS.requests, int(ARGS.budget * len(turns) / max(each, 1e-6))))
    times: dict[int, list[float]] = {turn: [] for _shop, turn, _send in turns}
    for _ in range(count):
        for shop, turn, send in turns:
            shop.use()
            started = time.perf_counter()
            send()
            times[turn].append((time.perf_counter() - started) * 1000)
    equal = times.pop(EQUAL_ROWS, None)
    return {
        size: Figure(
            p50=statistics.median(taken),
            p95=statistics.quantiles(taken, n=20, method="inclusive")[-1],
            queries=queries[size],
            requests=count,
            who=senders[size][0],
            rows=rows[size],
            p50_equal_rows=statistics.median(equal) if equal and size == large.size else None,
        )
        for size, taken in times.items()
    }


EQUAL_ROWS = -1  # the turn of the largest size with its page cut to the smallest's rows


def _cut(page: Page, send: Callable[[], object], rows: int) -> Callable[[], object]:
    """`send`, with the list's admin showing `rows` rows a page while it answers."""
    model_admin = resolve(urlsplit(page.url).path).func.model_admin

    def cut_send():
        per_page = model_admin.list_per_page
        model_admin.list_per_page = rows
        try:
            return send()
        finally:
            model_admin.list_per_page = per_page

    return cut_send


def _rows(response) -> int | None:
    """The rows of the list a page shows (its `result_list` table), None if no list."""
    page = response.content.decode(errors="replace")
    _before, found, table = page.partition('id="result_list"')
    if found:  # the rows of its body, not the header's
        return table.partition("<tbody>")[2].split("</tbody>")[0].count("<tr")
    return 0 if 'id="changelist"' in page else None  # an empty list has no table


class PageFailed(Exception):
    pass


def _measure_scan() -> Figure:
    """The warehouse's scan round trip (issue 16): the RMA number of another authorized
    ticket each time, POSTed to the scan station (the parcel received: the state, its
    units, the scan row), then the station the 303 leads back to."""
    warehouse = Client()
    warehouse.force_login(User.objects.get(email=STAFF[1][0]))
    station = "/admin/rma/ticket/scan/"
    numbers = list(
        Ticket.objects.filter(state="authorized", order__number__startswith="WS-B")
        .order_by("-pk")
        .values_list("number", flat=True)[: ARGS.warmup + ARGS.requests]
    )
    times, queries = [], 0
    for n, number in enumerate(numbers):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            scanned = warehouse.post(station, {"scanned": number, "parcel_condition": "intact"})
            warehouse.get(station)
            elapsed = (time.perf_counter() - started) * 1000
        if scanned.status_code != 303:
            raise PageFailed(f"scan of {number} answered {scanned.status_code}")
        if n < ARGS.warmup:
            queries = len(captured)
        else:
            times.append(elapsed)
    return Figure(
        p50=statistics.median(times),
        p95=statistics.quantiles(times, n=20, method="inclusive")[-1],
        queries=queries,
        requests=len(times),
        who="warehouse",
    )


def _fill(shop: Shop) -> float:
    """Migrate the size's database, load the demo and generate the bench data: its time."""
    shop.use()
    orders = max(1, round(shop.size * 0.3))
    print(f"\n== {shop.size:,} tickets on {orders:,} orders", flush=True)
    call_command("migrate", verbosity=0)
    seed_demo(timezone.localdate())
    started = time.perf_counter()
    call_command("bench_data", tickets=shop.size, orders=orders, replace=True)
    seconds = time.perf_counter() - started
    print(f"   generated in {seconds:.0f} s", flush=True)
    shop.connection.close()  # a fresh connection, as a web worker would have
    return seconds


def _print_size(size: int, figures: dict[str, Figure]) -> None:
    floor = figures["bare view"].p50
    print(f"\n{size:,} tickets{'':26}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'× bare':>9}  n   as")
    for name, figure in figures.items():
        if figure.error:
            print(f"{name:42}  failed: {figure.error}")
            continue
        print(
            f"{name:42}{figure.p50:9.1f}{figure.p95:9.1f}{figure.queries:9d}"
            f"{figure.p50 / floor:9.1f}{figure.requests:4d}   {figure.who}"
        )


def _print_growth(results: dict[int, dict[str, Figure]]) -> None:
    small, large = min(results), max(results)
    print(
        f"\nGrowth {small:,} → {large:,} tickets (goal: ≤ {GOAL_GROWTH}× and p50 < "
        f"{GOAL_P50_MS} ms)"
    )
    print(
        "A list showing fewer rows at the small size: its large p50 with as many rows, "
        "and that growth ('at equal rows'); 'rows' where only the extra rows miss the goal."
    )
    print(
        f"{'page':42}{'p50 small':>10}{'p50 large':>10}{'growth':>8}  goal    "
        f"{'rows shown':>12}{'at equal rows':>22}"
    )
    for name, figure in results[large].items():
        before = results[small][name].p50
        if figure.error or not before:
            print(f"{name:42}  failed at a size")
            continue
        growth = figure.p50 / before
        goal = "ok" if growth <= GOAL_GROWTH and figure.p50 < GOAL_P50_MS else "MISSED"
        rows = results[small][name].rows, figure.rows
        shown = f"{rows[0]} / {rows[1]}" if None not in rows else ""
        equal = ""
        if figure.p50_equal_rows is not None:
            equal_growth = figure.p50_equal_rows / before
            equal = f"{figure.p50_equal_rows:.1f} ms {equal_growth:.2f}×"
            if goal == "MISSED" and equal_growth <= GOAL_GROWTH and figure.p50 < GOAL_P50_MS:
                goal = "rows"
        print(
            f"{name:42}{before:10.1f}{figure.p50:10.1f}{growth:7.2f}×  {goal:6}  "
            f"{shown:>12}{equal:>22}"
        )


def main() -> None:
    shops = [Shop(size) for size in ARGS.sizes]
    fill_seconds = {shop.size: _fill(shop) for shop in shops}
    cache = (
        {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": ARGS.redis_url,
            }
        }
        if ARGS.redis_url
        else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    )
    results: dict[int, dict[str, Figure]] = {shop.size: {} for shop in shops}
    with override_settings(ROOT_URLCONF="bench_urls", API_TOKEN_RATE_LIMIT=10**9, CACHES=cache):
        for shop in shops:
            shop.use()
            shop.clients = Clients()
            samples = _samples()
            samples.quote = _quote_body(samples, shop.clients.api)
            shop.pages = {page.name: page for page in _pages(samples)}
        sizes = " / ".join(f"{size:,}" for size in ARGS.sizes)
        print(f"\np50 in ms at {sizes} tickets, measured in turn", flush=True)
        for name in shops[0].pages:
            try:
                figures = _measure(name, shops)
            except PageFailed as failure:  # an admin being changed right now: go on
                for shop in shops:
                    results[shop.size][name] = Figure(0, 0, 0, 0, "", error=str(failure)[:200])
                print(f"   {name:42} FAILED {failure}", flush=True)
                continue
            for size, figure in figures.items():
                results[size][name] = figure
            shown = " / ".join(f"{figure.p50:.1f}" for figure in figures.values())
            print(f"   {name:42}{shown:>16}  {figure.requests}×", flush=True)
        if not ARGS.only or ARGS.only in "scan":
            for shop in shops:  # the scan changes what it scans: one size after the other
                shop.use()
                try:
                    results[shop.size]["scan: receive a parcel"] = _measure_scan()
                except PageFailed as failure:
                    results[shop.size]["scan: receive a parcel"] = Figure(
                        0, 0, 0, 0, "", str(failure)
                    )
    for size, figures in results.items():
        _print_size(size, figures)
    if len(results) > 1:
        _print_growth(results)
    print("\nGenerated: " + ", ".join(f"{size:,} in {s:.0f} s" for size, s in fill_seconds.items()))


if __name__ == "__main__":
    try:
        main()
    finally:
        connections.close_all()
        for url in DATABASE_URLS.values():
            if ARGS.keep:
                print(f"Kept the database: {url}")
            else:
                recreate_database(url, drop_only=True)
