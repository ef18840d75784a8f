"""The outbox when Redis dies or hangs (issue 17, points 1 and 2).

Each test runs its own redis-server on a free port and kills (SIGKILL) or freezes
(SIGSTOP) that one; the machine's shared Redis and PostgreSQL are never touched.

* A worker survives its broker: a Redis killed while sends are in flight costs no e-mail
  and sends none twice, and the worker process lives on (no supervisor restarts it here;
  in production `restart: unless-stopped` would, docs/operations.md). The kombu bug that
  made workers exit is shown on its own, without a worker, below.
* No request waits on the broker: with Redis frozen, a submission answers within two
  seconds and the sweep sends its e-mail once Redis is back.
"""

import collections
import contextlib
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.common import ignore_errors

from notifications.models import Email, EmailStatus
from notifications.services import email_queue, outbox_sweep
from tests.notifications.conftest import running_worker, submit, wait_until

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="worker flows run on PostgreSQL (make test)"
)

# The worker process's settings: those of the killed-worker test (mail as files, a claim
# abandoned after 2 s, Redis visibility timeout 2 s) with a mail backend that takes a
# while per message, so that sends are in flight when Redis dies.
WORKER_SETTINGS = """
from tests.notifications.worker_settings import *  # noqa: F403

EMAIL_BACKEND = "broker_faults_mail.EmailBackend"
"""
WORKER_MAIL = """
import time

from django.core.mail.backends import filebased


class EmailBackend(filebased.EmailBackend):
    def send_messages(self, email_messages):
        time.sleep(0.3)
        return super().send_messages(email_messages)
"""


def _worker_process(directory: Path, mail_dir: Path, broker_url: str) -> subprocess.Popen:
    """`celery -A config worker` as docker-compose.yml runs it (prefork, gossip, mingle,
    heartbeat and remote control on), in its own session."""
    (directory / "broker_faults_settings.py").write_text(WORKER_SETTINGS)
    (directory / "broker_faults_mail.py").write_text(WORKER_MAIL)
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "broker_faults_settings",
        "DATABASE_URL": (
            f"postgres://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "REDIS_URL": broker_url,
        "RETOUR_TEST_MAIL_DIR": str(mail_dir),
        "PYTHONPATH": f"{directory}{os.pathsep}{django_settings.BASE_DIR}",
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
            "--concurrency=2",
            "--loglevel=INFO",
            "--hostname=faults@%h",
        ],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=(directory / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _message_ids(mail_dir: Path) -> collections.Counter[str]:
    """The Message-ID of every message the backend wrote, counted."""
    ids: collections.Counter[str] = collections.Counter()
    for path in mail_dir.iterdir():
        if path.is_file() and not path.name.startswith("."):
            ids.update(re.findall(r"^Message-ID: (\S+)$", path.read_text(), re.MULTILINE))
    return ids


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_policy")
@on_postgresql
def test_a_worker_whose_redis_is_killed_mid_send_lives_on_and_mails_each_once(
    own_broker, tmp_path, anna, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    worker = _worker_process(tmp_path, mail_dir, own_broker.url)
    try:
        ticket = submit(anna)  # its receipt, then eight more e-mails about it
        for n in range(8):
            email_queue(
                kind="ticket_requested",
                dedupe_key=f"broker-fault:{n}",
                to=anna.email,
                language="nl",
                subject=ticket,
            )
        emails = Email.objects.filter(ticket=ticket)
        wait_until(
            lambda: emails.filter(status=EmailStatus.SENT).exists(),
            timeout=30,
            message="the worker never sent the first e-mail",
        )

        own_broker.stop()  # kill -9 with sends in flight: the queue and the unacked go too
        unsent_at_kill = emails.exclude(status=EmailStatus.SENT).count()
        time.sleep(1)
        own_broker.start()  # empty: what was queued is lost with it

        # Beat's minute sweep, a few times, as if minutes passed: it publishes the rows the
        # broker lost; rows already sent or being sent are not published again.
        def all_sent() -> bool:
            outbox_sweep(now=timezone.now() + dt.timedelta(minutes=2))
            return not emails.exclude(status=EmailStatus.SENT).exists()

        wait_until(all_sent, timeout=30, interval=1, message="not every e-mail was sent")
        time.sleep(1)  # room for a wrong second send to show up
        alive = worker.poll() is None
    finally:
        _stop(worker)
    log = (tmp_path / "worker.log").read_text()

    assert unsent_at_kill > 0
    assert alive, f"the worker exited:\n{log[-3000:]}"
    assert "Unrecoverable error" not in log
    assert "Connection to broker lost" in log  # it did lose Redis, and reconnected
    sent = _message_ids(mail_dir)
    assert sorted(sent) == sorted(emails.values_list("provider_message_id", flat=True))
    assert set(sent.values()) == {1}  # nine e-mails, nine messages, none twice


def test_closing_a_dead_redis_connection_with_unacked_messages_is_a_connection_error(
    redis_server,
):
    """kombu 5.7.0 without config/celery.py's guard: AttributeError ('hostname'), and the
    worker exits ("Unrecoverable error"); see `_guard_closed_redis_channel`."""
    broker = Connection(redis_server.url)
    delivered = []
    # Two channels, each with a message delivered but not acknowledged (tasks in flight)
    # and a BRPOP outstanding, as a worker's are.
    channels = [broker.default_channel, broker.channel()]
    for n, channel in enumerate(channels):
        queue = Queue(f"q{n}", Exchange(f"q{n}", type="direct"), f"q{n}")
        Producer(channel).publish(
            {"n": n}, exchange=queue.exchange, routing_key=f"q{n}", declare=[queue]
        )
        Consumer(
            channel,
            [queue],
            callbacks=[lambda body, message: delivered.append(message)],
            accept=["json"],
        ).consume()
    while len(delivered) < 2:
        broker.drain_events(timeout=5)
    with pytest.raises(socket.timeout):
        broker.drain_events(timeout=0.1)

    redis_server.stop()
    # What Celery's consumer does when the broker is lost (on_connection_error_after_
    # connected): collect the connection, then close it ignoring connection errors.
    with contextlib.suppress(Exception):
        broker.collect()
    ignore_errors(broker, broker.close)  # raised AttributeError without the guard

    # A channel whose close stopped early would try its restore again at exit: not here.
    for channel in channels:
        ignore_errors(broker, channel.close)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_policy")
@on_postgresql
def test_a_submission_with_the_broker_hung_answers_within_two_seconds(
    own_broker, mailoutbox, anna, bram, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    submit(bram)  # publishes once: the request's producer keeps a connection open
    redis = own_broker.process
    assert redis is not None
    os.kill(redis.pid, signal.SIGSTOP)  # accepts connections, never answers
    try:
        started = time.monotonic()
        ticket = submit(anna)  # the customer's submission, published after commit
        took = time.monotonic() - started
        email = Email.objects.get(ticket=ticket)
        status = email.status
    finally:
        os.kill(redis.pid, signal.SIGCONT)

    assert took < 2, f"the submission waited {took:.1f} s on a hung broker"
    assert status == EmailStatus.READY
    with running_worker():
        # The minute's sweep on beat; `now` stands for "a minute or more later".
        outbox_sweep(now=timezone.now() + dt.timedelta(minutes=2))
        wait_until(lambda: Email.objects.filter(pk=email.pk, status=EmailStatus.SENT).exists())
        time.sleep(0.5)  # room for a wrong second send to show up

    to_anna = [message for message in mailoutbox if message.to == [anna.email]]
    assert len(to_anna) == 1
    assert ticket.number in to_anna[0].subject
