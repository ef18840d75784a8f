"""Read the shop's configuration as the pure rules take it."""

from __future__ import annotations

from django.conf import settings

from core.calendar import LegalCalendar
from policies.models import LegalHoliday


def legal_calendar(country: str | None = None) -> LegalCalendar:
    """The legal calendar of `country` (the shop's by default) with the days staff keep:
    the statutory list plus every `LegalHoliday` of that country (one query)."""
    country = country or settings.SHOP_COUNTRY
    added = LegalHoliday.objects.filter(country=country).values_list("day", flat=True)
    return LegalCalendar(country, frozenset(added))
