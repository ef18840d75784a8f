"""The idempotent order import (SPEC §1, Appendix A): `{"orders": [ORDER, ...]}`.

Two steps. `parse_orders` checks a decoded JSON document against the format and turns each
order into plain validated values, or into errors that name the order and the field at
fault. `import_orders` then writes each valid order in its own transaction, so a bad order
changes nothing while the others are written.

Re-importing is idempotent: rows are matched on their natural keys (customer e-mail, vendor
name, product SKU, order number, line id within the order) and written only where a value
differs, so importing the same file twice changes no row and no id.

Customers and products are shared by many orders, and an old order may carry details that
have changed since (a customer's new name, a product's new flags). Their details follow the
most recently placed order that mentions them — ordered by (placed_at, number) — so the
result does not depend on the order of the orders in a file, and a second import of a full
dump finds nothing to change.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DataError, IntegrityError, transaction
from django.db.models import OuterRef, ProtectedError, Subquery
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orders.models import (
    Customer,
    CustomerType,
    Discount,
    Order,
    OrderLine,
    Payment,
    PaymentMethod,
    Product,
    ProductFlag,
    Shipment,
    ShipmentLine,
)
from vendors.models import Route, Vendor

logger = logging.getLogger(__name__)

# Messages a person may see (English source, translated at use); the tests assert on them.
NOT_AN_OBJECT = N_('the document must be a JSON object like {"orders": [...]}')
NO_ORDERS_LIST = N_('the document must have a list "orders"')
ORDER_NOT_AN_OBJECT = N_("is not an object")
MISSING = N_("is missing")
NOT_TEXT = N_("{value} is not a text")
EMPTY_TEXT = N_("is empty")
TOO_LONG = N_("is longer than {max} characters")
NOT_AN_EMAIL = N_("{value} is not an e-mail address")
NOT_A_COUNTRY = N_('{value} is not a two-letter country code like "NL"')
NOT_A_LANGUAGE = N_('{value} is not a language code like "nl"')
NOT_A_BOOLEAN = N_("{value} is not true or false")
NOT_A_LIST = N_("{value} is not a list")
NOT_A_MAP = N_('{value} is not an object like {{"1": 2}}')
EMPTY_LIST = N_("is empty")
NOT_ONE_OF = N_("{value} is not one of: {choices}")
NOT_AN_AMOUNT = N_('{value} is not an amount like "12.50"')
NEGATIVE_AMOUNT = N_("{value} is negative")
TOO_MANY_DECIMALS = N_("{value} has more than 2 decimals")
AMOUNT_TOO_LARGE = N_("{value} is too large")
NOT_A_RATE = N_('{value} is not a VAT rate like "21" or "9.5"')
NOT_A_TIME = N_('{value} is not a time with offset like "2026-10-01T10:15:00+02:00"')
NOT_A_DATE = N_('{value} is not a date like "2026-10-01"')
NOT_A_QUANTITY = N_("{value} is not a positive whole number")
PARTNER_NOT_BUSINESS = N_("only a business customer can be a partner")
DUPLICATE_LINE = N_('line "{line}" appears more than once')
TOO_MANY_SERIALS = N_("{count} serial numbers for a quantity of {quantity}")
SKU_CONFLICT = N_('SKU {sku} has a different vendor or flags on line "{line}"')
UNKNOWN_LINE = N_('line "{line}" is not in this order')
DIGITAL_SHIPPED = N_('line "{line}" is digital, and digital lines are never shipped')
OVER_SHIPPED = N_('line "{line}": {shipped} shipped, but {ordered} ordered')
DELIVERED_BEFORE_SHIPPED = N_("is before shipped_at")
PAYMENTS_DO_NOT_ADD_UP = N_(
    "the payments add up to {paid}, but goods {goods} - discounts {discounts} "
    "+ shipping {shipping} = {due}"
)
DUPLICATE_ORDER = N_("appears {count} times in this file; none of them was imported")
BELOW_HELD = N_(
    'line "{line}": delivered quantity {delivered} is below the {held} already on return tickets'
)
LINE_ON_TICKET = N_(
    'line "{line}" is no longer in the order, but it is on return ticket {ticket} '
    "and cannot be removed"
)
DATABASE_HELD = N_("a delivered quantity would fall below what is already on return tickets")
DATABASE_CONCURRENT = N_(
    "someone else changed this order or its customer or products at the same time; import it again"
)
DATABASE_REFUSED = N_("the database refused this order ({detail})")

MAX_QUANTITY = 2_147_483_647  # a PositiveIntegerField
MAX_AMOUNT_DIGITS = 10  # money_field: 12 digits, 2 of them decimals
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*")
_DB_CHUNK = 1000  # keys per IN (...) list; SQLite limits the number of parameters
_ORDER_CHUNK = 500  # orders read from the database at once


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderError:
    """Why an order was not imported: its number, the field path at fault and the reason."""

    order: str
    field: str
    message: str

    def __str__(self) -> str:
        if self.field:
            return f"{self.order}: {self.field}: {self.message}"
        return f"{self.order}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"order": self.order, "field": self.field, "message": self.message}


@dataclass
class ImportResult:
    """What an import did: orders created, updated, unchanged, and the errors of the rest."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[OrderError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [error.as_dict() for error in self.errors],
        }


