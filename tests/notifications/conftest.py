"""Fixtures for the outbox flows: a Redis of our own and a real Celery worker on it.

Fault tests stop and start this Redis; the machine's shared Redis (6379) and PostgreSQL
are never touched (ARCHITECTURE.md, fault tests).
"""

import contextlib
import datetime as dt
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections
from django.utils import timezone

from config.celery import app as celery_app
from orders.models import Payment, ShipmentLine
from policies.models import ReturnPolicy
from rma.services import LineRequest, ticket_create
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ShipmentFactory,
)

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, *, timeout: float = 15.0, interval: float = 0.05, message: str = ""):
    """Poll `condition` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(message or f"condition not met within {timeout} s")


class RedisServer:
    """A throw-away redis-server on a free port, without persistence."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, timeout=10, message="redis-server did not start")

    def answers(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock,
        ):
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path):
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def point_celery_at(url: str) -> None:
    """Make the (already configured) Celery app publish to and consume from `url`."""
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def own_broker(redis_server):
    """The Celery app on our own Redis for the length of the test."""
    previous = celery_app.conf.broker_url
    point_celery_at(redis_server.url)
    yield redis_server
    point_celery_at(previous)


def _close_thread_connections(**kwargs) -> None:
    # The worker runs tasks in its own thread with its own DB connection: close it, or
    # the test database cannot be flushed and dropped afterwards.
    connections.close_all()


@contextlib.contextmanager
def running_worker():
    """A real Celery worker (solo pool, in a thread of this process) on the app's broker."""
    task_postrun.connect(_close_thread_connections, weak=False)
    try:
        with start_worker(
            celery_app,
            perform_ping_check=False,
            pool="solo",
            concurrency=1,
            loglevel="WARNING",
            shutdown_timeout=10,
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(_close_thread_connections)


@pytest.fixture
def celery_worker(transactional_db, own_broker):
    with running_worker() as worker:
        yield worker


@pytest.fixture
def default_policy(db):
    """The default policy (a flush between transactional tests removes the seeded rows)."""
    policy = ReturnPolicy.objects.filter(is_default=True).first()
    if policy is None:
        policy = ReturnPolicy.from_preset("webstore4")
        policy.is_default = True
        policy.save()
    return policy


def recent_order(customer):
    """An order of one line, delivered two days ago: every reason is open for it."""
    now = timezone.now()
    order = OrderFactory(
        customer=customer,
        placed_at=now - dt.timedelta(days=5),
        invoiced_on=timezone.localdate(now) - dt.timedelta(days=5),
    )
    shipment = ShipmentFactory(
        order=order,
        shipped_at=now - dt.timedelta(days=3),
        delivered_at=now - dt.timedelta(days=2),
    )
    line = OrderLineFactory(order=order, line_id="1", quantity=1)
    ShipmentLine.objects.create(shipment=shipment, line=line, quantity=1)
    Payment.objects.create(
        order=order, method="ideal", amount=line.unit_price + order.shipping_price
    )
    return order


def submit(customer, *, reason: str = "defective", policy=None, **fields):
    """The customer files a request for the one line of a recently delivered order."""
    order = recent_order(customer)
    return ticket_create(
        order=order,
        reason=reason,
        lines=[LineRequest("1", 1)],
        by=customer.user,
        policy=policy,
        **fields,
    )
