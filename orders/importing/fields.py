"""Convert the value of one field, or refuse it with a message that names the value."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from core.text import NUL, SURROGATE, unreadable
from orders.importing.messages import (
    AMOUNT_TOO_LARGE,
    EMPTY_TEXT,
    NEGATIVE_AMOUNT,
    NOT_A_BOOLEAN,
    NOT_A_COUNTRY,
    NOT_A_DATE,
    NOT_A_LANGUAGE,
    NOT_A_LIST,
    NOT_A_QUANTITY,
    NOT_A_RATE,
    NOT_A_TIME,
    NOT_AN_AMOUNT,
    NOT_AN_EMAIL,
    NOT_ONE_OF,
    NOT_TEXT,
    NUL_IN_TEXT,
    OUTSIDE_YEARS,
    TOO_LONG,
    TOO_MANY_DECIMALS,
    UNENCODABLE_TEXT,
)

MAX_QUANTITY = 2_147_483_647  # a PositiveIntegerField
MAX_AMOUNT_DIGITS = 10  # money_field: 12 digits, 2 of them decimals
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*")


class _Refused(Exception):
    """A value that does not fit its field; the message names the value, not the field."""


_BAD = object()  # a field that was refused; checks that need it are skipped


_UNREADABLE = {NUL: NUL_IN_TEXT, SURROGATE: UNENCODABLE_TEXT}


def _unreadable(text: str) -> str | None:
    """Why no column can store this text, if none can: a NUL character (PostgreSQL's text
    cannot hold one) or a lone surrogate, which JSON's "\\ud800" decodes to and which
    no encoding can write. The message of the refusal, or None for a storable text."""
    why = unreadable(text)
    return None if why is None else _UNREADABLE[why]


def _safe(text: str) -> str:
    """A text fit to show in a message, a log or a terminal: unstorable ones escaped."""
    return text if _unreadable(text) is None else json.dumps(text)[1:-1]


def _show(value: object) -> str:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return str(value)
    shown = json.dumps(value, ensure_ascii=False, default=str)
    shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _refuse(message: str, value: object = None, **kwargs: object) -> _Refused:
    return _Refused(_(message).format(value=_show(value), **kwargs))


@functools.cache  # one converter per kind of text, not one per field read
def _text(max_length: int, *, blank: bool = False) -> Callable[[object], str]:
    def convert(value: object) -> str:
        if not isinstance(value, str):
            raise _refuse(NOT_TEXT, value)
        unreadable = _unreadable(value)
        if unreadable is not None:
            raise _refuse(unreadable, value)
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


def _iso(value: object, pattern: re.Pattern[str], parse: Callable[[str], Any], message: str) -> Any:
    """Parse an ISO 8601 text of the given shape; a shape that is no real date is refused too."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _refuse(message, value)
    try:
        return parse(value)
    except ValueError:
        raise _refuse(message, value) from None


# The years an order of a webshop can have: the rules add months and years to its days
# (warranties, the legal guarantee) and the database must read every time back in UTC.
YEARS = range(2000, 3000)


def _in_years(value: object, parsed: Any) -> Any:
    if parsed.year not in YEARS:
        raise _refuse(OUTSIDE_YEARS, value)
    return parsed


def _time(value: object) -> datetime:
    return _in_years(value, _iso(value, _TIME, datetime.fromisoformat, NOT_A_TIME))


def _date(value: object) -> date:
    return _in_years(value, _iso(value, _DATE, date.fromisoformat, NOT_A_DATE))


def _quantity(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_QUANTITY:
        raise _refuse(NOT_A_QUANTITY, value)
    return value


def _list(value: object) -> list:
    if not isinstance(value, list):
        raise _refuse(NOT_A_LIST, value)
    return value
