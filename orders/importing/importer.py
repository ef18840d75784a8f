"""Import a document: parse it, then write each valid order in its own transaction."""

from __future__ import annotations

import json
import logging
from decimal import Decimal, InvalidOperation

from django.db import DataError, IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from orders.importing.messages import (
    DATABASE_CONCURRENT,
    DATABASE_HELD,
    DATABASE_REFUSED,
    NOT_JSON,
    NOT_UTF8,
)
from orders.importing.parsing import parse_orders
from orders.importing.results import ImportNotJSON, ImportResult, OrderError
from orders.importing.stored import _Stored, _stored_orders
from orders.importing.values import OrderData
from orders.importing.writing import _OrderRefused, _Writer

logger = logging.getLogger(__package__)  # "orders.importing", as before the split
_ORDER_CHUNK = 500  # orders read from the database at once


def _database_message(exc: Exception) -> str:
    text = str(exc)
    if "order_line_held_within_delivered" in text:
        return _(DATABASE_HELD)
    if isinstance(exc, IntegrityError) and ("unique" in text.lower() or "duplicate" in text):
        return _(DATABASE_CONCURRENT)
    return _(DATABASE_REFUSED).format(detail=text.strip().splitlines()[0][:200])


def import_orders(document: object) -> ImportResult:
    """Validate and write the orders of a decoded document, each in its own transaction.

    Raises ImportFormatError when the document is not `{"orders": [...]}`; a bad order
    is reported in the result's errors and nothing of it is written.
    """
    parsed = parse_orders(document)
    result = ImportResult()
    writer = _Writer([entry for entry in parsed if isinstance(entry, OrderData)])
    stored: dict[str, _Stored] = {}
    for index, entry in enumerate(parsed):
        if index % _ORDER_CHUNK == 0:  # read what is stored of the next orders at once
            stored = _stored_orders(
                [e.number for e in parsed[index : index + _ORDER_CHUNK] if isinstance(e, OrderData)]
            )
        if not isinstance(entry, OrderData):
            result.failed += 1
            result.errors.extend(entry)
            continue
        try:
            with transaction.atomic():
                outcome = writer.write(entry, stored.get(entry.number))
        except _OrderRefused as exc:
            error = OrderError(entry.number, exc.field, exc.message)
        except (IntegrityError, DataError, ProtectedError, UnicodeEncodeError) as exc:
            # UnicodeEncodeError: a text the parsing let through that the driver cannot send
            logger.warning("Order %s refused by the database: %s", entry.number, exc)
            error = OrderError(entry.number, "", _database_message(exc))
        else:
            writer.keep()
            setattr(result, outcome, getattr(result, outcome) + 1)
            continue
        writer.forget()
        result.failed += 1
        result.errors.append(error)
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
    try:
        document = json.loads(raw, parse_float=Decimal)
    except (ValueError, InvalidOperation, RecursionError) as exc:
        raise ImportNotJSON(_(NOT_JSON).format(error=exc)) from None
    return import_orders(document)
