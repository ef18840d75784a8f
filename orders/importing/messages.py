"""Messages a person may see (English source, translated at use); the tests assert on them."""

from __future__ import annotations

from django.utils.translation import gettext_noop as N_

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
OUTSIDE_YEARS = N_("{value} is not in the years 2000 to 2999 that orders are dated in")
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