class ImportFormatError(Exception):
    """The document as a whole is not `{"orders": [...]}`; no order was looked at."""


class ImportNotJSON(ImportFormatError):
    """The text is not JSON at all."""


# --- validated values ----------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerData:
    email: str
    name: str
    type: str
    partner: bool
    language: str
    country: str
    company: str
    vat_number: str


@dataclass(frozen=True)
class LineData:
    line_id: str
    sku: str
    name: str
    vendor: str
    quantity: int
    unit_price: Decimal
    vat_rate: Decimal
    flags: frozenset[str]
    promotion: bool
    serials: tuple[str, ...]
    activated_at: datetime | None


@dataclass(frozen=True)
class ShipmentData:
    lines: tuple[tuple[str, int], ...]  # (line id, quantity), sorted by line id
    shipped_at: datetime | None
    delivered_at: datetime | None
    carrier: str
    tracking: str


@dataclass(frozen=True)
class OrderData:
    number: str
    customer: CustomerData
    placed_at: datetime
    invoiced_on: date | None
    shipping_method: str
    shipping_price: Decimal
    standard_shipping_price: Decimal
    discounts: tuple[tuple[str, Decimal], ...]  # (code, amount)
    payments: tuple[tuple[str, Decimal], ...]  # (method, amount)
    lines: tuple[LineData, ...]
    shipments: tuple[ShipmentData, ...]

    @property
    def precedence(self) -> tuple[datetime, str]:
        """The later order decides a shared customer's or product's details."""
        return (self.placed_at, self.number)

    def delivered(self) -> Counter[str]:
        """Quantities per line id in shipments that arrived (a line never shipped: 0)."""
        delivered: Counter[str] = Counter()
        for shipment in self.shipments:
            if shipment.delivered_at is not None:
                for line_id, quantity in shipment.lines:
                    delivered[line_id] += quantity
        return delivered


# --- parsing -------------------------------------------------------------------------------


class _Refused(Exception):
    """A value that does not fit its field; the message names the value, not the field."""


_BAD = object()  # a field that was refused; checks that need it are skipped


def _show(value: object) -> str:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return str(value)
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _refuse(message: str, value: object = None, **kwargs: object) -> _Refused:
    return _Refused(_(message).format(value=_show(value), **kwargs))


def _text(max_length: int, *, blank: bool = False) -> Callable[[object], str]:
    def convert(value: object) -> str:
        if not isinstance(value, str):
            raise _refuse(NOT_TEXT, value)
        value = value.strip()
        if not value and not blank:
            raise _refuse(EMPTY_TEXT)
        if len(value) > max_length:
            raise _refuse(TOO_LONG, max=max_length)
        return value

    return convert


def _line_key(value: object) -> str:
    """A line id: a text as in Appendix A; a whole number is taken as its text."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return _text(20)(value)


def _email(value: object) -> str:
    text = _text(254)(value)
    try:
        validate_email(text)
    except ValidationError:
        raise _refuse(NOT_AN_EMAIL, value) from None
    return text


def _country(value: object) -> str:
    if not isinstance(value, str) or not _COUNTRY.fullmatch(value):
        raise _refuse(NOT_A_COUNTRY, value)
    return value.upper()


def _language(value: object) -> str:
    """The customer's language if Retour speaks it, else its base language, else the default."""
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
        raise _refuse(NOT_A_LANGUAGE, value)
    spoken = {code.lower() for code, _name in settings.LANGUAGES}
    code = value.lower().replace("_", "-")
    for candidate in (code, code.split("-")[0]):
        if candidate in spoken:
            return candidate
    return settings.LANGUAGE_CODE


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise _refuse(NOT_A_BOOLEAN, value)
    return value


def _choice(choices: Sequence[str]) -> Callable[[object], str]:
    def convert(value: object) -> str:
        if value not in choices:
            raise _refuse(NOT_ONE_OF, value, choices=", ".join(choices))
        return value  # type: ignore[return-value]

    return convert


def _amount(value: object) -> Decimal:
    """Money is a decimal string with at most two decimals (never a JSON number: floats)."""
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        raise _refuse(NOT_AN_AMOUNT, value)
    amount = Decimal(value)
    if amount < 0:
        raise _refuse(NEGATIVE_AMOUNT, value)
    if "." in value and len(value.split(".")[1]) > 2:
        raise _refuse(TOO_MANY_DECIMALS, value)
    if len(value.split(".")[0].lstrip("0")) > MAX_AMOUNT_DIGITS:
        raise _refuse(AMOUNT_TOO_LARGE, value)
    return amount


