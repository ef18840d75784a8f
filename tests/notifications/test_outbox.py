"""The outbox without a worker: queueing once, rendering every kind, bounces (SPEC §7)."""

import base64
import datetime as dt
import re
import time

import pytest
from django.core import mail
from django.db import IntegrityError, connection
from django.utils import timezone

from notifications.models import BouncedAddress, Email, EmailStatus
from notifications.rendering import email_message_build, email_render
from notifications.services import (
    email_queue,
    email_send,
    outbox_sweep,
    staff_alert_queue,
)
from rma import services as rma_services
from rma.emails import STAFF_KINDS, TICKET_KINDS, ticket_email_queue
from rma.links import ticket_number_from_token
from rma.states import Resolution
from tests.factories import UserFactory
from tests.notifications.conftest import submit
from vendors.chasing import KIND as VENDOR_CASE_OVERDUE

pytestmark = pytest.mark.usefixtures("default_policy")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_queueing_the_same_dedupe_key_twice_creates_one_row(anna):
    first = email_queue(
        kind="ticket_requested", dedupe_key="k:1", to=anna.email, language="nl", context={}
    )
    second = email_queue(
        kind="ticket_requested", dedupe_key="k:1", to=anna.email, language="nl", context={}
    )

    assert first is not None
    assert second is None
    assert Email.objects.filter(dedupe_key="k:1").count() == 1


def test_the_database_refuses_a_second_row_with_the_same_key(anna):
    email_queue(kind="ticket_requested", dedupe_key="k:2", to=anna.email, language="nl")

    # The unique constraint decides, even when the pre-check is raced past.
    with pytest.raises(IntegrityError):
        Email.objects.create(kind="x", dedupe_key="k:2", to=anna.email, language="nl")


def test_a_request_queues_its_email_in_the_same_transaction(anna):
    ticket = submit(anna)

    email = Email.objects.get(ticket=ticket)
    assert email.kind == "ticket_requested"
    assert email.to == anna.email
    assert email.language == "nl"
    assert email.status == EmailStatus.READY
    assert email.dedupe_key == f"ticket_requested:{ticket.pk}:{ticket.events.get().pk}"


def test_a_withdrawal_queues_the_receipt_with_the_time_of_notice(anna):
    ticket = submit(anna, reason="withdrawal")

    email = Email.objects.get(ticket=ticket)
    assert email.kind == "withdrawal_receipt"  # W4
    at = ticket.events.get().at
    stored = dt.datetime.fromisoformat(email.context["notice_at"])
    assert abs(stored - at) < dt.timedelta(milliseconds=1)  # JSON keeps milliseconds


def test_every_transition_queues_one_customer_email_without_internal_notes(
    anna, support, warehouse
):
    ticket = submit(anna)
    ticket = rma_services.ticket_authorize(ticket=ticket, by=support, note="Send it soon")
    ticket = rma_services.ticket_receive(ticket=ticket, by=warehouse)
    ticket = rma_services.ticket_diagnose(ticket=ticket, by=support, note="scratched, internal")
    ticket = rma_services.ticket_resolve(
        ticket=ticket, by=support, resolution=Resolution.REPLACEMENT
    )

    kinds = list(Email.objects.filter(ticket=ticket).order_by("pk").values_list("kind", flat=True))
    assert kinds == [
        "ticket_requested",
        "ticket_authorized",
        "ticket_received",
        "ticket_diagnosed",
        "ticket_resolved",
    ]
    diagnosed = Email.objects.get(ticket=ticket, kind="ticket_diagnosed")
    assert diagnosed.context["note"] == ""
    assert "scratched" not in email_render(diagnosed)[1]
    authorized = Email.objects.get(ticket=ticket, kind="ticket_authorized")
    assert "Send it soon" in email_render(authorized)[1]


def test_ticket_email_queue_is_once_per_ticket_and_stage(anna):
    ticket = submit(anna)

    first = ticket_email_queue(ticket=ticket, kind="reminder_ship", stage="D2-first")
    again = ticket_email_queue(ticket=ticket, kind="reminder_ship", stage="D2-first")
    later = ticket_email_queue(ticket=ticket, kind="reminder_ship", stage="D2-second")

    assert first.dedupe_key == f"reminder_ship:{ticket.pk}:D2-first"
    assert again is None
    assert later is not None


