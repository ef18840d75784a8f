"""The staff dashboard (issue 16 §7): open tickets by state and age, what is overdue per
deadline kind (D1–D5), the parcels received today, the median time from request to
resolution and the defect rates per vendor and product, over a period.

Every figure is one aggregate query on indexed columns (no Python per ticket), and the
whole set is cached for a few minutes per period (`CACHE_SECONDS`); the page's button
computes it afresh. Only numbers are cached: labels are translated when the page is
rendered, in the reader's language. Every staff role may look (`rma.view_ticket`).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.windows import day_start
from orders.models import ShipmentLine
from policies.models import ReturnPolicy
from policies.reasons import VENDOR_REASONS
from rma.deadlines import STAGE_LABELS, Stage
from rma.models import EventKind, ParcelScan, ScanOutcome, Ticket, TicketLine
from rma.selectors import SEVERITY, stage_due_q
from rma.states import OPEN_STATES, State
from vendors.models import VendorCase
from vendors.selectors import case_overdue_q

# The whole dashboard is computed at most once per period in this many seconds.
CACHE_SECONDS = 5 * 60
CACHE_KEY = "backoffice:dashboard:{period}"

# The periods staff choose from: the last N days (today included) or this calendar year.
PERIODS = {
    "30": _("Last 30 days"),
    "90": _("Last 90 days"),
    "year": _("This year"),
}
DEFAULT_PERIOD = "30"

# The age of an open ticket in whole days since its request: (first, last) day, None = no end.
AGE_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 2), (3, 7), (8, 14), (15, 30), (31, None))
AGE_LABELS = (
    _("0–2 days"),
    _("3–7 days"),
    _("8–14 days"),
    _("15–30 days"),
    _("more than 30 days"),
)

# The deadline kinds (SPEC §2 D1–D5) and the stages of the chasers that belong to each;
# D5 is the vendor cases' (vendors.selectors).
KINDS: dict[str, tuple[str, ...]] = {
    "D1": (Stage.RESPONSE_OVERDUE, Stage.ACKNOWLEDGE_DUE),
    "D2": (Stage.SHIP_REMINDER, Stage.EXPIRE, Stage.IN_TRANSIT_LAPSED),
    "D3": (Stage.TRACKING_REMINDER,),
    "D4": (Stage.REFUND_ALERT, Stage.REFUND_OVERDUE),
    "D5": (),
}
KIND_LABELS = {
    "D1": _("D1 answer to a new request"),
    "D2": _("D2 authorized, not shipped"),
    "D3": _("D3 tracking number missing"),
    "D4": _("D4 withdrawal refund (W7)"),
    "D5": _("D5 vendor's decision"),
}
D5_LABEL = _("D5 vendor case awaiting its vendor longer than usual")

# The products shown in the defect rates: those with the most defective units.
TOP_PRODUCTS = 15


def period_start(period: str, now: datetime) -> datetime:
    """The first moment of `period` ending `now`: midnight of the first of its days."""
    today = timezone.localdate(now)
    first = date(today.year, 1, 1) if period == "year" else today - timedelta(int(period) - 1)
    return day_start(first)


# -- the figures: one query each, numbers only (what is cached) ---------------------------


def open_by_state_and_age(now: datetime) -> dict[str, list[int]]:
    """Per open state, the tickets in each age bucket (`AGE_BUCKETS`): one pass over the
    open states' rows of the (state, created_at) index."""

    def bucket(first: int, last: int | None) -> Q:
        q = Q(created_at__lte=now - timedelta(days=first))
        if last is not None:
            q &= Q(created_at__gt=now - timedelta(days=last + 1))
        return q

    rows = (
        Ticket.objects.filter(state__in=OPEN_STATES)
        .values("state")
        .annotate(
            **{
                f"age{i}": Count("pk", filter=bucket(first, last))
                for i, (first, last) in enumerate(AGE_BUCKETS)
            }
        )
        .order_by()
    )
    found = {row["state"]: [row[f"age{i}"] for i in range(len(AGE_BUCKETS))] for row in rows}
    return {state: found.get(state, [0] * len(AGE_BUCKETS)) for state in OPEN_STATES}


