"""The legal calendar: which days count as working days when a period ends (W2).

Regulation 1182/71 article 3.4: a period whose last day is a Saturday, a Sunday or a
public holiday ends at the end of the next working day. The holidays are the country's
(`holidays` package); the shop's own country is `SHOP_COUNTRY` unless a caller says
otherwise.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

SHOP_COUNTRY = "NL"


@lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def is_working_day(day: date, country: str = SHOP_COUNTRY) -> bool:
    """Tell whether `day` is neither a weekend day nor a public holiday of `country`."""
    return day.weekday() < 5 and day not in _public_holidays(country, day.year)


def next_working_day(day: date, country: str = SHOP_COUNTRY) -> date:
    """Return `day` itself if it is a working day, else the first working day after it.

    W2 (Regulation 1182/71 article 3.4): a period ending on a Saturday, Sunday or public
    holiday ends at the end of the next working day; the loop covers Christmas + weekend.
    """
    while not is_working_day(day, country):
        day += timedelta(days=1)
    return day
