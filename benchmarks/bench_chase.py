"""Measure the deadline chaser (D1–D6) over many tickets that are not due.

Run `python benchmarks/bench_chase.py [--tickets 1000000] [--runs 3]`. It (re)creates its
own PostgreSQL database (`retour_bench`, never the tests' or the shop's), migrates it,
adds 100 tickets due for the seven chased stages and times a chase over them alone: the
baseline. Then it adds `--tickets` tickets that are not due (closed history and open
tickets short of every deadline, in the proportions of a shop's table), and times the
same chase again. Both are timed twice: the first run, which queues the 100 reminders and
expires the lapsed authorizations (reset between runs), and the steady state, a run
every 15 minutes afterwards when everything due was already sent.

D5 and D6 are measured the same way: 10 overdue vendor cases, 10 grants of store credit
about to lapse and 5 lapsed ones beside the due tickets; one vendor case and one grant
not due per ten bulk tickets (closed history, recent cases, credit valid for long).

The chase should cost about the same with or without the bulk: it reads due rows only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Publish sends to an in-memory broker: this measures the chaser, not the mail provider.
os.environ.pop("REDIS_URL", None)
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
os.environ.setdefault("LOG_LEVEL", "WARNING")
BENCH_URL = "postgres://postgres@127.0.0.1:5432/retour_bench"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets not due")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure (median)")
    parser.add_argument("--database-url", default=BENCH_URL)
    return parser.parse_args()


ARGS = _arguments()
os.environ["DATABASE_URL"] = ARGS.database_url


from scratch import recreate_database  # noqa: E402 - benchmarks/, after the path is set

recreate_database(ARGS.database_url)

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from deadlines.chasing import chase_deadlines  # noqa: E402
from notifications.models import Email  # noqa: E402
from orders.models import Customer, Order, OrderLine, Product, Vendor  # noqa: E402
from policies.models import ReturnPolicy  # noqa: E402
from policies.reasons import Reason  # noqa: E402
from refunds.models import StoreCreditEntry  # noqa: E402
from rma.deadlines import Stage  # noqa: E402
from rma.models import Ticket, TicketEvent  # noqa: E402
from rma.selectors import tickets_due  # noqa: E402
from rma.states import State  # noqa: E402
from vendors.models import VendorCase  # noqa: E402
from withdrawals.rules import refund_due_by  # noqa: E402

NOW = timezone.now()
TODAY = timezone.localdate(NOW)


def _setup() -> Order:
    call_command("migrate", verbosity=0)
    for email, role in (("support@bench.example", "support"), ("ada@bench.example", "accountant")):
        user = User.objects.create(username=email, email=email, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
    customer = Customer.objects.create(
        email="bench@example.nl", name="Bench", type="consumer", language="nl", country="NL"
    )
    return Order.objects.create(number="BENCH-1", customer=customer, placed_at=NOW)


def _days_ago(days: int) -> timezone.datetime:
    return NOW - timedelta(days=days)


# webstore4 numbers: answer 2, remind to ship 7, valid 30, tracking 3, refund alert 3.
DUE = [
    (Stage.RESPONSE_OVERDUE, dict(state=State.REQUESTED), 4, None, None),
    (Stage.ACKNOWLEDGE_DUE, dict(state=State.REQUESTED), 15, None, None),
    (Stage.SHIP_REMINDER, dict(state=State.AUTHORIZED), 8, None, None),
    (Stage.EXPIRE, dict(state=State.AUTHORIZED), 35, None, None),
    (Stage.TRACKING_REMINDER, dict(state=State.AUTHORIZED), 6, 4, None),
    (Stage.REFUND_ALERT, dict(state=State.RECEIVED, reason=Reason.WITHDRAWAL), 1, 5, 12),
    (Stage.REFUND_OVERDUE, dict(state=State.DIAGNOSED, reason=Reason.WITHDRAWAL), 1, 8, 16),
]


def _add_due(order: Order, policy: ReturnPolicy, count: int = 100) -> list[tuple]:
    """`count` due tickets, spread over the stages; return (pk, state, changed) to reset."""
    snapshot = []
    for n in range(count):
        _stage, fields, changed, shipped, notice = DUE[n % len(DUE)]
        ticket = Ticket.objects.create(
            number=f"DUE-{n:06d}",
            order=order,
            policy=policy,
            reason=fields.get("reason", Reason.DEFECTIVE),
            state=fields["state"],
            shipped_on=None if shipped is None else TODAY - timedelta(days=shipped),
            notice_on=None if notice is None else TODAY - timedelta(days=notice),
            refund_due_on=None if notice is None else refund_due_by(TODAY - timedelta(days=notice)),
        )
        Ticket.objects.filter(pk=ticket.pk).update(state_changed_at=_days_ago(changed))
        snapshot.append((ticket.pk, fields["state"], _days_ago(changed)))
    return snapshot


def _add_due_cases_and_credit(order: Order, policy: ReturnPolicy) -> dict:
    """D5: 10 cases 30 days at a vendor deciding in 21; D6/F7: 10 grants lapsing within
    the 30 days' notice, 5 lapsed yesterday. Return what the bulk inserts refer to."""
    vendor = Vendor.objects.create(name="Bench vendor", usual_decision_days=21)
    product = Product.objects.create(sku="BENCH-SKU", name="Bench", vendor=vendor, price=10)
    line = OrderLine.objects.create(
        order=order,
        line_id="1",
        product=product,
        name="Bench",
        quantity=1,
        unit_price=10,
        vat_rate=21,
    )
    ticket = Ticket.objects.create(
        number="DUE-CASES", order=order, policy=policy, reason=Reason.DEFECTIVE, state="received"
    )
    ticket_line = ticket.lines.create(order_line=line, quantity=1)
    for n in range(10):
        case = VendorCase.objects.create(
            ticket_line=ticket_line, vendor=vendor, route=vendor.route, serial=f"DUE{n}"
        )
        VendorCase.objects.filter(pk=case.pk).update(opened_at=_days_ago(30))
    for n in range(15):
        valid_until = TODAY + timedelta(days=n) if n < 10 else TODAY - timedelta(days=1)
        StoreCreditEntry.objects.create(
            customer=order.customer,
            kind="grant",
            amount=10,
            policy=policy,
            issued_on=valid_until - timedelta(days=730),
            valid_until=valid_until,
        )
    # The bulk's grants belong to other customers than the due ones, as in a shop.
    history = Customer.objects.create(
        email="history@example.nl", name="History", type="consumer", language="nl", country="NL"
    )
    return {"ticket_line": ticket_line.pk, "vendor": vendor.pk, "customer": history.pk}


