"""The customer sees their refund on their ticket page (issue 18, points 2 and 7): its items
in their language, the state in plain words, the day it was paid, how each part comes back
(F6, F7), an investigation charged separately (F5), the credit note (F8); and, when the
refund goes by bank transfer and we have no account yet, the form that asks for it."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from refunds.models import Channel, CreditNote, Refund, RefundItem, RefundPart, RefundState
from refunds.refunding import refund_fail, refund_pay, refund_propose, refund_set_account
from rma.models import Grade, Outcome, ReturnedUnit
from rma.services.diagnosis import unit_diagnose
from tests.factories import staff_member
from tests.refunds.refund_flow import accountant, approved_refund, diagnosed_ticket
from tests.rma.units import received_ticket

pytestmark = pytest.mark.django_db

IBAN = "NL91 ABNA 0417 1643 00"
TYPO = "NL91 ABNA 0417 1643 01"  # one digit off: the check digits catch it


def page_of(ticket) -> str:
    return reverse("portal:my_ticket", args=[ticket.number])


def account_url(ticket) -> str:
    return reverse("portal:my_ticket_account", args=[ticket.number])


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def read(client, url: str) -> str:
    """The page in English, as a customer who reads English sees it."""
    response = client.get(url, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return text_of(response)


def paid_refund(customer, paid_with: str = "card", **kwargs) -> Refund:
    """A refund proposed by Ada, approved and paid by Bea (outside Retour for a card)."""
    refund = approved_refund(customer=customer, paid_with=paid_with, **kwargs)
    bea = accountant("bea2")
    outside = refund.parts.filter(channel=Channel.OUTSIDE)
    return refund_pay(refund=refund, by=bea, references={p.pk: "PSP-77" for p in outside})


def with_pdf(refund: Refund) -> CreditNote:
    """The credit note as the rendering task leaves it: its PDF stored."""
    note = CreditNote.objects.get(refund=refund)
    note.pdf.save(f"{note.number}.pdf", ContentFile(b"%PDF-1.7 credit note"), save=False)
    note.save(update_fields=["pdf"])
    return note


def test_the_customer_sees_the_items_the_total_and_that_it_is_being_checked(client, anna):
    ticket = diagnosed_ticket(customer=anna, quantity=2, price="120.00", deduction="15.00")
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    client.force_login(anna.user)

    text = read(client, page_of(ticket))

    assert f"Refund {refund.number}" in text
    assert "Being checked" in text
    # The items as quoted, in Anna's own language (Dutch), each with its rule id.
    for item in refund.items.all():
        assert item.description in text
        assert f"({item.rule})" in text
    assert "€\xa0240.00" in text and "€\xa0-30.00" in text
    assert "€\xa0210.00" in text  # the total
    assert "Paid on" not in text and "Credit note" not in text


def test_an_approved_refund_says_its_payment_is_on_its_way_back_to_the_card(client, anna):
    refund = approved_refund(customer=anna, paid_with="card")
    client.force_login(anna.user)

    text = read(client, page_of(refund.ticket))

    assert "Approved, payment on its way" in text
    assert "back to your card, through the card's payment provider" in text
    assert "bank account" not in text  # nothing to ask: a card is paid back to the card


def test_a_paid_refund_says_the_day_and_links_its_credit_note_once_rendered(client, anna):
    refund = paid_refund(anna)
    client.force_login(anna.user)
    note = CreditNote.objects.get(refund=refund)
    download = reverse("portal:my_credit_note", args=[note.number])

    before = read(client, page_of(refund.ticket))
    with_pdf(refund)
    after = read(client, page_of(refund.ticket))
    pdf = client.get(download)

    assert "Paid on Monday 23 November 2026" in before  # Refund.paid_at, the local day
    assert download not in before and "Your credit note is being prepared" in before
    assert download in after and f"Credit note {note.number} (PDF)" in after
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content) == b"%PDF-1.7 credit note"
    assert "no-store" in pdf["Cache-Control"]


def test_a_failed_payment_says_we_are_trying_again(client, anna):
    refund = approved_refund(customer=anna, paid_with="card")
    refund_fail(refund=refund, by=accountant("bea2"), reason="Card expired")
    client.force_login(anna.user)

    text = read(client, page_of(refund.ticket))

    assert "The payment did not go through; we are trying again" in text
    assert "Card expired" not in text  # the provider's answer is the accountants'


def test_store_credit_says_until_when_it_is_valid(client, anna):
    approved = approved_refund(customer=anna, paid_with="store_credit")
    client.force_login(anna.user)
    before = read(client, page_of(approved.ticket))
    refund = refund_pay(refund=approved, by=accountant("bea2"))
    grant = refund.parts.get().grant

    text = read(client, page_of(refund.ticket))

    assert "as store credit, valid 24 months from the day we book it" in before
    assert grant is not None and grant.valid_until.year == 2028  # F7: two years
    assert "as store credit, valid until Thursday 23 November 2028" in text


def test_an_investigation_is_charged_separately_not_taken_off(client, anna):
    """F5: the charge is its own line under the refund; the total is not netted."""
    ticket = received_ticket(customer=anna, quantity=1, price="120.00")
    support = staff_member("support")
    for unit in ReturnedUnit.objects.filter(ticket_line__ticket=ticket):
        unit_diagnose(
            unit=unit,
            by=support,
            grade=Grade.OPENED_AS_NEW,
            locked=False,
            serial_matches=True,
            accessories_complete=True,
            defect_confirmed=False,  # R12: no defect found, the investigation is charged
            investigation_hours=Decimal("1"),
            deduction=Decimal("0"),
            deduction_reason="",
            outcome=Outcome.REFUND,
        )
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    client.force_login(anna.user)

    text = read(client, page_of(ticket))

    assert refund.charges_total > 0
    charge = f"{refund.charges_total:.2f}"
    assert f"Investigation charge (F5): €\xa0{charge}" in text
    assert "it is not taken off this refund" in text
    assert f"€\xa0{refund.total:.2f}" in text and refund.total == Decimal("120.00")


def test_a_cancelled_refund_is_not_shown(client, anna):
    from refunds.refunding import refund_cancel

    ticket = diagnosed_ticket(customer=anna)
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    refund_cancel(refund=refund, by=staff_member("accountant"))
    client.force_login(anna.user)

    assert refund.number not in read(client, page_of(ticket))


def test_another_customer_gets_404_for_the_ticket_and_the_credit_note(client, anna, stranger):
    refund = paid_refund(anna)
    note = with_pdf(refund)
    urls = [
        page_of(refund.ticket),
        account_url(refund.ticket),
        reverse("portal:my_credit_note", args=[note.number]),
    ]
    for visitor in (stranger, None):
        client.logout()
        if visitor:
            client.force_login(visitor)
        for url in urls:
            for method in (client.get, client.post):
                assert method(url).status_code == 404, (method.__name__, url, visitor)


def test_a_credit_note_without_its_pdf_yet_is_not_found(client, anna):
    refund = paid_refund(anna)
    note = CreditNote.objects.get(refund=refund)
    client.force_login(anna.user)

    assert client.get(reverse("portal:my_credit_note", args=[note.number])).status_code == 404


# --- the bank account (F6) ------------------------------------------------------------


def test_the_page_and_my_returns_ask_for_the_account_of_a_bank_transfer(client, anna):
    ticket = diagnosed_ticket(customer=anna)  # paid by iDEAL: the refund goes by transfer
    refund_propose(ticket=ticket, by=staff_member("accountant"))
    client.force_login(anna.user)

    page = read(client, page_of(ticket))
    overview = read(client, reverse("portal:my_returns"))

    assert 'id="bank-account"' in page
    assert '<label for="id_iban">IBAN</label>' in page
    assert '<label for="id_account_holder">Account holder</label>' in page
    assert 'value="Anna de Vries"' in page  # the holder filled in with her name
    assert "Give us your bank account below" in page  # the next step says so
    assert f"Give us your bank account for the refund of return {ticket.number}" in overview
    assert page_of(ticket) + "#bank-account" in overview


def test_a_valid_iban_is_saved_and_shown_masked(client, anna):
    ticket = diagnosed_ticket(customer=anna)
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    client.force_login(anna.user)

    response = client.post(
        account_url(ticket),
        {"iban": IBAN, "account_holder": " A.  de Vries "},
        headers={"Accept-Language": "en"},
        follow=True,
    )

    refund.refresh_from_db()
    assert (refund.iban, refund.account_holder) == ("NL91ABNA0417164300", "A. de Vries")
    text = text_of(response)
    assert "to your bank account ending in …4300" in text
    assert "NL91" not in text and "ABNA" not in text  # only the last four characters
    assert 'id="bank-account"' not in text  # asked no more
    assert "Give us your bank account" not in read(client, reverse("portal:my_returns"))


def test_an_iban_with_a_typo_is_refused_beside_the_field_and_nothing_is_saved(client, anna):
    ticket = diagnosed_ticket(customer=anna)
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    client.force_login(anna.user)

    typo = client.post(
        account_url(ticket),
        {"iban": TYPO, "account_holder": "Anna de Vries"},
        headers={"Accept-Language": "en"},
    )
    nameless = client.post(
        account_url(ticket),
        {"iban": IBAN, "account_holder": "  "},
        headers={"Accept-Language": "en"},
    )

    refund.refresh_from_db()
    assert refund.iban == "" and refund.account_holder == ""
    assert typo.status_code == nameless.status_code == 400
    text = text_of(typo)
    # The checksum's message, linked to the field it is about.
    assert 'aria-describedby="id_iban-error id_iban-help"' in text
    assert '<small id="id_iban-error" class="field-error">' in text
    assert "This IBAN has a typing error: its check digits do not match." in text
    assert f'value="{TYPO}"' in text  # what was typed stays, to be corrected
    assert "Give the name of the account holder." in text_of(nameless)


def test_no_account_is_asked_when_none_is_needed(client, anna):
    by_card = approved_refund(customer=anna, paid_with="card")
    by_bank = refund_propose(ticket=diagnosed_ticket(customer=anna), by=staff_member("accountant"))
    refund_set_account(refund=by_bank, iban=IBAN, holder="Anna de Vries")
    client.force_login(anna.user)

    for ticket in (by_card.ticket, by_bank.ticket):
        assert 'id="bank-account"' not in read(client, page_of(ticket))
    refused = client.post(account_url(by_card.ticket), {"iban": IBAN, "account_holder": "A"})
    assert refused.status_code == 302
    assert Refund.objects.get(pk=by_card.pk).iban == ""
    assert "Give us your bank account" not in read(client, reverse("portal:my_returns"))


def test_the_account_form_takes_a_post_with_a_csrf_token_only(anna):
    from django.test import Client

    ticket = diagnosed_ticket(customer=anna)
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(anna.user)

    forged = client.post(account_url(ticket), {"iban": IBAN, "account_holder": "Anna"})
    got = client.get(account_url(ticket))

    assert forged.status_code == 403 and got.status_code == 405
    refund.refresh_from_db()
    assert refund.iban == ""


# --- queries ----------------------------------------------------------------------------


def test_the_ticket_page_reads_its_refunds_in_a_constant_number_of_queries(client, anna):
    refund = paid_refund(anna, quantity=1)
    with_pdf(refund)
    ticket = refund.ticket
    client.force_login(anna.user)
    client.get(page_of(ticket))  # warm: sessions, content types

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_of(ticket)).status_code == 200
        return len(queries)

    few = count()
    # More of everything: items, parts of every channel, a store-credit grant, and a
    # second refund of the ticket with its own credit note.
    for position in range(10, 16):
        RefundItem.objects.create(
            refund=refund,
            position=position,
            rule="F1",
            description=f"Item {position}",
            original_amount=Decimal("1.00"),
            amount=Decimal("1.00"),
        )
    second = Refund.objects.create(
        number="RF-2026-99999", ticket=ticket, total=Decimal("3.00"), state=RefundState.PAID
    )
    RefundItem.objects.create(
        refund=second, position=1, rule="F1", description="Extra", original_amount=3, amount=3
    )
    from refunds.credit_notes import credit_note_issue
    from refunds.services import store_credit_grant

    grant = store_credit_grant(customer=anna, amount=Decimal("1.00"), by=None, ticket=ticket)
    for method, channel in (("ideal", Channel.SEPA), ("paypal", Channel.OUTSIDE)):
        RefundPart.objects.create(refund=second, method=method, channel=channel, amount=1)
    RefundPart.objects.create(
        refund=second, method="store_credit", channel=Channel.STORE_CREDIT, amount=1, grant=grant
    )
    credit_note_issue(second)
    with_pdf(second)
    many = count()

    assert "RF-2026-99999" in read(client, page_of(ticket))
    assert many == few, f"{few} queries for one refund, {many} for two with many parts"


def test_after_a_failed_transfer_the_customer_may_correct_the_account(client, anna):
    refund = approved_refund(customer=anna)  # iDEAL: by bank transfer
    refund_set_account(refund=refund, iban=IBAN, holder="Anna de Vries")
    refund_fail(refund=refund, by=accountant("bea2"), reason="Account closed (AC04)")
    client.force_login(anna.user)

    page = read(client, page_of(refund.ticket))
    overview = read(client, reverse("portal:my_returns"))

    assert "Our transfer to your bank account did not go through" in page
    assert 'id="bank-account"' in page
    assert "AC04" not in page  # the bank's answer is the accountants'
    assert page_of(refund.ticket) + "#bank-account" in overview
    client.post(
        account_url(refund.ticket),
        {"iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Anna de Vries"},
    )
    refund.refresh_from_db()
    assert refund.iban == "DE89370400440532013000"
    assert refund.events.filter(kind="account", by=anna.user).exists()
