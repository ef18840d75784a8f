"""Queue and send e-mails through the outbox (SPEC §6–§7).

Reliability, in one place:

* `email_queue` writes the row in the caller's transaction and publishes the send task
  only after commit. If the broker is down then, or hung (that publish gives up after
  about a second, `REQUEST_PUBLISH_TIMEOUT`), the submission still succeeds: the row
  stays `ready` and `outbox_sweep` (every minute on beat) publishes it later.
* `email_send` claims the row with a conditional UPDATE (ready/failed → sending), so two
  deliveries of the same task, or a task and the sweep, never both send.
* A worker killed mid-send leaves the row `sending`; after `EMAIL_OUTBOX_STUCK_SECONDS`
  the claim counts as abandoned and the row is sent again.

The guarantee is at-least-once, not exactly-once: if a worker dies after the provider
(or SMTP server) accepted the message but before the row is marked `sent`, the message
goes out a second time once the claim is abandoned. No protocol can close that gap
between two systems without a shared transaction; we narrow it (the update follows the
send at once; the Message-ID is stable per row so mailboxes that de-duplicate on it show
one copy) and prefer a rare duplicate to a lost withdrawal receipt (W4).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import smtplib
from typing import Any, Protocol

import requests
from anymail.exceptions import (
    AnymailAPIError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
)
from celery import Celery
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Model, Q
from django.utils import timezone
from kombu import Producer
from kombu import pools as kombu_pools
from kombu.exceptions import LimitExceeded
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import RedisError

from notifications.kinds import Superseded
from notifications.models import BouncedAddress, Email, EmailStatus
from notifications.rendering import email_message_build

logger = logging.getLogger(__name__)

# After this many attempts a failed e-mail stays failed for staff to look at.
MAX_ATTEMPTS = 10
# A `ready` row younger than this is still on its way through the broker.
READY_GRACE = dt.timedelta(minutes=1)
# A row the sweep re-published is left alone this long before it is published again, so
# a backlog in the queue is not multiplied every minute.
REQUEUE_AFTER = dt.timedelta(minutes=10)
SWEEP_BATCH = 500
# The sweep (on a worker) publishes through the app's producers: the workers' broker timeouts.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
# Publishing after a commit must not hold up the customer's request when the broker does
# not answer: a hung Redis accepts the TCP connection and then never replies, so only a
# socket timeout ends the wait. The request's publish has its own connections with short
# timeouts and one immediate retry: at most three waits of this many seconds (a send, a
# reconnect, a send), about a second in all; then the row stays `ready` for the sweep.
REQUEST_PUBLISH_TIMEOUT = 0.3
REQUEST_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}
BROKER_ERRORS = (BrokerOperationalError, RedisError, OSError)


class TransientEmailError(Exception):
    """Sending failed in a way that may pass (network, provider API); retry later."""


def _stuck_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.EMAIL_OUTBOX_STUCK_SECONDS)


def _is_transient(exc: Exception) -> bool:
    if isinstance(
        exc, AnymailRecipientsRefused | AnymailInvalidAddress | smtplib.SMTPRecipientsRefused
    ):
        return False  # the address itself is refused: trying again changes nothing
    # OSError covers socket errors, timeouts and every smtplib error.
    return isinstance(
        exc, OSError | AnymailAPIError | requests.RequestException | SoftTimeLimitExceeded
    )


def _retry_delay(attempts: int) -> dt.timedelta:
    """When the sweep may retry a failed row: after Celery's own retries had their turn."""
    return dt.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def _request_producer(app: Celery) -> contextlib.AbstractContextManager[Producer | None]:
    """A producer whose broker connection gives up after REQUEST_PUBLISH_TIMEOUT.

    Pooled per broker URL and timeouts (kombu's pools key connections on both and close
    them after a fork). None in eager mode: nothing is published then.
    """
    if app.conf.task_always_eager:
        return contextlib.nullcontext()
    connection = app.connection_for_write(
        connect_timeout=REQUEST_PUBLISH_TIMEOUT,
        transport_options={
            "socket_timeout": REQUEST_PUBLISH_TIMEOUT,
            "socket_connect_timeout": REQUEST_PUBLISH_TIMEOUT,
            # Also bounds (re)connecting; kombu copies a publish's retry policy into the
            # connection's options anyway, so setting it here keeps the pool's key stable.
            **REQUEST_PUBLISH_RETRY_POLICY,
        },
    )
    producer: Producer = kombu_pools.producers[connection].acquire(
        block=True, timeout=REQUEST_PUBLISH_TIMEOUT
    )
    return producer


