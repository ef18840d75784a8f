"""Refunds and credit notes in the back office (issue 18 §1, §5, §8): the accountants'
queue by W7 due day, the refund's page with a button per step the person may take, four
eyes said on the page, refusals as messages with nothing changed, the ticket page's
"Propose a refund", and the credit notes' PDFs only to who may see them."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from refunds.models import CreditNote, Refund, RefundItem, RefundState
from refunds.refunding import refund_pay, refund_propose
from rma.states import State
from tests.factories import UserFactory, staff_member
from tests.refunds import refund_flow
from tests.refunds.refund_flow import approved_refund, diagnosed_ticket

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:refunds_refund_changelist")
CREDIT_NOTES = reverse("admin:refunds_creditnote_changelist")


def text(response) -> str:
    return html.unescape(response.content.decode())


def page_of(refund: Refund) -> str:
    return reverse("admin:refunds_refund_change", args=[refund.pk])


def action(refund: Refund, name: str) -> str:
    return reverse(f"admin:refunds_refund_{name}", args=[refund.pk])


def proposed(**kwargs) -> Refund:
    """A refund Ada proposed from a freshly diagnosed ticket."""
    return refund_propose(ticket=diagnosed_ticket(**kwargs), by=staff_member("accountant"))


def paid(**kwargs) -> Refund:
    """A card refund Ada proposed, Bea approved and paid with the provider's reference."""
    refund = approved_refund(paid_with="card", **kwargs)
    part = refund.parts.get()
    return refund_pay(refund=refund, by=refund_flow.accountant("bea"), references={part.pk: "re_1"})


def due(refund: Refund, on: dt.date | None) -> Refund:
    Refund.objects.filter(pk=refund.pk).update(due_on=on)
    refund.refresh_from_db()
    return refund


def with_perms(email: str, *codenames: str):
    user = UserFactory(email=email, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="refunds", codename__in=codenames)
    )
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


# --- the queue -----------------------------------------------------------------------


def test_the_queue_shows_refunds_to_pay_by_their_due_day_first(client, accountant):
    today = timezone.localdate()
    later = due(proposed(), today + dt.timedelta(days=10))
    none = due(proposed(), None)
    sooner = due(approved_refund(), today + dt.timedelta(days=2))
    overdue = due(proposed(), today - dt.timedelta(days=1))
    done = paid()
    client.force_login(accountant)

    page = text(client.get(QUEUE))

    shown = [r.number for r in (overdue, sooner, later, none)]
    assert [page.index(number) for number in shown] == sorted(page.index(n) for n in shown)
    assert done.number not in page  # paid: not in the accountants' queue
    assert "overdue)" in page  # marked in words, not by colour alone
    assert page.count('class="retour-overdue"') == 1


def test_the_due_filter_keeps_refunds_due_within_three_days_or_overdue(client, accountant):
    today = timezone.localdate()
    soon = due(proposed(), today + dt.timedelta(days=3))
    late = due(proposed(), today - dt.timedelta(days=5))
    far = due(proposed(), today + dt.timedelta(days=4))
    client.force_login(accountant)

    within = text(client.get(QUEUE, {"due": "soon"}))
    overdue = text(client.get(QUEUE, {"due": "overdue"}))

    assert soon.number in within and late.number in within and far.number not in within
    assert late.number in overdue and soon.number not in overdue


@pytest.mark.parametrize("typed", ["refund", "rma", "order", "lowercase"])
def test_the_search_finds_a_refund_by_its_refund_rma_or_order_number(client, accountant, typed):
    refund, other = paid(), proposed()
    term = {
        "refund": refund.number,
        "rma": refund.ticket.number,
        "order": refund.ticket.order.number,
        "lowercase": refund.number.lower(),
    }[typed]
    client.force_login(accountant)

    page = text(client.get(QUEUE, {"q": term}))

    assert refund.number in page  # paid, and found: a search looks at every state
    assert other.number not in page


