"""The ledger in the back office: accountants book grants and withdrawals with a reason
through the service; nobody edits or deletes an entry; the list costs no query per row."""

import html
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from refunds.models import EntryKind, StoreCreditEntry
from refunds.services import store_credit_balance, store_credit_grant
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:refunds_storecreditentry_add")
CHANGELIST = reverse("admin:refunds_storecreditentry_changelist")


def text(response) -> str:
    return html.unescape(response.content.decode())


def book(client, **fields):
    data = {"customer": "anna@example.nl", "action": "grant", "amount": "25.00"}
    return client.post(ADD, {**data, **fields}, follow=True)


def test_an_accountant_grants_credit_with_a_reason(client, accountant, anna):
    client.force_login(accountant)

    response = book(client, customer="ANNA@example.nl", reason="Late delivery, goodwill.")

    entry = StoreCreditEntry.objects.get()
    assert (entry.customer, entry.kind, entry.amount) == (anna, EntryKind.GRANT, Decimal("25.00"))
    assert (entry.by, entry.reason) == (accountant, "Late delivery, goodwill.")
    assert "anna@example.nl now has EUR 25.00 of store credit." in text(response)


def test_a_withdrawal_above_the_balance_is_refused_and_books_nothing(client, accountant, anna):
    store_credit_grant(customer=anna, amount=Decimal("10.00"), by=accountant, reason="Goodwill")
    client.force_login(accountant)

    response = book(client, action="withdraw", amount="15.00", reason="Granted by mistake.")

    assert "Only EUR 10.00 of store credit is valid" in text(response)
    assert StoreCreditEntry.objects.count() == 1
    assert store_credit_balance(anna) == Decimal("10.00")


def test_a_withdrawal_within_the_balance_is_booked(client, accountant, anna):
    store_credit_grant(customer=anna, amount=Decimal("10.00"), by=accountant, reason="Goodwill")
    client.force_login(accountant)

    book(client, action="withdraw", amount="4.00", reason="Part granted by mistake.")

    assert store_credit_balance(anna) == Decimal("6.00")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": ""}, "This field is required."),
        ({"customer": "nobody@example.nl", "reason": "x"}, "There is no customer with this"),
        ({"amount": "0", "reason": "x"}, "greater than or equal to 0.01"),
        ({"amount": "abc", "reason": "x"}, "Enter a number."),
    ],
)
def test_bad_input_is_shown_and_books_nothing(client, accountant, anna, fields, message):
    client.force_login(accountant)

    response = book(client, **fields)

    assert response.status_code == 200
    assert message in text(response)
    assert not StoreCreditEntry.objects.exists()


@pytest.mark.parametrize("role", ["support", "warehouse"])
def test_only_accountants_book_store_credit(request, client, anna, role):
    client.force_login(request.getfixturevalue(role))

    response = book(client, reason="Goodwill")

    assert response.status_code in (403, 404)
    assert not StoreCreditEntry.objects.exists()


def test_nobody_edits_or_deletes_an_entry(client, accountant, anna):
    entry = store_credit_grant(customer=anna, amount=Decimal("10.00"), by=accountant, reason="G")
    client.force_login(accountant)

    page = client.get(reverse("admin:refunds_storecreditentry_change", args=[entry.pk]))
    client.post(
        reverse("admin:refunds_storecreditentry_change", args=[entry.pk]),
        {"amount": "999.00", "reason": "edited"},
    )
    deleted = client.post(
        reverse("admin:refunds_storecreditentry_delete", args=[entry.pk]), {"post": "yes"}
    )

    assert page.status_code == 200 and 'name="amount"' not in text(page)
    assert deleted.status_code == 403
    entry.refresh_from_db()
    assert (entry.amount, entry.reason) == (Decimal("10.00"), "G")


def test_the_ledger_list_costs_the_same_queries_for_2_or_10_customers(client, accountant):
    def grants(count):
        for n in range(count):
            customer = CustomerFactory(email=f"c{n}-{count}@example.nl")
            store_credit_grant(customer=customer, amount=Decimal("5.00"), by=accountant, reason="G")

    client.force_login(accountant)
    grants(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CHANGELIST).status_code == 200
    grants(8)
    with CaptureQueriesContext(connection) as many:
        response = client.get(CHANGELIST)

    assert text(response).count("@example.nl</td>") == 10
    assert len(many.captured_queries) == len(few.captured_queries)