def _publish(email_id: int) -> None:
    """Hand the send to a worker; if the broker is unreachable or does not answer within
    about a second, the sweep does it later."""
    from notifications.tasks import send_email

    try:
        with _request_producer(send_email.app) as producer:
            send_email.apply_async(
                (email_id,), producer=producer, retry_policy=REQUEST_PUBLISH_RETRY_POLICY
            )
    except (*BROKER_ERRORS, LimitExceeded):
        logger.warning("Broker unreachable: e-mail %s stays ready for the sweep", email_id)
    except (TransientEmailError, Retry):
        # Only with CELERY_TASK_ALWAYS_EAGER (the embedded default): the send ran here,
        # failed, and the row is marked failed for a retry; the request still succeeds.
        logger.warning("E-mail %s failed to send; it is marked for a retry", email_id)


def email_queue(
    *,
    kind: str,
    dedupe_key: str,
    to: str,
    language: str,
    subject: Model | None = None,
    context: dict[str, Any] | None = None,
) -> Email | None:
    """Put an e-mail in the outbox in the caller's transaction; send it after commit.

    Return None and do nothing when `dedupe_key` was queued before: the unique
    constraint, not a prior read, decides, so two overlapping callers queue it once.
    `subject` is what the e-mail is about (a ticket): its data is read again at send time.
    """
    if Email.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's work intact
            email = Email.objects.create(
                kind=kind,
                dedupe_key=dedupe_key,
                to=to,
                language=language,
                subject=subject,
                about=str(subject)[:100] if subject is not None else "",
                context=context or {},
            )
    except IntegrityError:
        if Email.objects.filter(dedupe_key=dedupe_key).exists():
            return None  # a concurrent caller won the race
        raise
    transaction.on_commit(functools.partial(_publish, email.pk))
    return email


def _language(code: str | None) -> str:
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class Recipient(Protocol):
    """Anyone the outbox writes to in their own language: a customer."""

    email: str
    language: str


def customer_email_queue(
    *,
    customer: Recipient,
    kind: str,
    dedupe_key: str,
    subject: Model | None = None,
    context: dict[str, Any] | None = None,
) -> Email | None:
    """Queue `kind` to a customer, in their language, once per `dedupe_key`."""
    return email_queue(
        kind=kind,
        dedupe_key=dedupe_key,
        to=customer.email,
        language=_language(customer.language),
        subject=subject,
        context=context,
    )


