"""F6: bank-transfer refunds paid by SEPA credit-transfer files (issue 18 §2).

A batch is a pain.001 file the bank accepts (the XSD says so), holding each approved
transfer once however many accountants make batches at the same moment; booking it pays
each refund once, however often it is booked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
import sepaxml
import xmlschema
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Payment
from refunds import sepa
from refunds.iban import IbanError, normalized_iban
from refunds.models import Channel, CreditNote, RefundPart, RefundState, SepaBatch
from refunds.refunding import (
    RefundError,
    refund_approve,
    refund_fail,
    refund_pay,
    refund_propose,
    refund_retry,
    refund_set_account,
)
from refunds.sepa import sepa_batch_book, sepa_batch_create
from tests.factories import staff_member
from tests.refunds.refund_flow import accountant, approved_refund, diagnosed_ticket
from tests.threads import run_together

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)  # tests/conftest.py's fixed day
XSD = Path(sepaxml.__file__).parent / "schemas" / f"{sepa.SCHEMA}.xsd"
NS = {"p": f"urn:iso:std:iso:20022:tech:xsd:{sepa.SCHEMA}"}

IBAN_NL = "NL91ABNA0417164300"
IBAN_DE = "DE89370400440532013000"
IBAN_BE = "BE68539007547034"


def refund_to(iban: str, holder: str = "Anna de Vries", **kwargs):
    """An approved bank-transfer refund (the order was paid by iDEAL) with an account."""
    refund = approved_refund(**kwargs)
    return refund_set_account(refund=refund, iban=iban, holder=holder)


def ada():
    return staff_member("accountant")


def transfers(batch: SepaBatch) -> dict[str, dict[str, str]]:
    """The file's transfers by end-to-end id: amount, currency, IBAN, name, remittance."""
    with batch.xml.open("rb") as file:
        root = ElementTree.fromstring(file.read())
    found = {}
    for tx in root.iterfind(".//p:CdtTrfTxInf", NS):
        amount = tx.find("p:Amt/p:InstdAmt", NS)
        found[tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS)] = {
            "amount": amount.text,
            "currency": amount.get("Ccy"),
            "iban": tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS),
            "name": tx.findtext("p:Cdtr/p:Nm", namespaces=NS),
            "remittance": tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS),
        }
    return found


def xml_of(batch: SepaBatch) -> bytes:
    with batch.xml.open("rb") as file:
        return file.read()


# --- the file -----------------------------------------------------------------------------


def test_the_batch_file_is_a_valid_pain001_holding_each_transfer():
    first = refund_to(IBAN_NL, holder="Zoë Müller-Østergaard", quantity=1, price="120.00")
    second = refund_to(IBAN_DE, holder="Jan Jansen", quantity=2, price="49.95")

    batch = sepa_batch_create(by=ada(), execution_date=TODAY)

    xml = xml_of(batch)
    xmlschema.XMLSchema(XSD).validate(xml.decode())  # raises on any deviation
    found = transfers(batch)
    parts = RefundPart.objects.filter(refund__in=[first, second]).select_related("refund")
    assert len(found) == len(parts) == 2
    for part in parts:
        transfer = found[f"{part.refund.number}-{part.pk}"]
        assert transfer["amount"] == str(part.amount)
        assert transfer["currency"] == "EUR"
        assert transfer["iban"] == part.refund.iban
        assert part.refund.number in transfer["remittance"]
        assert part.refund.ticket.order.number in transfer["remittance"]
    assert found[f"{first.number}-{first.parts.get().pk}"]["amount"] == "120.00"
    assert found[f"{second.number}-{second.parts.get().pk}"]["amount"] == "99.90"
    # SEPA's character set: accents transliterated, the rest spaced, never dropped silently.
    assert found[f"{first.number}-{first.parts.get().pk}"]["name"] == "Zoe Muller-Ostergaard"
    assert (batch.count, batch.total) == (2, Decimal("219.90"))
    root = ElementTree.fromstring(xml)
    assert root.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == batch.message_id
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "219.90"
    assert root.findtext(".//p:PmtInf/p:ReqdExctnDt", namespaces=NS) == "2026-11-23"
    assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == settings.SHOP_IBAN
    assert root.findtext(".//p:Dbtr/p:Nm", namespaces=NS) == settings.SHOP_SEPA_NAME
    assert set(RefundPart.objects.values_list("batch", flat=True)) == {batch.pk}


