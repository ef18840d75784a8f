"""Every staff list, filter and search reads an index, never the whole table (issue 19).

On a bench data set large enough for PostgreSQL's planner to prefer an index
(`manage.py bench_data`), each list page is requested as staff use it, and every query it
ran on a large table is explained: none may scan that table sequentially. Plans, not
timings: how fast they are at a million tickets is `make bench`'s figure.
"""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from demo.data import ADMIN
from notifications.models import Email
from rma.models import Ticket, TicketLine
from vendors.models import VendorCase

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

# The tables that grow with the shop; the small ones (policies, vendors, products, users)
# may be read whole.
LARGE = (
    "rma_ticket",
    "rma_ticketline",
    "rma_ticketevent",
    "orders_order",
    "orders_orderline",
    "orders_customer",
    "notifications_email",
    "vendors_vendorcase",
    "refunds_storecreditentry",
)


def bench_shop() -> dict[str, str]:
    """30,000 tickets on 9,000 orders (`bench_data`, analyzed), and a value of each kind
    staff search for, taken from them."""
    call_command("bench_data", tickets=30_000, orders=9_000, verbosity=0)
    ticket = Ticket.objects.filter(tracking_number__gt="").order_by("pk").last()
    order = ticket.order
    line = TicketLine.objects.exclude(serials=[]).select_related("order_line__product").last()
    case = VendorCase.objects.exclude(serial="").last()
    email = Email.objects.exclude(about="").last()
    return {
        "number": ticket.number,
        "vendor": str(ticket.vendor_id),
        "order": order.number,
        "email": order.customer.email,
        "surname": order.customer.name.split()[-1],
        "serial": line.serials[0],
        "tracking": ticket.tracking_number,
        "product": line.order_line.product.name,
        "case serial": case.serial,
        "about": email.about,
        "to": email.to,
    }


PAGES = [
    ("admin:rma_ticket_changelist", {}),
    ("admin:rma_ticket_changelist", {"state__exact": "requested"}),
    ("admin:rma_ticket_changelist", {"state__exact": "received"}),
    ("admin:rma_ticket_changelist", {"reason__exact": "withdrawal"}),
    ("admin:rma_ticket_changelist", {"created_at__gte": "2026-11-01 00:00:00+01:00"}),
    ("admin:rma_ticket_changelist", {"overdue": "any"}),
    ("admin:rma_ticket_changelist", {"o": "-3"}),
    ("admin:rma_ticket_changelist", {"queue": "needs"}),
    ("admin:rma_ticket_changelist", {"queue": "all"}),
    ("admin:rma_ticket_changelist", {"vendor": "{vendor}"}),
    ("admin:rma_ticket_changelist", {"route__exact": "vendor_direct"}),
    ("admin:rma_ticket_changelist", {"assignee": "me"}),
    ("admin:rma_ticket_changelist", {"assignee": "nobody"}),
    ("admin:rma_ticket_changelist", {"q": "{number}"}),
    ("admin:rma_ticket_changelist", {"q": "{order}"}),
    ("admin:rma_ticket_changelist", {"q": "{email}"}),
    ("admin:rma_ticket_changelist", {"q": "{serial}"}),
    ("admin:rma_ticket_changelist", {"q": "{tracking}"}),
    ("admin:rma_ticket_changelist", {"q": "{surname}"}),
    ("admin:rma_ticket_changelist", {"q": "{product}"}),
    ("admin:orders_order_changelist", {}),
    ("admin:orders_order_changelist", {"q": "{order}"}),
    ("admin:orders_order_changelist", {"q": "{email}"}),
    ("admin:orders_order_changelist", {"q": "{surname}"}),
    ("admin:orders_order_changelist", {"q": "{serial}"}),
    ("admin:orders_customer_changelist", {}),
    ("admin:orders_customer_changelist", {"country__exact": "DE"}),
    ("admin:orders_customer_changelist", {"q": "{surname}"}),
    ("admin:vendors_vendorcase_changelist", {}),
    ("admin:vendors_vendorcase_changelist", {"state__exact": "open"}),
    ("admin:vendors_vendorcase_changelist", {"overdue": "yes"}),
    ("admin:vendors_vendorcase_changelist", {"q": "{case serial}"}),
    ("admin:notifications_email_changelist", {}),
    ("admin:notifications_email_changelist", {"status__exact": "failed"}),
    ("admin:notifications_email_changelist", {"kind__exact": "ticket_received"}),
    ("admin:notifications_email_changelist", {"q": "{to}"}),
    ("admin:notifications_email_changelist", {"q": "{about}"}),
    ("admin:refunds_storecreditentry_changelist", {}),
    ("admin:refunds_storecreditentry_changelist", {"kind__exact": "grant"}),
    ("admin:refunds_storecreditentry_changelist", {"q": "{email}"}),
]


def sequential_scans(sql: str) -> list[str]:
    """The large tables the plan of `sql` reads whole.

    Where the planner prefers to scan a table of a few thousand rows (cheaper there than
    any index; at a shop's size it is not), it is asked again with sequential scans
    priced out: a scan that remains has no index that could serve it.
    """
    with connection.cursor() as cursor:
        scans = _scans(cursor, sql)
        if scans:
            cursor.execute("SET LOCAL enable_seqscan = off")
            scans = _scans(cursor, sql)
            cursor.execute("SET LOCAL enable_seqscan = on")
    return scans


def _scans(cursor, sql: str) -> list[str]:
    cursor.execute(f"EXPLAIN {sql}")
    plan = "\n".join(row[0] for row in cursor.fetchall())
    return [table for table in re.findall(r"Seq Scan on (\w+)", plan) if table in LARGE]


def test_every_staff_list_reads_its_large_tables_through_indexes(client):
    shop = bench_shop()
    client.force_login(User.objects.get(email=ADMIN))
    scans, unfound = [], []
    for page, query in PAGES:
        query = {key: value.format(**shop) for key, value in query.items()}
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(page), query)
        assert response.status_code == 200, (page, query)
        if "q" in query and re.search(r"(?<!\d)0 results", response.text):
            unfound.append((page, query))
        for captured in queries.captured_queries:
            if captured["sql"].startswith("SELECT") and (
                tables := sequential_scans(captured["sql"])
            ):
                scans.append((page, query, tables, captured["sql"]))

    assert not unfound, unfound  # each search found what it looked for
    assert not scans, "\n\n".join(map(str, scans))