def overdue_counts(today: date) -> dict[str, int]:
    """Tickets overdue per stage (D1–D4, the Overdue filter's conditions) and per kind
    (a ticket late twice within a kind counts once), and the vendor cases overdue (D5)."""
    policies = list(ReturnPolicy.objects.all())
    stage_q = {stage: stage_due_q(stage, policies=policies, today=today) for stage in SEVERITY}
    aggregates: dict[str, Any] = {
        f"stage:{stage}": Count("pk", filter=condition) for stage, condition in stage_q.items()
    }
    for kind, stages in KINDS.items():
        if stages:
            condition = Q()
            for stage in stages:
                condition |= stage_q[stage]
            aggregates[f"kind:{kind}"] = Count("pk", filter=condition)
    any_q = Q()
    for condition in stage_q.values():
        any_q |= condition
    counts = Ticket.objects.filter(any_q).aggregate(**aggregates)
    counts["kind:D5"] = VendorCase.objects.filter(case_overdue_q(today=today)).count()
    return counts


def received_today(now: datetime) -> dict[str, int]:
    """Parcels received today, however they were received (the scan station or the
    ticket page's button): tickets with a transition to received since midnight, found
    through the tickets changed today (index on state_changed_at). And the scans that
    refused a parcel today (R7)."""
    midnight = day_start(timezone.localdate(now))
    received = (
        Ticket.objects.filter(
            state_changed_at__gte=midnight,
            events__kind=EventKind.TRANSITION,
            events__to_state=State.RECEIVED,
            events__at__gte=midnight,
        )
        .values("pk")
        .distinct()
        .count()
    )
    refused = ParcelScan.objects.filter(
        outcome__in=[o for o in ScanOutcome.values if o not in REFUSAL_FREE], at__gte=midnight
    ).count()
    return {"received": received, "refused": refused}


# Scans that refuse nothing: the parcel was taken in (or already was).
REFUSAL_FREE = (ScanOutcome.RECEIVED, ScanOutcome.ALREADY_RECEIVED)


