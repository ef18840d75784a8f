"""The bookkeeping exports (issue 18 §6): totals per VAT rate equal to the credit notes and
their PDFs to the cent, CSV and XLSX alike, periods in Amsterdam days, accountants only,
the same queries however many credit notes; the XLSX built by a worker, once, and given
only to the person who asked for it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from config.celery import app
from orders.models import Customer
from refunds.documents import credit_note_pdf
from refunds.export_files import export_file_build
from refunds.exports import EXPORTS, Period, PeriodError, csv_chunks, last_month, xlsx_write
from refunds.models import CreditNote, EntryKind, ExportFile, Refund, StoreCreditEntry
from refunds.services import store_credit_grant, store_credit_use
from tests.factories import AMSTERDAM, CustomerFactory
from tests.notifications.conftest import (  # noqa: F401 - fixtures for the worker flow
    celery_worker,
    default_policy,
    own_broker,
    redis_server,
    wait_until,
)
from tests.refunds.credit_note_flow import approved_refund_of, paid_refund, refund_pay_outside
from tests.refunds.refund_flow import accountant as another_accountant
from tests.refunds.test_credit_notes import on_postgresql, pdf_text

pytestmark = pytest.mark.django_db

URL = "/admin/refunds/exports/"
FILES_URL = "/admin/refunds/export-files/"  # + the file's pk
NOVEMBER_QUERY = {"first": "2026-11-01", "last": "2026-11-30"}
NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def csv_rows(name: str, period: Period = NOVEMBER) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(csv_chunks(EXPORTS[name], period)))))


def xlsx_rows(name: str, period: Period = NOVEMBER) -> list[list]:
    target = io.BytesIO()
    xlsx_write(EXPORTS[name], period, target)
    return sheet_rows(target.getvalue())


def sheet_rows(content: bytes) -> list[list]:
    """The workbook's rows, each as wide as the header (a sheet keeps no empty cell at
    the end of a row)."""
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return [row + [None] * (len(rows[0]) - len(row)) for row in rows]


NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def comparable(value):
    """A cell as CSV and XLSX can both say it: numbers as Decimal, days as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str) and NUMBER.match(value):
        return Decimal(value)
    return value


def body(rows: list[list[str]]) -> list[list[str]]:
    """The rows between the header and the totals."""
    return [row for row in rows[1:] if row[0] != "Total"]


def totals(rows: list[list[str]]) -> list[list[str]]:
    return [row for row in rows[1:] if row[0] == "Total"]


def shop_month() -> list[Refund]:
    """November's refunds: a withdrawal (F4, W8), an order error with an F3 fee spread over
    two rates and an F5 charge, one at 21% only, and one paid back as store credit."""
    return [
        paid_refund(customer=CustomerFactory(language="en")),
        paid_refund(
            customer=CustomerFactory(business=True, language="en", company="Jansen BV"),
            reason="order_error",
            preset="voip-distributor",
            investigation_hours="1",
        ),
        paid_refund(lines=(("99.99", "21", "0.00"),), customer=CustomerFactory(language="en")),
        paid_refund(
            lines=(("49.95", "21", "5.00"), ("10.00", "9", "0.00")),
            paid_with="store_credit",
            customer=CustomerFactory(language="en"),
        ),
    ]


