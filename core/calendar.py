"""The legal calendar: on which days a statutory period may end (W2).

Regulation 1182/71 article 3.4: a period whose last day is a Saturday, a Sunday or a
public holiday ends at the end of the next working day. Which days are holidays is each
country's law: for the Netherlands the Algemene termijnenwet (Atw), whose list is not
the `holidays` package's labour calendar. Atw art. 3(1) names New Year's Day, Easter and
Whit Monday, both Christmas days, Ascension Day, King's Day and 5 May (every year, not
only each fifth: that rule is about days off in labour agreements); art. 3(2) adds Good
Friday; art. 3(3) lets the government equate further days by decree (Staatscourant).

`LegalCalendar` is pure: the rules take one as a parameter. The decree days are data
staff keep (`policies.LegalHoliday`, shipped with the published ones below); the
default calendar here carries the published ones so the rules and tests need no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

SHOP_COUNTRY = "NL"
SHOP_TIMEZONE = "Europe/Amsterdam"

# The time zone of each country Retour's shops deliver to (the EEA, Switzerland and the
# United Kingdom), by the mainland's zone: a consumer's days are counted in their own.
COUNTRY_TIMEZONES = {
    "AT": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "BG": "Europe/Sofia",
    "CH": "Europe/Zurich",
    "CY": "Asia/Nicosia",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn",
    "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "GR": "Europe/Athens",
    "HR": "Europe/Zagreb",
    "HU": "Europe/Budapest",
    "IE": "Europe/Dublin",
    "IS": "Atlantic/Reykjavik",
    "IT": "Europe/Rome",
    "LI": "Europe/Vaduz",
    "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg",
    "LV": "Europe/Riga",
    "MT": "Europe/Malta",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "SE": "Europe/Stockholm",
    "SI": "Europe/Ljubljana",
    "SK": "Europe/Bratislava",
}


def local_day(moment: datetime, country: str) -> date:
    """The calendar day of `moment` where a customer of `country` lives (the shop's own
    time zone for a country not listed): W1's periods start the day after theirs."""
    return moment.astimezone(ZoneInfo(COUNTRY_TIMEZONES.get(country.upper(), SHOP_TIMEZONE))).date()


# Atw art. 3(3): days equated with a holiday by decree, as published in the Staatscourant
# (the Friday after Ascension Day, bridge days). Staff add new ones as data.
NL_DECREE_DAYS = frozenset(
    {
        date(2026, 1, 2),
        date(2026, 5, 15),
        date(2027, 5, 7),
        date(2028, 4, 28),
        date(2028, 5, 26),
    }
)


@lru_cache(maxsize=256)
def statutory_holidays(country: str, year: int) -> frozenset[date]:
    """The days the law of `country` counts as holidays for time limits, in `year`."""
    days = set(holidays.country_holidays(country, years=year))
    if country == "NL":
        days.add(date(year, 5, 5))  # Atw art. 3(1): 5 May every year
    return frozenset(days)


@dataclass(frozen=True)
class LegalCalendar:
    """A country's statutory holidays plus the days added to them (decrees, by staff)."""

    country: str = SHOP_COUNTRY
    added_days: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        """Tell whether `day` is neither a weekend day nor a holiday of this calendar."""
        return (
            day.weekday() < 5
            and day not in statutory_holidays(self.country, day.year)
            and day not in self.added_days
        )

    def next_working_day(self, day: date) -> date:
        """Return `day` itself if it is a working day, else the first working day after it.

        W2: a period ending on a Saturday, Sunday or holiday ends at the end of the next
        working day; the loop covers Christmas followed by a weekend.
        """
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def period_end(self, start: date, days: int) -> date:
        """The last day of a period of `days` days counted from the day after `start`."""
        return self.next_working_day(start + timedelta(days=days))


# The shop's calendar with the published decree days: what the rules use by default.
SHOP_CALENDAR = LegalCalendar(SHOP_COUNTRY, NL_DECREE_DAYS)
