"""Measure the bookkeeping's period export of 100,000 paid refunds beside a plain csv.writer.

Run by `make bench` (or `python benchmarks/bench_exports.py [--refunds 100000] [--runs 3]`).
It runs on the configured database (`DATABASE_URL`: PostgreSQL there, else the embedded
SQLite), in a scratch database of its own made beside it the way the tests make theirs
(`<name>_bench_exports`, migrated, destroyed at the end): it never touches the shop's data.

It adds `--refunds` paid refunds of the last month with bulk inserts, each with its
customer's order and ticket (four refunds per customer), its credit note (a third of
them over two VAT rates, as a fee or a 9% line makes them) and its part: paid back by
card with the provider's reference, or one in ten as store credit with its grant in the
ledger, a third of which the customer used. Then, in one process, for the month:

- the baseline: a plain `csv.writer` over a `values_list` of the same credit notes and
  columns (their VAT rows left as the JSON they are stored as), read through the same
  server-side cursor in the same chunks; and openpyxl's write-only workbook over the same
  rows, the XLSX's baseline;
- `refunds.exports`: each export (credit notes, one row per rate and the totals; refunds
  with their parts; store-credit movements) as CSV (`csv_chunks`, what the download
  streams, written to a temporary file) and as XLSX the way a worker builds it since it
  left the request (`refunds.export_files.export_file_build`: an `ExportFile` asked for,
  its XLSX written with `xlsx_write` into private storage, here a temporary folder; the
  file's size read back from there).

Each figure is the median of `--runs` timed runs, and the peak of Python's allocations
(tracemalloc) in one more run of its own, since tracing slows what it traces; beside
them, the peak of the same rows read into a list, which is what streaming avoids. The
database's own memory, and libpq's, are not in the peak.
"""

from __future__ import annotations

import argparse
import csv
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
# The XLSX files the builds write land here, removed at the end, never in var/private.
FILES = tempfile.mkdtemp(prefix="bench_exports_")
os.environ["PRIVATE_MEDIA_ROOT"] = FILES


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refunds", type=int, default=100_000, help="paid refunds")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure (median)")
    return parser.parse_args()


ARGS = _arguments()

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from scratch import use_database_beside  # noqa: E402 - benchmarks/, after the path is set

from accounts.models import User  # noqa: E402
from orders.models import Customer, Order  # noqa: E402
from policies.models import ReturnPolicy  # noqa: E402
from refunds.export_files import export_file_build  # noqa: E402
from refunds.exports import CHUNK, EXPORTS, Period, credit_note_values, csv_chunks  # noqa: E402
from refunds.models import (  # noqa: E402
    Channel,
    CreditNote,
    EntryKind,
    ExportFile,
    Refund,
    RefundPart,
    RefundState,
    StoreCreditEntry,
)
from refunds.vat import vat_per_rate  # noqa: E402
from rma.models import Ticket  # noqa: E402
from rma.states import State  # noqa: E402

NOW = timezone.now()
TODAY = timezone.localdate(NOW)
PERIOD = Period(TODAY - timedelta(days=30), TODAY)
BATCH = 2_000  # rows per INSERT
NAMES = ["Anna de Vries", "Zoë Müller", "Jan Jansen", "Łucja Nowak", "Sørensen & Zn"]
CENT = Decimal("0.01")


def _lines(n: int) -> list[tuple[Decimal | None, Decimal, str]]:
    """A refund's items (rate, amount, rule): goods at 21%, a third with a 9% line or a
    fee without a rate of its own (spread over the rates, `refunds.vat`)."""
    goods = Decimal(20 + n % 980) + Decimal(n % 100) * CENT
    items = [(Decimal("21.00"), goods, "F1")]
    if n % 3 == 1:
        items.append((Decimal("9.00"), Decimal(5 + n % 40), "F1"))
    elif n % 3 == 2:
        items.append((None, -(goods * Decimal("0.06")).quantize(CENT), "F2"))
    return items