def test_end_to_end_ids_are_unique_per_part_and_fit_the_35_characters_sepa_allows():
    refunds = [refund_to(IBAN_NL, quantity=1) for _ in range(3)]
    batch = sepa_batch_create(by=ada(), execution_date=TODAY)
    ids = list(transfers(batch))
    assert len(set(ids)) == len(refunds) == 3
    assert all(len(id_) <= 35 for id_ in ids)


def test_nothing_to_pay_makes_no_batch():
    approved_refund(paid_with="card")  # paid back through the card provider, not by bank
    assert sepa_batch_create(by=ada(), execution_date=TODAY) is None
    assert not SepaBatch.objects.exists()


def test_refunds_without_an_iban_wait_for_the_customer_to_give_one():
    waiting = approved_refund(quantity=1)
    ready = refund_to(IBAN_BE, quantity=1)

    batch = sepa_batch_create(by=ada(), execution_date=TODAY)

    assert {p.refund_id for p in batch.parts.all()} == {ready.pk}
    assert waiting.parts.get().batch is None
    assert sepa_batch_create(by=ada(), execution_date=TODAY) is None
    refund_set_account(refund=waiting, iban="nl91 abna 0417 1643 00", holder="Anna de Vries")
    later = sepa_batch_create(by=ada(), execution_date=TODAY)
    assert {p.refund_id for p in later.parts.all()} == {waiting.pk}
    assert list(transfers(later).values())[0]["iban"] == IBAN_NL


def test_proposed_refunds_wait_for_their_approval():
    refund = refund_propose(ticket=diagnosed_ticket(quantity=1), by=ada())
    refund_set_account(refund=refund, iban=IBAN_NL, holder="Anna de Vries")
    assert sepa_batch_create(by=ada(), execution_date=TODAY) is None
    refund_approve(refund=refund, by=accountant("bea"))
    assert sepa_batch_create(by=ada(), execution_date=TODAY).count == 1


def test_a_batch_for_a_day_that_has_passed_is_refused():
    refund_to(IBAN_NL, quantity=1)
    with pytest.raises(RefundError, match="day that has passed"):
        sepa_batch_create(by=ada(), execution_date=TODAY - dt.timedelta(days=1))
    assert not SepaBatch.objects.exists()
    assert not RefundPart.objects.filter(batch__isnull=False).exists()


def test_a_wrong_shop_iban_is_refused_before_a_file_is_made(settings):
    settings.SHOP_IBAN = "NL91ABNA0417164301"
    refund_to(IBAN_NL, quantity=1)
    with pytest.raises(RefundError, match="SHOP_IBAN"):
        sepa_batch_create(by=ada(), execution_date=TODAY)
    assert not SepaBatch.objects.exists()


def test_a_name_of_signs_only_still_makes_a_valid_file():
    refund = refund_to(IBAN_NL, holder="@@@ ###", quantity=1)
    batch = sepa_batch_create(by=ada(), execution_date=TODAY)
    xmlschema.XMLSchema(XSD).validate(xml_of(batch).decode())
    assert list(transfers(batch).values())[0]["name"] == refund.number


def test_a_file_the_bank_would_refuse_is_never_made(monkeypatch):
    refund = refund_to(IBAN_NL, quantity=1)
    # An account written past the checks (by hand in the database), in lower case.
    type(refund).objects.filter(pk=refund.pk).update(iban="nl91abna0417164300")
    with pytest.raises(RefundError, match="The bank would refuse this file"):
        sepa_batch_create(by=ada(), execution_date=TODAY)
    assert not SepaBatch.objects.exists()
    assert refund.parts.get().batch is None


def test_a_batch_holds_at_most_max_transfers_and_the_rest_go_into_the_next(monkeypatch):
    monkeypatch.setattr(sepa, "MAX_TRANSFERS", 2)
    refunds = [refund_to(IBAN_NL, quantity=1) for _ in range(3)]
    first = sepa_batch_create(by=ada(), execution_date=TODAY)
    second = sepa_batch_create(by=ada(), execution_date=TODAY)
    assert (first.count, second.count) == (2, 1)
    # The oldest first: they have waited longest.
    assert {p.refund_id for p in first.parts.all()} == {refunds[0].pk, refunds[1].pk}


# --- booking --------------------------------------------------------------------------------