class _Median(Aggregate):
    """PostgreSQL's continuous median of the expression (percentile_cont(0.5))."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def median_seconds(seconds: list[float]) -> float | None:
    """The median as percentile_cont(0.5) computes it: the middle value, or the mean of
    the two middle values."""
    return statistics.median(seconds) if seconds else None


def resolution_median(
    start: datetime, end: datetime, *, in_database: bool | None = None
) -> dict[str, Any]:
    """The median time from request to resolution of the tickets resolved between
    `start` and `end`, in whole seconds (None when none was), and how many there were.

    A resolved ticket changes state no more: its state_changed_at is its resolution
    (index on state, state_changed_at). PostgreSQL computes the median (percentile_cont);
    elsewhere (the embedded SQLite) Python computes the same over the period's rows.
    `in_database` forces one way (the tests compare them).
    """
    resolved = Ticket.objects.filter(
        state=State.RESOLVED, state_changed_at__gte=start, state_changed_at__lt=end
    ).order_by()
    if in_database is None:
        in_database = connection.vendor == "postgresql"
    if in_database:
        seconds = Func(
            F("state_changed_at") - F("created_at"),
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            output_field=FloatField(),
        )
        row = resolved.aggregate(count=Count("pk"), median=_Median(seconds))
        count, median = row["count"], row["median"]
    else:
        durations = [
            (changed - created).total_seconds()
            for created, changed in resolved.values_list("created_at", "state_changed_at")
        ]
        count, median = len(durations), median_seconds(durations)
    return {"count": count, "seconds": None if median is None else round(float(median))}


def defect_rates(start: datetime, end: datetime) -> dict[str, list[dict[str, Any]]]:
    """Per vendor and per product (the `TOP_PRODUCTS` with most): the units of defective
    and dead-on-arrival tickets (R4, R5) requested in the period, the units delivered in
    the period, and their ratio. Four grouped queries."""
    defects = TicketLine.objects.filter(
        ticket__reason__in=sorted(VENDOR_REASONS),
        ticket__created_at__gte=start,
        ticket__created_at__lt=end,
    ).order_by()
    delivered = ShipmentLine.objects.filter(
        shipment__delivered_at__gte=start, shipment__delivered_at__lt=end
    ).order_by()

    vendor_defects = {
        row["order_line__product__vendor_id"]: row
        for row in defects.values(
            "order_line__product__vendor_id", "order_line__product__vendor__name"
        ).annotate(units=Sum("quantity"))
    }
    vendor_delivered = {
        row["line__product__vendor_id"]: row
        for row in delivered.values(
            "line__product__vendor_id", "line__product__vendor__name"
        ).annotate(units=Sum("quantity"))
    }
    vendors = []
    for pk in vendor_defects.keys() | vendor_delivered.keys():
        name = (
            vendor_defects[pk]["order_line__product__vendor__name"]
            if pk in vendor_defects
            else vendor_delivered[pk]["line__product__vendor__name"]
        )
        vendors.append(
            _rate_row(
                name,
                vendor_defects.get(pk, {}).get("units") or 0,
                vendor_delivered.get(pk, {}).get("units") or 0,
            )
        )

    top = list(
        defects.values(
            "order_line__product_id", "order_line__product__sku", "order_line__product__name"
        )
        .annotate(units=Sum("quantity"))
        .order_by("-units", "order_line__product__sku")[:TOP_PRODUCTS]
    )
    product_delivered = dict(
        delivered.filter(line__product_id__in=[row["order_line__product_id"] for row in top])
        .values("line__product_id")
        .annotate(units=Sum("quantity"))
        .values_list("line__product_id", "units")
    )
    products = [
        _rate_row(
            f"{row['order_line__product__sku']} {row['order_line__product__name']}",
            row["units"],
            product_delivered.get(row["order_line__product_id"]) or 0,
        )
        for row in top
    ]
    order = {"key": lambda row: (-(row["rate"] or Decimal(-1)), -row["defective"], row["name"])}
    return {"vendors": sorted(vendors, **order), "products": sorted(products, **order)}


def _rate_row(name: str, defective: int, delivered: int) -> dict[str, Any]:
    rate = (
        (Decimal(defective) * 100 / delivered).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if delivered
        else None
    )
    return {"name": name, "defective": defective, "delivered": delivered, "rate": rate}


def dashboard_figures(period: str, now: datetime) -> dict[str, Any]:
    """Every figure of the dashboard for `period`, as plain numbers (what is cached)."""
    start = period_start(period, now)
    return {
        "computed_at": now,
        "start": start,
        "open": open_by_state_and_age(now),
        "overdue": overdue_counts(timezone.localdate(now)),
        "today": received_today(now),
        "median": resolution_median(start, now),
        "defects": defect_rates(start, now),
    }


def cached_figures(period: str, *, fresh: bool = False) -> dict[str, Any]:
    """The figures of `period` from the cache, computed (and cached) when missing or
    when `fresh` is asked."""
    key = CACHE_KEY.format(period=period)
    figures = None if fresh else cache.get(key)
    if figures is None:
        figures = dashboard_figures(period, timezone.now())
        cache.set(key, figures, CACHE_SECONDS)
    return figures


# -- the page: labels, charts and tables ---------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as people read it
    y: int = 0  # the bar's row in the chart, in SVG units
    width: float = 0.0  # the bar's length, in SVG units

    @property
    def text_x(self) -> float:
        return BAR_X + self.width + 6


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart drawn on the server as inline SVG."""

    id: str
    title: str
    bars: list[Bar]
    height: int
    bar_x: int = 0


# The charts' geometry in SVG units: a row per bar, the labels left of BAR_X, the longest
# bar BAR_MAX long, its number after it.
ROW = 26
BAR_X = 210
BAR_MAX = 220
CHART_WIDTH = BAR_X + BAR_MAX + 80


def chart(id: str, title: str, rows: list[tuple[str, float, str]]) -> Chart:
    largest = max((value for _label, value, _text in rows), default=0) or 1
    bars = [
        Bar(
            label=str(label),
            value=value,
            text=text,
            y=i * ROW,
            width=round(BAR_MAX * value / largest, 1),
        )
        for i, (label, value, text) in enumerate(rows)
    ]
    return Chart(id=id, title=str(title), bars=bars, height=max(len(bars), 1) * ROW, bar_x=BAR_X)


