"""Messages a person may see (English source, translated at use); the tests assert on them."""

from __future__ import annotations

from django.utils.translation import gettext_noop

NOT_JSON = gettext_noop("not valid JSON: {error}")
NOT_UTF8 = gettext_noop(
    "not valid JSON: the text is not UTF-8 (byte {byte} at position {position})"
)
NOT_AN_OBJECT = gettext_noop('the document must be a JSON object like {"orders": [...]}')
NO_ORDERS_LIST = gettext_noop('the document must have a list "orders"')
ORDER_NOT_AN_OBJECT = gettext_noop("is not an object")
MISSING = gettext_noop("is missing")
NOT_TEXT = gettext_noop("{value} is not a text")
NUL_IN_TEXT = gettext_noop("{value} contains a NUL character, which no text may hold")
UNENCODABLE_TEXT = gettext_noop(
    "{value} contains a character that is not valid Unicode (a lone surrogate such as \\ud800)"
)
EMPTY_TEXT = gettext_noop("is empty")
TOO_LONG = gettext_noop("is longer than {max} characters")
NOT_AN_EMAIL = gettext_noop("{value} is not an e-mail address")
NOT_A_COUNTRY = gettext_noop('{value} is not a two-letter country code like "NL"')
NOT_A_LANGUAGE = gettext_noop('{value} is not a language code like "nl"')
NOT_A_BOOLEAN = gettext_noop("{value} is not true or false")
NOT_A_LIST = gettext_noop("{value} is not a list")
NOT_A_MAP = gettext_noop('{value} is not an object like {{"1": 2}}')
EMPTY_LIST = gettext_noop("is empty")
NOT_ONE_OF = gettext_noop("{value} is not one of: {choices}")
NOT_AN_AMOUNT = gettext_noop('{value} is not an amount like "12.50"')
NEGATIVE_AMOUNT = gettext_noop("{value} is negative")
TOO_MANY_DECIMALS = gettext_noop("{value} has more than 2 decimals")
AMOUNT_TOO_LARGE = gettext_noop("{value} is too large")
NOT_A_RATE = gettext_noop('{value} is not a VAT rate like "21" or "9.5"')
NOT_A_TIME = gettext_noop('{value} is not a time with offset like "2026-10-01T10:15:00+02:00"')
NOT_A_DATE = gettext_noop('{value} is not a date like "2026-10-01"')
OUTSIDE_YEARS = gettext_noop("{value} is not in the years 2000 to 2999 that orders are dated in")
NOT_A_QUANTITY = gettext_noop("{value} is not a positive whole number")
PARTNER_NOT_BUSINESS = gettext_noop("only a business customer can be a partner")
DUPLICATE_LINE = gettext_noop('line "{line}" appears more than once')
TOO_MANY_SERIALS = gettext_noop("{count} serial numbers for a quantity of {quantity}")
SKU_CONFLICT = gettext_noop('SKU {sku} has a different vendor or flags on line "{line}"')
UNKNOWN_LINE = gettext_noop('line "{line}" is not in this order')
DIGITAL_SHIPPED = gettext_noop('line "{line}" is digital, and digital lines are never shipped')
OVER_SHIPPED = gettext_noop('line "{line}": {shipped} shipped, but {ordered} ordered')
DELIVERED_BEFORE_SHIPPED = gettext_noop("is before shipped_at")
PAYMENTS_DO_NOT_ADD_UP = gettext_noop(
    "the payments add up to {paid}, but goods {goods} - discounts {discounts} "
    "+ shipping {shipping} = {due}"
)
DUPLICATE_ORDER = gettext_noop("appears {count} times in this file; none of them was imported")
BELOW_HELD = gettext_noop(
    'line "{line}": delivered quantity {delivered} is below the {held} already on return tickets'
)
LINE_ON_TICKET = gettext_noop(
    'line "{line}" is no longer in the order, but it is on return ticket {ticket} '
    "and cannot be removed"
)
DATABASE_HELD = gettext_noop(
    "a delivered quantity would fall below what is already on return tickets"
)
DATABASE_CONCURRENT = gettext_noop(
    "someone else changed this order or its customer or products at the same time; import it again"
)
DATABASE_REFUSED = gettext_noop("the database refused this order ({detail})")