def test_a_batch_booked_twice_pays_once():
    refund = refund_to(IBAN_NL, quantity=1, reason="withdrawal")
    batch = sepa_batch_create(by=ada(), execution_date=TODAY)
    bea = accountant("bea")

    assert sepa_batch_book(batch=batch, by=bea) == 1
    assert sepa_batch_book(batch=batch, by=ada()) == 0

    refund.refresh_from_db()
    assert refund.state == RefundState.PAID
    assert refund.paid_by == bea
    assert CreditNote.objects.filter(refund=refund).count() == 1
    assert CreditNote.objects.get().total == refund.total
    refund.ticket.refresh_from_db()
    assert refund.ticket.refund_paid_on == TODAY  # D4 stops chasing it
    part = refund.parts.get()
    assert part.paid_at is not None
    assert part.reference == f"{refund.number}-{part.pk}"  # the file's end-to-end id
    batch.refresh_from_db()
    assert batch.executed_by == bea and batch.executed_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_accountants_booking_one_batch_at_once_pay_each_refund_once():
    refunds = [refund_to(IBAN_NL, quantity=1) for _ in range(3)]
    batch = sepa_batch_create(by=ada(), execution_date=TODAY)
    people = [ada(), accountant("bea")]

    results = run_together([lambda by=by: sepa_batch_book(batch=batch, by=by) for by in people])

    assert sorted(results) == [0, 3], results
    assert CreditNote.objects.count() == 3
    numbers = sorted(CreditNote.objects.values_list("number", flat=True))
    assert numbers == ["CN-2026-00001", "CN-2026-00002", "CN-2026-00003"]
    for refund in refunds:
        refund.refresh_from_db()
        assert refund.state == RefundState.PAID


def test_booking_before_the_execution_day_is_refused():
    refund = refund_to(IBAN_NL, quantity=1)
    batch = sepa_batch_create(by=ada(), execution_date=TODAY + dt.timedelta(days=2))
    with pytest.raises(RefundError, match="book it once the money has left"):
        sepa_batch_book(batch=batch, by=ada())
    refund.refresh_from_db()
    assert refund.state == RefundState.APPROVED
    assert refund.parts.get().paid_at is None


def test_a_refund_with_a_part_in_store_credit_is_paid_when_both_parts_are():
    ticket = diagnosed_ticket(quantity=1, price="120.00")
    Payment.objects.filter(order=ticket.order).update(amount=Decimal("100.00"))
    Payment.objects.create(order=ticket.order, method="store_credit", amount=Decimal("20.00"))
    refund = refund_approve(refund=refund_propose(ticket=ticket, by=ada()), by=accountant("bea"))
    refund_set_account(refund=refund, iban=IBAN_NL, holder="Anna de Vries")
    channels = sorted((p.channel, p.amount) for p in refund.parts.all())
    assert channels == [(Channel.SEPA, Decimal("100.00")), (Channel.STORE_CREDIT, Decimal("20.00"))]

    batch = sepa_batch_create(by=ada(), execution_date=TODAY)
    assert batch.total == Decimal("100.00")
    assert sepa_batch_book(batch=batch, by=ada()) == 1
    refund.refresh_from_db()
    assert refund.state == RefundState.APPROVED  # the store credit is still to book
    assert not CreditNote.objects.exists()

    refund_pay(refund=refund, by=ada())
    refund.refresh_from_db()
    assert refund.state == RefundState.PAID
    assert CreditNote.objects.filter(refund=refund).count() == 1


# --- failed and retried -------------------------------------------------------------------


def test_a_failed_refund_leaves_the_batch_and_booking_skips_it():
    bounced = refund_to(IBAN_NL, quantity=1)
    fine = refund_to(IBAN_DE, quantity=1)
    batch = sepa_batch_create(by=ada(), execution_date=TODAY)
    refund_fail(refund=bounced, by=ada(), reason="AC04: account closed")

    assert sepa_batch_book(batch=batch, by=accountant("bea")) == 1

    bounced.refresh_from_db()
    fine.refresh_from_db()
    assert (bounced.state, fine.state) == (RefundState.FAILED, RefundState.PAID)
    part = bounced.parts.get()
    assert (part.batch, part.paid_at, part.reference) == (None, None, "")
    assert list(CreditNote.objects.values_list("refund", flat=True)) == [fine.pk]


def test_a_refund_retried_after_failure_goes_into_the_next_batch():
    refund = refund_to(IBAN_NL, quantity=1)
    first = sepa_batch_create(by=ada(), execution_date=TODAY)
    refund_fail(refund=refund, by=ada(), reason="AC04: account closed")
    sepa_batch_book(batch=first, by=ada())
    refund_set_account(refund=refund, iban=IBAN_BE, holder="Anna de Vries")
    assert sepa_batch_create(by=ada(), execution_date=TODAY) is None  # failed: not yet

    refund_retry(refund=refund, by=ada())
    second = sepa_batch_create(by=ada(), execution_date=TODAY)

    part = refund.parts.get()
    assert second != first and part.batch_id == second.pk
    assert transfers(second)[f"{refund.number}-{part.pk}"]["iban"] == IBAN_BE
    assert sepa_batch_book(batch=second, by=ada()) == 1
    refund.refresh_from_db()
    assert refund.state == RefundState.PAID