def duration_text(seconds: int) -> str:
    """A duration as staff read it: days and hours, or hours and minutes when shorter."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return ngettext("%(days)d day", "%(days)d days", days) % {"days": days} + (
            " " + ngettext("%(hours)d hour", "%(hours)d hours", hours) % {"hours": hours}
            if hours
            else ""
        )
    minutes = rest // 60
    return (
        ngettext("%(hours)d hour", "%(hours)d hours", hours) % {"hours": hours}
        + " "
        + ngettext("%(minutes)d minute", "%(minutes)d minutes", minutes) % {"minutes": minutes}
    )


def _percent(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{number_format(rate, 1)} %"


def _rate_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "rate_text": _percent(row["rate"])} for row in rows]


def page_context(figures: dict[str, Any]) -> dict[str, Any]:
    """What the template shows: the figures with their labels, and the charts."""
    state_labels = dict(State.choices)
    open_rows = [
        {"label": state_labels[state], "ages": ages, "total": sum(ages)}
        for state, ages in figures["open"].items()
    ]
    age_totals = [sum(row["ages"][i] for row in open_rows) for i in range(len(AGE_BUCKETS))]
    overdue = figures["overdue"]
    kind_rows = [
        {
            "label": KIND_LABELS[kind],
            "count": overdue[f"kind:{kind}"],
            "stages": [
                {"label": STAGE_LABELS[stage], "count": overdue[f"stage:{stage}"]}
                for stage in stages
            ]
            or [{"label": D5_LABEL, "count": overdue["kind:D5"]}],
        }
        for kind, stages in KINDS.items()
    ]
    defects = figures["defects"]
    median = figures["median"]
    return {
        "open_rows": open_rows,
        "age_labels": AGE_LABELS,
        "age_totals": age_totals,
        "open_total": sum(age_totals),
        "kind_rows": kind_rows,
        "today": figures["today"],
        "median": median,
        "median_text": None if median["seconds"] is None else duration_text(median["seconds"]),
        "rates": [
            (_("Defect rate per vendor"), _("Vendor"), _rate_rows(defects["vendors"])),
            (_("Defect rate per product"), _("Product"), _rate_rows(defects["products"])),
        ],
        "computed_at": figures["computed_at"],
        "start": figures["start"],
        "charts": {
            "age": chart(
                "chart-age",
                _("Open tickets by age"),
                [
                    (label, n, number_format(n))
                    for label, n in zip(AGE_LABELS, age_totals, strict=True)
                ],
            ),
            "state": chart(
                "chart-state",
                _("Open tickets by state"),
                [(row["label"], row["total"], number_format(row["total"])) for row in open_rows],
            ),
            "overdue": chart(
                "chart-overdue",
                _("Overdue per deadline kind"),
                [(row["label"], row["count"], number_format(row["count"])) for row in kind_rows],
            ),
            "vendors": chart(
                "chart-vendors",
                _("Defect rate per vendor"),
                [
                    (row["name"], float(row["rate"] or 0), _percent(row["rate"]))
                    for row in defects["vendors"]
                ],
            ),
        },
    }


def dashboard_view(request: HttpRequest) -> HttpResponse:
    """The dashboard page, for every staff role (support, warehouse, accountant, admin)."""
    if not request.user.has_perm("rma.view_ticket"):
        raise PermissionDenied
    period = request.GET.get("period", DEFAULT_PERIOD)
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    fresh = request.GET.get("fresh") == "1"
    figures = cached_figures(period, fresh=fresh)
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "periods": [(key, label) for key, label in PERIODS.items()],
        "period": period,
        "period_label": PERIODS[period],
        "chart_width": CHART_WIDTH,
        **page_context(figures),
    }
    return TemplateResponse(request, "admin/backoffice/dashboard.html", context)


# The page behind the admin's login: staff only, others go to the admin's login page.
dashboard = admin.site.admin_view(dashboard_view)