def test_totals_per_vat_rate_equal_the_credit_notes_and_what_their_pdfs_say():
    shop_month()
    rows = csv_rows("credit-notes")

    # One row per credit note per rate, exactly its VAT rows.
    expected = [
        [note.number, rate["rate"], rate["net"], rate["vat"], rate["gross"]]
        for note in CreditNote.objects.order_by("issued_at", "pk")
        for rate in note.vat
    ]
    assert [[r[0], r[8], r[9], r[10], r[11]] for r in body(rows)] == expected
    # The totals per rate: the sum of the credit notes' rows to the cent.
    summed: dict[Decimal, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for note in CreditNote.objects.all():
        for rate in note.vat:
            for i, key in enumerate(("net", "vat", "gross")):
                summed[Decimal(rate["rate"])][i] += Decimal(rate[key])
    per_rate = {Decimal(r[8]): [Decimal(x) for x in r[9:12]] for r in totals(rows) if r[8]}
    assert per_rate == dict(summed)
    assert set(per_rate) == {Decimal("21.00"), Decimal("9.00")}
    [grand] = [r for r in totals(rows) if not r[8]]
    assert Decimal(grand[11]) == sum(Refund.objects.values_list("total", flat=True), Decimal(0))
    # … and what the PDFs print, read back, adds up to the same.
    from_pdfs: dict[Decimal, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    vat_row = re.compile(
        r"(\d+(?:\.\d+)?)% € (-?[\d,]+\.\d\d) € (-?[\d,]+\.\d\d) € (-?[\d,]+\.\d\d)"
    )
    for note in CreditNote.objects.all():
        text = pdf_text(credit_note_pdf(note))
        vat_part = text.split("VAT per rate", 1)[1].split("How it is paid back", 1)[0]
        for found in vat_row.finditer(vat_part):
            for i in range(3):
                from_pdfs[Decimal(found[1])][i] += Decimal(found[i + 2].replace(",", ""))
    assert from_pdfs == per_rate


def test_csv_and_xlsx_read_back_give_the_same_rows():
    refunds = shop_month()
    customer = refunds[3].ticket.order.customer
    store_credit_use(customer=customer, amount=Decimal("12.50"))

    for name in EXPORTS:
        as_csv = [[comparable(v) for v in row] for row in csv_rows(name)]
        as_xlsx = [[comparable(v) for v in row] for row in xlsx_rows(name)]
        assert as_csv == as_xlsx, name
        assert len(as_csv) > 2, name


def test_refunds_paid_list_each_part_with_its_method_reference_and_day():
    refunds = shop_month()
    rows = csv_rows("refunds")

    parts = [
        (refund.number, refund.credit_note.number, part.amount, part.reference)
        for refund in sorted(refunds, key=lambda r: (r.paid_at, r.pk))
        for part in refund.parts.order_by("pk")
    ]
    assert [(r[0], r[6], Decimal(r[11]), r[12]) for r in body(rows)] == parts
    assert {r[9] for r in body(rows)} == {"Card", "Store credit"}
    assert {r[13] for r in body(rows)} == {"2026-11-23"}
    by_method = {r[9]: Decimal(r[11]) for r in totals(rows) if r[9]}
    assert by_method["Store credit"] == refunds[3].total
    assert sum(by_method.values()) == sum(r.total for r in refunds)
    # F5: the order error's charge, beside its refund and never netted.
    assert {Decimal(r[8]) for r in body(rows) if r[0] == refunds[1].number} == {Decimal("65.00")}


def test_store_credit_movements_list_grants_and_uses_with_their_totals():
    refunds = shop_month()
    customer = refunds[3].ticket.order.customer
    store_credit_use(customer=customer, amount=Decimal("12.50"))
    grant = StoreCreditEntry.objects.get(kind=EntryKind.GRANT)
    rows = csv_rows("store-credit")

    assert [(r[1], Decimal(r[2]), r[4], r[5], r[7]) for r in body(rows)] == [
        ("granted", refunds[3].total, customer.email, refunds[3].ticket.number, "2028-11-23"),
        ("used", Decimal("-12.50"), customer.email, "", ""),
    ]
    assert grant.valid_until == dt.date(2028, 11, 23)  # F7: two years
    assert [(r[1], Decimal(r[2])) for r in totals(rows)] == [
        ("granted", refunds[3].total),
        ("used", Decimal("-12.50")),
        ("", refunds[3].total - Decimal("12.50")),
    ]


def at(day: int, month: int, hour: int, minute: int = 0, second: int = 0):
    return time_machine.travel(
        dt.datetime(2026, month, day, hour, minute, second, tzinfo=AMSTERDAM), tick=False
    )


def test_a_period_takes_its_first_and_last_day_whole_as_amsterdam_days():
    moments = {
        "before": at(31, 10, 23, 59, 59),
        "first": at(1, 11, 0, 0, 0),  # 31 October 23:00 in UTC
        "last": at(30, 11, 23, 59, 59),
        "after": at(1, 12, 0, 0, 0),
    }
    refunds = {key: approved_refund_of() for key in moments}
    customer = CustomerFactory()
    for key, moment in moments.items():
        with moment:
            refund_pay_outside(refunds[key])
            store_credit_grant(customer=customer, amount=Decimal("1.00"), by=None, reason=key)

    number = {key: refund.credit_note.number for key, refund in refunds.items()}
    assert [r[0] for r in body(csv_rows("credit-notes"))] == [
        n for key, n in number.items() if key in ("first", "last") for _rate in (1, 2)
    ]
    assert {r[0] for r in body(csv_rows("refunds"))} == {
        refunds["first"].number,
        refunds["last"].number,
    }
    assert [r[8] for r in body(csv_rows("store-credit"))] == ["first", "last"]
    assert [r[1] for r in body(csv_rows("credit-notes"))] == ["2026-11-01"] * 2 + ["2026-11-30"] * 2
    # One day: the first of November, midnight to midnight in Amsterdam.
    first_day = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 1))
    assert {r[0] for r in body(csv_rows("credit-notes", first_day))} == {number["first"]}


