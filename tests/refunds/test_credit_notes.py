"""F8: credit notes — the PDF read back equal to the refund, in the customer's language,
numbered without gaps however many accountants pay at once, immutable, and e-mailed to
the customer with the `refund_paid` e-mail by a real worker."""

from __future__ import annotations

import io
import re
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import translation
from django.utils.formats import number_format
from pypdf import PdfReader

from config.celery import app
from notifications.kinds import kind
from notifications.models import Email, EmailStatus
from notifications.rendering import email_message_build, email_render
from refunds.credit_notes import DELIVERY_GRACE, credit_note_deliver, credit_notes_sweep
from refunds.models import CreditNote, CreditNoteImmutable, RefundState
from refunds.vat import vat_per_rate
from tests.factories import CustomerFactory
from tests.notifications.conftest import (  # noqa: F401 - fixtures for the worker flow
    celery_worker,
    default_policy,
    own_broker,
    redis_server,
    wait_until,
)
from tests.refunds.credit_note_flow import approved_refund_of, paid_refund, refund_pay_outside
from tests.refunds.refund_flow import accountant
from tests.threads import run_together

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="races and workers run on PostgreSQL (make test)"
)


def euros(amount, language: str) -> str:
    """An amount as the credit note prints it in `language` ("€ 1,234.56", "€ 1.234,56")."""
    with translation.override(language):
        return "€ " + number_format(Decimal(amount), decimal_pos=2, force_grouping=True)


def rate(value, language: str) -> str:
    with translation.override(language):
        return number_format(Decimal(value).normalize(), use_l10n=True) + "%"


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with every run of white space (a no-break space too) as one space."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


def stored_pdf(note: CreditNote) -> bytes:
    note.refresh_from_db()
    with note.pdf.open("rb") as pdf:
        return pdf.read()


def delivered(refund) -> tuple[CreditNote, str]:
    """The refund's credit note after the worker's job, and its PDF's text."""
    note = CreditNote.objects.get(refund=refund)
    credit_note_deliver(credit_note_id=note.pk)
    return note, pdf_text(stored_pdf(note))


@pytest.mark.django_db
class TestThePdf:
    def test_it_reads_back_as_the_refund_to_the_cent_f4_and_w8_delivery(self):
        # A consumer's withdrawal of a whole order: goods at 21% (with an F4 deduction)
        # and at 9%, and the delivery (W8) at the order's highest rate.
        refund = paid_refund(customer=CustomerFactory(language="en"))
        note, text = delivered(refund)

        items = list(refund.items.order_by("position"))
        assert [(i.rule, i.amount) for i in items] == [
            ("F1", Decimal("120.00")),
            ("F4", Decimal("-15.00")),
            ("F1", Decimal("40.00")),
            ("W8", Decimal("6.95")),
        ]
        assert note.number == "CN-2026-00001"
        assert note.number in text
        order = refund.ticket.order
        for fact in (order.number, "Oct. 1, 2026", refund.ticket.number, refund.number):
            assert fact in text
        # Every item with its rule id and amount, as the credit note holds it.
        for line in note.lines:
            assert f"{line['rule']} {line['description'].replace(chr(160), ' ')}" in text
            assert euros(line["amount"], "en") in text
        # VAT per rate: 21% carries the goods less F4 plus the delivery; each row's figures.
        assert note.vat == [
            {"rate": "21.00", "gross": "111.95", "vat": "19.43", "net": "92.52"},
            {"rate": "9.00", "gross": "40.00", "vat": "3.30", "net": "36.70"},
        ]
        for row in note.vat:
            figures = " ".join(euros(row[key], "en") for key in ("net", "vat", "gross"))
            assert f"{rate(row['rate'], 'en')} {figures}" in text
        assert sum(Decimal(row["gross"]) for row in note.vat) == refund.total
        assert f"Total credited (incl. VAT) {euros(refund.total, 'en')}" in text
        assert euros("151.95", "en") == euros(refund.total, "en")
        # How it is paid back: the card part, its reference.
        part = refund.parts.get()
        assert "Card" in text and part.reference in text
        # The shop's details.
        assert "KvK 12345678" in text and "NL812345678B01" in text
        assert "WebStore4 B.V. Winkelstraat 4 1234 AB Amsterdam" in text

    def test_a_fee_without_a_rate_is_spread_over_the_goods_rates_and_f5_stays_apart(self):
        # F3 (voip-distributor, 15% on an order error) on goods at 21% and 9%; the R8
        # investigation is an F5 charge: printed as a note, not taken off the credit.
        jansen = CustomerFactory(business=True, language="en", company="Jansen BV")
        refund = paid_refund(
            customer=jansen,
            reason="order_error",
            preset="voip-distributor",
            investigation_hours="1.5",
        )
        note, text = delivered(refund)

        assert [line["rule"] for line in note.lines] == ["F1", "F4", "F1", "F3"]
        fee = Decimal(note.lines[-1]["amount"])
        assert fee == Decimal("-21.75")  # 15% of 120.00 - 15.00 + 40.00
        assert note.lines[-1]["vat_rate"] is None
        # The fee lowers each rate's base in proportion: 21% by 15.75, 9% by 6.00.
        assert note.vat == [
            {"rate": "21.00", "gross": "89.25", "vat": "15.49", "net": "73.76"},
            {"rate": "9.00", "gross": "34.00", "vat": "2.81", "net": "31.19"},
        ]
        expected = vat_per_rate(
            (Decimal(r) if r else None, Decimal(a))
            for r, a in ((line["vat_rate"], line["amount"]) for line in note.lines)
        )
        assert [row.as_dict() for row in expected] == note.vat
        assert sum(Decimal(row["gross"]) for row in note.vat) == refund.total == note.total
        for row in note.vat:
            figures = " ".join(euros(row[key], "en") for key in ("net", "vat", "gross"))
            assert f"{rate(row['rate'], 'en')} {figures}" in text
        assert euros(fee, "en") in text
        # A business: its company and VAT number.
        assert "Jansen BV" in text and jansen.vat_number in text
        # F5: a charge of its own, never netted against the credit.
        assert refund.charges_total == Decimal("97.50")
        assert f"investigation charge of {euros('97.50', 'en')} (F5)" in text
        assert f"Total credited (incl. VAT) {euros(refund.total, 'en')}" in text

    def test_a_dutch_customer_gets_the_dutch_pdf(self):
        refund = paid_refund(customer=CustomerFactory(language="nl"))
        note, text = delivered(refund)

        # (Captions print in capitals.)
        for word in ("KLANT", "Datum: 23 november 2026", "Ordernummer", "RMA-nummer"):
            assert word in text
        assert "1 oktober 2026" in text  # the invoice date, as Dutch writes it
        for line in note.lines:
            assert euros(line["amount"], "nl") in text
        assert euros("151.95", "nl") == "€ 151,95"
        assert "€ 151,95" in text and "€ 151.95" not in text
        assert "CUSTOMER" not in text
        # The items as they were quoted: in Dutch.
        assert "per stuk" in text

    def test_an_english_customer_gets_the_english_pdf(self):
        refund = paid_refund(customer=CustomerFactory(language="en"))
        _note, text = delivered(refund)
        assert "CUSTOMER" in text and "KLANT" not in text
        assert "Date: Nov. 23, 2026" in text


