"""Celery tasks of the tickets: thin, calling one service each."""

from __future__ import annotations

from celery import shared_task

from rma.services.overdue import policy_overdue_refresh


@shared_task(name="rma.refresh_overdue", ignore_result=True)
def refresh_overdue_task(policy_pk: int) -> int:
    """A policy's numbers changed: its tickets' deadlines move (`Ticket.overdue_from`)."""
    return policy_overdue_refresh(policy_pk)