def test_last_month_is_the_default_period():
    assert last_month(dt.date(2026, 11, 23)) == Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert last_month(dt.date(2027, 1, 1)) == Period(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    with pytest.raises(PeriodError):
        Period(dt.date(2026, 11, 2), dt.date(2026, 11, 1))


class TestThePage:
    def test_an_accountant_sees_last_month_and_the_buttons(self, client, accountant):
        client.force_login(accountant)
        page = client.get(URL)
        assert page.status_code == 200
        html = page.content.decode()
        assert 'value="2026-10-01"' in html and 'value="2026-10-31"' in html
        for name in EXPORTS:
            assert f'value="{name}.csv"' in html and f'value="{name}.xlsx"' in html
        assert "/admin/refunds/exports/" in client.get("/admin/").content.decode()

    def test_support_is_refused(self, client, support):
        client.force_login(support)
        assert client.get(URL).status_code == 403
        query = {"first": "2026-11-01", "last": "2026-11-30", "download": "credit-notes.csv"}
        assert client.get(URL, query).status_code == 403
        assert client.post(URL, {**query, "download": "refunds.xlsx"}).status_code == 403
        assert not ExportFile.objects.exists()
        assert "/admin/refunds/exports/" not in client.get("/admin/").content.decode()

    def test_a_stranger_goes_to_the_login_page(self, client):
        assert client.get(URL).status_code == 302

    @pytest.mark.parametrize(
        ("first", "last", "download", "message"),
        [
            ("2026-02-30", "2026-03-31", "credit-notes.csv", "Enter a valid date."),
            ("yesterday", "2026-03-31", "refunds.xlsx", "Enter a valid date."),
            ("", "2026-03-31", "refunds.csv", "This field is required."),
            ("2026-11-30", "2026-11-01", "credit-notes.csv", "The first day is after the last"),
            ("0001-01-01", "9999-12-31", "store-credit.xlsx", "Choose days between"),
            ("2026-11-01", "2026-11-30", "credit-notes.pdf", "Choose one of the downloads"),
            ("2026-11-01", "2026-11-30", "../../etc.csv", "Choose one of the downloads"),
        ],
    )
    def test_a_bad_period_gives_the_form_back_with_the_reason(
        self, client, accountant, first, last, download, message
    ):
        client.force_login(accountant)
        page = client.get(URL, {"first": first, "last": last, "download": download})
        assert page.status_code == 200
        assert page["Content-Type"].startswith("text/html")
        assert message in page.content.decode()

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_a_csv_download_is_the_export_of_the_period(self, client, accountant, method):
        shop_month()
        client.force_login(accountant)
        send = getattr(client, method)
        response = send(URL, {**NOVEMBER_QUERY, "download": "credit-notes.csv"})
        content = b"".join(response.streaming_content)
        assert response.status_code == 200
        assert (
            'filename="credit-notes_2026-11-01_2026-11-30.csv"' in (response["Content-Disposition"])
        )
        rows = list(csv.reader(io.StringIO(content.decode())))
        rows = [[comparable(v) for v in row] for row in rows]
        assert rows == [[comparable(v) for v in row] for row in csv_rows("credit-notes")]
        assert not ExportFile.objects.exists()

    @pytest.mark.usefixtures("tasks_in_process")
    def test_an_xlsx_asked_for_is_listed_ready_with_the_rows_of_the_csv(
        self, client, accountant, django_capture_on_commit_callbacks
    ):
        shop_month()
        client.force_login(accountant)

        # The task is queued when the request's writes commit (the test's never do).
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, {**NOVEMBER_QUERY, "download": "credit-notes.xlsx"})

        # Back to the page, the same period in the form, the file listed and ready: in the
        # embedded default the task ran in-process.
        assert response.status_code == 302
        assert response["Location"] == f"{URL}?first=2026-11-01&last=2026-11-30"
        page = client.get(response["Location"])
        html = page.content.decode()
        assert "We are preparing “Credit notes issued” from" in html
        assert 'value="2026-11-01"' in html and 'value="2026-11-30"' in html
        [export_file] = ExportFile.objects.all()
        assert export_file.requested_by == accountant and export_file.kind == "credit_notes"
        assert (export_file.first_day, export_file.last_day) == (NOVEMBER.first, NOVEMBER.last)
        link = f"{FILES_URL}{export_file.pk}/"
        assert f'href="{link}"' in html
        download = client.get(link)
        assert download.status_code == 200
        assert (
            'filename="credit-notes_2026-11-01_2026-11-30.xlsx"'
            in (download["Content-Disposition"])
        )
        rows = [[comparable(v) for v in row] for row in sheet_rows(b"".join(download))]
        assert rows == [[comparable(v) for v in row] for row in csv_rows("credit-notes")]
        assert export_file.rows == len(rows) - 1  # under the header, totals included

    def test_an_xlsx_is_asked_for_by_its_button_not_by_a_link(self, client, accountant):
        client.force_login(accountant)
        page = client.get(URL, {**NOVEMBER_QUERY, "download": "refunds.xlsx"})
        assert page.status_code == 200
        assert "An XLSX is prepared on request: press its button." in page.content.decode()
        assert not ExportFile.objects.exists()

    @pytest.mark.usefixtures("tasks_in_process")
    def test_a_file_that_cannot_be_written_says_so_beside_it(self, client, accountant):
        # A period the page would refuse, stored by hand: the writer refuses it too.
        export_file = ExportFile.objects.create(
            requested_by=accountant,
            kind="refunds",
            first_day=dt.date(2026, 11, 30),
            last_day=dt.date(2026, 11, 1),
        )
        export_file_build(export_file.pk)
        export_file.refresh_from_db()
        assert export_file.finished_at is not None and not export_file.file
        client.force_login(accountant)
        html = client.get(URL).content.decode()
        assert "Failed: The file could not be written. Please ask for it again" in html
        assert client.get(f"{FILES_URL}{export_file.pk}/").status_code == 404

    def test_a_file_is_given_only_to_whoever_asked_for_it(self, client, accountant, support):
        export_file = finished_file(accountant)
        link = f"{FILES_URL}{export_file.pk}/"

        client.force_login(another_accountant("bea"))
        assert client.get(link).status_code == 404
        assert link not in client.get(URL).content.decode()  # nor listed on Bea's page
        client.force_login(support)
        assert client.get(link).status_code == 403
        client.force_login(accountant)
        assert client.get(link).status_code == 200
        client.logout()
        assert client.get(link).status_code == 302  # to the admin's login

    def test_the_page_lists_the_last_ten_files_in_the_same_queries(self, client, accountant):
        client.force_login(accountant)

        def page_queries() -> tuple[int, str]:
            with CaptureQueriesContext(connection) as queries:
                html = client.get(URL).content.decode()
            return len(queries), html

        finished_file(accountant)
        few, _html = page_queries()
        for n in range(12):
            if n % 3 == 0:
                finished_file(accountant)
            elif n % 3 == 1:
                ExportFile.objects.create(
                    requested_by=accountant,
                    kind="refunds",
                    first_day=dt.date(2026, 11, 1),
                    last_day=dt.date(2026, 11, 30),
                )
            else:
                ExportFile.objects.create(
                    requested_by=accountant,
                    kind="store_credit",
                    first_day=dt.date(2026, 11, 1),
                    last_day=dt.date(2026, 11, 30),
                    finished_at=timezone.now(),
                    error="Disk full.",
                )
        many, html = page_queries()
        assert many == few
        # The newest ten of thirteen: three ready, three in progress, four failed.
        assert html.count(f'href="{FILES_URL}') == 3
        assert html.count("In progress") == 3 and html.count("Failed: Disk full.") == 4

    def test_a_dutch_accountant_gets_dutch_headers(self, client, accountant):
        client.force_login(accountant)
        response = client.get(
            URL,
            {"first": "2026-11-01", "last": "2026-11-30", "download": "credit-notes.csv"},
            HTTP_ACCEPT_LANGUAGE="nl",
        )
        header = next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert "Ordernummer" in header and "Order number" not in header

    def test_the_queries_do_not_grow_with_the_credit_notes(self, client, accountant):
        client.force_login(accountant)

        def downloads() -> dict[str, int]:
            counts = {}
            for name in EXPORTS:
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(URL, {**NOVEMBER_QUERY, "download": f"{name}.csv"})
                    b"".join(response.streaming_content)
                counts[f"{name}.csv"] = len(queries)
                export_file = ExportFile.objects.create(
                    requested_by=accountant,
                    kind=name.replace("-", "_"),
                    first_day=NOVEMBER.first,
                    last_day=NOVEMBER.last,
                )
                with CaptureQueriesContext(connection) as queries:
                    export_file_build(export_file.pk)
                counts[f"{name}.xlsx"] = len(queries)
            return counts

        paid_refund(paid_with="store_credit")
        few = downloads()
        for _ in range(4):
            paid_refund(paid_with="store_credit")
        store_credit_use(customer=Customer.objects.first(), amount=Decimal("1.00"))
        assert CreditNote.objects.count() == 5
        assert downloads() == few