@pytest.mark.django_db
class TestDelivery:
    def test_delivering_twice_renders_once_and_queues_one_email(self):
        refund = paid_refund()
        note = CreditNote.objects.get(refund=refund)

        email = credit_note_deliver(credit_note_id=note.pk)
        note.refresh_from_db()
        first = note.pdf.name
        assert credit_note_deliver(credit_note_id=note.pk) is None
        note.refresh_from_db()

        assert note.pdf.name == first
        assert first.startswith(f"credit-notes/2026/{note.number}") and first.endswith(".pdf")
        assert email is not None
        assert list(Email.objects.filter(kind="refund_paid").values_list("dedupe_key", "to")) == [
            (f"refund_paid:{note.number}", refund.ticket.order.customer.email)
        ]
        assert email.subject == note

    def test_the_email_says_the_amount_the_credit_note_and_how_it_is_paid_back(self):
        customer = CustomerFactory(language="en")
        refund = paid_refund(customer=customer)
        note = CreditNote.objects.get(refund=refund)
        email = credit_note_deliver(credit_note_id=note.pk)

        subject, text, html = email_render(email)
        message = email_message_build(email)

        assert refund.ticket.number in subject
        assert "Amount: EUR 151.95" in text
        assert f"credit note {note.number} is attached" in text
        part = refund.parts.get()
        assert f"Refunded the way it was paid (Card): EUR {part.amount}" in text
        assert note.number in html and "151.95" in html
        [(name, content, mimetype)] = message.attachments
        assert (name, mimetype) == (f"{note.number}.pdf", "application/pdf")
        assert note.number in pdf_text(content)
        assert kind("refund_paid").attachments is not None

    def test_a_dutch_customer_gets_the_email_in_dutch(self):
        refund = paid_refund(customer=CustomerFactory(language="nl"))
        note = CreditNote.objects.get(refund=refund)
        email = credit_note_deliver(credit_note_id=note.pk)

        _subject, text, _html = email_render(email)

        assert "Met vriendelijke groet" in text
        assert "151,95" in text

    def test_the_sweep_delivers_a_credit_note_the_broker_never_had(self):
        refund = paid_refund()
        note = CreditNote.objects.get(refund=refund)
        assert not note.pdf  # the test's transaction never commits: no task was queued
        assert credit_notes_sweep() == 0  # too fresh: a worker may still be on it
        CreditNote.objects.filter(pk=note.pk).update(issued_at=note.issued_at - 2 * DELIVERY_GRACE)
        app.conf.task_always_eager = True  # the sweep's tasks run here, at once
        try:
            assert credit_notes_sweep() == 1
        finally:
            app.conf.task_always_eager = False
        note.refresh_from_db()
        assert note.pdf
        assert Email.objects.filter(dedupe_key=f"refund_paid:{note.number}").exists()
        assert credit_notes_sweep() == 0

    def test_the_sweep_runs_on_beat(self, settings):
        from refunds.tasks import sweep_credit_notes

        entry = settings.CELERY_BEAT_SCHEDULE["refunds-deliver-credit-notes"]
        assert entry["task"] == sweep_credit_notes.name
        assert entry["task"] in app.tasks
        assert entry["schedule"] <= DELIVERY_GRACE.total_seconds()


