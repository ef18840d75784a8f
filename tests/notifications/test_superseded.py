"""An authorization e-mail still in the outbox when the ticket moves on is not sent."""

import datetime as dt

import pytest
import time_machine

from notifications.models import Email, EmailStatus
from notifications.services import email_send
from rma import services
from rma.states import State
from tests.factories import AMSTERDAM
from tests.rma.lifecycle import ticket_in


@pytest.mark.django_db
def test_an_authorization_cancelled_before_its_mail_went_out_is_not_mailed(
    settings, tmp_path, anna, support, caplog
):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(dt.datetime(2026, 10, 5, 12, 0, tzinfo=AMSTERDAM), tick=False):
        ticket = ticket_in(State.AUTHORIZED, customer=anna)
        services.ticket_cancel(ticket=ticket, by=support, note="Customer changed plans.")
    from django.core import mail

    authorized = Email.objects.get(ticket=ticket, kind="ticket_authorized")
    cancelled = Email.objects.get(ticket=ticket, kind="ticket_cancelled")
    email_send(email_id=authorized.pk)
    email_send(email_id=cancelled.pk)

    authorized.refresh_from_db()
    assert authorized.status == EmailStatus.FAILED
    assert authorized.last_error.startswith("Superseded:")
    assert len(mail.outbox) == 1  # only the cancellation, without a label
    assert mail.outbox[0].attachments == []
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