# The bulk, by i % 20: 70% resolved and 5% rejected history, then open tickets one day
# (or more) short of each deadline, so every stage's query has neighbours to skip.
BULK_COLUMNS = {
    "number": "'BULK-' || i",
    "order_id": "%(order)s",
    "policy_id": "(%(policies)s::bigint[])[1 + i %% %(policy_count)s]",
    "reason": "CASE WHEN i %% 20 IN (13, 18) OR i %% 10 = 3 THEN 'withdrawal' ELSE 'defective' END",
    "state": "CASE WHEN i %% 20 < 14 THEN 'resolved' WHEN i %% 20 = 14 THEN 'rejected' "
    "WHEN i %% 20 = 15 THEN 'requested' WHEN i %% 20 IN (16, 17) THEN 'authorized' "
    "WHEN i %% 20 = 18 THEN 'received' ELSE 'diagnosed' END",
    "state_changed_at": "CASE WHEN i %% 20 < 15 THEN %(now)s - (30 + i %% 1000) * interval '1 day' "
    "WHEN i %% 20 = 15 THEN %(now)s - (i %% 40) * interval '1 hour' "
    "WHEN i %% 20 = 16 THEN %(now)s - (i %% 6) * interval '1 day' "
    "ELSE %(now)s - (i %% 30) * interval '1 day' END",
    "shipped_on": "CASE WHEN i %% 20 = 17 THEN %(today)s - (i %% 3) "
    "WHEN i %% 20 >= 18 THEN %(today)s - 5 ELSE NULL END",
    "tracking_number": "CASE WHEN i %% 20 >= 18 THEN '3SBENCH' || i ELSE '' END",
    "notice_on": "CASE WHEN i %% 20 IN (13, 18) OR i %% 10 = 3 THEN %(today)s - (i %% 11) "
    "ELSE NULL END",
}


