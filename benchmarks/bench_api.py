"""Measure the rules API against a bare Django view, request by request.

Run `python benchmarks/bench_api.py [--requests 500] [--lines 8]`. It (re)creates its own
PostgreSQL database (`retour_bench_api`, never the tests' or the shop's), migrates it,
issues a staff member's API token and imports a realistic order: `--lines` lines of
several vendors' products, three shipments two days apart, two
payments and a discount. Then, with Django's test client in this process (the whole
middleware stack, no network), it times:

- a bare view: a function answering `ok`, behind the same middleware, for the floor;
- `GET /api/v1/orders/{n}/returnability` with the token;
- `POST /api/v1/refund-quotes` with the token, for a withdrawal of two lines.

With `--http` the three are timed again over HTTP, served by gunicorn with two sync
workers (`bench_wsgi.py`), a new connection per request as a sync worker closes each: the
setting in which issue 19 measured the API at 40× a bare view. There the floor includes
what every real request pays (the connection, gunicorn, parsing), which the test client
leaves out.

Each is printed as p50/p90 milliseconds over `--requests` requests (after a warm-up; the
three are asked in turns, so that a busy machine weighs on all alike), its ratio to the
bare view's p50, the p50 of this process's CPU time and its ratio (steadier than the wall
clock when other work shares the machine), and the SQL queries of one request. The goal of issue 19
is an API request within 10× the bare view.

The cache is the shop's: Redis at REDIS_URL (default redis://127.0.0.1:6379/0), so the
rate limit's round trips count as they do in production; the limit itself is raised so
that the run is not refused. `--profile` prints a profile of each endpoint (pyinstrument's,
or cProfile's when pyinstrument is not installed).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory and slows every request
BENCH_URL = "postgres://postgres@127.0.0.1:5432/retour_bench_api"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="timed requests per figure")
    parser.add_argument("--lines", type=int, default=8, help="lines of the order")
    parser.add_argument("--database-url", default=BENCH_URL)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="the cache; '' for the embedded local-memory cache",
    )
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    parser.add_argument(
        "--http",
        action="store_true",
        help="also over HTTP, under gunicorn with two sync workers (as issue 19 measured)",
    )
    return parser.parse_args()


ARGS = _arguments()
os.environ["DATABASE_URL"] = ARGS.database_url
if ARGS.redis_url:
    os.environ["REDIS_URL"] = ARGS.redis_url
else:
    os.environ.pop("REDIS_URL", None)


from scratch import recreate_database  # noqa: E402 - benchmarks/, after the path is set

recreate_database(ARGS.database_url)

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402
from decimal import Decimal  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from accounts.models import ApiToken, User  # noqa: E402
from orders.models import (  # noqa: E402
    Customer,
    Discount,
    Order,
    OrderLine,
    Payment,
    Product,
    Shipment,
    ShipmentLine,
    Vendor,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ON = "2026-10-10"  # a week after the last delivery: within the cooling-off period


def _setup(lines: int) -> tuple[str, str]:
    """Migrate, issue a support member's token and import one order; (key, order number)."""
    call_command("migrate", verbosity=0)
    email = "sam@bench.example"
    user = User.objects.create(username=email, email=email, is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    _token, key = ApiToken.issue(user=user, name="bench")

    customer = Customer.objects.create(
        email="bench@example.nl", name="Bench", type="consumer", language="nl", country="NL"
    )
    order = Order.objects.create(
        number="WS-BENCH-1",
        customer=customer,
        placed_at=dt.datetime(2026, 9, 28, 10, 15, tzinfo=AMSTERDAM),
        invoiced_on=dt.date(2026, 9, 28),
        shipping_method="express",
        shipping_price=Decimal("12.95"),
        standard_shipping_price=Decimal("6.95"),
    )
    vendors = [Vendor.objects.create(name=f"Vendor {n}", doa_days=14) for n in range(3)]
    order_lines = []
    for n in range(1, lines + 1):
        product = Product.objects.create(
            sku=f"BENCH-{n:03d}",
            name=f"Product {n}",
            vendor=vendors[n % len(vendors)],
            price=Decimal("100.00"),
            has_login=n % 2 == 0,
            sealed_software=n % 5 == 0,
        )
        quantity = 1 + n % 3
        order_lines.append(
            OrderLine.objects.create(
                order=order,
                line_id=str(n),
                product=product,
                name=product.name,
                quantity=quantity,
                unit_price=Decimal("100.00") + n,
                vat_rate=Decimal("21"),
                serials=[f"SN{n:03d}-{u}" for u in range(quantity)],
                delivered_quantity=quantity,
            )
        )
    # Three parcels, two days apart: the lines shared out over them.
    shipments = [
        Shipment.objects.create(
            order=order,
            shipped_at=dt.datetime(2026, 9, 29, 9, 0, tzinfo=AMSTERDAM) + dt.timedelta(days=2 * s),
            delivered_at=dt.datetime(2026, 9, 30, 14, 0, tzinfo=AMSTERDAM)
            + dt.timedelta(days=2 * s),
            carrier="PostNL",
            tracking=f"3SBENCH{s}",
        )
        for s in range(3)
    ]
    for n, line in enumerate(order_lines):
        ShipmentLine.objects.create(
            shipment=shipments[n % len(shipments)], line=line, quantity=line.quantity
        )
    goods = sum(line.quantity * line.unit_price for line in order_lines)
    Discount.objects.create(order=order, code="5PCT-OVER-1000", amount=Decimal("25.00"))
    Payment.objects.create(order=order, method="giftcard", amount=Decimal("50.00"))
    Payment.objects.create(
        order=order, method="ideal", amount=goods + Decimal("12.95") - Decimal("75.00")
    )
    return key, order.number


def _measure(
    endpoints: dict[str, Callable[[], object]], count: int
) -> dict[str, tuple[list[float], list[float]]]:
    """Milliseconds of `count` requests to each endpoint, wall clock and this process's CPU,
    taken in turns (bare view, then each endpoint, and again), so that whatever else the
    machine does weighs on all alike. The CPU time leaves out the waits for PostgreSQL and
    Redis: on a busy machine it is the steadier figure of this process's own work."""
    for send in endpoints.values():
        for _ in range(max(20, count // 10)):  # warm-up: imports, caches, connection
            send()
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in endpoints}
    for _ in range(count):
        for name, send in endpoints.items():
            wall, cpu = time.perf_counter(), time.process_time()
            send()
            times[name][0].append((time.perf_counter() - wall) * 1000)
            times[name][1].append((time.process_time() - cpu) * 1000)
    return times


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def _queries(send: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as queries:
        send()
    return len(queries.captured_queries)


def _profile(name: str, send: Callable[[], object]) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:  # the standard library's profiler, sorted by own time
        import cProfile
        import pstats

        with cProfile.Profile() as cprofile:
            for _ in range(200):
                send()
        print(f"--- {name}")
        stats = pstats.Stats(cprofile, stream=sys.stdout).strip_dirs()
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(60)
        return
    profiler = Profiler(interval=0.0001)
    with profiler:
        for _ in range(200):
            send()
    print(f"--- {name}")
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def main() -> None:
    key, number = _setup(ARGS.lines)
    client = Client(headers={"authorization": f"Bearer {key}"})
    quote_body = json.dumps(
        {
            "order": number,
            "lines": [{"line": "1", "quantity": 1}, {"line": "2", "quantity": 2}],
            "reason": "withdrawal",
            "on": ON,
        }
    )

    def expect(response, status: int = 200):
        if response.status_code != status:
            raise SystemExit(f"{response.status_code}: {response.content[:300]!r}")
        return response

    endpoints = {
        "bare view": lambda: expect(client.get("/bench/bare")),
        "returnability": lambda: expect(
            client.get(f"/api/v1/orders/{number}/returnability?on={ON}")
        ),
        "refund quote": lambda: expect(
            client.post("/api/v1/refund-quotes", quote_body, content_type="application/json")
        ),
    }
    print(
        f"{ARGS.requests} requests each; order of {ARGS.lines} lines, 3 shipments, 2 payments;"
        f" cache: {'Redis' if ARGS.redis_url else 'local memory'}"
    )
    _table(endpoints, cpu=True)
    if ARGS.http:
        with _gunicorn() as port:
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            print(f"\nover HTTP: gunicorn, 2 sync workers, 127.0.0.1:{port}")
            _table(
                {
                    "bare view": lambda: _http(port, "GET", "/bench/bare", headers),
                    "returnability": lambda: _http(
                        port, "GET", f"/api/v1/orders/{number}/returnability?on={ON}", headers
                    ),
                    "refund quote": lambda: _http(
                        port, "POST", "/api/v1/refund-quotes", headers, quote_body
                    ),
                },
                cpu=False,
            )
    if ARGS.profile:
        for name, send in endpoints.items():
            _profile(name, send)


def _table(endpoints: dict[str, Callable[[], object]], *, cpu: bool) -> None:
    """Time the endpoints in turns and print each beside the bare view; with `cpu`, also
    this process's CPU time and the queries of one request (in this process only)."""
    head = f"{'':16}{'p50 ms':>9}{'p90 ms':>9}{'× bare':>9}"
    print(head + (f"{'cpu ms':>9}{'× bare':>9}{'queries':>9}" if cpu else ""))
    times = _measure(endpoints, ARGS.requests)
    floor = statistics.median(times["bare view"][0])
    cpu_floor = statistics.median(times["bare view"][1])
    for name, send in endpoints.items():
        wall, cpus = times[name]
        p50, p90, cpu50 = statistics.median(wall), _p90(wall), statistics.median(cpus)
        line = f"{name:16}{p50:9.2f}{p90:9.2f}{p50 / floor:9.1f}"
        if cpu:
            line += f"{cpu50:9.2f}{cpu50 / cpu_floor:9.1f}{_queries(send):9d}"
        print(line)


@contextlib.contextmanager
def _gunicorn():
    """gunicorn serving `bench_wsgi` on a free port, with two sync workers, until the end."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    here = Path(__file__).resolve().parent
    env = {**os.environ, "DEBUG": "0", "PYTHONPATH": f"{here.parent}:{here}"}
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, no shell
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "bench_wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--worker-class=sync",
            "--log-level=warning",
        ],
        env=env,
        cwd=here.parent,
    )
    try:
        for _ in range(100):  # until it answers
            try:
                _http(port, "GET", "/bench/bare", {})
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def _http(port: int, method: str, url: str, headers: dict, body: str | None = None) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, url, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise SystemExit(f"{method} {url}: {response.status}: {content[:300]!r}")
    return content


if __name__ == "__main__":
    # Raise the rate limit: this run sends thousands of requests a minute with one token.
    with override_settings(ROOT_URLCONF="bench_urls", API_TOKEN_RATE_LIMIT=10**9):
        main()
