"""F7 and D6: how long store credit is valid and when its owner hears it will lapse.

Pure: dates and the policy's numbers go in. A grant issued on day S for M months is
valid through the same day M months later (`valid_until`, inclusive, as "within N days"
everywhere in Retour) and lapses the day after. D6 tells the customer from
`store_credit_notice_days` before the last valid day until that day.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from core.periods import Window, add_months

# Stable: part of the outbox's dedupe keys (`store_credit_expiring:12:D6-expiry-notice`).
EXPIRY_NOTICE = "D6-expiry-notice"
LAPSED = "F7-credit-lapsed"
LABELS = {
    EXPIRY_NOTICE: _("D6 store credit about to expire"),
    LAPSED: _("F7 store credit lapsed, written off"),
}


def credit_valid_until(issued_on: date, valid_months: int) -> date:
    """F7 (2 years) / P1 (1 year): the last day a grant issued on `issued_on` can be used."""
    return add_months(issued_on, valid_months)


def expiry_notice_window(notice_days: int, today: date) -> Window:
    """D6: the last valid days of the grants whose owner is told on `today`."""
    return Window(latest=today + timedelta(days=notice_days), before=today - timedelta(days=1))


def lapsed_window(today: date) -> Window:
    """F7: the last valid days of the grants that can no longer be used on `today`."""
    return Window(latest=today - timedelta(days=1))