def test_the_state_filter_shows_paid_refunds_on_request(client, accountant):
    refund, open_one = paid(), proposed()
    client.force_login(accountant)

    page = text(client.get(QUEUE, {"state": "paid"}))

    assert refund.number in page and open_one.number not in page


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("admin:refunds_refund_changelist", {}),
        ("admin:refunds_refund_changelist", {"state": "all"}),
        ("admin:refunds_refund_changelist", {"due": "soon"}),
        ("admin:refunds_refund_changelist", {"q": "RF-2026-00001"}),
        ("admin:refunds_creditnote_changelist", {}),
        ("admin:refunds_creditnote_changelist", {"q": "CN-2026-00001"}),
    ],
)
def test_the_refund_lists_cost_the_same_queries_for_2_or_8_rows(client, admin, page, query):
    def add(count: int) -> None:
        for _n in range(count):
            due(paid(), timezone.localdate())
            due(proposed(), timezone.localdate())

    add(2)
    client.force_login(admin)
    url = reverse(page)
    client.get(url, query)  # warm the session and content types
    with CaptureQueriesContext(connection) as two:
        first = client.get(url, query)
    add(6)
    with CaptureQueriesContext(connection) as eight:
        second = client.get(url, query)

    assert first.status_code == second.status_code == 200
    assert len(eight.captured_queries) == len(two.captured_queries), [
        q["sql"] for q in eight.captured_queries
    ]


# --- the refund's page ---------------------------------------------------------------


def test_the_refund_page_shows_items_parts_links_and_history(client, accountant):
    refund = paid(quantity=2, price="50.00")
    client.force_login(accountant)

    page = text(client.get(page_of(refund)))

    assert "F1" in page and "€ 100.00" in page
    assert "Card" in page and "paid outside Retour" in page and "re_1" in page
    assert refund.ticket.number in page and refund.ticket.order.number in page
    assert CreditNote.objects.get(refund=refund).number in page
    for step in ("Proposed", "Approved", "Paid in full"):
        assert step in page
    assert "ada.accountant@webstore4.example" in page and "bea.accountant" in page
    assert "There is nothing you can do with this refund now." in page


def test_the_proposer_sees_approve_refused_for_four_eyes(client, accountant):
    refund = proposed()
    client.force_login(accountant)

    page = text(client.get(page_of(refund)))
    response = client.post(action(refund, "approve"), follow=True)

    assert "You proposed or adjusted this refund, so someone else approves it" in page
    assert 'disabled aria-disabled="true" aria-describedby="retour-why-approve"' in page
    assert "someone else approves it (four eyes)" in text(response)
    refund.refresh_from_db()
    assert refund.state == RefundState.PROPOSED


def test_a_second_accountant_approves(client):
    refund = proposed()
    client.force_login(refund_flow.accountant("bea"))

    response = client.post(action(refund, "approve"), follow=True)

    assert f"{refund.number} is approved." in text(response)
    refund.refresh_from_db()
    assert refund.state == RefundState.APPROVED


def test_an_adjustment_without_a_reason_is_refused_and_changes_nothing(client):
    refund = proposed(quantity=1, price="120.00")
    item = refund.items.get(rule="F1")
    client.force_login(refund_flow.accountant("bea"))

    response = client.post(
        action(refund, "adjust"), {"item": item.pk, "amount": "90.00", "reason": " "}, follow=True
    )

    assert "Say why; the reason is kept beside the original amount." in text(response)
    item.refresh_from_db()
    refund.refresh_from_db()
    assert item.amount == Decimal("120.00") and refund.total == Decimal("120.00")


def test_an_adjustment_keeps_the_original_beside_it_and_blocks_the_adjusters_approval(client):
    refund = proposed(quantity=1, price="120.00")
    item = refund.items.get(rule="F1")
    bea = refund_flow.accountant("bea")
    client.force_login(bea)

    response = client.post(
        action(refund, "adjust"),
        {"item": item.pk, "amount": "90.00", "reason": "Box missing"},
        follow=True,
    )

    page = text(response)
    assert "The F1 item is now EUR 90.00" in page
    assert "was € 120.00; adjusted by bea.accountant@webstore4.example" in page
    assert "Box missing" in page
    assert "someone else approves it (four eyes)" in page  # Bea adjusted: not hers to approve
    item.refresh_from_db()
    assert (item.original_amount, item.amount) == (Decimal("120.00"), Decimal("90.00"))


@pytest.mark.parametrize("amount", ["ninety", "", "1e3x"])
def test_an_unreadable_amount_is_refused_with_a_message(client, amount):
    refund = proposed(quantity=1, price="120.00")
    item = refund.items.get(rule="F1")
    client.force_login(refund_flow.accountant("bea"))

    response = client.post(
        action(refund, "adjust"), {"item": item.pk, "amount": amount, "reason": "x"}, follow=True
    )

    assert response.status_code == 200
    assert "Give the new amount in euros" in text(response)
    item.refresh_from_db()
    assert item.amount == Decimal("120.00")


