"""F6: a customer who chose store credit where the policy offers it (licence-shop) is
refunded in store credit only, valid the policy's months, with the ticket it came from;
never by bank or outside Retour. Staff see the choice on the ticket and the refund."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.urls import reverse

from policies.models import ReturnPolicy
from refunds.deadlines import credit_valid_until
from refunds.models import Channel, RefundState
from refunds.refunding import refund_approve, refund_pay, refund_propose
from refunds.services import store_credit_balance
from rma.models import Ticket
from tests.factories import shop_policy, staff_member
from tests.refunds.refund_flow import accountant, diagnosed_ticket

pytestmark = pytest.mark.django_db

CHOICE = "Customer chose store credit (F6)"


@pytest.fixture
def licence_shop(db):
    """The licence-shop preset as the shop's policy, its credit valid 18 months (not the
    24 of every preset, so the months are seen to be this policy's)."""
    return shop_policy("licence-shop", store_credit_valid_months=18)


def chose_store_credit(**kwargs) -> Ticket:
    """A diagnosed ticket whose customer chose store credit at the request."""
    ticket = diagnosed_ticket(**kwargs)
    Ticket.objects.filter(pk=ticket.pk).update(store_credit_chosen=True)
    ticket.refresh_from_db()
    return ticket


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_proposal_is_one_store_credit_part_valid_the_policys_months(licence_shop):
    ticket = chose_store_credit(quantity=2, price="120.00", paid_with="card")
    assert ticket.policy == licence_shop

    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))

    parts = list(refund.parts.all())
    assert [(p.method, p.channel, p.amount) for p in parts] == [
        ("store_credit", Channel.STORE_CREDIT, refund.total)
    ]
    assert refund.total == Decimal("240.00")
    assert refund.store_credit_valid_months == 18


def test_paying_books_a_grant_with_the_ticket_never_money(licence_shop):
    ticket = chose_store_credit(quantity=1, price="120.00", paid_with="bank_transfer")
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    refund = refund_approve(refund=refund, by=accountant("bea"))

    refund = refund_pay(refund=refund, by=accountant("bea"))

    assert refund.state == RefundState.PAID
    assert not refund.parts.exclude(channel=Channel.STORE_CREDIT).exists()  # no SEPA, no outside
    grant = refund.parts.get().grant
    assert grant.ticket == ticket and grant.amount == Decimal("120.00")
    assert grant.policy == licence_shop
    assert grant.valid_until == credit_valid_until(grant.issued_on, 18)
    assert store_credit_balance(ticket.order.customer) == Decimal("120.00")


def test_without_the_choice_the_money_goes_back_the_way_it_was_paid(licence_shop):
    ticket = diagnosed_ticket(quantity=1, price="120.00", paid_with="bank_transfer")

    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))

    part = refund.parts.get()
    assert (part.method, part.channel) == ("bank_transfer", Channel.SEPA)
    assert refund.store_credit_valid_months is None


def test_staff_see_the_choice_on_the_ticket_and_the_refund(client, licence_shop):
    chosen = chose_store_credit(quantity=1)
    refund = refund_propose(ticket=chosen, by=staff_member("accountant"))
    other = diagnosed_ticket(quantity=1)
    client.force_login(staff_member("accountant"))

    ticket_page = text(client.get(reverse("admin:rma_ticket_change", args=[chosen.pk])))
    other_page = text(client.get(reverse("admin:rma_ticket_change", args=[other.pk])))
    refund_page = text(client.get(reverse("admin:refunds_refund_change", args=[refund.pk])))

    assert CHOICE in ticket_page and CHOICE not in other_page
    assert CHOICE in refund_page


def test_a_choice_made_stays_honoured_when_the_policy_stops_offering_it(licence_shop):
    ticket = chose_store_credit(quantity=1, price="50.00", paid_with="card")
    ReturnPolicy.objects.filter(pk=licence_shop.pk).update(store_credit_by_choice=False)

    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))

    assert [p.channel for p in refund.parts.all()] == [Channel.STORE_CREDIT]