def test_staff_alerts_go_to_each_active_member_of_the_role_once(anna, accountant, support):
    UserFactory(email="bob@webstore4.example", role="accountant", is_active=False)
    ticket = submit(anna, reason="withdrawal")

    def alert():
        return staff_alert_queue(
            kind="staff_refund_due",
            dedupe_key=f"staff_refund_due:{ticket.pk}:D4",
            role="accountant",
            context={"overdue": False},
            subject=ticket,
        )

    emails = alert()

    assert [email.to for email in emails] == [accountant.email]
    assert emails[0].dedupe_key == f"staff_refund_due:{ticket.pk}:D4:{accountant.pk}"
    assert emails[0].subject == ticket
    assert alert() == []


@pytest.mark.parametrize("kind", (*TICKET_KINDS, VENDOR_CASE_OVERDUE))
def test_every_kind_renders_in_english_and_dutch_with_number_and_link(kind, anna, bram, support):
    rendered = {}
    for customer in (bram, anna):
        reason = "withdrawal" if kind in ("withdrawal_receipt", "staff_refund_due") else "defective"
        ticket = submit(customer, reason=reason)
        if kind == "ticket_authorized":
            ticket = rma_services.ticket_authorize(ticket=ticket, by=support)
        email = Email(
            pk=1000 + len(rendered),
            kind=kind,
            dedupe_key=f"{kind}:{ticket.pk}:test",
            to=customer.email,
            language=customer.language,
            subject=ticket,
            context={
                "note": "",
                "notice_at": timezone.now().isoformat(),
                "amount": "120.00",
                "message": "Could you send a photo of the label?",
                "recipient_name": "Ada",
                "refund_due_on": "2026-10-20",
            },
        )
        subject, text, html = email_render(email)
        # The customer's link is signed and names this ticket (rma.links).
        found = re.search(r"http://127\.0\.0\.1:8000/status/([^/\s]+)/", text)
        assert found and ticket_number_from_token(found[1]) == ticket.number
        link = found[0]
        assert ticket.number in subject
        assert ticket.number in text and link in text
        assert ticket.number in html and f'href="{link}"' in html
        assert "{%" not in text + html and "{{" not in text + html
        # Art. 11a: every e-mail to a customer leads to the withdrawal function.
        entry = {"en": "Withdraw from contract here", "nl": "Hier herroepen"}[customer.language]
        is_staff = kind in (*STAFF_KINDS, VENDOR_CASE_OVERDUE)
        assert (f"{entry}: http://127.0.0.1:8000/withdraw/" in text) is not is_staff
        assert ('href="http://127.0.0.1:8000/withdraw/"' in html) is not is_staff
        rendered[customer.language] = (subject, text, html)

    assert rendered["en"][0] != rendered["nl"][0]
    assert "Kind regards" in rendered["en"][1]
    assert "Met vriendelijke groet" in rendered["nl"][1]
    assert 'lang="nl"' in rendered["nl"][2]


def test_the_withdrawal_receipt_states_date_and_time_of_notice_on_a_durable_medium(bram):
    ticket = submit(bram, reason="withdrawal")
    email = Email.objects.get(ticket=ticket)
    notice_at = dt.datetime.fromisoformat(email.context["notice_at"])
    local = timezone.localtime(notice_at)

    subject, text, html = email_render(email)

    assert local.strftime("%H:%M") in text
    assert str(local.day) in text and str(local.year) in text
    assert "durable medium" in text
    assert "14 days" in text  # W6, W7