def _add_bulk(order: Order, count: int) -> float:
    """Insert `count` tickets not due with one INSERT … SELECT; return the seconds taken."""
    params = {
        "order": order.pk,
        "policies": list(ReturnPolicy.objects.order_by("pk").values_list("pk", flat=True)),
        "now": NOW,
        "today": TODAY,
        "count": count,
    }
    params["policy_count"] = len(params["policies"])
    started = time.perf_counter()
    with connection.cursor() as cursor:
        _insert_select(
            cursor,
            Ticket,
            {**BULK_COLUMNS, "created_at": BULK_COLUMNS["state_changed_at"]},
            params,
        )
        cursor.execute("VACUUM ANALYZE rma_ticket")
    return time.perf_counter() - started


def _insert_select(cursor, model, expressions: dict[str, str], params: dict) -> None:
    """INSERT `%(count)s` rows of `model` in one INSERT … SELECT over `i`: the columns
    `expressions` names as those SQL expressions, every other column its model default
    (as the app would write it, so a field added later needs nothing here)."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            values.append(expressions[field.attname])
        else:
            key = f"default_{field.attname}"
            params[key] = field.get_db_prep_save(field.get_default(), connection)
            values.append(f"%({key})s")
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - our own
        f"SELECT {', '.join(values)} FROM generate_series(1, %(count)s) AS i",
        params,
    )


def _add_bulk_cases_and_credit(refs: dict, policy: ReturnPolicy, count: int) -> float:
    """Insert `count` vendor cases and `count` grants not due; return the seconds taken.

    Cases: 90% closed history, 10% opened within the vendor's usual 21 days. Grants: 80%
    used up long ago (closed), 20% valid for months to come.
    """
    params = {**refs, "policy": policy.pk, "now": NOW, "today": TODAY, "count": count}
    case = {
        "ticket_line_id": "%(ticket_line)s",
        "vendor_id": "%(vendor)s",
        "route": "'via_shop'",
        "state": "CASE WHEN i %% 10 = 0 THEN 'at_vendor' ELSE 'closed' END",
        "decision": "CASE WHEN i %% 10 = 0 THEN '' ELSE 'repair' END",
        "opened_at": "CASE WHEN i %% 10 = 0 THEN %(now)s - (i %% 20) * interval '1 day'"
        " ELSE %(now)s - (60 + i %% 1000) * interval '1 day' END",
    }
    started = time.perf_counter()
    with connection.cursor() as cursor:
        _insert_select(cursor, VendorCase, case, params)
        cursor.execute(
            "INSERT INTO refunds_storecreditentry (customer_id, kind, amount, created_at, reason,"
            " policy_id, issued_on, valid_until, closed_on) SELECT %(customer)s, 'grant', 10,"
            " %(now)s, '', %(policy)s, %(today)s - 700 + i %% 600,"
            " CASE WHEN i %% 5 = 0 THEN %(today)s + 40 + i %% 600"
            " ELSE %(today)s - 700 + i %% 600 + 730 END,"
            " CASE WHEN i %% 5 = 0 THEN NULL ELSE %(today)s - i %% 600 END"
            " FROM generate_series(1, %(count)s) AS i",
            params,
        )
        cursor.execute("VACUUM ANALYZE vendors_vendorcase")
        cursor.execute("VACUUM ANALYZE refunds_storecreditentry")
    return time.perf_counter() - started


def _reset(snapshot: list[tuple]) -> None:
    Email.objects.all().delete()
    TicketEvent.objects.all().delete()
    # F7: undo the write-offs, so the lapsed grants are due again.
    lapsed = StoreCreditEntry.objects.filter(kind="grant", valid_until__lt=TODAY, amount=10)
    StoreCreditEntry.objects.filter(kind="expiry").delete()
    lapsed.filter(issued_on__gte=TODAY - timedelta(days=732)).update(closed_on=None)
    for pk, state, changed in snapshot:
        Ticket.objects.filter(pk=pk).update(state=state, state_changed_at=changed)


def _timed(snapshot: list[tuple], *, first: bool) -> tuple[float, int, int]:
    """Median seconds, queries and tickets acted on of `--runs` chases."""
    seconds, acted = [], 0
    for _ in range(ARGS.runs):
        if first:
            _reset(snapshot)
        started = time.perf_counter()
        report = chase_deadlines(now=NOW)
        seconds.append(time.perf_counter() - started)
        acted = report.total
    with CaptureQueriesContext(connection) as queries:
        chase_deadlines(now=NOW)
    return statistics.median(seconds), len(queries.captured_queries), acted


def _measure(label: str, snapshot: list[tuple]) -> dict[str, tuple[float, int, int]]:
    figures = {
        "first run": _timed(snapshot, first=True),
        "steady state": _timed(snapshot, first=False),
    }
    for kind, (seconds, queries, acted) in figures.items():
        print(
            f"  {label:<36} {kind:<13} {seconds * 1000:8.1f} ms  "
            f"{acted:4d} acted on  ({queries} queries in a run with nothing left to do)"
        )
    return figures


def main() -> None:
    order = _setup()
    policy = ReturnPolicy.objects.get(preset="webstore4")
    snapshot = _add_due(order, policy)
    refs = _add_due_cases_and_credit(order, policy)
    print(f"Deadline chaser on PostgreSQL, median of {ARGS.runs} runs, today {TODAY}")
    baseline = _measure("100 due tickets, 25 cases/grants (baseline)", snapshot)

    built = _add_bulk(order, ARGS.tickets)
    total = Ticket.objects.count()
    print(f"  built {ARGS.tickets:,} tickets not due in {built:.1f} s ({total:,} in the table)")
    built = _add_bulk_cases_and_credit(refs, policy, ARGS.tickets // 10)
    print(f"  built {ARGS.tickets // 10:,} vendor cases and grants not due in {built:.1f} s")
    loaded = _measure(f"100 due + {ARGS.tickets:,} not due", snapshot)

    for kind in ("first run", "steady state"):
        ratio = loaded[kind][0] / baseline[kind][0]
        print(f"  {kind}: {ratio:.2f}× the baseline")
    policies = list(ReturnPolicy.objects.all())
    for stage in Stage.CHASED:
        plan = tickets_due(stage=stage, today=TODAY, policies=policies).explain()
        scans = [line.strip() for line in plan.splitlines() if " on " in line]
        print(f"  plan {stage:<18}", " | ".join(scan.split("  (")[0] for scan in scans))
    from refunds.chasing import lapsed_q, notice_due_q
    from vendors.selectors import case_overdue_q

    for label, queryset in [
        ("D5-vendor-overdue", VendorCase.objects.filter(case_overdue_q(today=TODAY))),
        (
            "D6-expiry-notice",
            StoreCreditEntry.objects.filter(notice_due_q(policies=policies, today=TODAY)),
        ),
        ("F7-credit-lapsed", StoreCreditEntry.objects.filter(lapsed_q(today=TODAY))),
    ]:
        scans = [line.strip() for line in queryset.explain().splitlines() if " on " in line]
        print(f"  plan {label:<18}", " | ".join(scan.split("  (")[0] for scan in scans))


if __name__ == "__main__":
    main()
