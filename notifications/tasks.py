"""Celery tasks of the outbox: thin, take ids, call one service.

Delivery is at-least-once (see notifications/services.py): `acks_late` keeps the message
in the broker until the task finished, and `reject_on_worker_lost` (settings) puts it
back when the worker process dies mid-task, so a killed send runs again. The row's claim
makes a redelivered or duplicated task a no-op once the e-mail is sent.
"""

from celery import shared_task

from notifications.services import TransientEmailError, email_send, outbox_sweep


@shared_task(
    acks_late=True,
    autoretry_for=(TransientEmailError,),
    retry_backoff=5,  # 5 s, 10 s, 20 s … capped below, with full jitter
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
    # A send that hangs longer than this is killed, well before the outbox considers
    # its claim abandoned (EMAIL_OUTBOX_STUCK_SECONDS, 10 minutes by default).
    soft_time_limit=120,
    time_limit=150,
)
def send_email(email_id: int) -> None:
    email_send(email_id=email_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_outbox() -> int:
    """Every minute (beat): publish e-mails the broker never got or that are due a retry."""
    return outbox_sweep()
