"""D5: ask support to follow up on vendor cases open longer than the vendor's usual time.

Run by `deadlines.chasing.chase_deadlines` (beat every 15 minutes, and the `chase_deadlines`
command). Once per case, even when two chasers overlap: the alert is an outbox row per
support member whose unique key names the case and the stage, and cases already alerted
are not read again. Only overdue cases are read (`vendors.selectors.case_overdue_q`, on
the partial index of cases awaiting their vendor).

With nobody in support to write to, an alert queues nothing, so every overdue case would
be locked and read again on every run, for nothing. As for the tickets' staff stages
(`rma.chasing`), the chaser asks once per run, at the first overdue case, and when nobody
holds the role it reports the cases as `nobody_to_tell` and stops. They stay due, so the
first run after someone joins support sends their alerts.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Role
from notifications.selectors import queued_to_staff
from notifications.services import staff_alert_queue
from rma.chasing import StaffTally, role_has_recipients
from rma.models import Ticket
from vendors.deadlines import CASE_OVERDUE, case_overdue_on
from vendors.models import VendorCase
from vendors.selectors import case_overdue_q

KIND = "staff_vendor_case_overdue"
CHUNK_SIZE = 500


def dedupe_key(case_pk: int) -> str:
    """The outbox key of a case's D5 alert (one row per recipient adds `:<user id>`)."""
    return f"{KIND}:{case_pk}:{CASE_OVERDUE}"


def _not_alerted(cases: QuerySet) -> QuerySet:
    """Leave out cases whose alert is in the outbox already (found through their ticket)."""
    return cases.exclude(
        queued_to_staff(KIND, CASE_OVERDUE, subject=Ticket, pk="ticket_line__ticket_id")
    )


def _context(case: VendorCase) -> dict:
    opened_on = timezone.localdate(case.opened_at)
    return {
        "case_id": case.pk,
        "case_url": f"{settings.SITE_URL}/admin/vendors/vendorcase/{case.pk}/change/",
        "vendor_name": case.vendor.name,
        "case_route": case.route,
        "case_state": case.state,
        "serial": case.serial,
        "vendor_rma_number": case.vendor_rma_number,
        "vendor_ticket_number": case.vendor_ticket_number,
        "opened_on": opened_on,
        "sent_on": timezone.localdate(case.sent_at) if case.sent_at else None,
        "usual_days": case.vendor.usual_decision_days,
        "overdue_since": case_overdue_on(opened_on, case.vendor.usual_decision_days),
    }


def chase_vendor_cases(*, today: date, report: StaffTally) -> None:
    """Alert support of each overdue vendor case once; count it in `report`, or count the
    overdue cases as `nobody_to_tell` when nobody is in support."""
    overdue = case_overdue_q(today=today)
    due = _not_alerted(VendorCase.objects.filter(overdue)).order_by()
    cases = due.select_related("vendor", "ticket_line__ticket").iterator(chunk_size=CHUNK_SIZE)
    for number, case in enumerate(cases):
        # Asked at the first case only: a run with nothing overdue costs no query more.
        if number == 0 and not role_has_recipients(Role.SUPPORT):
            # Nobody to tell: each case would be locked and read for nothing, again on
            # every run. Count them; they stay due for the next run.
            report.nobody_to_tell(CASE_OVERDUE, role=Role.SUPPORT, due=due.count())
            return
        with transaction.atomic():
            # Lock and look again: a decision recorded since the query above wins.
            if not VendorCase.objects.select_for_update().filter(overdue, pk=case.pk).exists():
                report.count(CASE_OVERDUE, acted=False)
                continue
            emails = staff_alert_queue(
                kind=KIND,
                dedupe_key=dedupe_key(case.pk),
                role=Role.SUPPORT,
                context=_context(case),
                subject=case.ticket_line.ticket,
            )
        report.count(CASE_OVERDUE, acted=bool(emails))
