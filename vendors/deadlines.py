"""D5: when a vendor case is overdue. Pure: the vendor's usual days and the day go in.

A case opened on day S at a vendor that usually decides within N days is in time
through S + N ("within N days" includes day N, as everywhere in Retour) and overdue from
S + N + 1 on, while the vendor's decision is still owed.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from core.periods import Window

# Stable: part of the outbox's dedupe keys (`staff_vendor_case_overdue:7:D5-vendor-overdue`).
CASE_OVERDUE = "D5-vendor-overdue"
CASE_OVERDUE_LABEL = _("D5 vendor case overdue")


def case_overdue_window(usual_decision_days: int, today: date) -> Window:
    """D5: the opening days of the cases that are overdue on `today`."""
    return Window(latest=today - timedelta(days=usual_decision_days + 1))


def case_overdue_on(opened_on: date, usual_decision_days: int) -> date:
    """D5: the first day a case opened on `opened_on` counts as overdue."""
    return opened_on + timedelta(days=usual_decision_days + 1)