def test_an_item_of_another_refund_is_not_adjusted(client):
    refund, other = proposed(), proposed()
    client.force_login(refund_flow.accountant("bea"))

    response = client.post(
        action(refund, "adjust"),
        {"item": other.items.first().pk, "amount": "1.00", "reason": "x"},
        follow=True,
    )

    assert "This item is not part of the refund." in text(response)
    assert not RefundItem.objects.exclude(adjustment_reason="").exists()


def test_paying_needs_the_reference_of_a_card_refund_then_issues_the_credit_note(client):
    refund = approved_refund(paid_with="card")
    part = refund.parts.get()
    bea = refund_flow.accountant("bea")
    client.force_login(bea)

    page = text(client.get(page_of(refund)))
    refused = client.post(action(refund, "pay"), {f"reference-{part.pk}": " "}, follow=True)
    refund.refresh_from_db()
    state_after_refusal = refund.state
    done = client.post(action(refund, "pay"), {f"reference-{part.pk}": "re_9"}, follow=True)

    assert f'name="reference-{part.pk}"' in page
    assert "Give the reference of the payment made outside Retour" in text(refused)
    assert state_after_refusal == RefundState.APPROVED
    note = CreditNote.objects.get(refund=refund)
    assert f"{refund.number} is paid; credit note {note.number} is issued." in text(done)
    refund.refresh_from_db()
    assert refund.state == RefundState.PAID and refund.parts.get().reference == "re_9"


def test_a_bank_transfer_is_left_to_its_sepa_batch(client):
    refund = approved_refund(paid_with="bank_transfer")
    client.force_login(refund_flow.accountant("bea"))

    page = text(client.get(page_of(refund)))

    assert "paid by the next SEPA batch" in page
    assert 'action="' + action(refund, "pay") + '"' not in page
    assert "it is paid when its SEPA batch is booked as executed" in page


def test_approve_and_pay_are_separate_permissions(client):
    refund = approved_refund(paid_with="card")
    approver = with_perms("approver@webstore4.example", "view_refund", "approve_refund")
    client.force_login(approver)

    page = text(client.get(page_of(refund)))
    response = client.post(action(refund, "pay"), {f"reference-{refund.parts.get().pk}": "re_1"})

    assert 'action="' + action(refund, "pay") + '"' not in page
    assert ">Pay<" not in page
    assert response.status_code == 403
    refund.refresh_from_db()
    assert refund.state == RefundState.APPROVED


def test_a_payer_without_approval_sees_no_approve_button(client):
    refund = proposed()
    payer = with_perms("payer@webstore4.example", "view_refund", "pay_refund")
    client.force_login(payer)

    page = text(client.get(page_of(refund)))
    response = client.post(action(refund, "approve"))

    assert ">Approve<" not in page
    assert response.status_code == 403
    refund.refresh_from_db()
    assert refund.state == RefundState.PROPOSED


def test_a_failed_payment_needs_a_reason_then_is_retried(client):
    refund = approved_refund(paid_with="bank_transfer")
    client.force_login(refund_flow.accountant("bea"))

    no_reason = client.post(action(refund, "fail"), {"reason": ""}, follow=True)
    refund.refresh_from_db()
    assert refund.state == RefundState.APPROVED
    assert "Say why" in text(no_reason)

    failed = client.post(action(refund, "fail"), {"reason": "Account closed"}, follow=True)
    assert "is marked as failed" in text(failed)
    assert "The payment failed: Account closed" in text(failed)
    client.post(action(refund, "retry"))
    refund.refresh_from_db()
    assert refund.state == RefundState.APPROVED


def test_a_cancelled_refund_lets_the_ticket_propose_again(client, accountant):
    refund = proposed()
    client.force_login(accountant)

    response = client.post(action(refund, "cancel"), follow=True)
    ticket_page = text(client.get(reverse("admin:rma_ticket_change", args=[refund.ticket_id])))

    assert "is cancelled; its units may be refunded again." in text(response)
    assert "Propose a refund" in ticket_page


def test_an_action_in_the_wrong_state_is_a_message_not_an_error(client):
    refund = paid()
    client.force_login(refund_flow.accountant("cas"))

    response = client.post(action(refund, "approve"), follow=True)

    assert response.status_code == 200
    assert f"Refund {refund.number} is paid; that is not possible now." in text(response)


def test_the_buttons_answer_a_get_by_going_back_and_need_the_csrf_token(accountant):
    refund = proposed()
    bea = refund_flow.accountant("bea")
    client = Client(enforce_csrf_checks=True)
    client.force_login(bea)

    got = client.get(action(refund, "approve"))
    forged = client.post(action(refund, "approve"))

    assert got.status_code == 302 and got.url == page_of(refund)
    assert forged.status_code == 403
    refund.refresh_from_db()
    assert refund.state == RefundState.PROPOSED


