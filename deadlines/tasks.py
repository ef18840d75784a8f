"""Celery tasks of the returns desk: thin, idempotent, calling one service each."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from deadlines.chasing import chase_deadlines


@shared_task(name="deadlines.chase_deadlines", ignore_result=True)
def chase_deadlines_task() -> dict[str, int]:
    """Chase D1–D6 now (beat runs it every 15 minutes; overlapping runs are harmless)."""
    report = chase_deadlines(now=timezone.now())
    return report.done