def staff_alert_queue(
    *,
    kind: str,
    dedupe_key: str,
    role: str,
    context: dict[str, Any],
    subject: Model | None = None,
) -> list[Email]:
    """Queue `kind` to every active member of the `role` group (e.g. accountants, D4),
    once per `dedupe_key` and recipient; `subject` gives the message its number and link."""
    users = (
        get_user_model()
        .objects.filter(groups__name=role, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .distinct()
    )
    queued = []
    for user in users:
        email = email_queue(
            kind=kind,
            dedupe_key=f"{dedupe_key}:{user.pk}",
            to=user.email,
            language=settings.LANGUAGE_CODE,
            subject=subject,
            context={**context, "recipient_name": user.get_full_name() or user.get_username()},
        )
        if email is not None:
            queued.append(email)
    return queued


def _claim(email_id: int, now: dt.datetime) -> bool:
    """Take the row for sending; True only for the one caller whose UPDATE matched."""
    claimable = (
        Q(status=EmailStatus.READY)
        | Q(status=EmailStatus.FAILED, next_attempt_at__isnull=False)
        # A claim this old belongs to a worker that died mid-send.
        | Q(status=EmailStatus.SENDING, claimed_at__lt=now - _stuck_after())
    )
    return bool(
        Email.objects.filter(claimable, pk=email_id).update(
            status=EmailStatus.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            next_attempt_at=None,
        )
    )


def email_send(*, email_id: int) -> None:
    """Send one outbox row, once; raise TransientEmailError when a retry may help."""
    now = timezone.now()
    if not _claim(email_id, now):
        return  # sent already, being sent, or given up
    email = Email.objects.select_related("subject_type").get(pk=email_id)
    try:
        message = email_message_build(email)
        message.send()
    except Superseded as superseded:
        # The ticket moved on (cancelled, expired) before this authorization went out:
        # its own e-mail tells the customer; a label for it must not be sent.
        Email.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
            status=EmailStatus.FAILED,
            last_error=f"Superseded: {superseded}"[:2000],
            next_attempt_at=None,
        )
        logger.info("E-mail %s (%s) superseded: %s", email.pk, email.kind, superseded)
        return
    except Exception as exc:
        transient = _is_transient(exc)
        retry = transient and email.attempts < MAX_ATTEMPTS
        Email.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
            status=EmailStatus.FAILED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=now + _retry_delay(email.attempts) if retry else None,
        )
        if transient:
            raise TransientEmailError(f"e-mail {email.pk}: {exc}") from exc
        logger.exception("E-mail %s (%s) cannot be sent; left failed", email.pk, email.kind)
        return
    status = getattr(message, "anymail_status", None)
    message_id = getattr(status, "message_id", None)
    if isinstance(message_id, set):
        message_id = ",".join(sorted(str(part) for part in message_id))
    Email.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENT,
        sent_at=timezone.now(),
        last_error="",
        provider_message_id=str(message_id or message.extra_headers["Message-ID"])[:200],
    )


def outbox_sweep(*, now: dt.datetime | None = None) -> int:
    """Publish what the outbox still owes; return how many rows were published.

    Rows still `ready` after a minute (the broker was down at commit, or the message was
    lost), `failed` rows whose retry is due, and `sending` rows whose worker died.
    """
    from notifications.tasks import send_email

    now = now or timezone.now()
    Email.objects.filter(status=EmailStatus.SENDING, claimed_at__lt=now - _stuck_after()).update(
        status=EmailStatus.READY, claimed_at=None, queued_at=None
    )
    due = Q(
        status=EmailStatus.READY,
        created_at__lt=now - READY_GRACE,
    ) & (Q(queued_at__isnull=True) | Q(queued_at__lt=now - REQUEUE_AFTER)) | Q(
        status=EmailStatus.FAILED, next_attempt_at__lte=now
    )
    ids = list(
        Email.objects.filter(due).order_by("created_at").values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    published = []
    try:
        for email_id in ids:
            # The broker being down raises here: the sweep fails and runs next minute.
            send_email.apply_async((email_id,), retry_policy=PUBLISH_RETRY_POLICY)
            published.append(email_id)
    finally:
        # Published rows are the queue's now; they are not published again for a while.
        Email.objects.filter(pk__in=published, status=EmailStatus.READY).update(queued_at=now)
        Email.objects.filter(pk__in=published, status=EmailStatus.FAILED).update(
            next_attempt_at=now + REQUEUE_AFTER
        )
    return len(published)


def email_bounced(*, address: str, at: dt.datetime) -> None:
    """Record that mail to `address` bounces, so staff see it beside the e-mails and the
    customer (first time only: the date of the first bounce is the useful one)."""
    if not BouncedAddress.objects.filter(address__iexact=address).exists():
        BouncedAddress.objects.get_or_create(
            address=address.lower(), defaults={"first_bounced_at": at}
        )
