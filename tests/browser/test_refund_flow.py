"""Two accountants refund a diagnosed ticket in a real Chromium (issue 18): Ada proposes
the refund from the ticket page and may not approve it herself (four eyes); Bea finds it
in the accountants' queue, approves it and pays the card part with the provider's
reference; a real worker renders the credit note and the customer gets the `refund_paid`
e-mail with the PDF attached, which the credit notes list then links to."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from notifications.models import Email, EmailStatus
from refunds.models import CreditNote, Refund, RefundState
from tests.browser.site import ARTIFACTS, axe_violations
from tests.browser.test_back_office import log_in
from tests.notifications.conftest import (  # noqa: F401 - fixtures for the worker
    celery_worker,
    own_broker,
    redis_server,
    wait_until,
)
from tests.refunds.refund_flow import accountant, diagnosed_ticket

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="workers run on PostgreSQL (make test)"
    ),
]


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"refund-{name}.png"), full_page=True)


def test_one_accountant_proposes_a_second_approves_and_pays_and_the_customer_gets_the_pdf(
    page,
    live_server,
    celery_worker,  # noqa: F811
    mailoutbox,
    settings,
    tmp_path,
    bram,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    ticket = diagnosed_ticket(customer=bram, quantity=1, price="120.00", paid_with="card")
    ada = accountant("ada")
    bea = accountant("bea")

    # Ada finds the ticket and proposes its refund.
    log_in(page, live_server, ada.email)
    page.goto(f"{live_server.url}/admin/rma/ticket/?q={ticket.number}")
    page.get_by_role("link", name=ticket.number).click()
    refunds = page.locator("#retour-refunds")
    refunds.get_by_role("button", name="Propose a refund").click()
    page.wait_for_url(re.compile(r"/admin/refunds/refund/\d+/change/$"))
    refund = Refund.objects.get(ticket=ticket)
    assert f"{refund.number} is proposed: EUR 120.00." in page.locator(".messagelist").inner_text()
    approve = page.locator("#retour-refund-actions").get_by_role("button", name="Approve")
    assert approve.is_disabled()
    assert "(four eyes)" in page.locator("#retour-why-approve").inner_text()
    _shot(page, "proposed")
    violations = axe_violations(page)
    assert violations == [], f"the refund's page: {violations}"

    # Bea finds it in the queue, approves it and pays the card part.
    page.context.clear_cookies()
    log_in(page, live_server, bea.email)
    page.goto(f"{live_server.url}/admin/refunds/refund/")
    page.get_by_role("link", name=refund.number).click()
    page.locator("#retour-refund-actions").get_by_role("button", name="Approve").click()
    assert f"{refund.number} is approved." in page.locator(".messagelist").inner_text()
    part = refund.parts.get()
    page.get_by_label("Reference of the Card refund").fill("re_3Nk8x2")
    page.get_by_role("button", name="Pay", exact=True).click()

    note = CreditNote.objects.get(refund=refund)
    assert (
        f"{refund.number} is paid; credit note {note.number} is issued."
        in page.locator(".messagelist").inner_text()
    )
    refund.refresh_from_db()
    part.refresh_from_db()
    assert refund.state == RefundState.PAID
    assert (refund.proposed_by, refund.approved_by, refund.paid_by) == (ada, bea, bea)
    assert part.reference == "re_3Nk8x2"
    _shot(page, "paid")

    # The worker renders the credit note and sends the customer the e-mail with it.
    wait_until(
        lambda: Email.objects.filter(
            kind="refund_paid", to=bram.email, status=EmailStatus.SENT
        ).exists(),
        timeout=60,
        message="the refund_paid e-mail was not sent",
    )
    [message] = [m for m in mailoutbox if m.to == [bram.email] and note.number in m.body]
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"{note.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")

    # The credit notes list links the PDF, served to Bea through the checked view.
    page.goto(f"{live_server.url}/admin/refunds/creditnote/")
    link = page.get_by_role("link", name=f"PDF of {note.number}")
    href = link.get_attribute("href")
    assert href == f"/admin/refunds/creditnote/{note.pk}/pdf/"
    response = page.request.get(f"{live_server.url}{href}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body() == content