def _add_refunds(count: int) -> float:
    """`count` paid refunds of the period with their credit notes, parts and store credit;
    return the seconds it took."""
    started = time.perf_counter()
    policy = ReturnPolicy.objects.order_by("pk").first()
    customers = Customer.objects.bulk_create(
        (
            Customer(
                email=f"bench{n}@example.nl",
                name=f"{NAMES[n % len(NAMES)]} {n}",
                type="business" if n % 7 == 0 else "consumer",
                company=f"Bedrijf {n} BV" if n % 7 == 0 else "",
                vat_number=f"NL{n:09d}B01" if n % 7 == 0 else "",
                language="nl" if n % 3 else "en",
                country="NL",
            )
            for n in range(count // 4 + 1)
        ),
        batch_size=BATCH,
    )
    orders = Order.objects.bulk_create(
        (
            Order(
                number=f"WS-BENCH-{n:06d}",
                customer=customers[n // 4],
                placed_at=NOW - timedelta(days=60),
                invoiced_on=TODAY - timedelta(days=60),
            )
            for n in range(count)
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
    items = [_lines(n) for n in range(count)]
    totals = [sum((amount for _rate, amount, _rule in lines), Decimal(0)) for lines in items]
    paid_at = [NOW - timedelta(days=n % 30, minutes=n % 1440) for n in range(count)]
    refunds = Refund.objects.bulk_create(
        (
            Refund(
                number=f"RF-BENCH-{n:06d}",
                ticket=ticket,
                state=RefundState.PAID,
                total=totals[n],
                approved_at=paid_at[n],
                paid_at=paid_at[n],
            )
            for n, ticket in enumerate(tickets)
        ),
        batch_size=BATCH,
    )
    CreditNote.objects.bulk_create(
        (
            CreditNote(
                number=f"CN-BENCH-{n:06d}",
                refund=refund,
                issued_at=paid_at[n],
                total=totals[n],
                lines=[
                    {
                        "rule": rule,
                        "description": "1 × Product",
                        "line_id": "1",
                        "vat_rate": None if rate is None else str(rate),
                        "amount": str(amount),
                    }
                    for rate, amount, rule in items[n]
                ],
                vat=[
                    row.as_dict()
                    for row in vat_per_rate((rate, amount) for rate, amount, _r in items[n])
                ],
            )
            for n, refund in enumerate(refunds)
        ),
        batch_size=BATCH,
    )
    grants = StoreCreditEntry.objects.bulk_create(
        (
            StoreCreditEntry(
                customer=customers[n // 4],
                kind=EntryKind.GRANT,
                amount=totals[n],
                ticket=tickets[n],
                policy=policy,
                issued_on=TODAY,
                valid_until=TODAY + timedelta(days=730),
                reason=f"RF-BENCH-{n:06d}",
            )
            for n in range(0, count, 10)
        ),
        batch_size=BATCH,
    )
    StoreCreditEntry.objects.bulk_create(
        (
            StoreCreditEntry(
                customer=grant.customer,
                kind=EntryKind.USE,
                amount=-min(grant.amount, Decimal("10.00")),
                grant=grant,
            )
            for grant in grants[::3]
        ),
        batch_size=BATCH,
    )
    by_refund = {10 * index: grant for index, grant in enumerate(grants)}
    RefundPart.objects.bulk_create(
        (
            RefundPart(
                refund=refund,
                method="store_credit" if n in by_refund else "card",
                channel=Channel.STORE_CREDIT if n in by_refund else Channel.OUTSIDE,
                amount=totals[n],
                reference=refund.number if n in by_refund else f"re_{n:08d}",
                grant=by_refund.get(n),
                paid_at=paid_at[n],
            )
            for n, refund in enumerate(refunds)
        ),
        batch_size=BATCH,
    )
    return time.perf_counter() - started


def _plain_csv(target) -> None:
    writer = csv.writer(target)
    writer.writerows(credit_note_values(PERIOD).iterator(chunk_size=CHUNK))


def _plain_xlsx(target) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for number, issued_at, *rest, vat in credit_note_values(PERIOD).iterator(chunk_size=CHUNK):
        sheet.append([number, issued_at.replace(tzinfo=None), *rest, str(vat)])
    book.save(target)


def _as_list(_target) -> None:
    rows = list(credit_note_values(PERIOD))
    assert rows


def _export_csv(name: str) -> Callable[[object], None]:
    def write(target) -> None:
        for chunk in csv_chunks(EXPORTS[name], PERIOD):
            target.write(chunk)

    return write


def _export_xlsx(name: str) -> Callable[[object], int | None]:
    """The XLSX as the worker builds it: a file asked for, then built (the target unused:
    the file goes to private storage); returns the stored file's size."""

    def build(_target) -> int | None:
        requester = User.objects.get_or_create(
            username="bench.accountant@example.com", email="bench.accountant@example.com"
        )[0]
        export_file = ExportFile.objects.create(
            requested_by=requester,
            kind=name.replace("-", "_"),
            first_day=PERIOD.first,
            last_day=PERIOD.last,
        )
        built = export_file_build(export_file.pk)
        assert not built.error, built.error
        return built.file.size

    return build


def _run(job: Callable[[object], int | None], binary: bool) -> tuple[float, int]:
    """Run `job` into a fresh temporary file; return the seconds and the file's size (the
    size the job returns, for a job that writes elsewhere)."""
    mode = "w+b" if binary else "w+"
    with tempfile.TemporaryFile(mode, **({} if binary else {"newline": ""})) as target:
        started = time.perf_counter()
        size = job(target)
        seconds = time.perf_counter() - started
        target.seek(0, os.SEEK_END)
        return seconds, target.tell() if size is None else size


def _timed(job: Callable[[object], int | None], *, binary: bool) -> tuple[float, float, int]:
    """Median seconds over the runs, the peak MB of one traced run, the file's size."""
    runs = [_run(job, binary) for _ in range(ARGS.runs)]
    tracemalloc.start()
    _run(job, binary)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(seconds for seconds, _size in runs), peak, runs[0][1]


def _queries(job: Callable[[object], int | None], binary: bool) -> int:
    count = 0

    def counting(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        _run(job, binary)
    return count


def main() -> None:
    configured, name = use_database_beside("bench_exports")
    try:
        setup = _add_refunds(ARGS.refunds)
        rows = sum(len(vat) for vat in CreditNote.objects.values_list("vat", flat=True))
        print(
            f"Period export of {ARGS.refunds:,} paid refunds on {connection.vendor} ({name}), "
            f"{PERIOD.first} to {PERIOD.last}: {rows:,} credit-note VAT rows; made in "
            f"{setup:.1f} s (bulk inserts); median of {ARGS.runs} runs"
        )
        # Each export beside the baseline of its format (binary: XLSX).
        jobs = [
            ("csv.writer over values_list (baseline)", _plain_csv, False),
            ("openpyxl write-only, same rows (baseline)", _plain_xlsx, True),
            ("credit notes CSV (refunds.exports)", _export_csv("credit-notes"), False),
            ("credit notes XLSX (export_file_build)", _export_xlsx("credit-notes"), True),
            ("refunds paid CSV", _export_csv("refunds"), False),
            ("refunds paid XLSX", _export_xlsx("refunds"), True),
            ("store-credit movements CSV", _export_csv("store-credit"), False),
            ("store-credit movements XLSX", _export_xlsx("store-credit"), True),
        ]
        baselines: dict[bool, float] = {}
        for label, job, binary in jobs:
            seconds, peak, size = _timed(job, binary=binary)
            baseline = baselines.setdefault(binary, seconds)
            print(
                f"  {label:<42} {seconds:7.2f} s ({seconds / baseline:4.1f}× its baseline)  "
                f"peak {peak:6.1f} MB  {size / 2**20:6.1f} MB file  "
                f"{_queries(job, binary)} queries"
            )
        _seconds, peak, _size = _timed(_as_list, binary=False)
        print(f"  {'(not streamed: the same rows in a list)':<42} peak {peak:6.1f} MB")
    finally:
        connection.creation.destroy_test_db(configured, verbosity=0)
        shutil.rmtree(FILES, ignore_errors=True)


if __name__ == "__main__":
    main()