# --- at the same moment ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_batches_made_at_the_same_moment_hold_each_transfer_once():
    refunds = [refund_to(IBAN_NL, quantity=1) for _ in range(6)]
    people = [ada(), accountant("bea")]

    results = run_together(
        [lambda by=by: sepa_batch_create(by=by, execution_date=TODAY) for by in people]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    batches = [batch for batch in results if batch is not None]
    assert batches
    in_files = [set(transfers(batch)) for batch in batches]
    everything = set().union(*in_files)
    assert sum(len(ids) for ids in in_files) == len(everything) == len(refunds)
    for batch in batches:
        claimed = {f"{p.refund.number}-{p.pk}" for p in batch.parts.select_related("refund")}
        assert claimed == set(transfers(batch))
        assert batch.count == len(claimed)
    assert not RefundPart.objects.filter(batch__isnull=True).exists()


# --- who may -------------------------------------------------------------------------------


def test_support_can_neither_make_nor_book_a_batch(support):
    refund_to(IBAN_NL, quantity=1)
    with pytest.raises(RefundError, match="not allowed"):
        sepa_batch_create(by=support, execution_date=TODAY)
    assert not SepaBatch.objects.exists()
    batch = sepa_batch_create(by=ada(), execution_date=TODAY)
    with pytest.raises(RefundError, match="not allowed"):
        sepa_batch_book(batch=batch, by=support)
    assert not RefundPart.objects.filter(paid_at__isnull=False).exists()
    batch.refresh_from_db()
    assert batch.executed_at is None


# --- IBAN checksum (refunds/iban.py) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("DE89370400440532013000", "DE89370400440532013000"),
        ("BE68539007547034", "BE68539007547034"),
        ("nl91 abna 0417 1643 00", "NL91ABNA0417164300"),
        (" DE89 3704 0044 0532 0130 00 ", "DE89370400440532013000"),
        ("be68\u00a05390\u00a00754\u00a07034", "BE68539007547034"),
    ],
)
def test_a_valid_iban_is_stored_without_spaces_in_capitals(typed, stored):
    assert normalized_iban(typed) == stored


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("NL91ABNA0417164301", "typing error"),  # one digit wrong
        ("NL19ABNA0417164300", "typing error"),  # check digits swapped
        ("DE89370400440532013001", "typing error"),
        ("NL91ABNA041716430", "has 18 letters"),  # one short
        ("DE8937040044053201300000", "has 22 letters"),  # two long
        ("BE6853900754703", "has 16 letters"),
        ("XX91ABNA0417164300", "SEPA country"),
        ("US64SVBKUS6S3300958879", "SEPA country"),
        ("", "SEPA country"),
        ("NL91ABNA04171643-0", "has 18 letters"),
    ],
)
def test_a_wrong_iban_is_refused_with_a_reason(typed, says):
    with pytest.raises(IbanError, match=says):
        normalized_iban(typed)


def test_a_wrong_iban_is_never_stored_on_a_refund():
    refund = approved_refund(quantity=1)
    with pytest.raises(RefundError, match="typing error"):
        refund_set_account(refund=refund, iban="NL91ABNA0417164301", holder="Anna de Vries")
    refund.refresh_from_db()
    assert refund.iban == ""


# --- the back office -----------------------------------------------------------------------


def changelist():
    return reverse("admin:refunds_sepabatch_changelist")


