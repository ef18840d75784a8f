"""The bookkeeping's exports of a period: credit notes, refunds paid, store credit (F7, F8).

A period is a first and a last day, both included, as days in the shop's time zone
(Europe/Amsterdam): a credit note issued at 00:30 on the first of the month belongs to
that month even though it is still the previous day in UTC.

- **Credit notes issued**: one row per credit note per VAT rate, exactly as the credit
  note holds it (`CreditNote.vat`, the figures its PDF prints), then the totals per VAT
  rate and the grand total. So the totals are the sum of the credit notes to the cent.
- **Refunds paid**: one row per part of each refund paid in the period (how it went back,
  the amount, the reference, the day it was paid), then the totals per way of paying.
- **Store-credit movements**: every ledger entry booked in the period (grants, uses,
  withdrawals, expiries, F7), then the totals per kind.

Each export reads its rows with one query, through a server-side cursor in chunks
(`QuerySet.iterator`), and yields them one by one: a year of a busy shop's credit notes
never sits in memory, and the number of queries does not grow with the rows. The CSV
is written as it is read (`csv_chunks`, for a streaming response); the XLSX with
openpyxl's write-only workbook, which keeps its rows in a temporary file until it is
saved (`xlsx_write`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.money import ZERO
from core.periods import Sentence, add_months
from refunds.models import Channel, CreditNote, EntryKind, Refund, RefundState, StoreCreditEntry
from refunds.quotes import method_label

# Rows are read from the database this many at a time.
CHUNK = 2000
# The first and last day a period may name: beyond them a day is a typing error, and the
# datetimes around it would not fit the database's.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2999, 12, 31)

TOTAL = _("Total")

Value = str | Decimal | dt.date | None
Row = tuple[Value, ...]


class PeriodError(ValueError):
    """A period a person asked for that cannot be exported, with a message for them."""


@dataclass(frozen=True)
class Period:
    """From `first` to `last`, both days included, in the shop's time zone."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise PeriodError(_("The first day is after the last day."))
        if self.first < EARLIEST or self.last > LATEST:
            raise PeriodError(
                _("Choose days between %(earliest)s and %(latest)s.")
                % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}
            )

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The first moment of the period and the first moment after it."""
        zone = timezone.get_default_timezone()
        start = dt.datetime.combine(self.first, dt.time.min, tzinfo=zone)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return start, end

    @property
    def slug(self) -> str:
        return f"{self.first.isoformat()}_{self.last.isoformat()}"


def last_month(today: dt.date) -> Period:
    """The calendar month before the one `today` is in (the form's default)."""
    first_of_this_month = today.replace(day=1)
    return Period(add_months(first_of_this_month, -1), first_of_this_month - dt.timedelta(days=1))


def _day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


def _customer(name: str, company: str) -> str:
    return company or name


def _method(method: str | None) -> Sentence:
    return "" if method is None else method_label(method)


# --- credit notes -------------------------------------------------------------------


CREDIT_NOTE_HEADER = (
    _("Credit note"),
    _("Date"),
    _("Customer"),
    _("Customer's e-mail"),
    _("Customer's VAT number"),
    _("Order number"),
    _("RMA number"),
    _("Refund number"),
    _("VAT rate (%)"),
    _("Net"),
    _("VAT"),
    _("Gross"),
)


def credit_note_values(period: Period) -> QuerySet:
    """The credit notes issued in `period`, in order, as the export reads them: number,
    issue time, customer's name, company, e-mail and VAT number, order, RMA and refund
    numbers, and the VAT per rate stored on the note."""
    start, end = period.bounds
    return (
        CreditNote.objects.filter(issued_at__gte=start, issued_at__lt=end)
        .order_by("issued_at", "pk")
        .values_list(
            "number",
            "issued_at",
            "refund__ticket__order__customer__name",
            "refund__ticket__order__customer__company",
            "refund__ticket__order__customer__email",
            "refund__ticket__order__customer__vat_number",
            "refund__ticket__order__number",
            "refund__ticket__number",
            "refund__number",
            "vat",
        )
    )


def credit_note_rows(period: Period) -> Iterator[Row]:
    """One row per credit note issued in `period` per VAT rate, then the totals per rate
    (highest first) and the grand total; one query."""
    notes = credit_note_values(period)
    totals: dict[Decimal, list[Decimal]] = {}
    for number, issued_at, name, company, *references, vat in notes.iterator(chunk_size=CHUNK):
        head = (number, _day(issued_at), _customer(name, company), *references)
        for row in vat:
            rate = Decimal(row["rate"])
            figures = [Decimal(row[key]) for key in ("net", "vat", "gross")]
            total = totals.setdefault(rate, [ZERO, ZERO, ZERO])
            for index, figure in enumerate(figures):
                total[index] += figure
            yield (*head, rate, *figures)
    blank = (None,) * 7
    for rate in sorted(totals, reverse=True):
        yield (str(TOTAL), *blank, rate, *totals[rate])
    yield (
        str(TOTAL),
        *blank,
        None,
        *(sum((t[i] for t in totals.values()), ZERO) for i in range(3)),
    )


# --- refunds paid ---------------------------------------------------------------------


REFUND_HEADER = (
    _("Refund number"),
    _("Paid on"),
    _("Customer"),
    _("Customer's e-mail"),
    _("Order number"),
    _("RMA number"),
    _("Credit note"),
    _("Refund total"),
    _("Charged separately (F5)"),
    _("Paid with"),
    _("Paid back by"),
    _("Amount"),
    _("Reference"),
    _("Part paid on"),
)


def refund_rows(period: Period) -> Iterator[Row]:
    """One row per part of each refund paid in `period` (a refund without parts, every
    cent deducted, one row without), then the totals per way of paying; one query."""
    start, end = period.bounds
    refunds = (
        Refund.objects.filter(state=RefundState.PAID, paid_at__gte=start, paid_at__lt=end)
        .order_by("paid_at", "pk", "parts__pk")
        .values_list(
            "number",
            "paid_at",
            "ticket__order__customer__name",
            "ticket__order__customer__company",
            "ticket__order__customer__email",
            "ticket__order__number",
            "ticket__number",
            "credit_note__number",
            "total",
            "charges_total",
            "parts__method",
            "parts__channel",
            "parts__amount",
            "parts__reference",
            "parts__paid_at",
        )
    )
    # Each label translated once per export, not once per row.
    channels = {value: str(label) for value, label in Channel.choices}
    methods: dict[str | None, str] = {}
    totals: dict[str, Decimal] = {}
    rows = refunds.iterator(chunk_size=CHUNK)
    for number, paid_at, name, company, *middle, method, channel, amount, reference, at in rows:
        if method is not None:
            totals[method] = totals.get(method, ZERO) + amount
        yield (
            number,
            _day(paid_at),
            _customer(name, company),
            *middle,  # e-mail, order, RMA, credit note, total, charges
            methods.get(method) or methods.setdefault(method, str(_method(method))),
            channels.get(channel, channel or ""),
            amount,
            reference,
            _day(at),
        )
    blank = (None,) * 8
    for method in sorted(totals, key=lambda m: str(_method(m))):
        yield (str(TOTAL), *blank, str(_method(method)), None, totals[method], None, None)
    yield (str(TOTAL), *blank, None, None, sum(totals.values(), ZERO), None, None)


# --- store-credit movements -------------------------------------------------------------


STORE_CREDIT_HEADER = (
    _("Booked on"),
    _("Kind"),
    _("Amount"),
    _("Customer"),
    _("Customer's e-mail"),
    _("RMA number"),
    _("Order number"),
    _("Valid until"),
    _("Reason"),
)


def store_credit_rows(period: Period) -> Iterator[Row]:
    """Every store-credit entry booked in `period`, then the totals per kind and the net
    movement (F7: the balance is the plain sum of the entries); one query."""
    start, end = period.bounds
    entries = (
        StoreCreditEntry.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by("created_at", "pk")
        .values_list(
            "created_at",
            "kind",
            "amount",
            "customer__name",
            "customer__company",
            "customer__email",
            "ticket__number",
            "order__number",
            "valid_until",
            "reason",
        )
    )
    kinds = {value: str(label) for value, label in EntryKind.choices}
    totals: dict[str, Decimal] = {}
    for created_at, kind, amount, name, company, *rest in entries.iterator(chunk_size=CHUNK):
        totals[kind] = totals.get(kind, ZERO) + amount
        # rest: e-mail, RMA, order, valid until, reason
        yield (
            _day(created_at),
            kinds.get(kind, kind),
            amount,
            _customer(name, company),
            *rest,
        )
    blank = (None,) * 6
    for kind in EntryKind.values:
        if kind in totals:
            yield (str(TOTAL), kinds[kind], totals[kind], *blank)
    yield (str(TOTAL), None, sum(totals.values(), ZERO), *blank)


# --- the exports and their formats ---------------------------------------------------


@dataclass(frozen=True)
class Export:
    name: str  # in the file's name and the download's parameter
    title: Sentence
    header: tuple[Sentence, ...]
    rows: Callable[[Period], Iterator[Row]]
    # Columns that hold money (XLSX: two decimals) — by position in the header.
    money: frozenset[int]


EXPORTS = {
    export.name: export
    for export in (
        Export(
            "credit-notes",
            _("Credit notes issued"),
            CREDIT_NOTE_HEADER,
            credit_note_rows,
            frozenset({9, 10, 11}),
        ),
        Export("refunds", _("Refunds paid"), REFUND_HEADER, refund_rows, frozenset({7, 8, 11})),
        Export(
            "store-credit",
            _("Store-credit movements"),
            STORE_CREDIT_HEADER,
            store_credit_rows,
            frozenset({2}),
        ),
    )
}


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def csv_chunks(export: Export, period: Period, *, rows_per_chunk: int = 500) -> Iterator[str]:
    """The export as CSV text, a few hundred rows at a time (for a streaming response):
    amounts with a decimal point, days as YYYY-MM-DD, so any bookkeeping reads them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(label) for label in export.header])
    for count, row in enumerate(export.rows(period), start=1):
        writer.writerow([_text(value) for value in row])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_write(export: Export, period: Period, target: IO[bytes]) -> int:
    """Write the export as an XLSX workbook of one sheet into `target`: amounts as numbers
    with two decimals, days as dates; return the rows under the header (totals included).
    openpyxl's write-only workbook streams the rows to a temporary file as they come, so
    memory stays flat however many there are."""
    book = Workbook(write_only=True)
    sheet: Any = book.create_sheet(title=str(export.title)[:31])
    bold = Font(bold=True)

    def heading(label: Sentence) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=str(label))
        cell.font = bold
        return cell

    sheet.append([heading(label) for label in export.header])
    count = 0
    for row in export.rows(period):
        sheet.append(_xlsx_row(sheet, row, export.money))
        count += 1
    book.save(target)
    return count


def _xlsx_row(sheet: Any, row: Iterable[Value], money: frozenset[int]) -> list[Any]:
    cells: list[Any] = []
    for index, value in enumerate(row):
        if index in money and value is not None:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = "#,##0.00"
            cells.append(cell)
        elif isinstance(value, dt.date):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        else:
            cells.append(value)
    return cells
