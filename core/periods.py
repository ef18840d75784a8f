"""Period arithmetic shared by every rule: months, day windows and how dates are said.

"Within N days" includes day N everywhere in Retour; a period of N days that starts on
day S ends at the end of day S + N. `Window` is how the deadline rules (D1–D6) say which
days are due on a given day; `core.windows` turns one into SQL.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.utils.formats import date_format
from django.utils.functional import Promise, lazy
from django.utils.translation import get_language

# What a rule says to a person: a lazy translation, rendered in the language active then.
Sentence = str | Promise


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later, or that month's last day if it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Window:
    """A stage is due when its day is on or before `latest` and, if set, after `before`.

    `before` keeps a stage quiet once a later stage of the same deadline has taken over
    (no "please ship" reminder on the day the authorization expires).
    """

    latest: date
    before: date | None = None

    def contains(self, day: date | None) -> bool:
        if day is None:
            return False
        return day <= self.latest and (self.before is None or day > self.before)


def _long_date(day: date) -> str:
    return _long_date_in(day, get_language())


# A report says the same few days over and over (every reason of every line); the words
# depend on the day and the language only, so each is formatted once per process.
@lru_cache(maxsize=4096)
def _long_date_in(day: date, language: str | None) -> str:
    return date_format(day, "l j F Y")


# Rendered when the sentence is, in the language active then ("Monday 19 October 2026").
long_date = lazy(_long_date, str)