def test_the_authorization_email_explains_the_vendor_portal_route(bram, support):
    from orders.models import Vendor

    ticket = submit(bram)
    Vendor.objects.filter(pk=ticket.lines.get().order_line.product.vendor_id).update(
        route="vendor_direct",
        name="Ubiquiti",
        rma_portal_url="https://rma.example.com/ui",
        instructions="Attach a photo of the serial.",
    )
    ticket = rma_services.ticket_authorize(ticket=ticket, by=support)
    email = Email.objects.get(ticket=ticket, kind="ticket_authorized")

    subject, text, html = email_render(email)

    assert "https://rma.example.com/ui" in text  # V2
    assert "Attach a photo of the serial." in text
    assert "factory" not in text  # R8 only for devices with a login
    assert "copy of the invoice" in text  # R9


def test_a_dutch_email_gives_the_vendors_dutch_instructions_never_the_english(anna, support):
    from orders.models import Vendor

    ticket = submit(anna)  # Anna reads Dutch
    vendor = Vendor.objects.filter(pk=ticket.lines.get().order_line.product.vendor_id)
    vendor.update(
        route="vendor_direct",
        rma_portal_url="https://rma.example.com/ui",
        instructions="Attach a photo of the serial.",
    )
    ticket = rma_services.ticket_authorize(ticket=ticket, by=support)
    email = Email.objects.get(ticket=ticket, kind="ticket_authorized")
    without_dutch = email_render(email)[1]
    vendor.update(instructions_nl="Voeg een foto van het serienummer toe.")
    with_dutch = email_render(email)[1]

    assert "Attach a photo" not in without_dutch and "https://rma.example.com/ui" in without_dutch
    assert "Voeg een foto van het serienummer toe." in with_dutch
    assert "Attach a photo" not in with_dutch


def test_the_authorization_email_carries_the_label_pdf(anna, support):
    ticket = rma_services.ticket_authorize(ticket=submit(anna), by=support)
    email = Email.objects.get(ticket=ticket, kind="ticket_authorized")

    message = email_message_build(email)

    [(name, content, mimetype)] = message.attachments
    assert name == f"{ticket.number}.pdf"
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")


def test_sending_marks_the_row_sent_and_a_second_send_does_nothing(anna, mailoutbox):
    ticket = submit(anna)
    email = Email.objects.get(ticket=ticket)

    email_send(email_id=email.pk)
    email_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 1
    assert email.provider_message_id.startswith("<retour.")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [anna.email]
    assert mailoutbox[0].extra_headers["Message-ID"] == email.provider_message_id


def test_a_transient_error_leaves_the_row_failed_for_a_retry(anna, monkeypatch):
    from notifications.services import TransientEmailError

    ticket = submit(anna)
    email = Email.objects.get(ticket=ticket)

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(mail.EmailMessage, "send", refuse)
    with pytest.raises(TransientEmailError):
        email_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert "smtp down" in email.last_error
    assert email.next_attempt_at > timezone.now()


def test_a_broken_template_fails_the_row_for_good_without_retrying(anna):
    email = email_queue(kind="no_such_kind", dedupe_key="k:3", to=anna.email, language="en")

    email_send(email_id=email.pk)  # does not raise: retrying cannot help

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.next_attempt_at is None
    assert "TemplateDoesNotExist" in email.last_error


def test_the_sweep_resets_a_claim_abandoned_by_a_dead_worker(anna, settings, monkeypatch):
    published = []
    monkeypatch.setattr(
        "notifications.tasks.send_email.apply_async",
        lambda args, **kwargs: published.append(args[0]),
    )
    ticket = submit(anna)
    email = Email.objects.get(ticket=ticket)
    long_ago = timezone.now() - dt.timedelta(seconds=settings.EMAIL_OUTBOX_STUCK_SECONDS + 60)
    Email.objects.filter(pk=email.pk).update(status=EmailStatus.SENDING, claimed_at=long_ago)

    assert outbox_sweep(now=timezone.now() + dt.timedelta(minutes=2)) == 1
    assert published == [email.pk]
    email.refresh_from_db()
    assert email.status == EmailStatus.READY
    # Published once: the next minute's sweep leaves it to the queue.
    assert outbox_sweep(now=timezone.now() + dt.timedelta(minutes=3)) == 0


