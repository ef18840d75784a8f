"""Read a decoded document into validated orders, or errors naming order and field."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from orders.enums import CustomerType, PaymentMethod, ProductFlag
from orders.importing.fields import (
    _BAD,
    _amount,
    _boolean,
    _choice,
    _country,
    _date,
    _email,
    _language,
    _line_key,
    _list,
    _quantity,
    _refuse,
    _Refused,
    _safe,
    _text,
    _time,
    _unreadable,
    _vat_rate,
)
from orders.importing.messages import (
    DELIVERED_BEFORE_SHIPPED,
    DIGITAL_SHIPPED,
    DUPLICATE_LINE,
    DUPLICATE_ORDER,
    EMPTY_LIST,
    MISSING,
    NO_ORDERS_LIST,
    NOT_A_MAP,
    NOT_AN_OBJECT,
    NOT_ONE_OF,
    ORDER_NOT_AN_OBJECT,
    OVER_SHIPPED,
    PARTNER_NOT_BUSINESS,
    PAYMENTS_DO_NOT_ADD_UP,
    SKU_CONFLICT,
    TOO_MANY_SERIALS,
    UNKNOWN_LINE,
)
from orders.importing.results import ImportFormatError, OrderError
from orders.importing.values import CustomerData, LineData, OrderData, ShipmentData

# The vocabularies, read once: an enum's `values` builds its list anew at every call, and
# a large file asks for them thousands of times.
PAYMENT_METHODS = tuple(PaymentMethod.values)
CUSTOMER_TYPES = tuple(CustomerType.values)
PRODUCT_FLAGS = tuple(ProductFlag.values)
_payment_method = _choice(PAYMENT_METHODS)
_customer_type = _choice(CUSTOMER_TYPES)


def _where(path: str, key: str) -> str:
    """The field's path, made only for an error: a large file reads fields by the million."""
    return f"{path}.{key}" if path else key


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
        value = obj.get(key)
        if value is None:
            if required:
                self.refuse(_where(path, key), MISSING)
                return _BAD
            return default
        try:
            return convert(value)
        except _Refused as exc:
            self.errors.append((_where(path, key), str(exc)))
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
                self.get(p, "method", path, _payment_method),
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
        if self.errors or customer is None:  # no customer object: its error is listed
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
        customer_type = get(data, "type", "customer", _customer_type)
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
                if flag not in PRODUCT_FLAGS:
                    self.errors.append(
                        (
                            f"{path}.flags[{index}]",
                            str(_refuse(NOT_ONE_OF, flag, choices=", ".join(PRODUCT_FLAGS))),
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
                    self.errors.append((f"{path}.lines.{_safe(key)}", str(exc)))
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
        valid = (
            isinstance(number, str)
            and number.strip()
            and len(number.strip()) <= 40
            and _unreadable(number) is None  # an error must be fit to print and to store
        )
        labels.append(number.strip() if valid and isinstance(number, str) else f"orders[{index}]")
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