def test_no_field_of_a_refund_is_editable_in_the_admin(client, admin):
    refund = proposed()
    client.force_login(admin)

    client.post(page_of(refund), {"total": "9999.00", "state": "paid"})

    refund.refresh_from_db()
    assert refund.total != Decimal("9999.00") and refund.state == RefundState.PROPOSED


@pytest.mark.parametrize("role", ["support", "warehouse"])
def test_support_and_the_warehouse_cannot_see_refunds_or_credit_notes(client, role):
    refund = paid()
    client.force_login(staff_member(role))

    for url in (
        QUEUE,
        page_of(refund),
        CREDIT_NOTES,
        reverse("admin:refunds_creditnote_change", args=[refund.credit_note.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(action(refund, "cancel")).status_code == 403
    ticket_page = text(client.get(reverse("admin:rma_ticket_change", args=[refund.ticket_id])))
    assert refund.number not in ticket_page


# --- the ticket page -----------------------------------------------------------------


def test_an_accountant_proposes_a_refund_from_the_ticket_page(client, accountant):
    ticket = diagnosed_ticket(quantity=2, price="60.00")
    ticket_page = reverse("admin:rma_ticket_change", args=[ticket.pk])
    client.force_login(accountant)

    before = text(client.get(ticket_page))
    response = client.post(reverse("admin:rma_ticket_refund_propose", args=[ticket.pk]))

    assert "Propose a refund" in before
    assert "Refund of the units to refund, from the diagnosis" in before  # the quote stays
    refund = Refund.objects.get(ticket=ticket)
    assert response.status_code == 302 and response.url == page_of(refund)
    assert refund.proposed_by == accountant and refund.total == Decimal("120.00")
    after = text(client.get(ticket_page))
    assert refund.number in after and "proposed" in after
    assert "Propose a refund" not in after  # every unit is held by the refund


def test_support_is_not_offered_to_propose_a_refund(client, support):
    ticket = diagnosed_ticket()
    client.force_login(support)

    page = text(client.get(reverse("admin:rma_ticket_change", args=[ticket.pk])))
    response = client.post(reverse("admin:rma_ticket_refund_propose", args=[ticket.pk]))

    assert "Propose a refund" not in page
    assert response.status_code == 403
    assert not Refund.objects.exists()


def test_a_ticket_not_diagnosed_yet_offers_no_refund_and_refuses_one(client, accountant):
    from tests.rma.units import received_ticket

    ticket = received_ticket()
    client.force_login(accountant)

    page = text(client.get(reverse("admin:rma_ticket_change", args=[ticket.pk])))
    response = client.post(
        reverse("admin:rma_ticket_refund_propose", args=[ticket.pk]), follow=True
    )

    assert ticket.state == State.RECEIVED
    assert "Propose a refund" not in page
    assert "A refund is proposed once the ticket is diagnosed or resolved" in text(response)
    assert not Refund.objects.exists()


# --- credit notes --------------------------------------------------------------------


def test_the_credit_note_list_says_a_pdf_is_being_rendered_until_it_is(client, accountant):
    note = paid().credit_note
    note.pdf = ""
    note.save(update_fields=["pdf"])
    client.force_login(accountant)
    pdf_url = reverse("admin:refunds_creditnote_pdf", args=[note.pk])

    listed = text(client.get(CREDIT_NOTES))
    missing = client.get(pdf_url)
    note.pdf.save(f"{note.number}.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    note.save(update_fields=["pdf"])
    found = client.get(pdf_url)

    assert note.number in listed and "being rendered" in listed
    assert missing.status_code == 404
    assert found.status_code == 200 and found["Content-Type"] == "application/pdf"
    assert b"".join(found.streaming_content).startswith(b"%PDF")
    assert "no-store" in found["Cache-Control"]
    assert pdf_url in text(client.get(CREDIT_NOTES))
    assert "/media/" not in text(client.get(CREDIT_NOTES))  # never a public URL


def test_the_credit_note_pdf_is_refused_to_support_and_customers(client, support, anna):
    note = paid().credit_note
    note.pdf.save(f"{note.number}.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    note.save(update_fields=["pdf"])
    pdf_url = reverse("admin:refunds_creditnote_pdf", args=[note.pk])

    client.force_login(support)
    as_support = client.get(pdf_url)
    client.force_login(anna.user)
    as_customer = client.get(pdf_url)
    client.logout()
    as_nobody = client.get(pdf_url)

    assert as_support.status_code == 403
    for response in (as_customer, as_nobody):
        assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