def test_a_bounce_reported_by_the_provider_marks_the_customer(client, settings, anna):
    settings.EMAIL_PROVIDER = "postmark"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:secret"}
    payload = {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "ticket_requested",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 unknown user",
        "Email": anna.email,
        "From": "returns@webstore4.example",
        "BouncedAt": "2026-10-05T16:04:22.0000000-04:00",
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Retouraanvraag",
    }
    auth = "Basic " + base64.b64encode(b"hook:secret").decode()

    response = client.post(
        "/anymail/postmark/tracking/",
        data=payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )

    assert response.status_code == 200
    bounced = BouncedAddress.objects.get(address=anna.email)
    assert bounced.first_bounced_at == dt.datetime(2026, 10, 5, 20, 4, 22, tzinfo=dt.UTC)


def test_the_bounce_webhook_refuses_a_caller_without_the_secret(client, settings, anna):
    settings.EMAIL_PROVIDER = "postmark"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:secret"}

    response = client.post(
        "/anymail/postmark/tracking/",
        data={"RecordType": "Bounce", "Type": "HardBounce", "Email": anna.email},
        content_type="application/json",
    )

    assert response.status_code == 401
    assert not BouncedAddress.objects.exists()


@pytest.mark.parametrize(
    ("provider", "secret", "path"),
    [
        ("postmark", "hook:secret", "/anymail/mailgun/tracking/"),  # another provider's
        ("postmark", "hook:secret", "/anymail/nosuch/tracking/"),
        ("postmark", "", "/anymail/postmark/tracking/"),  # no secret: anyone could call
        ("files", "hook:secret", "/anymail/postmark/tracking/"),  # no provider at all
    ],
)
def test_only_the_configured_providers_signed_webhook_exists(
    client, settings, anna, provider, secret, path
):
    settings.EMAIL_PROVIDER = provider
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": secret}

    response = client.post(path, data={"Email": anna.email}, content_type="application/json")

    assert response.status_code == 404
    assert not BouncedAddress.objects.exists()


@pytest.fixture
def eager_tasks():
    """The embedded default (no REDIS_URL): tasks run in-process at once."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_in_the_embedded_default_the_email_is_sent_at_commit(
    anna, mailoutbox, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = submit(anna)

    assert Email.objects.get(ticket=ticket).status == EmailStatus.SENT
    assert len(mailoutbox) == 1


def test_in_the_embedded_default_a_failing_send_does_not_fail_the_submission(
    anna, mailoutbox, eager_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(mail.EmailMessage, "send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = submit(anna)

    email = Email.objects.get(ticket=ticket)
    assert email.status == EmailStatus.FAILED
    assert email.next_attempt_at is not None
    assert mailoutbox == []


def test_staff_see_the_outbox_with_bounced_recipients(client, anna, admin):
    ticket = submit(anna)
    BouncedAddress.objects.create(address=anna.email, first_bounced_at=timezone.now())
    client.force_login(admin)

    listing = client.get("/admin/notifications/email/", {"bounced": "yes", "q": ticket.number})
    detail = client.get(f"/admin/notifications/email/{Email.objects.get(ticket=ticket).pk}/change/")

    assert listing.status_code == 200
    assert anna.email in listing.content.decode()
    assert detail.status_code == 200
    assert client.get("/admin/notifications/email/", {"bounced": "no"}).status_code == 200


def test_the_sweep_runs_every_minute_on_beat(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["notifications-sweep-outbox"]
    assert entry["schedule"] == 60.0
    assert entry["task"] in app.tasks


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_two_overlapping_callers_queue_one_email(anna, own_broker):
    import threading

    from django.db import connections, transaction

    barrier = threading.Barrier(2)
    results = []

    def queue():
        try:
            with transaction.atomic():
                barrier.wait()
                results.append(
                    email_queue(
                        kind="reminder_ship", dedupe_key="race:1", to=anna.email, language="nl"
                    )
                )
                time.sleep(0.2)  # hold the transaction open while the other one inserts
        finally:
            connections.close_all()

    threads = [threading.Thread(target=queue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(result is None for result in results) == [False, True]
    assert Email.objects.filter(dedupe_key="race:1").count() == 1
