"""Read queries on vendor cases: which are overdue (D5).

The window comes from `vendors/deadlines.py`; here it becomes SQL, one branch per group
of vendors with the same usual time, on the partial index of awaiting cases, so only
the overdue rows are read. The chaser and the staff's "Overdue" filter share it.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from core.windows import any_group, moment_within
from orders.models import Vendor
from vendors.deadlines import case_overdue_window
from vendors.models import AWAITING_VENDOR, VendorCase


def case_overdue_q(*, today: date) -> Q:
    """The condition "the case awaits its vendor's decision longer than usual on `today`"."""
    return Q(state__in=AWAITING_VENDOR) & any_group(
        ((days, pk) for pk, days in Vendor.objects.values_list("pk", "usual_decision_days")),
        lambda days, pks: (
            Q(vendor_id__in=pks) & moment_within("opened_at", case_overdue_window(days, today))
        ),
    )


def vendor_cases_overdue(*, today: date) -> QuerySet:
    """Cases awaiting their vendor longer than its usual time, oldest first (D5)."""
    return (
        VendorCase.objects.filter(case_overdue_q(today=today))
        .select_related("vendor", "ticket_line__ticket__order__customer")
        .order_by("opened_at")
    )
