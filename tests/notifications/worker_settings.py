"""Settings of the separate `celery worker` process started by the killed-worker test.

The production settings, with: mail written as files into the test's directory through
a backend that can be told to hang once mid-send, a claim counted as abandoned after two
seconds instead of ten minutes, and a Redis visibility timeout of two seconds so a new
worker takes over a dead worker's unacknowledged message at once.
"""

import os

from config.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.notifications.hanging_mail.EmailBackend"
EMAIL_FILE_PATH = os.environ["RETOUR_TEST_MAIL_DIR"]
MEDIA_ROOT = os.environ["RETOUR_TEST_MAIL_DIR"] + "/media"
EMAIL_OUTBOX_STUCK_SECONDS = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
