"""Measure the order import (SPEC Appendix A) on PostgreSQL beside a plain bulk_create.

Run `python benchmarks/bench_import.py [--orders 5000]`. It (re)creates its own PostgreSQL
database (`retour_bench_import`, never the tests' or the shop's; and its copy as migrated,
`retour_bench_import_migrated`), migrates it and makes a realistic import file: orders of
1 to 4 lines from a catalogue of a few hundred products of twenty vendors, serials on the
products with a login, digital lines never shipped, split and undelivered shipments,
discounts, split payments, and about three orders per customer. Then it times, in the
same run:

- the baseline: a plain `bulk_create` of the same rows (customers, vendors, products,
  orders and their lines, discounts, payments, shipments) from values already parsed,
  in batches of 1,000 orders: what the database needs to store them, and no more;
- a first import of the file (`import_orders_json`, what the command and the API call:
  JSON decoding and validation included) into the database as migrated again;
- a re-import of the same file, every order unchanged;
- a re-import where every order changed (invoice date, a line's name and price, the
  payments that pay for it);
- a re-import where every order changed and its shipments moved too (shipped and
  delivered an hour later, the ones under way delivered now): shipments are replaced
  and delivered quantities change;
- the largest file the API takes (Django's DATA_UPLOAD_MAX_MEMORY_SIZE), posted through
  Django's test Client with a staff member's token: first as new orders, then changed
  with moved shipments. The web worker gives a request 30 s (gunicorn's default
  `--timeout`; docker-compose.yml sets none).

Each figure is in orders per second, and in orders per CPU second of this process and
its PostgreSQL backend (what the run does alone on a machine others share), with the
queries per 1,000 orders.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import random
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("REDIS_URL", None)  # the import queues nothing; keep the shared Redis out
os.environ.setdefault("LOG_LEVEL", "WARNING")
# One database connection, so one PostgreSQL backend, serves the whole run (its CPU time
# is counted), the API's requests included.
os.environ["DATABASE_CONN_MAX_AGE"] = "3600"
BENCH_URL = "postgres://postgres@127.0.0.1:5432/retour_bench_import"
WORKER_TIMEOUT = 30  # seconds: gunicorn's default --timeout, which docker-compose.yml keeps


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5_000, help="orders in the file")
    parser.add_argument("--seed", type=int, default=4, help="of the generated file")
    parser.add_argument("--database-url", default=BENCH_URL)
    return parser.parse_args()


ARGS = _arguments()
os.environ["DATABASE_URL"] = ARGS.database_url


from scratch import recreate_database  # noqa: E402 - benchmarks/, after the path is set

recreate_database(ARGS.database_url)

import django  # noqa: E402

django.setup()
# WhiteNoise serves collected files in production; a benchmark has none to serve.
warnings.filterwarnings("ignore", "No directory at", UserWarning)

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import ApiToken, User  # noqa: E402
from orders.importing import import_orders_json  # noqa: E402
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

TABLES = [Vendor, Customer, Product, Order, OrderLine, Discount, Payment, Shipment, ShipmentLine]

# --- the file ---------------------------------------------------------------------------------

VENDORS = [
    "Grandstream", "Hikvision", "Ubiquiti", "Yealink", "Fanvil", "Snom", "3CX", "Synology",
    "TP-Link", "MikroTik", "Gigaset", "Axis", "Dahua", "Netgear", "Cisco", "Poly", "Jabra",
    "Logitech", "APC", "Zyxel",
]  # fmt: skip
FLAG_SETS = [[], [], ["has_login"], ["has_login"], ["outlet"], ["custom"], ["special_order"]]
FIRST_NAMES = ["Anna", "Bram", "Chloë", "Daan", "Eva", "Finn", "Iris", "Joost", "Lotte", "Milan"]
LAST_NAMES = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Mulder", "de Boer", "Peters"]


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _catalogue(rng: random.Random, size: int = 400) -> list[dict]:
    products = []
    for n in range(size):
        vendor = VENDORS[n % len(VENDORS)]
        digital = vendor == "3CX"
        products.append(
            {
                "sku": f"{vendor[:3].upper()}-{n:04d}",
                "name": f"{vendor} model {n}",
                "vendor": vendor,
                "flags": ["digital", "activates_on_use"] if digital else rng.choice(FLAG_SETS),
                "cents": rng.randrange(500, 150_000, 5),
                "vat_rate": "9" if n % 25 == 0 else "21",
            }
        )
    return products


def _customers(rng: random.Random, count: int) -> list[dict]:
    customers = []
    for n in range(count):
        business = n % 7 == 0
        customers.append(
            {
                "email": f"customer{n}@example.nl",
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "type": "business" if business else "consumer",
                "partner": business and n % 3 == 0,
                "language": rng.choice(["nl", "nl", "en", "nl-BE", "fr"]),
                "country": rng.choice(["NL", "NL", "NL", "BE", "DE"]),
                "company": f"Bedrijf {n} BV" if business else None,
                "vat_number": f"NL{n:09d}B01" if business else None,
            }
        )
    return customers


def _time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _order(rng: random.Random, number: str, customer: dict, catalogue: list[dict]) -> dict:
    """One order whose amounts add up, shipped as a webshop ships it."""
    placed = date(2026, 1, 1) + timedelta(days=rng.randrange(340))
    offset = "+01:00" if placed.month in (1, 2, 3, 11, 12) else "+02:00"  # Amsterdam
    clock = f"{rng.randrange(7, 23):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
    placed_at = datetime.fromisoformat(f"{placed.isoformat()}T{clock}{offset}")
    customer = dict(customer)
    if rng.random() < 0.02:  # the shop sometimes sends an address in another case
        customer["email"] = customer["email"].upper()
    lines, goods = [], 0
    for index, product in enumerate(rng.sample(catalogue, rng.choice([1, 1, 2, 2, 3, 4]))):
        quantity = 1 if "digital" in product["flags"] else rng.choice([1, 1, 1, 2, 3])
        cents = product["cents"] * 9 // 10 if rng.random() < 0.1 else product["cents"]
        goods += cents * quantity
        lines.append(
            {
                "id": str(index + 1),
                "sku": product["sku"],
                "name": product["name"],
                "vendor": product["vendor"],
                "quantity": quantity,
                "unit_price": _money(cents),
                "vat_rate": product["vat_rate"],
                "flags": product["flags"],
                "promotion": cents != product["cents"],
                "serials": (
                    [f"{product['sku']}-{number}-{n}" for n in range(quantity)]
                    if "has_login" in product["flags"]
                    else []
                ),
                "activated_at": (
                    _time(placed_at + timedelta(hours=1)) if "digital" in product["flags"] else None
                ),
            }
        )
    physical = [line for line in lines if "digital" not in line["flags"]]
    discount = goods * 5 // 100 if goods > 100_000 else 0
    shipping = 0 if not physical else (1295 if rng.random() < 0.2 else 695)
    due = goods - discount + shipping
    order = {
        "number": number,
        "customer": customer,
        "placed_at": _time(placed_at),
        "invoiced_on": placed_at.date().isoformat(),
        "discounts": [{"code": "5PCT-OVER-1000", "amount": _money(discount)}] if discount else [],
        "payments": _payments(rng, due),
        "lines": lines,
        "shipments": _shipments(rng, physical, placed_at),
    }
    if physical:
        order["shipping"] = {
            "method": "express" if shipping == 1295 else "standard",
            "price": _money(shipping),
            "standard_price": "6.95",
        }
    return order


def _payments(rng: random.Random, due: int) -> list[dict]:
    if due > 2_500 and rng.random() < 0.2:  # a gift voucher pays part of it
        return [
            {"method": "gift_voucher", "amount": "25.00"},
            {"method": "ideal", "amount": _money(due - 2_500)},
        ]
    method = rng.choice(["ideal", "ideal", "card", "paypal", "billink", "bank_transfer"])
    return [{"method": method, "amount": _money(due)}]


def _shipments(rng: random.Random, physical: list[dict], placed_at: datetime) -> list[dict]:
    if not physical:
        return []
    split = len(physical) > 1 and rng.random() < 0.15  # sent as two parcels
    parcels = [physical[:1], physical[1:]] if split else [physical]
    shipments = []
    for n, parcel in enumerate(parcels):
        shipped = placed_at + timedelta(days=1 + n, hours=rng.randrange(8))
        delivered = rng.random() < 0.8
        shipments.append(
            {
                "lines": {line["id"]: line["quantity"] for line in parcel},
                "shipped_at": _time(shipped),
                "delivered_at": _time(shipped + timedelta(days=1)) if delivered else None,
                "carrier": rng.choice(["PostNL", "DHL", "DPD"]),
                "tracking": f"3S{rng.randrange(10**10):010d}",
            }
        )
    return shipments


def make_orders(rng: random.Random, count: int, prefix: str, shop: tuple) -> list[dict]:
    catalogue, customers = shop
    return [_order(rng, f"{prefix}{n:07d}", rng.choice(customers), catalogue) for n in range(count)]


def changed(order: dict) -> dict:
    """The order as the shop sends it after an edit: a new invoice date, the first line
    renamed and a euro dearer per unit, its last payment paying the difference."""
    order = copy.deepcopy(order)
    invoiced = date.fromisoformat(order["invoiced_on"]) + timedelta(days=1)
    order["invoiced_on"] = invoiced.isoformat()
    line = order["lines"][0]
    line["name"] += " (2027)"
    line["unit_price"] = _money(_cents(line["unit_price"]) + 100)
    order["payments"][-1]["amount"] = _money(
        _cents(order["payments"][-1]["amount"]) + 100 * line["quantity"]
    )
    return order


def shipments_moved(order: dict) -> dict:
    """`changed`, and every shipment an hour later; the parcels under way delivered now."""
    order = changed(order)
    for shipment in order["shipments"]:
        shipped = datetime.fromisoformat(shipment["shipped_at"]) + timedelta(hours=1)
        shipment["shipped_at"] = _time(shipped)
        shipment["delivered_at"] = _time(shipped + timedelta(days=1))
    return order


def _cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def encode(orders: list[dict]) -> bytes:
    return json.dumps({"orders": orders}, ensure_ascii=False).encode()


def fitting(orders: list[dict]) -> list[dict]:
    """The longest run of `orders` from the first that the API takes in one body
    (Django's DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    total, count = len(encode([])), 0
    for order in orders:
        size = len(json.dumps(order, ensure_ascii=False).encode()) + 2  # and ", "
        if total + size > limit:
            break
        total, count = total + size, count + 1
    assert len(encode(orders[:count])) <= limit
    return orders[:count]


# --- the baseline: the same rows, bulk_create and nothing else ----------------------------------


def _parsed_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def without_gc(run: Callable, *args: object) -> object:
    """Run with Python's cycle collector paused, as the import runs: the baseline gets
    the same advantage."""
    gc.disable()
    try:
        return run(*args)
    finally:
        gc.enable()


def bulk_create_baseline(orders: list[dict]) -> None:
    """Create the rows the import would, from the file's values, with plain bulk_create."""
    vendors = {
        name: Vendor(name=name) for name in {li["vendor"] for o in orders for li in o["lines"]}
    }
    Vendor.objects.bulk_create(vendors.values())
    customers: dict[str, Customer] = {}
    products: dict[str, Product] = {}
    for order in orders:
        raw = order["customer"]
        customers.setdefault(
            raw["email"].lower(),
            Customer(
                email=raw["email"],
                name=raw["name"],
                type=raw["type"],
                partner=raw["partner"],
                language=raw["language"][:2],
                country=raw["country"],
                company=raw["company"] or "",
                vat_number=raw["vat_number"] or "",
            ),
        )
        for line in order["lines"]:
            products.setdefault(
                line["sku"],
                Product(
                    sku=line["sku"],
                    name=line["name"],
                    vendor=vendors[line["vendor"]],
                    **{flag: True for flag in line["flags"]},
                ),
            )
    Customer.objects.bulk_create(customers.values())
    Product.objects.bulk_create(products.values())
    for start in range(0, len(orders), 1_000):
        _bulk_create_orders(orders[start : start + 1_000], customers, products)


def _bulk_create_orders(orders: list[dict], customers: dict, products: dict) -> None:
    rows = [
        Order(
            number=o["number"],
            customer=customers[o["customer"]["email"].lower()],
            placed_at=datetime.fromisoformat(o["placed_at"]),
            invoiced_on=date.fromisoformat(o["invoiced_on"]),
            shipping_method=o.get("shipping", {}).get("method", ""),
            shipping_price=Decimal(o.get("shipping", {}).get("price", "0")),
            standard_shipping_price=Decimal(o.get("shipping", {}).get("standard_price", "0")),
        )
        for o in orders
    ]
    Order.objects.bulk_create(rows)
    lines: dict[tuple[str, str], OrderLine] = {}
    discounts: list[Discount] = []
    payments: list[Payment] = []
    shipments: list[tuple[Shipment, list[tuple[OrderLine, int]]]] = []
    for row, o in zip(rows, orders, strict=True):
        delivered: dict[str, int] = {}
        for shipment in o["shipments"]:
            if shipment["delivered_at"]:
                for line_id, quantity in shipment["lines"].items():
                    delivered[line_id] = delivered.get(line_id, 0) + quantity
        for line in o["lines"]:
            lines[row.number, line["id"]] = OrderLine(
                order=row,
                line_id=line["id"],
                product=products[line["sku"]],
                name=line["name"],
                quantity=line["quantity"],
                unit_price=Decimal(line["unit_price"]),
                vat_rate=Decimal(line["vat_rate"]),
                promotion=line["promotion"],
                serials=line["serials"],
                activated_at=_parsed_time(line["activated_at"]),
                delivered_quantity=delivered.get(line["id"], 0),
            )
        discounts += [
            Discount(order=row, code=d["code"], amount=Decimal(d["amount"])) for d in o["discounts"]
        ]
        payments += [
            Payment(order=row, method=p["method"], amount=Decimal(p["amount"]))
            for p in o["payments"]
        ]
        shipments += [
            (
                Shipment(
                    order=row,
                    shipped_at=_parsed_time(s["shipped_at"]),
                    delivered_at=_parsed_time(s["delivered_at"]),
                    carrier=s["carrier"],
                    tracking=s["tracking"],
                ),
                [
                    (lines[row.number, line_id], quantity)
                    for line_id, quantity in s["lines"].items()
                ],
            )
            for s in o["shipments"]
        ]
    OrderLine.objects.bulk_create(lines.values())
    Discount.objects.bulk_create(discounts)
    Payment.objects.bulk_create(payments)
    Shipment.objects.bulk_create(shipment for shipment, _lines in shipments)
    ShipmentLine.objects.bulk_create(
        ShipmentLine(shipment=shipment, line=line, quantity=quantity)
        for shipment, shipment_lines in shipments
        for line, quantity in shipment_lines
    )


MIGRATED_URL = ARGS.database_url + "_migrated"  # the scratch database as just migrated


def keep_migrated() -> None:
    """Keep a copy of the database as just migrated, to start again from."""
    connection.close()
    recreate_database(MIGRATED_URL, template=connection.settings_dict["NAME"])


def fresh_database() -> None:
    """Start again from the database as just migrated: the baseline and the first import
    both write into tables that never held a row. (Emptied tables would not do: their
    statistics then describe them as empty or as they were, and the same first import
    ran a third slower, its time lost at the commits that check the foreign keys.)"""
    connection.close()
    recreate_database(ARGS.database_url, template=MIGRATED_URL.rsplit("/", 1)[1])


def analyze() -> None:
    """Statistics as autovacuum would have them: the planner then sees the tables as they are."""
    with connection.cursor() as cursor:
        for model in TABLES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


# --- timing -------------------------------------------------------------------------------------


@contextmanager
def counted() -> Iterator[list[int]]:
    """Count the queries sent, without keeping their text (as DEBUG's capture would)."""
    count = [0]

    def wrapper(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def _backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _cpu_seconds(backend: int) -> tuple[float, float] | None:
    """CPU time used so far by this process and by the PostgreSQL backend serving it (on
    this machine); None when the backend's is not to be read."""
    own = os.times()
    try:
        with open(f"/proc/{backend}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return own.user + own.system, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(label: str, orders: int, run: Callable[[], object], expect: Callable | None = None):
    """Run and print: seconds, orders per second, orders per CPU second, queries.

    The machine may be busy with other work; orders per CPU second (this process and
    its database backend) is what the run would do alone, bar waits for the disk.
    """
    backend = _backend()
    cpu_before = _cpu_seconds(backend)
    with counted() as queries:
        started = time.perf_counter()
        outcome = run()
        seconds = time.perf_counter() - started
    cpu_after = _cpu_seconds(backend) if _backend() == backend else None
    if expect is not None:
        expect(outcome)
    cpu = ""
    if cpu_before is not None and cpu_after is not None:
        python, database = (
            after - before for after, before in zip(cpu_after, cpu_before, strict=True)
        )
        share = python / (python + database)
        cpu = f"{orders / (python + database):8,.0f} per CPU s ({share:.0%} Python)"
    per_thousand = queries[0] * 1000 / orders
    print(
        f"  {label:<44} {seconds:6.2f} s {orders / seconds:8,.0f} orders/s {cpu}"
        f"  {per_thousand:4.0f} queries/1,000 orders"
    )
    return seconds


def expecting(created: int = 0, updated: int = 0, unchanged: int = 0) -> Callable:
    def check(result) -> None:
        counts = (result.created, result.updated, result.unchanged, len(result.errors))
        assert counts == (created, updated, unchanged, 0), (counts, result.errors[:3])

    return check


def expecting_answer(**counts: int) -> Callable:
    def check(response) -> None:
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        assert {key: body[key] for key in counts} == counts and not body["errors"], body

    return check


def main() -> None:
    call_command("migrate", verbosity=0)
    keep_migrated()
    rng = random.Random(ARGS.seed)
    shop = (_catalogue(rng), _customers(rng, max(ARGS.orders // 3, 1)))
    orders = make_orders(rng, ARGS.orders, "WS-", shop)
    n = len(orders)
    first, edited = encode(orders), [changed(order) for order in orders]
    moved = [shipments_moved(order) for order in edited]
    lines = sum(len(order["lines"]) for order in orders)
    print(
        f"Order import on PostgreSQL: {n:,} orders, {lines:,} lines, "
        f"{len({o['customer']['email'].lower() for o in orders}):,} customers, "
        f"{len(first) / 1e6:.1f} MB; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores (others' work slows every figure alike)"
    )

    timed(
        "baseline: plain bulk_create of the same rows",
        n,
        lambda: without_gc(bulk_create_baseline, orders),
    )
    fresh_database()
    timed("first import", n, lambda: import_orders_json(first), expecting(created=n))
    analyze()
    timed("re-import, unchanged", n, lambda: import_orders_json(first), expecting(unchanged=n))
    timed(
        "re-import, every order changed",
        n,
        lambda: import_orders_json(encode(edited)),
        expecting(updated=n),
    )
    timed(
        "re-import, changed and shipment times moved",
        n,
        lambda: import_orders_json(encode(moved)),
        expecting(updated=n),
    )

    api_orders = fitting(make_orders(rng, 5_000, "API-", shop))
    api_moved = fitting([shipments_moved(order) for order in api_orders])
    body, moved_body = encode(api_orders), encode(api_moved)
    user = User.objects.create(
        username="feed@bench.example", email="feed@bench.example", is_staff=True, is_superuser=True
    )
    headers = {"Authorization": f"Bearer {ApiToken.issue(user=user, name='bench')[1]}"}
    client = Client()

    def post(data: bytes):
        return client.post(
            "/api/v1/orders/import", data=data, content_type="application/json", headers=headers
        )

    m, k = len(api_orders), len(api_moved)
    print(
        f"Largest API import: {m:,} orders in {len(body):,} bytes, {k:,} changed ones in "
        f"{len(moved_body):,} (DATA_UPLOAD_MAX_MEMORY_SIZE "
        f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}); the web worker's timeout is {WORKER_TIMEOUT} s"
    )
    worst = max(
        timed("API, new orders", m, lambda: post(body), expecting_answer(created=m)),
        timed("API, unchanged", m, lambda: post(body), expecting_answer(unchanged=m)),
        timed(
            "API, changed and shipment times moved",
            k,
            lambda: post(moved_body),
            expecting_answer(updated=k),
        ),
    )
    print(f"  slowest API import: {worst:.2f} s, {worst / WORKER_TIMEOUT:.0%} of the timeout")


if __name__ == "__main__":
    main()