@pytest.mark.django_db
class TestImmutable:
    def test_an_issued_credit_note_cannot_be_changed(self):
        note = CreditNote.objects.get(refund=paid_refund())
        note.total = Decimal("1.00")
        with pytest.raises(CreditNoteImmutable):
            note.save()
        with pytest.raises(CreditNoteImmutable):
            note.save(update_fields=["total"])
        with pytest.raises(CreditNoteImmutable):
            note.save(update_fields=["pdf", "total"])
        note.refresh_from_db()
        assert note.total == Decimal("151.95")

    def test_an_issued_credit_note_cannot_be_deleted(self):
        note = CreditNote.objects.get(refund=paid_refund())
        with pytest.raises(CreditNoteImmutable):
            note.delete()
        assert CreditNote.objects.filter(pk=note.pk).exists()


@pytest.mark.django_db
def test_a_rolled_back_payment_leaves_no_gap():
    first, lost, second = (approved_refund_of() for _ in range(3))

    refund_pay_outside(first)
    with pytest.raises(RuntimeError), transaction.atomic():
        refund_pay_outside(lost)
        assert CreditNote.objects.get(refund=lost).number == "CN-2026-00002"
        raise RuntimeError("the bank's answer never came; the payment is rolled back")
    refund_pay_outside(second)

    lost.refresh_from_db()
    assert lost.state == RefundState.APPROVED
    assert not CreditNote.objects.filter(refund=lost).exists()
    assert list(CreditNote.objects.order_by("number").values_list("number", flat=True)) == [
        "CN-2026-00001",
        "CN-2026-00002",
    ]
    assert CreditNote.objects.get(refund=second).number == "CN-2026-00002"


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_numbers_stay_gapless_when_many_accountants_pay_at_once(own_broker):  # noqa: F811
    # The tasks the payments queue go to a Redis of the test's own, never the shared one.
    refunds = [approved_refund_of() for _ in range(8)]
    payers = [accountant(name) for name in ("bea", "cas", "dirk", "eva")]

    results = run_together(
        [
            (lambda refund=refund, n=n: refund_pay_outside(refund, by=payers[n % len(payers)]))
            for n, refund in enumerate(refunds)
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(CreditNote.objects.values_list("number", flat=True))
    assert numbers == [f"CN-2026-{n:05d}" for n in range(1, 9)]
    assert set(CreditNote.objects.values_list("refund", flat=True)) == {r.pk for r in refunds}


@pytest.mark.worker
@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_policy")
def test_paying_a_refund_ends_with_the_refund_paid_email_and_its_pdf(
    celery_worker,  # noqa: F811
    mailoutbox,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    customer = CustomerFactory(language="en", email="bram@example.com")
    refund = approved_refund_of(customer=customer)

    refund = refund_pay_outside(refund)  # the accountant's click; the rest is the worker's

    note = CreditNote.objects.get(refund=refund)
    wait_until(
        lambda: Email.objects.filter(
            kind="refund_paid", dedupe_key=f"refund_paid:{note.number}", status=EmailStatus.SENT
        ).exists(),
        timeout=60,
        message="the refund_paid e-mail was not sent",
    )
    time.sleep(0.3)  # a duplicate would arrive now
    paid = [m for m in mailoutbox if "has been paid" in m.subject]
    assert len(paid) == 1
    [message] = paid
    assert message.to == [customer.email]
    assert note.number in message.body and "EUR 151.95" in message.body
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"{note.number}.pdf", "application/pdf")
    note.refresh_from_db()
    assert content == stored_pdf(note)
    assert note.number in pdf_text(content)
    assert euros(refund.total, "en") in pdf_text(content)