def _vat_rate(value: object) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        raise _refuse(NOT_A_RATE, value)
    rate = Decimal(value)
    if not Decimal(0) <= rate <= Decimal(100) or rate != rate.quantize(Decimal("0.01")):
        raise _refuse(NOT_A_RATE, value)
    return rate


def _time(value: object) -> datetime:
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise _refuse(NOT_A_TIME, value)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _refuse(NOT_A_TIME, value) from None


def _date(value: object) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _refuse(NOT_A_DATE, value)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _refuse(NOT_A_DATE, value) from None


def _quantity(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_QUANTITY:
        raise _refuse(NOT_A_QUANTITY, value)
    return value


def _list(value: object) -> list:
    if not isinstance(value, list):
        raise _refuse(NOT_A_LIST, value)
    return value


class _OrderReader:
    """Read one order of the document, collecting every error with its field path."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def refuse(self, path: str, message: str, **kwargs: object) -> None:
        self.errors.append((path, _(message).format(**kwargs)))

    def get(
        self,
        obj: dict,
        key: str,
        path: str,
        convert: Callable[[object], Any],
        *,
        required: bool = True,
        default: object = None,
    ) -> Any:
        """The converted value of obj[key]; `default` when absent or null and not required."""
        where = f"{path}.{key}" if path else key
        if obj.get(key) is None:
            if required:
                self.refuse(where, MISSING)
                return _BAD
            return default
        try:
            return convert(obj[key])
        except _Refused as exc:
            self.errors.append((where, str(exc)))
            return _BAD

    def objects(self, obj: dict, key: str, *, required: bool) -> list[tuple[str, dict]]:
        """The objects of the list obj[key] with their paths (`lines[0]` …)."""
        items = self.get(obj, key, "", _list, required=required, default=[])
        if items is _BAD:
            return []
        if required and not items:
            self.refuse(key, EMPTY_LIST)
        found = []
        for index, item in enumerate(items):
            path = f"{key}[{index}]"
            if isinstance(item, dict):
                found.append((path, item))
            else:
                self.refuse(path, ORDER_NOT_AN_OBJECT)
        return found

    def order(self, raw: dict, number: str) -> OrderData | None:
        customer = self.customer(raw)
        placed_at = self.get(raw, "placed_at", "", _time)
        invoiced_on = self.get(raw, "invoiced_on", "", _date, required=False)
        shipping = raw.get("shipping")
        method, price, standard_price = "", Decimal("0.00"), Decimal("0.00")
        if shipping is not None:  # an order of digital goods only has no delivery
            if isinstance(shipping, dict):
                method = self.get(shipping, "method", "shipping", _text(40, blank=True))
                price = self.get(shipping, "price", "shipping", _amount)
                standard_price = self.get(shipping, "standard_price", "shipping", _amount)
            else:
                self.refuse("shipping", ORDER_NOT_AN_OBJECT)
        discounts = [
            (self.get(d, "code", path, _text(60)), self.get(d, "amount", path, _amount))
            for path, d in self.objects(raw, "discounts", required=False)
        ]
        payments = [
            (
                self.get(p, "method", path, _choice(PaymentMethod.values)),
                self.get(p, "amount", path, _amount),
            )
            for path, p in self.objects(raw, "payments", required=False)
        ]
        lines = [
            (path, self.line(line, path))
            for path, line in self.objects(raw, "lines", required=True)
        ]
        shipments = [
            (path, self.shipment(shipment, path))
            for path, shipment in self.objects(raw, "shipments", required=False)
        ]
        every_line_read = len(lines) == len(raw["lines"]) if lines else False
        if self.check_lines(lines) and every_line_read:
            self.check_shipments(lines, shipments)
        if not self.errors:
            self.check_total(lines, discounts, payments, price)
        if self.errors:
            return None
        return OrderData(
            number=number,
            customer=customer,
            placed_at=placed_at,
            invoiced_on=invoiced_on,
            shipping_method=method,
            shipping_price=price,
            standard_shipping_price=standard_price,
            discounts=tuple(discounts),
            payments=tuple(payments),
            lines=tuple(line for _path, line in lines),
            shipments=tuple(shipment for _path, shipment in shipments),
        )

    def customer(self, raw: dict) -> CustomerData | None:
        data = raw.get("customer")
        if not isinstance(data, dict):
            self.refuse("customer", MISSING if data is None else ORDER_NOT_AN_OBJECT)
            return None
        get = self.get
        customer_type = get(data, "type", "customer", _choice(CustomerType.values))
        partner = get(data, "partner", "customer", _boolean, required=False, default=False)
        if partner is True and customer_type == CustomerType.CONSUMER:
            self.refuse("customer.partner", PARTNER_NOT_BUSINESS)
        return CustomerData(
            email=get(data, "email", "customer", _email),
            name=get(data, "name", "customer", _text(200)),
            type=customer_type,
            partner=partner,
            language=get(
                data,
                "language",
                "customer",
                _language,
                required=False,
                default=settings.LANGUAGE_CODE,
            ),
            country=get(data, "country", "customer", _country),
            company=get(
                data, "company", "customer", _text(200, blank=True), required=False, default=""
            ),
            vat_number=get(
                data, "vat_number", "customer", _text(30, blank=True), required=False, default=""
            ),
        )

    def line(self, raw: dict, path: str) -> LineData:
        get = self.get
        quantity = get(raw, "quantity", path, _quantity)
        flags = get(raw, "flags", path, _list, required=False, default=[])
        if flags is not _BAD:
            for index, flag in enumerate(flags):
                if flag not in ProductFlag.values:
                    self.errors.append(
                        (
                            f"{path}.flags[{index}]",
                            str(_refuse(NOT_ONE_OF, flag, choices=", ".join(ProductFlag.values))),
                        )
                    )
                    flags = _BAD
        serials = get(raw, "serials", path, _list, required=False, default=[])
        if serials is not _BAD:
            for index, serial in enumerate(serials):
                try:
                    _text(100)(serial)
                except _Refused as exc:
                    self.errors.append((f"{path}.serials[{index}]", str(exc)))
                    serials = _BAD
                    break
        if serials is not _BAD and quantity is not _BAD and len(serials) > quantity:
            self.refuse(f"{path}.serials", TOO_MANY_SERIALS, count=len(serials), quantity=quantity)
        return LineData(
            line_id=get(raw, "id", path, _line_key),
            sku=get(raw, "sku", path, _text(64)),
            name=get(raw, "name", path, _text(200)),
            vendor=get(raw, "vendor", path, _text(100)),
            quantity=quantity,
            unit_price=get(raw, "unit_price", path, _amount),
            vat_rate=get(raw, "vat_rate", path, _vat_rate),
            flags=flags if flags is _BAD else frozenset(flags),
            promotion=get(raw, "promotion", path, _boolean, required=False, default=False),
            serials=serials if serials is _BAD else tuple(s.strip() for s in serials),
            activated_at=get(raw, "activated_at", path, _time, required=False),
        )

    def shipment(self, raw: dict, path: str) -> ShipmentData:
        quantities = self.get(raw, "lines", path, self._shipped_map(path))
        shipped_at = self.get(raw, "shipped_at", path, _time, required=False)
        delivered_at = self.get(raw, "delivered_at", path, _time, required=False)
        both = isinstance(shipped_at, datetime) and isinstance(delivered_at, datetime)
        if both and delivered_at < shipped_at:
            self.refuse(f"{path}.delivered_at", DELIVERED_BEFORE_SHIPPED)
        return ShipmentData(
            lines=quantities,
            shipped_at=shipped_at,
            delivered_at=delivered_at,
            carrier=self.get(
                raw, "carrier", path, _text(60, blank=True), required=False, default=""
            ),
            tracking=self.get(
                raw, "tracking", path, _text(80, blank=True), required=False, default=""
            ),
        )

    def _shipped_map(self, path: str) -> Callable[[object], tuple[tuple[str, int], ...]]:
        def convert(value: object) -> tuple[tuple[str, int], ...]:
            if not isinstance(value, dict):
                raise _refuse(NOT_A_MAP, value)
            if not value:
                raise _refuse(EMPTY_LIST)
            found = []
            for key, quantity in value.items():
                try:
                    found.append((_line_key(key), _quantity(quantity)))
                except _Refused as exc:
                    self.errors.append((f"{path}.lines.{key}", str(exc)))
            if len(found) < len(value):
                return _BAD  # type: ignore[return-value]
            return tuple(sorted(found))

        return convert

    def check_lines(self, lines: list[tuple[str, LineData]]) -> bool:
        """Check line ids are unique and a SKU means one product; say if the ids are sound."""
        sound = bool(lines)
        seen_ids: set[str] = set()
        products: dict[str, LineData] = {}
        for path, line in lines:
            if line.line_id is _BAD:
                sound = False
            elif line.line_id in seen_ids:
                self.refuse(f"{path}.id", DUPLICATE_LINE, line=line.line_id)
                sound = False
            seen_ids.add(line.line_id)
            first = products.setdefault(line.sku, line)
            if first is not line and (first.vendor, first.flags) != (line.vendor, line.flags):
                self.refuse(f"{path}.sku", SKU_CONFLICT, sku=line.sku, line=first.line_id)
        return sound

    def check_shipments(
        self, lines: list[tuple[str, LineData]], shipments: list[tuple[str, ShipmentData]]
    ) -> None:
        by_id = {line.line_id: (path, line) for path, line in lines}
        shipped: Counter[str] = Counter()
        for path, shipment in shipments:
            if shipment.lines is _BAD:
                continue
            for line_id, quantity in shipment.lines:
                where = f"{path}.lines.{line_id}"
                if line_id not in by_id:
                    self.refuse(where, UNKNOWN_LINE, line=line_id)
                elif by_id[line_id][1].flags is not _BAD and (
                    ProductFlag.DIGITAL in by_id[line_id][1].flags
                ):
                    self.refuse(where, DIGITAL_SHIPPED, line=line_id)
                shipped[line_id] += quantity
        for line_id, quantity in shipped.items():
            if line_id in by_id:
                path, line = by_id[line_id]
                if line.quantity is not _BAD and quantity > line.quantity:
                    self.refuse(
                        "shipments",
                        OVER_SHIPPED,
                        line=line_id,
                        shipped=quantity,
                        ordered=line.quantity,
                    )

    def check_total(self, lines, discounts, payments, shipping_price: Decimal) -> None:
        """SPEC Appendix A: the amounts add up; an order that does not is refused, since
        refunds are allocated from these amounts (F1) and paid back by method (F6)."""
        goods = sum((line.unit_price * line.quantity for _path, line in lines), Decimal("0"))
        discounted = sum((amount for _code, amount in discounts), Decimal("0"))
        paid = sum((amount for _method, amount in payments), Decimal("0"))
        due = goods - discounted + shipping_price
        if paid != due:
            self.refuse(
                "payments",
                PAYMENTS_DO_NOT_ADD_UP,
                paid=f"{paid:.2f}",
                goods=f"{goods:.2f}",
                discounts=f"{discounted:.2f}",
                shipping=f"{shipping_price:.2f}",
                due=f"{due:.2f}",
            )


def parse_orders(document: object) -> list[OrderData | list[OrderError]]:
    """Validate a decoded document; one entry per order: its values or its errors.

    Raises ImportFormatError when the document is not `{"orders": [...]}` at all.
    """
    if not isinstance(document, dict):
        raise ImportFormatError(_(NOT_AN_OBJECT))
    raw_orders = document.get("orders")
    if not isinstance(raw_orders, list):
        raise ImportFormatError(_(NO_ORDERS_LIST))
    labels = []
    for index, raw in enumerate(raw_orders):
        number = raw.get("number") if isinstance(raw, dict) else None
        valid = isinstance(number, str) and number.strip() and len(number.strip()) <= 40
        labels.append(number.strip() if valid else f"orders[{index}]")
    counts = Counter(labels)
    parsed: list[OrderData | list[OrderError]] = []
    for index, raw in enumerate(raw_orders):
        label = labels[index]
        if not isinstance(raw, dict):
            parsed.append([OrderError(label, "", _(ORDER_NOT_AN_OBJECT))])
            continue
        reader = _OrderReader()
        number = reader.get(raw, "number", "", _text(40))
        if counts[label] > 1 and number is not _BAD:
            reader.refuse("number", DUPLICATE_ORDER, count=counts[label])
        data = reader.order(raw, number) if not reader.errors else None
        if data is None:
            parsed.append([OrderError(label, path, message) for path, message in reader.errors])
        else:
            parsed.append(data)
    return parsed


# --- writing -------------------------------------------------------------------------------


class _OrderRefused(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _chunks(keys: Iterable[str]) -> Iterable[list[str]]:
    keys = sorted(set(keys))
    for start in range(0, len(keys), _DB_CHUNK):
        yield keys[start : start + _DB_CHUNK]


_CUSTOMER_FIELDS = ("name", "type", "partner", "language", "country", "company", "vat_number")
_PRODUCT_FIELDS = ("name", "vendor_id", *ProductFlag.values)
_LINE_FIELDS = (
    "product_id",
    "name",
    "quantity",
    "unit_price",
    "vat_rate",
    "promotion",
    "serials",
    "activated_at",
    "delivered_quantity",
)
_ORDER_FIELDS = (
    "customer_id",
    "placed_at",
    "invoiced_on",
    "shipping_method",
    "shipping_price",
    "standard_shipping_price",
)


def _set_changed(instance: object, values: dict[str, object]) -> list[str]:
    """Set the values that differ; return their names."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    return changed


@dataclass
class _Stored:
    """An order with its children as the database holds them, in comparable form."""

    order: Order
    lines: dict[str, OrderLine] = field(default_factory=dict)
    discounts: Counter[tuple[str, Decimal]] = field(default_factory=Counter)
    payments: Counter[tuple[str, Decimal]] = field(default_factory=Counter)
    shipments: Counter[ShipmentData] = field(default_factory=Counter)


def _stored_orders(numbers: Sequence[str], *, lock: bool = False) -> dict[str, _Stored]:
    """Read orders and their children in six queries, whatever their number.

    With `lock`, the order and line rows stay locked until the transaction ends, so the
    held quantities read here cannot change before the import writes (ticket services
    lock the same line rows).
    """
    orders = Order.objects.filter(number__in=numbers).order_by("pk")
    if lock:
        orders = orders.select_for_update()
    found = {order.pk: _Stored(order) for order in orders}
    if not found:
        return {}
    lines = OrderLine.objects.filter(order_id__in=found).order_by("pk")
    for line in lines.select_for_update() if lock else lines:
        found[line.order_id].lines[line.line_id] = line
    for order_id, code, amount in Discount.objects.filter(order_id__in=found).values_list(
        "order_id", "code", "amount"
    ):
        found[order_id].discounts[code, amount] += 1
    for order_id, method, amount in Payment.objects.filter(order_id__in=found).values_list(
        "order_id", "method", "amount"
    ):
        found[order_id].payments[method, amount] += 1
    shipped: dict[int, list[tuple[str, int]]] = {}
    for shipment_id, line_id, quantity in ShipmentLine.objects.filter(
        shipment__order_id__in=found
    ).values_list("shipment_id", "line__line_id", "quantity"):
        shipped.setdefault(shipment_id, []).append((line_id, quantity))
    for shipment in Shipment.objects.filter(order_id__in=found):
        found[shipment.order_id].shipments[
            ShipmentData(
                lines=tuple(sorted(shipped.get(shipment.pk, []))),
                shipped_at=shipment.shipped_at,
                delivered_at=shipment.delivered_at,
                carrier=shipment.carrier,
                tracking=shipment.tracking,
            )
        ] += 1
    return {stored.order.number: stored for stored in found.values()}


def _locked(number: str, seen: _Stored) -> _Stored | None:
    """Lock the order and its lines and read them again (held quantities move with tickets).

    Discounts, payments and shipments are written only by this import, which always
    saves the order (updated_at) when it changes them: if updated_at is as it was when
    `seen` was read, they are still as `seen` holds them.
    """
    lines = list(
        OrderLine.objects.select_for_update()
        .select_related("order")
        .filter(order__number=number)
        .order_by("pk")
    )
    if not lines or lines[0].order.updated_at != seen.order.updated_at:
        return _stored_orders([number], lock=True).get(number)
    return _Stored(
        order=lines[0].order,
        lines={line.line_id: line for line in lines},
        discounts=seen.discounts,
        payments=seen.payments,
        shipments=seen.shipments,
    )


class _Writer:
    """Write validated orders, keeping the shared customers, vendors and products in memory.

    What an order's transaction creates or changes is staged and kept only when the
    transaction commits, so a refused order leaves no trace in memory either.
    """

    def __init__(self, orders: Sequence[OrderData]) -> None:
        self.customers: dict[str, Customer] = {}
        self.vendors: dict[str, Vendor] = {}
        self.products: dict[str, Product] = {}
        # (placed_at, number) of the newest order that set each customer's/product's details
        self.source: dict[tuple[str, str], tuple[datetime, str]] = {}
        self._load(orders)
        self._staged: dict[tuple[str, str], object] = {}

    def _load(self, orders: Sequence[OrderData]) -> None:
        emails = {order.customer.email.lower() for order in orders}
        skus = {line.sku for order in orders for line in order.lines}
        vendors = {line.vendor.lower() for order in orders for line in order.lines}
        newest_order = Order.objects.filter(customer=OuterRef("pk")).order_by(
            "-placed_at", "-number"
        )
        for chunk in _chunks(emails):
            for customer in (
                Customer.objects.annotate(
                    email_lower=Lower("email"),
                    source_placed=Subquery(newest_order.values("placed_at")[:1]),
                    source_number=Subquery(newest_order.values("number")[:1]),
                )
                .filter(email_lower__in=chunk)
                .order_by("-pk")  # several differing only in case: the oldest wins
            ):
                self.customers[customer.email_lower] = customer
                if customer.source_placed is not None:
                    self.source["customer", customer.email_lower] = (
                        customer.source_placed,
                        customer.source_number,
                    )
        for chunk in _chunks(vendors):
            for vendor in (
                Vendor.objects.annotate(name_lower=Lower("name"))
                .filter(name_lower__in=chunk)
                .order_by("-pk")
            ):
                self.vendors[vendor.name_lower] = vendor
        newest_line = OrderLine.objects.filter(product=OuterRef("pk")).order_by(
            "-order__placed_at", "-order__number"
        )
        for chunk in _chunks(skus):
            for product in Product.objects.filter(sku__in=chunk).annotate(
                source_placed=Subquery(newest_line.values("order__placed_at")[:1]),
                source_number=Subquery(newest_line.values("order__number")[:1]),
            ):
                self.products[product.sku] = product
                if product.source_placed is not None:
                    self.source["product", product.sku] = (
                        product.source_placed,
                        product.source_number,
                    )

    # The memory of shared rows follows the transactions of the orders.

    def _stage(self, kind: str, key: str, instance: object, precedence) -> None:
        self._staged[kind, key] = (instance, precedence)

    def keep(self) -> None:
        tables = {"customer": self.customers, "vendor": self.vendors, "product": self.products}
        for (kind, key), (instance, precedence) in self._staged.items():
            tables[kind][key] = instance
            if precedence is not None:
                self.source[kind, key] = precedence
        self._staged = {}

    def forget(self) -> None:
        self._staged = {}

    def _current(self, kind: str, key: str, table: dict) -> Any:
        staged = self._staged.get((kind, key))
        return staged[0] if staged else table.get(key)

    def _decides(self, kind: str, key: str, order: OrderData) -> bool:
        """May this order set the details of a shared row? Only if none newer did."""
        staged = self._staged.get((kind, key))
        if staged and staged[1] is not None:
            return True
        source = self.source.get((kind, key))
        return source is None or order.precedence >= source

    # One order.

    def write(self, data: OrderData, stored: _Stored | None) -> str:
        """Create or update one order inside the caller's transaction; say which.

        `stored` is the order as read with its chunk of the file: when it shows nothing
        to change, no query is needed; otherwise the order is read again, locked.
        """
        changed = self._customer(data)
        products = {line.sku: self._product(line, data) for line in data.lines}
        changed = changed or any(was_changed for _product, was_changed in products.values())
        customer = self._current("customer", data.customer.email.lower(), self.customers)
        order_values = {
            "customer_id": customer.pk,
            "placed_at": data.placed_at,
            "invoiced_on": data.invoiced_on,
            "shipping_method": data.shipping_method,
            "shipping_price": data.shipping_price,
            "standard_shipping_price": data.standard_shipping_price,
        }
        unchanged = not changed and stored is not None
        if unchanged and not self._differs(stored, data, order_values, products):
            return "unchanged"
        if stored is not None:
            stored = _locked(data.number, stored)
        if stored is None:
            order = Order.objects.create(number=data.number, **order_values)
            self._create_children(order, data, {sku: p for sku, (p, _c) in products.items()})
            return "created"
        order = stored.order
        order_changed = _set_changed(order, order_values)
        changed = self._update_children(stored, data, products) or changed
        if order_changed or changed:
            order.save()  # also marks it as updated by this import (updated_at)
            return "updated"
        return "unchanged"

    def _differs(self, stored: _Stored, data: OrderData, order_values: dict, products) -> bool:
        """Would importing this order change its row or its children's rows?"""
        if any(getattr(stored.order, name) != value for name, value in order_values.items()):
            return True
        if stored.lines.keys() != {line.line_id for line in data.lines}:
            return True
        delivered = data.delivered()
        for line in data.lines:
            values = self._line_values(line, products[line.sku][0], delivered[line.line_id])
            old = stored.lines[line.line_id]
            if any(getattr(old, name) != value for name, value in values.items()):
                return True
        return (
            stored.discounts != Counter(data.discounts)
            or stored.payments != Counter(data.payments)
            or stored.shipments != Counter(data.shipments)
        )

    def _customer(self, data: OrderData) -> bool:
        values = data.customer
        key = values.email.lower()
        customer = self._current("customer", key, self.customers)
        wanted = {name: getattr(values, name) for name in _CUSTOMER_FIELDS}
        if customer is None:
            customer = Customer.objects.create(email=values.email, **wanted)
            self._stage("customer", key, customer, data.precedence)
            return True
        if not self._decides("customer", key, data):
            return False
        customer = copy.copy(customer)
        changed = _set_changed(customer, wanted)
        if changed:
            customer.save(update_fields=changed)
        self._stage("customer", key, customer, data.precedence)
        return bool(changed)

    def _vendor(self, name: str) -> Vendor:
        key = name.lower()
        vendor = self._current("vendor", key, self.vendors)
        if vendor is None:  # V1: a vendor the shop has not set up is routed via the shop
            vendor = Vendor.objects.create(name=name, route=Route.VIA_SHOP)
            self._stage("vendor", key, vendor, None)
        return vendor

    def _product(self, line: LineData, data: OrderData) -> tuple[Product, bool]:
        product = self._current("product", line.sku, self.products)
        staged = self._staged.get(("product", line.sku))
        if staged and staged[1] is not None and product is not None:
            return product, False  # an earlier line of this order already set it
        flags = {flag: flag in line.flags for flag in ProductFlag.values}
        if product is None:
            product = Product.objects.create(
                sku=line.sku, name=line.name, vendor=self._vendor(line.vendor), **flags
            )
            self._stage("product", line.sku, product, data.precedence)
            return product, True
        if not self._decides("product", line.sku, data):
            return product, False
        product = copy.copy(product)
        wanted = {"name": line.name, "vendor_id": self._vendor(line.vendor).pk, **flags}
        changed = _set_changed(product, wanted)
        if changed:
            product.save(update_fields=[name.removesuffix("_id") for name in changed])
        self._stage("product", line.sku, product, data.precedence)
        return product, bool(changed)

    def _line_values(self, line: LineData, product: Product, delivered: int) -> dict:
        return {
            "product_id": product.pk,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "vat_rate": line.vat_rate,
            "promotion": line.promotion,
            "serials": list(line.serials),
            "activated_at": line.activated_at,
            "delivered_quantity": delivered,
        }

    def _create_children(self, order: Order, data: OrderData, products: dict) -> None:
        delivered = data.delivered()
        lines = OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                line_id=line.line_id,
                **self._line_values(line, products[line.sku], delivered[line.line_id]),
            )
            for line in data.lines
        )
        self._create_rest(order, data, {line.line_id: line for line in lines})

    def _create_rest(
        self,
        order: Order,
        data: OrderData,
        lines: dict[str, OrderLine],
        *,
        discounts: bool = True,
        payments: bool = True,
        shipments: bool = True,
    ) -> None:
        if discounts:
            Discount.objects.bulk_create(
                Discount(order=order, code=code, amount=amount) for code, amount in data.discounts
            )
        if payments:
            Payment.objects.bulk_create(
                Payment(order=order, method=method, amount=amount)
                for method, amount in data.payments
            )
        if shipments and data.shipments:
            created = Shipment.objects.bulk_create(
                Shipment(
                    order=order,
                    shipped_at=shipment.shipped_at,
                    delivered_at=shipment.delivered_at,
                    carrier=shipment.carrier,
                    tracking=shipment.tracking,
                )
                for shipment in data.shipments
            )
            ShipmentLine.objects.bulk_create(
                ShipmentLine(shipment=row, line=lines[line_id], quantity=quantity)
                for row, shipment in zip(created, data.shipments, strict=True)
                for line_id, quantity in shipment.lines
            )

    def _update_children(self, stored: _Stored, data: OrderData, products: dict) -> bool:
        order, existing = stored.order, stored.lines
        delivered = data.delivered()
        wanted_ids = {line.line_id for line in data.lines}
        for line in data.lines:
            old = existing.get(line.line_id)
            if old is not None and old.held_quantity > delivered[line.line_id]:
                raise _OrderRefused(
                    f"lines[{data.lines.index(line)}]",
                    _(BELOW_HELD).format(
                        line=line.line_id,
                        delivered=delivered[line.line_id],
                        held=old.held_quantity,
                    ),
                )
        vanished = [line for line_id, line in existing.items() if line_id not in wanted_ids]
        if vanished:
            on_ticket = (
                OrderLine.objects.filter(pk__in=[line.pk for line in vanished])
                .filter(ticket_lines__isnull=False)
                .values_list("line_id", "ticket_lines__ticket__number")
                .order_by("pk")
                .first()
            )
            if on_ticket:
                raise _OrderRefused(
                    "lines", _(LINE_ON_TICKET).format(line=on_ticket[0], ticket=on_ticket[1])
                )

        old_discounts, old_payments = stored.discounts, stored.payments
        old_shipments = stored.shipments
        new_discounts = Counter(data.discounts)
        new_payments = Counter(data.payments)
        new_shipments = Counter(data.shipments)
        shipments_changed = old_shipments != new_shipments
        if shipments_changed:
            order.shipments.all().delete()
        if vanished:
            OrderLine.objects.filter(pk__in=[line.pk for line in vanished]).delete()

        to_update, to_create, fields = [], [], set()
        for line in data.lines:
            values = self._line_values(line, products[line.sku][0], delivered[line.line_id])
            old = existing.get(line.line_id)
            if old is None:
                to_create.append(OrderLine(order=order, line_id=line.line_id, **values))
            else:
                changed = _set_changed(old, values)
                if changed:
                    to_update.append(old)
                    fields.update(changed)
        if to_update:
            OrderLine.objects.bulk_update(to_update, sorted(fields))
        OrderLine.objects.bulk_create(to_create)

        discounts_changed = old_discounts != new_discounts
        payments_changed = old_payments != new_payments
        if discounts_changed:
            order.discounts.all().delete()
        if payments_changed:
            order.payments.all().delete()
        lines = {**existing, **{line.line_id: line for line in to_create}}
        self._create_rest(
            order,
            data,
            lines,
            discounts=discounts_changed,
            payments=payments_changed,
            shipments=shipments_changed,
        )
        return bool(
            vanished
            or to_update
            or to_create
            or discounts_changed
            or payments_changed
            or shipments_changed
        )


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
        except (IntegrityError, DataError, ProtectedError) as exc:
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

    Raises ImportFormatError when the text is not JSON or not `{"orders": [...]}`.
    """
    try:
        document = json.loads(raw, parse_float=Decimal)
    except (ValueError, InvalidOperation, RecursionError) as exc:  # also bad UTF-8
        raise ImportNotJSON(_("not valid JSON: {error}").format(error=exc)) from None
    return import_orders(document)
