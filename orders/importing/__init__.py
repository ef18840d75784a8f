"""The idempotent order import (SPEC §1, Appendix A): `{"orders": [ORDER, ...]}`.

Two steps. `parse_orders` checks a decoded JSON document against the format and turns each
order into plain validated values, or into errors that name the order and the field at
fault. `import_orders` then writes the valid orders in batches: each order of a batch is
planned in Python (what to create, update and remove, and whether it may: a re-import
cannot undo a return in progress), and the batch's rows are written in bulk in one
transaction, a few statements whatever its size. A refused order is simply left out of
the write; should the database still refuse a batch, its orders are written one by one,
each in its own transaction, so a bad order changes nothing while the others are written.

Re-importing is idempotent: rows are matched on their natural keys (customer e-mail, vendor
name, product SKU, order number, line id within the order) and written only where a value
differs, so importing the same file twice changes no row and no id.

Customers and products are shared by many orders, and an old order may carry details that
have changed since (a customer's new name, a product's new flags). Their details follow the
most recently placed order that mentions them — ordered by (placed_at, number) — so the
result does not depend on the order of the orders in a file, and a second import of a full
dump finds nothing to change.

The package: `parsing` (with `fields` and `values`) reads the document, `planning` (with
`stored` and `shared`) decides what an order writes, `writing` writes a batch, `importer`
runs them, `results` and `messages` say what happened. Everything a caller needs is
importable from `orders.importing` itself.
"""

from orders.importing.fields import (
    MAX_AMOUNT_DIGITS,
    MAX_QUANTITY,
)
from orders.importing.importer import (
    import_orders,
    import_orders_json,
)
from orders.importing.messages import (
    AMOUNT_TOO_LARGE,
    BELOW_HELD,
    DATABASE_CONCURRENT,
    DATABASE_HELD,
    DATABASE_REFUSED,
    DELIVERED_BEFORE_SHIPPED,
    DIGITAL_SHIPPED,
    DUPLICATE_LINE,
    DUPLICATE_ORDER,
    EMPTY_LIST,
    EMPTY_TEXT,
    LINE_ON_TICKET,
    MISSING,
    NEGATIVE_AMOUNT,
    NO_ORDERS_LIST,
    NOT_A_BOOLEAN,
    NOT_A_COUNTRY,
    NOT_A_DATE,
    NOT_A_LANGUAGE,
    NOT_A_LIST,
    NOT_A_MAP,
    NOT_A_QUANTITY,
    NOT_A_RATE,
    NOT_A_TIME,
    NOT_AN_AMOUNT,
    NOT_AN_EMAIL,
    NOT_AN_OBJECT,
    NOT_JSON,
    NOT_ONE_OF,
    NOT_TEXT,
    NOT_UTF8,
    NUL_IN_TEXT,
    ORDER_NOT_AN_OBJECT,
    OVER_SHIPPED,
    PARTNER_NOT_BUSINESS,
    PAYMENTS_DO_NOT_ADD_UP,
    SKU_CONFLICT,
    TOO_LONG,
    TOO_MANY_DECIMALS,
    TOO_MANY_SERIALS,
    UNENCODABLE_TEXT,
    UNKNOWN_LINE,
)
from orders.importing.parsing import (
    parse_orders,
)
from orders.importing.results import (
    ImportFormatError,
    ImportNotJSON,
    ImportResult,
    OrderError,
)
from orders.importing.values import (
    CustomerData,
    LineData,
    OrderData,
    ShipmentData,
)
from orders.importing.writing import _Writer as _Writer  # the tests patch it

__all__ = [
    "AMOUNT_TOO_LARGE",
    "BELOW_HELD",
    "CustomerData",
    "DATABASE_CONCURRENT",
    "DATABASE_HELD",
    "DATABASE_REFUSED",
    "DELIVERED_BEFORE_SHIPPED",
    "DIGITAL_SHIPPED",
    "DUPLICATE_LINE",
    "DUPLICATE_ORDER",
    "EMPTY_LIST",
    "EMPTY_TEXT",
    "ImportFormatError",
    "ImportNotJSON",
    "ImportResult",
    "LINE_ON_TICKET",
    "LineData",
    "MAX_AMOUNT_DIGITS",
    "MAX_QUANTITY",
    "MISSING",
    "NEGATIVE_AMOUNT",
    "NOT_AN_AMOUNT",
    "NOT_AN_EMAIL",
    "NOT_AN_OBJECT",
    "NOT_A_BOOLEAN",
    "NOT_A_COUNTRY",
    "NOT_A_DATE",
    "NOT_A_LANGUAGE",
    "NOT_A_LIST",
    "NOT_A_MAP",
    "NOT_A_QUANTITY",
    "NOT_A_RATE",
    "NOT_A_TIME",
    "NOT_JSON",
    "NOT_ONE_OF",
    "NOT_TEXT",
    "NOT_UTF8",
    "NUL_IN_TEXT",
    "NO_ORDERS_LIST",
    "ORDER_NOT_AN_OBJECT",
    "OVER_SHIPPED",
    "OrderData",
    "OrderError",
    "PARTNER_NOT_BUSINESS",
    "PAYMENTS_DO_NOT_ADD_UP",
    "SKU_CONFLICT",
    "ShipmentData",
    "TOO_LONG",
    "TOO_MANY_DECIMALS",
    "TOO_MANY_SERIALS",
    "UNENCODABLE_TEXT",
    "UNKNOWN_LINE",
    "import_orders",
    "import_orders_json",
    "parse_orders",
]
