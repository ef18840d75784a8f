"""Import a document: parse it, then write its valid orders a batch at a time."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from orders.importing.messages import NOT_JSON, NOT_UTF8
from orders.importing.parsing import parse_orders
from orders.importing.results import ImportNotJSON, ImportResult, OrderError
from orders.importing.values import OrderData
from orders.importing.writing import _Writer

# Orders written in one transaction. Larger batches save round trips, but a batch the
# database refuses is written again order by order, and its IN (...) lists grow with it.
BATCH_SIZE = 500


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a file is imported.

    An import allocates millions of small objects (the decoded JSON, the validated
    values, the model instances) and keeps most of them to the end. The collector runs
    every few hundred allocations and, ever more often, walks all of them again: that
    took a third of the import's time. They hold no reference cycles, so nothing is
    left for the collector to find until the import ends; it runs again after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_orders(document: object) -> ImportResult:
    """Validate and write the orders of a decoded document.

    Raises ImportFormatError when the document is not `{"orders": [...]}`; a bad order
    is reported in the result's errors and nothing of it is written.
    """
    with _cycle_collector_paused():
        return _import(document)


def _import(document: object) -> ImportResult:
    parsed = parse_orders(document)
    result = ImportResult()
    writer = _Writer([entry for entry in parsed if isinstance(entry, OrderData)])
    for start in range(0, len(parsed), BATCH_SIZE):
        entries = parsed[start : start + BATCH_SIZE]
        outcomes = writer.write_batch([entry for entry in entries if isinstance(entry, OrderData)])
        for entry in entries:  # in the file's order, errors too
            if not isinstance(entry, OrderData):
                result.failed += 1
                result.errors.extend(entry)
                continue
            outcome = outcomes[entry.number]
            if isinstance(outcome, OrderError):
                result.failed += 1
                result.errors.append(outcome)
            else:
                setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def import_orders_json(raw: bytes | str) -> ImportResult:
    """Decode a JSON text (numbers as Decimal, never float) and import its orders.

    Raises ImportFormatError when the text is not JSON or not `{"orders": [...]}`, and
    ImportNotJSON (one of them) when bytes are not UTF-8 (RFC 8259 §8.1) or not JSON.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")  # a byte order mark is tolerated, not required
        except UnicodeDecodeError as exc:
            byte = f"0x{exc.object[exc.start]:02x}"
            raise ImportNotJSON(_(NOT_UTF8).format(byte=byte, position=exc.start)) from None
    with _cycle_collector_paused():
        try:
            document = json.loads(raw, parse_float=Decimal)
        except (ValueError, InvalidOperation, RecursionError) as exc:
            raise ImportNotJSON(_(NOT_JSON).format(error=exc)) from None
        return import_orders(document)
