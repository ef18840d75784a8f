"""The outbox with real Celery workers on a Redis of our own (not eager mode).

Each test starts its own redis-server on a free port; the fault tests stop it or kill a
worker process, never the machine's shared Redis or PostgreSQL.
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from notifications.models import Email, EmailStatus
from notifications.services import email_send, outbox_sweep
from notifications.tasks import send_email
from rma.services import ticket_authorize
from tests.notifications.conftest import running_worker, submit, wait_until

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="worker flows run on PostgreSQL (make test)"
    ),
    pytest.mark.usefixtures("default_policy"),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _sent(**filters) -> bool:
    return Email.objects.filter(status=EmailStatus.SENT, **filters).exists()


def test_an_authorization_sends_exactly_one_email_with_the_label_pdf(
    celery_worker, mailoutbox, anna, support
):
    ticket = submit(anna)
    wait_until(lambda: _sent(ticket=ticket, kind="ticket_requested"))

    ticket = ticket_authorize(ticket=ticket, by=support)
    wait_until(lambda: _sent(ticket=ticket, kind="ticket_authorized"))
    email = Email.objects.get(ticket=ticket, kind="ticket_authorized")
    # A duplicated task and a sweep later on change nothing.
    send_email.delay(email.pk)
    outbox_sweep(now=timezone.now() + dt.timedelta(hours=1))
    time.sleep(0.5)

    with_label = [m for m in mailoutbox if m.attachments]
    assert len(mailoutbox) == 2  # the request's receipt and the authorization
    assert len(with_label) == 1
    [message] = with_label
    assert message.to == [anna.email]
    assert ticket.number in message.subject
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"{ticket.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    email.refresh_from_db()
    assert email.attempts == 1
    assert email.provider_message_id == message.extra_headers["Message-ID"]


def test_a_submission_with_the_broker_down_succeeds_and_mails_once_the_broker_is_back(
    transactional_db, own_broker, mailoutbox, anna
):
    own_broker.stop()

    started = time.monotonic()
    ticket = submit(anna)  # the customer's submission: must not fail, must not hang
    took = time.monotonic() - started

    assert took < 5
    email = Email.objects.get(ticket=ticket)
    assert email.status == EmailStatus.READY

    own_broker.start()
    with running_worker():
        # The minute's sweep on beat; `now` stands for "a minute or more later".
        assert outbox_sweep(now=timezone.now() + dt.timedelta(minutes=2)) == 1
        wait_until(lambda: _sent(pk=email.pk))

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [anna.email]
    assert ticket.number in mailoutbox[0].subject


def _worker_process(mail_dir: Path, broker_url: str, name: str) -> subprocess.Popen:
    """`celery -A config worker` as production runs it (prefork), in its own session."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
        "DATABASE_URL": (
            f"postgres://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "REDIS_URL": broker_url,
        "RETOUR_TEST_MAIL_DIR": str(mail_dir),
        "PYTHONPATH": str(django_settings.BASE_DIR),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            f"--hostname={name}@%h",
        ],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=(mail_dir / f".{name}.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_a_send_whose_worker_is_killed_runs_again_and_mails_once(
    transactional_db, own_broker, tmp_path, anna
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    (mail_dir / ".hang-once").touch()
    first = _worker_process(mail_dir, own_broker.url, "first")
    second = None
    try:
        ticket = submit(anna)  # published after commit to our Redis
        email = Email.objects.get(ticket=ticket)
        wait_until(
            lambda: (mail_dir / ".hanging").exists(),
            timeout=30,
            message="the first worker never started the send",
        )
        assert Email.objects.get(pk=email.pk).status == EmailStatus.SENDING

        # kill -9, main process and pool child alike: no chance to ack or clean up.
        _stop(first)
        # The dead worker's claim must look abandoned (EMAIL_OUTBOX_STUCK_SECONDS = 2 there).
        time.sleep(2.5)
        second = _worker_process(mail_dir, own_broker.url, "second")
        wait_until(lambda: _sent(pk=email.pk), timeout=30, message="never sent after the kill")
        time.sleep(1)  # room for a wrong second send to show up
    finally:
        _stop(first)
        if second is not None:
            _stop(second)

    sent_files = [path for path in mail_dir.iterdir() if path.is_file() and path.suffix == ".log"]
    sent_files = [path for path in sent_files if not path.name.startswith(".")]
    assert len(sent_files) == 1
    assert f"To: {anna.email}" in sent_files[0].read_text()
    email.refresh_from_db()
    assert email.attempts == 2  # the killed one and the one that sent
    if os.environ.get("RETOUR_SHOW_WORKER_LOGS"):
        for log in sorted(mail_dir.glob(".*.log")):
            print(log.name, log.read_text(), sep="\n")


def test_a_row_already_sent_is_not_sent_again_by_a_late_task(celery_worker, mailoutbox, anna):
    ticket = submit(anna)
    wait_until(lambda: _sent(ticket=ticket))
    email = Email.objects.get(ticket=ticket)

    email_send(email_id=email.pk)
    send_email.delay(email.pk)
    time.sleep(0.5)

    assert len(mailoutbox) == 1
