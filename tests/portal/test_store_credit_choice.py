"""F6 in the return form (issue 18 §2): where the policy lets the customer choose (the
licence-shop preset), the form asks how the money goes back, the preview follows the
choice and the ticket keeps it; where it does not (webstore4), nothing is asked and a
forged choice is refused with nothing written."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from rma.models import Ticket, TicketEvent
from rma.services.lifecycle import STORE_CREDIT_NOT_OFFERED
from tests.factories import shop_policy
from tests.portal.orders import Item, order_of

pytestmark = pytest.mark.django_db

CABLE = Item("Cat6 patch cable", 1, "50.00")
ASKED = "How do you want your money back?"
RETURN = {"quantity-1": "1", "reason": "delivery_error", "note": "Wrong length."}


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def url(order) -> str:
    return reverse("portal:file_return", args=[order.number])


@pytest.fixture
def licence_shop(db):
    """The licence-shop preset as the shop's policy (saved, so the rules read it anew)."""
    return shop_policy("licence-shop", store_credit_valid_months=18)


def test_the_form_asks_how_the_money_goes_back_where_the_policy_offers_it(
    client, anna, licence_shop
):
    order = order_of(anna, CABLE)
    client.force_login(anna.user)

    text = text_of(client.get(url(order)))

    assert f"<legend><h2>{ASKED}</h2></legend>" in text
    assert 'name="refund_method" value="as_paid" checked' in text  # the default
    assert 'name="refund_method" value="store_credit"' in text
    assert 'value="store_credit" checked' not in text
    assert "The way you paid" in text and "Store credit, valid 18 months" in text


def test_the_form_asks_nothing_where_the_policy_does_not_offer_store_credit(client, anna):
    order = order_of(anna, CABLE)
    client.force_login(anna.user)

    text = text_of(client.get(url(order)))

    assert ASKED not in text and 'name="refund_method"' not in text


def test_the_preview_follows_the_choice(client, anna, licence_shop):
    order = order_of(anna, CABLE)
    client.force_login(anna.user)
    headers = {"HX-Request": "true"}

    as_paid = text_of(
        client.post(url(order), {**RETURN, "action": "refresh", "refund_method": "as_paid"})
    )
    credit = text_of(
        client.post(
            url(order),
            {**RETURN, "action": "refresh", "refund_method": "store_credit"},
            headers=headers,
        )
    )

    assert "iDEAL</strong> €\xa050.00" in as_paid
    assert "Store credit is valid" not in as_paid
    assert "Store credit</strong> €\xa050.00" in credit and "iDEAL</strong>" not in credit
    assert "Store credit is valid 18 months." in credit
    assert 'value="store_credit" checked' in credit  # the choice stays as it was made
    assert not Ticket.objects.exists()


def test_the_ticket_keeps_the_customers_choice_of_store_credit(client, anna, licence_shop):
    order = order_of(anna, CABLE)
    client.force_login(anna.user)

    response = client.post(
        url(order), {**RETURN, "action": "submit", "refund_method": "store_credit"}
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.store_credit_chosen and ticket.policy == licence_shop


def test_the_way_you_paid_is_the_default_choice(client, anna, licence_shop):
    order = order_of(anna, CABLE)
    client.force_login(anna.user)

    response = client.post(url(order), {**RETURN, "action": "submit"})

    assert response.status_code == 302
    assert not Ticket.objects.get().store_credit_chosen


def test_store_credit_posted_where_the_policy_does_not_offer_it_is_refused(client, anna):
    order = order_of(anna, CABLE)
    client.force_login(anna.user)

    response = client.post(
        url(order), {**RETURN, "action": "submit", "refund_method": "store_credit"}
    )

    assert response.status_code == 400
    text = text_of(response)
    assert STORE_CREDIT_NOT_OFFERED in text
    assert "This shop's return policy does not offer store credit instead of a refund" in text
    assert ASKED not in text  # still not offered: sending again goes back the way they paid
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()
    assert order.lines.get().held_quantity == 0
