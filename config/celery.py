"""The Celery app: workers and beat read Django's CELERY_* settings.

It also carries one guard for a kombu bug that stopped workers for good when Redis died
mid-task (`_guard_closed_redis_channel`, docs/operations.md).
"""

import os
from typing import Any

from celery import Celery
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _guard_closed_redis_channel() -> None:
    """A Redis channel used after its connection was closed raises a connection error.

    When Redis goes away while tasks are in flight, Celery's consumer closes the dead
    connection twice (`Consumer.on_connection_error_after_connected`: `collect()`, which
    detaches the transport from the connection, then `close()`). If the first close
    stopped early, the second one restores the unacknowledged messages through a channel
    whose transport has no connection any more, and `Channel._connparams` fails with
    `AttributeError: 'NoneType' object has no attribute 'hostname'` from
    `QoS.restore_unacked`. That is no connection error, so the worker logs "Unrecoverable
    error" and exits. It is the failure of https://github.com/celery/kombu/issues/970 (and
    #582), still present in kombu 5.7.0, the latest release (Celery 5.7.0 likewise).

    Raised as a connection error it is what Celery expects of a dead broker: the close
    ignores it, the consumer reconnects and the worker lives on. The messages that were
    not restored stay in Redis's unacked set until its visibility timeout returns them to
    the queue (or were lost with Redis, and the outbox sweep publishes their rows again);
    the outbox's claim makes a send delivered twice a no-op.
    Delete this once a kombu release checks for the closed connection itself.
    """
    original = kombu_redis.Channel._connparams

    def _connparams(self: Any, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection.client is None:
            raise kombu_redis.redis.exceptions.ConnectionError(
                "The broker connection of this channel was closed."
            )
        params: dict[str, Any] = original(self, asynchronous=asynchronous)
        return params

    # setattr, not an assignment: type checkers refuse assigning to a method.
    setattr(kombu_redis.Channel, "_connparams", _connparams)  # noqa: B010


_guard_closed_redis_channel()

app = Celery("retour")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
