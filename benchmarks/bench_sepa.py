"""Measure a SEPA batch of 10,000 approved bank-transfer refunds beside sepaxml alone.

Run by `make bench` (or `python benchmarks/bench_sepa.py [--refunds 10000] [--runs 3]`).
It runs on the configured database (`DATABASE_URL`: PostgreSQL there, else the embedded
SQLite), in a scratch database of its own made beside it the way the tests make theirs
(`<name>_bench_sepa`, migrated, destroyed at the end), with the files in a temporary folder
removed at the end too: it never writes to the shop's data.

It adds `--refunds` approved refunds, each of its own customer, order and ticket, with an
IBAN and one bank-transfer part (bulk inserts), and then measures, in one process:

- the baseline: sepaxml building the same transfers from plain dicts, no database, with
  and without its XSD check (`refunds.sepa.pain001` always checks);
- `refunds.sepa.sepa_batch_create`: claiming the parts (SELECT … FOR UPDATE SKIP LOCKED),
  the file, storing it and the one UPDATE that puts the parts in the batch.

Each figure is the median of `--runs` timed runs (the batch undone between runs), and the
peak of Python's allocations (tracemalloc) in one more run of its own, since tracing
slows what it traces. The database's own memory, and libpq's, are not in the peak.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("REDIS_URL", None)
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
os.environ.setdefault("LOG_LEVEL", "WARNING")
FILES = tempfile.mkdtemp(prefix="bench_sepa_")
os.environ["PRIVATE_MEDIA_ROOT"] = FILES


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refunds", type=int, default=10_000, help="approved refunds")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure (median)")
    return parser.parse_args()


ARGS = _arguments()

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from scratch import use_database_beside  # noqa: E402 - benchmarks/, after the path is set
from sepaxml import SepaTransfer  # noqa: E402

from orders.models import Customer, Order  # noqa: E402
from policies.models import ReturnPolicy  # noqa: E402
from refunds import sepa  # noqa: E402
from refunds.models import Channel, Refund, RefundPart, RefundState, SepaBatch  # noqa: E402
from rma.models import Ticket  # noqa: E402
from rma.states import State  # noqa: E402

NOW = timezone.now()
TODAY = timezone.localdate(NOW)
BATCH = 2_000  # rows per INSERT
IBANS = ["NL91ABNA0417164300", "DE89370400440532013000", "BE68539007547034"]
NAMES = ["Anna de Vries", "Zoë Müller", "Jan Jansen", "Łucja Nowak", "Sørensen & Zn"]


def _add_refunds(count: int) -> float:
    """`count` approved refunds with an IBAN and one SEPA part each; return the seconds."""
    started = time.perf_counter()
    policy = ReturnPolicy.objects.order_by("pk").first()
    customers = Customer.objects.bulk_create(
        (
            Customer(
                email=f"bench{n}@example.nl",
                name=f"{NAMES[n % len(NAMES)]} {n}",
                type="consumer",
                language="nl" if n % 3 else "en",
                country="NL",
            )
            for n in range(count)
        ),
        batch_size=BATCH,
    )
    orders = Order.objects.bulk_create(
        (
            Order(number=f"WS-BENCH-{n:06d}", customer=customer, placed_at=NOW - timedelta(10))
            for n, customer in enumerate(customers)
        ),
        batch_size=BATCH,
    )
    tickets = Ticket.objects.bulk_create(
        (
            Ticket(
                number=f"RMA-BENCH-{n:06d}",
                order=order,
                policy=policy,
                reason="withdrawal",
                state=State.RESOLVED,
            )
            for n, order in enumerate(orders)
        ),
        batch_size=BATCH,
    )
    amounts = [Decimal(10 + n % 990) + Decimal(n % 100) / 100 for n in range(count)]
    refunds = Refund.objects.bulk_create(
        (
            Refund(
                number=f"RF-BENCH-{n:06d}",
                ticket=ticket,
                state=RefundState.APPROVED,
                total=amounts[n],
                iban=IBANS[n % len(IBANS)],
                account_holder=customers[n].name,
                approved_at=NOW,
            )
            for n, ticket in enumerate(tickets)
        ),
        batch_size=BATCH,
    )
    RefundPart.objects.bulk_create(
        (
            RefundPart(refund=refund, method="ideal", channel=Channel.SEPA, amount=amounts[n])
            for n, refund in enumerate(refunds)
        ),
        batch_size=BATCH,
    )
    return time.perf_counter() - started


def _plain_transfers() -> list[dict]:
    """The same transfers as plain values, read once (outside the baseline's timing)."""
    return [
        {
            "name": sepa.sepa_text(holder, 70),
            "IBAN": iban,
            "amount": int(amount * 100),
            "description": sepa.sepa_text(f"Refund {number}, order {order}", 140),
            "endtoend_id": sepa.end_to_end_id(number, pk),
        }
        for pk, amount, number, iban, holder, order in RefundPart.objects.order_by(
            "pk"
        ).values_list(
            "pk",
            "amount",
            "refund__number",
            "refund__iban",
            "refund__account_holder",
            "refund__ticket__order__number",
        )
    ]


def _sepaxml_alone(transfers: list[dict], *, validate: bool) -> Callable[[], object]:
    def build() -> bytes:
        account = {
            "name": settings.SHOP_SEPA_NAME,
            "IBAN": settings.SHOP_IBAN,
            "BIC": settings.SHOP_BIC,
            "currency": "EUR",
            "batch": True,
        }
        transfer = SepaTransfer(account, schema=sepa.SCHEMA, clean=False)
        for payment in transfers:
            transfer.add_payment({**payment, "execution_date": TODAY})
        return transfer.export(validate=validate)

    return build


def _create() -> SepaBatch:
    batch = sepa.sepa_batch_create(by=None, execution_date=TODAY)
    assert batch is not None and batch.count == ARGS.refunds, batch
    return batch


def _undo() -> None:
    """Put the parts back, as before the batch, for the next run."""
    RefundPart.objects.update(batch=None)
    for batch in SepaBatch.objects.all():
        batch.xml.delete(save=False)
    SepaBatch.objects.all().delete()


def _timed(job: Callable[[], object], *, reset: Callable[[], None] | None) -> tuple[float, float]:
    """Median seconds over the runs, and the peak MB of one traced run."""
    seconds = []
    for _ in range(ARGS.runs):
        started = time.perf_counter()
        job()
        seconds.append(time.perf_counter() - started)
        if reset:
            reset()
    tracemalloc.start()
    job()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    if reset:
        reset()
    return statistics.median(seconds), peak


def _queries(job: Callable[[], object]) -> int:
    count = 0

    def counting(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        job()
    return count


def main() -> None:
    configured, name = use_database_beside("bench_sepa")
    try:
        setup = _add_refunds(ARGS.refunds)
        print(
            f"SEPA batch of {ARGS.refunds:,} approved refunds on {connection.vendor} ({name}); "
            f"made in {setup:.1f} s (bulk inserts); median of {ARGS.runs} runs"
        )
        transfers = _plain_transfers()
        rows = [
            (
                "sepaxml, plain dicts, XSD-checked (baseline)",
                _sepaxml_alone(transfers, validate=True),
            ),
            ("sepaxml, plain dicts, unchecked", _sepaxml_alone(transfers, validate=False)),
        ]
        for label, job in rows:
            seconds, peak = _timed(job, reset=None)
            print(f"  {label:<48} {seconds:7.2f} s  peak {peak:7.1f} MB")
        seconds, peak = _timed(_create, reset=_undo)
        queries = _queries(_create)
        size = SepaBatch.objects.get().xml.size / 2**20
        _undo()
        label = "sepa_batch_create (claim, file, store, UPDATE)"
        print(
            f"  {label:<48} {seconds:7.2f} s  peak {peak:7.1f} MB  "
            f"{queries} queries, file {size:.1f} MB"
        )
    finally:
        connection.creation.destroy_test_db(configured, verbosity=0)
        shutil.rmtree(FILES, ignore_errors=True)


if __name__ == "__main__":
    main()
