"""The Celery app: workers and beat read Django's CELERY_* settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("retour")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
