"""Every staff list, filter and search reads an index, never the whole table (issue 19).

On a bench data set large enough for PostgreSQL's planner to prefer an index
(`manage.py bench_data`), each list page is requested as staff use it, and every query it
ran on a large table is explained as run: none may scan that table sequentially, nor walk
an index only to discard most of what it reads. Plans, not timings: how fast they are at
a million tickets is `make bench`'s figure.
"""

import datetime as dt
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from demo.data import ADMIN
from notifications.models import Email
from rma.models import Ticket, TicketLine
from rma.selectors import SEVERITY
from rma.services.overdue import mark_overdue
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
    *(("admin:rma_ticket_changelist", {"overdue": stage}) for stage in SEVERITY),
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
    ("admin:rma_ticket_changelist", {"queue": "needs", "q": "{surname}"}),
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


# Rows an index may hand over only to have them thrown away. More means the index serves
# the sort, not the condition: the pk walked backwards past every customer without the
# VAT number searched for is an index scan that reads the whole table.
FILTERED_AWAY = 1_000

# The planner as it is; then, where it prefers to read a table of a few thousand rows
# whole (cheaper there than any index; at a shop's size it is not), with sequential
# scans priced out; then with index walks priced out too, so that only an index that
# serves the condition itself (a bitmap scan) remains.
PLANNERS = ([], ["enable_seqscan"], ["enable_seqscan", "enable_indexscan"])


def unindexed_reads(sql: str) -> list[tuple[str, str]]:
    """How the plan of `sql` reads a large table without an index serving its condition:
    (table, "read whole" or "N rows discarded"), from the plan as run (EXPLAIN ANALYZE).
    Nothing if any of the `PLANNERS` finds a plan that reads through indexes only."""
    for priced_out in PLANNERS:
        with connection.cursor() as cursor:
            for setting in priced_out:
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
            for setting in priced_out:
                cursor.execute(f"SET LOCAL {setting} = on")
        found = _unindexed(json.loads(plan) if isinstance(plan, str) else plan)
        if not found:
            return []
    return found


def _unindexed(plan) -> list[tuple[str, str]]:
    found, nodes = [], [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        table = node.get("Relation Name")
        if table not in LARGE:
            continue
        discarded = node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1)
        if node["Node Type"] == "Seq Scan":
            found.append((table, "read whole"))
        elif discarded > FILTERED_AWAY:
            found.append((table, f"{discarded} rows discarded"))
    return found


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
            if not captured["sql"].startswith("SELECT"):
                continue
            if reads := unindexed_reads(captured["sql"]):
                scans.append((page, query, reads, captured["sql"]))

    # The queue's day turn (the chaser's run, the first list of a day) reads an index too.
    with CaptureQueriesContext(connection) as turn:
        mark_overdue(timezone.localdate() + dt.timedelta(days=1))
    if reads := unindexed_reads(turn.captured_queries[0]["sql"]):
        scans.append(("mark_overdue", {}, reads, turn.captured_queries[0]["sql"]))

    assert not unfound, unfound  # each search found what it looked for
    assert not scans, "\n\n".join(map(str, scans))
