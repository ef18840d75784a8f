"""Celery tasks of the back office: thin, calling one function each."""

from __future__ import annotations

from celery import shared_task

from backoffice.dashboard import PERIODS, cached_figures


@shared_task(name="backoffice.refresh_dashboard", ignore_result=True)
def refresh_dashboard() -> None:
    """Compute the dashboard of every period ahead of staff, so that no page view waits
    for it: at a million tickets a fresh computation takes one to two seconds. Beat runs
    it more often than the figures expire (`dashboard.CACHE_SECONDS`); without a worker
    (the embedded default) the first view after they expire computes them."""
    for period in PERIODS:
        cached_figures(period, fresh=True)
