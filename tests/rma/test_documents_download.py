"""The label and the withdrawal form are served to the ticket's customer and to staff only."""

import datetime as dt

import pytest
import time_machine

from rma.states import State
from tests.factories import AMSTERDAM
from tests.rma.lifecycle import ticket_in

# The factories' orders were delivered on 3 October 2026.
IN_OCTOBER = time_machine.travel(dt.datetime(2026, 10, 5, 12, 0, tzinfo=AMSTERDAM), tick=False)


@pytest.fixture
def authorized(settings, tmp_path, anna):
    settings.MEDIA_ROOT = tmp_path
    with IN_OCTOBER:
        return ticket_in(State.AUTHORIZED, customer=anna)


@pytest.mark.django_db
@pytest.mark.parametrize("layout", ["", "?layout=a4"])
def test_the_customer_downloads_the_label_of_their_authorized_ticket(client, authorized, layout):
    client.force_login(authorized.order.customer.user)

    response = client.get(f"/tickets/{authorized.number}/label.pdf{layout}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"%PDF")


@pytest.mark.django_db
def test_staff_download_any_label(client, authorized, warehouse):
    client.force_login(warehouse)

    assert client.get(f"/tickets/{authorized.number}/label.pdf").status_code == 200


@pytest.mark.django_db
def test_another_customer_gets_not_found(client, authorized, stranger):
    client.force_login(stranger)

    assert client.get(f"/tickets/{authorized.number}/label.pdf").status_code == 404
    assert client.get(f"/tickets/{authorized.number}/withdrawal-form.pdf").status_code == 404


@pytest.mark.django_db
def test_nobody_logged_in_gets_the_404_of_a_ticket_that_does_not_exist(client, authorized):
    response = client.get(f"/tickets/{authorized.number}/label.pdf")
    unknown = client.get("/tickets/RMA-2026-999999/label.pdf")

    assert response.status_code == unknown.status_code == 404


@pytest.mark.django_db
def test_a_request_not_yet_authorized_has_no_label_and_says_so(client, anna):
    with IN_OCTOBER:
        ticket = ticket_in(State.REQUESTED, customer=anna)
    client.force_login(anna.user)

    response = client.get(f"/tickets/{ticket.number}/label.pdf")

    assert response.status_code == 409
    assert "only once it is authorized" in response.text


@pytest.mark.django_db
def test_the_customer_downloads_the_prefilled_withdrawal_form(client, authorized):
    client.force_login(authorized.order.customer.user)

    response = client.get(f"/tickets/{authorized.number}/withdrawal-form.pdf")

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