def test_an_accountant_makes_a_batch_from_the_list_and_downloads_its_file(client):
    refund = refund_to(IBAN_NL, quantity=1)
    approved_refund(quantity=1)  # no IBAN yet
    client.force_login(ada())

    page = client.get(changelist())
    assert "Make a SEPA batch of the approved bank transfers" in page.text
    assert "1 approved bank transfer is ready" in page.text
    assert "1 waits for the customer" in page.text

    made = client.post(
        reverse("admin:refunds_sepabatch_make"), {"execution_date": "2026-11-24"}, follow=True
    )
    batch = SepaBatch.objects.get()
    assert batch.execution_date == dt.date(2026, 11, 24)
    assert f"Batch {batch.message_id}" in made.text
    assert "Download pain.001" in made.text

    download = client.get(reverse("admin:refunds_sepabatch_download", args=[batch.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/xml"
    assert f'filename="{batch.message_id}.xml"' in download["Content-Disposition"]
    assert {"no-store", "private"} <= set(download["Cache-Control"].split(", "))
    body = b"".join(download.streaming_content)
    assert body == xml_of(batch)
    assert refund.number.encode() in body


def test_making_a_batch_with_nothing_to_pay_says_so(client):
    client.force_login(ada())
    response = client.post(
        reverse("admin:refunds_sepabatch_make"), {"execution_date": "2026-11-23"}, follow=True
    )
    assert "No approved bank transfer is waiting" in response.text
    assert not SepaBatch.objects.exists()


def test_a_batch_for_a_past_day_is_refused_on_the_page(client):
    refund_to(IBAN_NL, quantity=1)
    client.force_login(ada())
    response = client.post(
        reverse("admin:refunds_sepabatch_make"), {"execution_date": "2026-11-20"}, follow=True
    )
    assert "day that has passed" in response.text
    assert not SepaBatch.objects.exists()


def test_an_accountant_books_a_batch_after_confirming(client):
    refund = refund_to(IBAN_NL, quantity=1)
    batch = sepa_batch_create(by=ada(), execution_date=TODAY)
    client.force_login(accountant("bea"))
    url = reverse("admin:refunds_sepabatch_book", args=[batch.pk])

    question = client.get(url)
    assert question.status_code == 200
    assert "Are you sure?" in question.text
    assert batch.message_id in question.text
    refund.refresh_from_db()
    assert refund.state == RefundState.APPROVED  # asking changes nothing

    booked = client.post(url, {"confirmed": "yes"}, follow=True)
    assert "1 transfer is booked as paid" in booked.text
    refund.refresh_from_db()
    assert refund.state == RefundState.PAID

    again = client.post(url, {"confirmed": "yes"}, follow=True)
    assert "already booked" in again.text
    assert CreditNote.objects.count() == 1


def test_support_is_refused_every_batch_page(client, support):
    refund_to(IBAN_NL, quantity=1)
    batch = sepa_batch_create(by=ada(), execution_date=TODAY)
    client.force_login(support)
    pages = [
        ("get", changelist()),
        ("get", reverse("admin:refunds_sepabatch_change", args=[batch.pk])),
        ("get", reverse("admin:refunds_sepabatch_download", args=[batch.pk])),
        ("get", reverse("admin:refunds_sepabatch_book", args=[batch.pk])),
        ("post", reverse("admin:refunds_sepabatch_book", args=[batch.pk])),
        ("post", reverse("admin:refunds_sepabatch_make")),
    ]
    for method, url in pages:
        response = getattr(client, method)(
            url, {"confirmed": "yes", "execution_date": "2026-11-23"}
        )
        assert response.status_code == 403, (method, url, response.status_code)
    assert SepaBatch.objects.count() == 1
    assert not RefundPart.objects.filter(paid_at__isnull=False).exists()


def test_a_customer_is_sent_to_the_login(client, anna):
    client.force_login(anna.user)
    response = client.get(changelist())
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_the_batch_list_costs_the_same_queries_for_2_or_8_batches(client):
    def add_batches(count: int) -> None:
        for _ in range(count):
            refund_to(IBAN_NL, quantity=1)
            sepa_batch_create(by=ada(), execution_date=TODAY)

    add_batches(2)
    client.force_login(accountant("bea"))
    client.get(changelist())  # warm the session and content types

    with CaptureQueriesContext(connection) as two:
        first = client.get(changelist())
    add_batches(6)
    with CaptureQueriesContext(connection) as eight:
        second = client.get(changelist())

    assert first.status_code == second.status_code == 200
    assert second.text.count("Download pain.001") == 8
    assert second.text.count("Book as executed") == 8
    assert len(eight.captured_queries) == len(two.captured_queries), [
        q["sql"] for q in eight.captured_queries
    ]


def test_the_batch_list_sorts_by_when_the_bank_executed_a_batch(client):
    for _ in range(2):
        refund_to(IBAN_NL, quantity=1)
        sepa_batch_create(by=ada(), execution_date=TODAY)
    booked, waiting = SepaBatch.objects.order_by("pk")
    sepa_batch_book(batch=booked, by=ada())
    client.force_login(accountant("bea"))

    newest_executed = client.get(changelist(), {"o": "-5"}).text  # the sixth column
    oldest_executed = client.get(changelist(), {"o": "5"}).text

    # Not executed yet counts as later than any day (PostgreSQL: NULLs are greatest).
    assert newest_executed.index(waiting.message_id) < newest_executed.index(booked.message_id)
    assert oldest_executed.index(booked.message_id) < oldest_executed.index(waiting.message_id)
    assert oldest_executed.count("Book as executed") == 1
