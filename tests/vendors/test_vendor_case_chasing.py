"""D5 chased on PostgreSQL: support hears once of each vendor case open longer than usual."""

from datetime import datetime, timedelta

import pytest
from django.db import connection

from deadlines.chasing import chase_deadlines
from notifications.models import Email
from notifications.rendering import email_render
from orders.enums import Route
from policies.models import ReturnPolicy
from policies.reasons import Reason
from rma.models import Ticket, TicketLine
from rma.states import State
from tests.factories import AMSTERDAM, VendorFactory, delivered_order
from tests.threads import in_parallel
from vendors.chasing import KIND, dedupe_key
from vendors.deadlines import CASE_OVERDUE
from vendors.models import CaseState, VendorCase
from vendors.services import vendor_case_decide

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=AMSTERDAM)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the chaser's concurrency is PostgreSQL's"
)


def case(days_open: int, *, vendor=None, state=CaseState.AT_VENDOR, serial="") -> VendorCase:
    """A unit of a received defect ticket that went to its vendor `days_open` days ago."""
    vendor = vendor or VendorFactory(name="Hikvision", usual_decision_days=21)
    order = delivered_order()
    line = order.lines.get()
    line.product.vendor = vendor
    line.product.save()
    ticket = Ticket.objects.create(
        number=f"RMA-2026-{900001 + Ticket.objects.count():06d}",  # apart from other helpers
        order=order,
        policy=ReturnPolicy.default(),
        reason=Reason.DEFECTIVE,
        state=State.RECEIVED,
    )
    made = VendorCase.objects.create(
        ticket_line=TicketLine.objects.create(ticket=ticket, order_line=line, quantity=1),
        vendor=vendor,
        route=vendor.route,
        state=state,
        serial=serial,
    )
    VendorCase.objects.filter(pk=made.pk).update(opened_at=NOW - timedelta(days=days_open))
    return VendorCase.objects.select_related("ticket_line__ticket").get(pk=made.pk)


def alerts() -> list[str]:
    return sorted(Email.objects.filter(kind=KIND).values_list("dedupe_key", flat=True))


def test_support_hears_once_of_a_case_open_longer_than_the_vendor_usually_takes(support):
    overdue = case(22, serial="HK0001")
    case(21)  # the 21st day is still in time
    case(40, state=CaseState.DECIDED)  # the vendor has spoken
    case(40, state=CaseState.CLOSED)

    first = chase_deadlines(now=NOW)
    again = chase_deadlines(now=NOW + timedelta(hours=6))

    assert alerts() == [f"{dedupe_key(overdue.pk)}:{support.pk}"]
    assert first.done[CASE_OVERDUE] == 1
    assert again.done[CASE_OVERDUE] == again.already[CASE_OVERDUE] == 0
    email = Email.objects.get(kind=KIND)
    assert email.to == support.email
    assert email.subject_id == overdue.ticket_line.ticket_id


def test_each_vendor_has_its_own_usual_time(support):
    slow = VendorFactory(name="Axis", usual_decision_days=45)
    quick = VendorFactory(name="Yealink", usual_decision_days=7)
    case(30, vendor=slow)
    late = case(8, vendor=quick)

    chase_deadlines(now=NOW)

    assert alerts() == [f"{dedupe_key(late.pk)}:{support.pk}"]


def test_a_decision_recorded_before_the_chase_stops_the_alert(support):
    waiting = case(30)
    vendor_case_decide(case=waiting, by=support, decision="replace", vendor_rma_number="HKR-9")

    report = chase_deadlines(now=NOW)

    assert report.done[CASE_OVERDUE] == 0
    assert alerts() == []


def test_the_alert_says_what_to_do_next_in_english(support):
    sent = case(25, serial="HK0042")
    VendorCase.objects.filter(pk=sent.pk).update(
        sent_at=NOW - timedelta(days=24), vendor_rma_number="HK-RMA-77"
    )
    direct_vendor = VendorFactory(name="Ubiquiti", route=Route.VENDOR_DIRECT)
    direct = case(30, vendor=direct_vendor, state=CaseState.OPEN)

    chase_deadlines(now=NOW)

    alert = Email.objects.get(dedupe_key__startswith=dedupe_key(sent.pk))
    subject, text, html = email_render(alert)
    assert subject == f"Vendor case overdue: Hikvision, return {sent.ticket_line.ticket.number}"
    assert "usually decides within 21 days" in text
    assert "overdue since Nov. 17, 2026" in text  # opened 26 October + 21 days + 1
    assert "We sent the unit on Oct. 27, 2026: ask Hikvision for its decision." in text
    assert "Their RMA number is HK-RMA-77." in text
    assert f"/admin/vendors/vendorcase/{sent.pk}/change/" in text
    subject, text, html = email_render(
        Email.objects.get(dedupe_key__startswith=dedupe_key(direct.pk))
    )
    assert "sent to Ubiquiti's own RMA portal" in text


def test_the_overdue_query_reads_an_index_not_the_cases_table(support):
    from vendors.selectors import case_overdue_q

    waiting = case(30)
    # Beside closed history, as in a shop. The D5 partial index or the staff list's
    # index on opened_at may serve it (both read the one waiting case); neither scans.
    VendorCase.objects.bulk_create(
        VendorCase(
            ticket_line=waiting.ticket_line,
            vendor=waiting.vendor,
            route=waiting.route,
            state="closed",
            serial=f"HIST{n:04d}",
            opened_at=waiting.opened_at - timedelta(days=400 + n),
        )
        for n in range(500)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE vendors_vendorcase")
        # Unordered, as the chaser asks.
        plan = VendorCase.objects.filter(case_overdue_q(today=NOW.date())).order_by().explain()

    assert "Seq Scan" not in plan and "Index" in plan, plan


@pytest.mark.django_db(transaction=True)
def test_two_chasers_at_once_alert_each_case_once(support):
    overdue = [case(22 + n, serial=f"HK{n:04d}") for n in range(12)]

    reports = in_parallel(2, lambda: chase_deadlines(now=NOW))

    assert alerts() == sorted(f"{dedupe_key(c.pk)}:{support.pk}" for c in overdue)
    assert sum(r.done[CASE_OVERDUE] for r in reports) == 12
