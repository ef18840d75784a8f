"""Measure the two-step withdrawal function (lookup, confirm) beside a bare Django view.

Run by `make bench` (or `python benchmarks/bench_withdrawal.py [--orders 300]`). It
(re)creates its own PostgreSQL database (`retour_bench_withdrawal`, never the tests' or
the shop's), migrates it and adds `--orders` orders of a consumer, each of two lines
delivered yesterday. Then, in one process and through the whole middleware stack
(Django's test client, no network), it times:

- the baseline: a bare view that answers "ok" (sessions, CSP, locale, auth all run);
- step 1, the lookup: POST /withdraw/ with the order number and e-mail address;
- step 2, the confirm page: GET /withdraw/confirm/ (every line with its last day);
- step 2, the confirmation: POST /withdraw/confirm/ (the ticket, authorized at once,
  the receipt and the staff notice queued; each on an order of its own).

Each figure is requests per second and the queries one request makes. The e-mails go to
an in-memory broker: this measures the site and the services, not the mail provider.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("REDIS_URL", None)
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
os.environ.setdefault("LOG_LEVEL", "WARNING")
BENCH_URL = "postgres://postgres@127.0.0.1:5432/retour_bench_withdrawal"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300, help="orders (one per confirmation)")
    parser.add_argument("--database-url", default=BENCH_URL)
    return parser.parse_args()


ARGS = _arguments()
os.environ["DATABASE_URL"] = ARGS.database_url


from scratch import recreate_database  # noqa: E402 - benchmarks/, after the path is set

recreate_database(ARGS.database_url)

import django  # noqa: E402

django.setup()

from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402

from config import urls as site_urls  # noqa: E402
from orders.models import (  # noqa: E402
    Customer,
    Order,
    OrderLine,
    Product,
    Shipment,
    ShipmentLine,
    Vendor,
)
from rma.models import Ticket  # noqa: E402

NOW = timezone.now()


def bare(request):
    return HttpResponse("ok")


URLCONF = types.ModuleType("bench_urls")
URLCONF.urlpatterns = [path("bare/", bare), *site_urls.urlpatterns]  # type: ignore[attr-defined]


def _setup(count: int) -> list[Order]:
    call_command("migrate", verbosity=0)
    vendor = Vendor.objects.create(name="Grandstream")
    phone = Product.objects.create(sku="GS-GRP2614", name="Grandstream GRP2614", vendor=vendor)
    nvr = Product.objects.create(sku="HK-NVR-8CH", name="Hikvision 8-channel NVR", vendor=vendor)
    customer = Customer.objects.create(
        email="bench@example.nl", name="Bench", type="consumer", language="en", country="NL"
    )
    orders = []
    for n in range(count):
        order = Order.objects.create(
            number=f"WS-{n:06d}", customer=customer, placed_at=NOW - timedelta(days=3)
        )
        shipment = Shipment.objects.create(
            order=order, shipped_at=NOW - timedelta(days=2), delivered_at=NOW - timedelta(days=1)
        )
        for line_id, product, quantity, price in (("1", phone, 2, "120.00"), ("2", nvr, 1, "860")):
            line = OrderLine.objects.create(
                order=order,
                line_id=line_id,
                product=product,
                name=product.name,
                quantity=quantity,
                unit_price=Decimal(price),
                vat_rate=Decimal("21"),
                delivered_quantity=quantity,
            )
            ShipmentLine.objects.create(shipment=shipment, line=line, quantity=quantity)
        orders.append(order)
    return orders


def _lookup(client: Client, order: Order):
    return client.post(
        "/withdraw/", {"name": "Bench", "email": "bench@example.nl", "order_number": order.number}
    )


def _timed(label: str, requests: list, expect: int) -> tuple[float, float]:
    """Run each request once (the first, a warm-up, is not counted); return the
    requests per second and the median query count."""
    times, queries = [], []
    for index, request in enumerate(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = request()
            elapsed = time.perf_counter() - started
        if response.status_code != expect:
            raise SystemExit(f"{label}: answered {response.status_code}, not {expect}")
        if index:
            times.append(elapsed)
            queries.append(len(captured))
    return len(times) / sum(times), statistics.median(queries)


def main() -> None:
    count = max(ARGS.orders, 10)
    started = time.perf_counter()
    orders = _setup(count)
    print(f"Withdrawal function on PostgreSQL, {count} orders of 2 lines, in-process client")
    print(f"  built in {time.perf_counter() - started:.1f} s")
    with override_settings(ROOT_URLCONF=URLCONF, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        figures = {
            "bare view (baseline)": _timed(
                "bare", [lambda: client.get("/bare/")] * count, expect=200
            ),
            "step 1 lookup (POST)": _timed(
                "lookup", [lambda o=o: _lookup(client, o) for o in orders], expect=302
            ),
        }
        _lookup(client, orders[0])
        figures["step 2 confirm page (GET)"] = _timed(
            "confirm page", [lambda: client.get("/withdraw/confirm/")] * count, expect=200
        )

        def confirm(order: Order):
            _lookup(client, order)
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.post("/withdraw/confirm/", {"quantity-1": 2, "quantity-2": 1})
                return response, time.perf_counter() - started, len(captured)

        runs = [confirm(order) for order in orders]
        if any(response.status_code != 302 for response, _t, _q in runs):
            raise SystemExit("confirm: not every withdrawal was registered")
        seconds = [elapsed for _r, elapsed, _q in runs[1:]]
        figures["step 2 confirm (POST)"] = (
            len(seconds) / sum(seconds),
            statistics.median(q for _r, _e, q in runs[1:]),
        )
    baseline = figures["bare view (baseline)"][0]
    for label, (rate, queries) in figures.items():
        print(
            f"  {label:<27} {rate:8.1f} requests/s  {rate / baseline:6.3f}× the baseline"
            f"  {queries:.0f} queries"
        )
    lookup, page, post = (figures[k][0] for k in list(figures)[1:])
    whole = 1 / (1 / lookup + 1 / page + 1 / post)
    print(f"  two-step withdrawal (lookup, confirm page, confirm): {whole:.1f} per second")
    print(f"  tickets registered: {Ticket.objects.count()}")


if __name__ == "__main__":
    main()
