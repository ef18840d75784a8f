"""`make run`'s demo lets its two customers file the portal's showcase returns: Anna a
defect of her Grandstream phone (V3, R8), NetPartners an order error restocked as store
credit (P1); and it shows refunds at every step, between two accountants (issue 18)."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import timezone

from demo.data import seed_demo
from orders.models import Customer
from rma.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert seed_demo(timezone.localdate())


def test_anna_files_a_defect_for_her_grandstream_phone(client, demo):
    anna = Customer.objects.get(email="anna@example.nl").user
    client.force_login(anna)
    address = reverse("portal:file_return", args=["WS-DEMO-009"])
    data = {
        "action": "submit",
        "quantity-1": "1",
        "serial-1": "GSGRP261009000",
        "reason": "defective",
        "note": "Geen kiestoon.",
        "factory_reset": "1",
    }

    assert address in client.get(reverse("portal:my_returns")).content.decode()
    refused = client.post(address, data)
    accepted = client.post(address, {**data, "vendor_ticket_number": "GS-500123"})

    assert refused.status_code == 400
    assert "(V3)" in html.unescape(refused.content.decode())
    assert accepted.status_code == 302
    ticket = Ticket.objects.get(order__number="WS-DEMO-009")
    assert ticket.vendor_ticket_number == "GS-500123"


def test_netpartners_sees_the_restocking_as_store_credit(client, demo):
    partner = Customer.objects.get(email="orders@netpartners.example").user
    client.force_login(partner)

    response = client.post(
        reverse("portal:file_return", args=["WS-DEMO-006"]),
        {"action": "refresh", "quantity-1": "1", "reason": "order_error"},
        headers={"Accept-Language": "en"},
    )

    text = html.unescape(response.content.decode())
    assert "20% partner restocking fee" in text
    assert "(P1)" in text
    assert "12" in text and "€\xa0143.20" in text  # 179.00 less 20%, as store credit


def test_toms_account_is_not_there_yet_and_he_activates_it(client, demo):
    from notifications.models import Email

    tom = Customer.objects.get(email="tom@example.com")
    assert tom.user is None  # imported from the webshop only (README)

    client.post(reverse("portal:activate"), {"email": "tom@example.com"})

    tom.refresh_from_db()
    assert tom.user is not None
    assert Email.objects.filter(kind="account_activation", to="tom@example.com").exists()


def test_the_demo_has_refunds_at_every_step_between_two_accountants(client, demo):
    from demo.data import DEMO_PASSWORD, SECOND_ACCOUNTANT, STAFF
    from refunds.models import Channel, Refund, RefundState

    ada = {role: email for email, role in STAFF}["accountant"]
    refunds = {r.ticket.order.number: r for r in Refund.objects.select_related("ticket__order")}

    assert {number: r.state for number, r in refunds.items()} == {
        "WS-DEMO-010": RefundState.PROPOSED,
        "WS-DEMO-001": RefundState.APPROVED,  # to an IBAN, waiting for the SEPA batch
        "WS-DEMO-011": RefundState.APPROVED,  # by card, waiting for the reference
        "WS-DEMO-012": RefundState.PAID,  # to the card, outside Retour
        "WS-DEMO-006": RefundState.PAID,  # store credit (P1)
    }
    # Ada proposed every one; Bea approved (four eyes).
    assert {r.proposed_by.email for r in refunds.values()} == {ada}
    approved = [r for r in refunds.values() if r.state != RefundState.PROPOSED]
    assert {r.approved_by.email for r in approved} == {SECOND_ACCOUNTANT}
    assert refunds["WS-DEMO-010"].items.exclude(adjustment_reason="").count() == 1
    assert refunds["WS-DEMO-001"].iban and refunds["WS-DEMO-001"].parts.get().channel == "sepa"
    assert refunds["WS-DEMO-011"].parts.get().channel == Channel.OUTSIDE
    paid = [r for r in refunds.values() if r.state == RefundState.PAID]
    assert all(r.credit_note.total == r.total for r in paid)
    grant = refunds["WS-DEMO-006"].parts.get().grant
    assert grant is not None and grant.ticket_id == refunds["WS-DEMO-006"].ticket_id
    assert client.login(username=SECOND_ACCOUNTANT, password=DEMO_PASSWORD)


def test_anna_is_asked_for_her_bank_account_in_the_demo(client, demo):
    anna = Customer.objects.get(email="anna@example.nl").user
    client.force_login(anna)
    ticket = Ticket.objects.get(order__number="WS-DEMO-010")

    overview = client.get(reverse("portal:my_returns"), headers={"Accept-Language": "en"})

    text = html.unescape(overview.content.decode())
    assert f"Give us your bank account for the refund of return {ticket.number}" in text