@pytest.fixture
def tasks_in_process():
    """The embedded default: tasks run in-process, at once (no broker, no worker)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def finished_file(user) -> ExportFile:
    """A file a worker wrote for `user` (of no credit notes: the period is empty)."""
    export_file = ExportFile.objects.create(
        requested_by=user, kind="credit_notes", first_day=NOVEMBER.first, last_day=NOVEMBER.last
    )
    return export_file_build(export_file.pk)


@pytest.mark.worker
@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_policy")
def test_a_worker_builds_the_xlsx_once_with_the_rows_and_totals_of_the_csv(
    client,
    accountant,
    celery_worker,  # noqa: F811
):
    refunds = [approved_refund_of() for _ in range(3)]
    for refund in refunds:
        refund_pay_outside(refund)
    client.force_login(accountant)

    response = client.post(URL, {**NOVEMBER_QUERY, "download": "refunds.xlsx"})

    assert response.status_code == 302
    [export_file] = ExportFile.objects.all()
    wait_until(
        lambda: ExportFile.objects.filter(pk=export_file.pk, finished_at__isnull=False).exists(),
        timeout=60,
        message="the worker did not build the XLSX",
    )
    export_file.refresh_from_db()
    assert export_file.error == "" and export_file.file
    download = client.get(f"{FILES_URL}{export_file.pk}/")
    as_xlsx = [[comparable(v) for v in row] for row in sheet_rows(b"".join(download))]
    as_csv = [[comparable(v) for v in row] for row in csv_rows("refunds")]
    assert as_xlsx == as_csv
    assert {row[0] for row in body(as_xlsx)} == {refund.number for refund in refunds}
    [grand] = [row for row in totals(as_xlsx) if row[9] == ""]
    assert grand[11] == sum((refund.total for refund in refunds), Decimal(0))

    # The task delivered again (acks_late) finds the file made and leaves it as it is.
    again = export_file_build(export_file.pk)
    assert (again.file.name, again.finished_at, again.rows) == (
        export_file.file.name,
        export_file.finished_at,
        export_file.rows,
    )
    assert ExportFile.objects.count() == 1
