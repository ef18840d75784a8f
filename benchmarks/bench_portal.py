"""Measure the customer portal's own pages as the shop grows, beside a bare Django view.

Run `python benchmarks/bench_portal.py [--sizes 10000,1000000] [--requests 50]` (`make
bench` does). It (re)creates its own PostgreSQL database (`retour_bench_portal`, never the
tests' or the shop's), migrates it and loads the demo. For each size, smallest first, it
fills the database with `manage.py bench_data --replace` (that many tickets on 0.3 × as
many orders), gives the customer with the most tickets an account, and times through the
whole middleware stack (Django's test client in this process, no network), logged in as
that customer:

- a bare view behind the same middleware (`bench_urls` adds it): the floor;
- "My orders and returns" (`/my/`), its second page of orders, and the demo's Anna's;
- that customer's ticket page with the most history (`/my/returns/<number>/`).

Each page: p50 and p95 in milliseconds, the SQL queries of one request, its p50 over the
bare view's; then each page's p50 at the largest size over the smallest. The goal (issue
15) is the same figure at a million tickets as at ten thousand: a customer's pages read
that customer's rows through indexes, whatever the rest of the shop holds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory
os.environ.pop("REDIS_URL", None)  # no broker: e-mails stay in the outbox
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
BENCH_URL = "postgres://postgres@127.0.0.1:5432/retour_bench_portal"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000", help="tickets per step")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--database-url", default=BENCH_URL)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    args.sizes = sorted(int(size.replace("_", "")) for size in args.sizes.split(","))
    return args


ARGS = _arguments()
os.environ["DATABASE_URL"] = ARGS.database_url

from scratch import recreate_database  # noqa: E402 - benchmarks/, after the path is set

recreate_database(ARGS.database_url)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, reset_queries  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from demo.data import seed_demo  # noqa: E402
from orders.models import Customer  # noqa: E402
from rma.models import Ticket  # noqa: E402


def _busiest_customer() -> tuple[Customer, Ticket]:
    """The bench customer with the most tickets, given an account, and their ticket with
    the longest history."""
    top = (
        Ticket.objects.filter(order__number__startswith="WS-B")
        .values("order__customer")
        .annotate(tickets=Count("id"))
        .order_by("-tickets")
        .first()
    )
    customer = Customer.objects.get(pk=top["order__customer"])
    if customer.user_id is None:
        customer.user = User.objects.create_user(
            username=customer.email, email=customer.email, password=None
        )
        customer.save(update_fields=["user"])
    ticket = (
        Ticket.objects.filter(order__customer=customer)
        .annotate(history=Count("events"))
        .order_by("-history", "pk")
        .first()
    )
    return customer, ticket


def _measure(client: Client, url: str) -> tuple[float, float, int]:
    for _ in range(3):  # warm up, and count the queries of the last one
        reset_queries()  # else the request's own reset hides its queries from the count
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        queries = len(captured)  # now: the list is read from the connection's log
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    times = []
    for _ in range(ARGS.requests):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(times, n=20, method="inclusive")[-1]
    return statistics.median(times), p95, queries


def main() -> None:
    call_command("migrate", verbosity=0)
    seed_demo(timezone.localdate())
    results: dict[int, dict[str, tuple[float, float, int]]] = {}
    for size in ARGS.sizes:
        orders = max(1, round(size * 0.3))
        print(f"\n== {size:,} tickets on {orders:,} orders", flush=True)
        started = time.perf_counter()
        call_command("bench_data", tickets=size, orders=orders, replace=True)
        print(f"   generated in {time.perf_counter() - started:.0f} s", flush=True)
        connections.close_all()
        customer, ticket = _busiest_customer()
        counts = (customer.orders.count(), Ticket.objects.filter(order__customer=customer).count())
        print(f"   logged in as {customer.email}: {counts[0]} orders, {counts[1]} tickets")
        with override_settings(ROOT_URLCONF="bench_urls"):
            client = Client()
            client.force_login(customer.user)
            anna = Client()
            anna.force_login(User.objects.get(email="anna@example.nl"))
            pages = {
                "bare view": (client, "/bench/bare"),
                "my orders and returns": (client, "/my/"),
                "my orders and returns, page 2": (client, "/my/?page=2"),
                "my orders and returns (demo Anna)": (anna, "/my/"),
                "my ticket page": (client, f"/my/returns/{ticket.number}/"),
            }
            results[size] = {name: _measure(c, url) for name, (c, url) in pages.items()}
        floor = results[size]["bare view"][0]
        print(f"{'page':40}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'× bare':>9}")
        for name, (p50, p95, queries) in results[size].items():
            print(f"{name:40}{p50:9.1f}{p95:9.1f}{queries:9d}{p50 / floor:9.1f}")
    if len(results) > 1:
        small, large = min(results), max(results)
        print(f"\nGrowth {small:,} → {large:,} tickets (p50)")
        for name in results[large]:
            before, after = results[small][name][0], results[large][name][0]
            print(f"{name:40}{before:9.1f}{after:9.1f}{after / before:8.2f}×")


if __name__ == "__main__":
    try:
        main()
    finally:
        connections.close_all()
        if ARGS.keep:
            print(f"Kept the database: {ARGS.database_url}")
        else:
            recreate_database(ARGS.database_url, drop_only=True)
