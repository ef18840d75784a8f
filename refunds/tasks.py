"""Celery tasks of the refunds app: thin, take ids, call one service (credit notes, F8;
the bookkeeping's XLSX files)."""

from __future__ import annotations

from celery import shared_task

from refunds.credit_notes import credit_note_deliver, credit_notes_sweep
from refunds.export_files import export_file_build


@shared_task(
    name="refunds.deliver_credit_note",
    acks_late=True,
    ignore_result=True,
    # A storage or database hiccup passes; the sweep catches what still fails.
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def deliver_credit_note(credit_note_id: int) -> None:
    """Render and store the credit note's PDF, then queue its `refund_paid` e-mail."""
    credit_note_deliver(credit_note_id=credit_note_id)


@shared_task(name="refunds.sweep_credit_notes", acks_late=True, ignore_result=True)
def sweep_credit_notes() -> int:
    """Every few minutes (beat): deliver credit notes the broker never had."""
    return credit_notes_sweep()


@shared_task(name="refunds.build_export_file", acks_late=True, ignore_result=True)
def build_export_file(export_id: int, language: str | None = None) -> None:
    """Write a bookkeeping export's XLSX for the person who asked (once, however often
    the task is delivered)."""
    export_file_build(export_id, language=language)
