"""F8: the credit note of a paid refund, numbered without gaps per year.

Issued in the transaction that marks the refund paid: its number comes from a
row-locked counter (django-sequences) in that same transaction, so a rolled-back payment
leaves no hole and two accountants paying at once never share a number. What it says is
copied from the refund's items when it is issued and never changes afterwards.

Its PDF and the customer's `refund_paid` e-mail are a worker's job: issuing queues
`refunds.tasks.deliver_credit_note` once the payment is committed, which renders the PDF,
stores it (the one change a credit note allows) and queues the e-mail with it attached,
in one transaction on the credit note's locked row, so a task that runs twice renders
once and queues one e-mail. Should the broker be down when the refund is paid, the
sweep (beat, every few minutes) delivers what was left behind.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from sequences import get_next_value

from core.money import format_amount
from notifications.models import Email
from refunds.models import CreditNote, Refund
from refunds.vat import vat_per_rate

logger = logging.getLogger(__name__)

# A credit note issued longer ago than this without its PDF was missed by the worker
# (the broker was down at the payment's commit): the sweep delivers it.
DELIVERY_GRACE = dt.timedelta(minutes=5)
SWEEP_BATCH = 500


def credit_note_number(year: int) -> str:
    return f"CN-{year}-{get_next_value(f'credit-note-{year}'):05d}"


def credit_note_issue(refund: Refund) -> CreditNote:
    """Issue the paid refund's credit note (the caller's transaction holds the refund)."""
    items = list(refund.items.order_by("position"))
    issued_at = timezone.now()
    note = CreditNote.objects.create(
        number=credit_note_number(timezone.localdate(issued_at).year),
        refund=refund,
        issued_at=issued_at,
        total=refund.total,
        lines=[
            {
                "rule": item.rule,
                "description": item.description,
                "line_id": item.line_id,
                "vat_rate": None if item.vat_rate is None else format_amount(item.vat_rate),
                "amount": format_amount(item.amount),
            }
            for item in items
        ],
        vat=[row.as_dict() for row in vat_per_rate((i.vat_rate, i.amount) for i in items)],
    )
    # Only a committed payment has a credit note to render and e-mail.
    transaction.on_commit(functools.partial(_publish, note.pk))
    return note


# After the broker refused a task, this process leaves the next ones to the sweep for a
# while: a SEPA batch settles thousands of refunds at once, and each publish would wait
# for the broker's timeout.
PUBLISH_PAUSE_SECONDS = 60.0
_publish_paused_until = 0.0


def _publish(note_id: int) -> None:
    """Hand the credit note to a worker. The payment is committed whatever happens here: if
    the broker cannot take the task, the sweep delivers the credit note later."""
    global _publish_paused_until
    from refunds.tasks import deliver_credit_note

    if time.monotonic() < _publish_paused_until:
        return
    try:
        deliver_credit_note.apply_async((note_id,), retry=False)
    except Exception:  # broker down, or (eager mode) a failed render: swept later
        _publish_paused_until = time.monotonic() + PUBLISH_PAUSE_SECONDS
        logger.exception("Credit note %s not handed to a worker; the sweep delivers it", note_id)


def credit_note_pdf_store(*, credit_note_id: int) -> CreditNote:
    """Render and store the credit note's PDF unless it has one; return the note as stored.

    The row is locked while rendering, so two workers never render it twice at once."""
    with transaction.atomic():
        note = CreditNote.objects.select_for_update().get(pk=credit_note_id)
        if not note.pdf:
            from refunds.documents import credit_note_pdf

            pdf = credit_note_pdf(note)
            note.pdf.save(f"{note.number}.pdf", ContentFile(pdf), save=False)
            note.save(update_fields=["pdf"])  # the one change an issued credit note allows
    return note


def credit_note_deliver(*, credit_note_id: int) -> Email | None:
    """Store the credit note's PDF and queue the customer's `refund_paid` e-mail with it.

    Idempotent: the PDF is rendered once, the e-mail queued once (its dedupe key names the
    credit note). Returns the e-mail queued now, None if it was queued before."""
    from refunds.emails import refund_paid_queue

    with transaction.atomic():
        credit_note_pdf_store(credit_note_id=credit_note_id)
        note = CreditNote.objects.select_related("refund__ticket__order__customer").get(
            pk=credit_note_id
        )
        return refund_paid_queue(note)


def credit_notes_sweep(*, now: dt.datetime | None = None) -> int:
    """Deliver the credit notes a worker never got (issued a while ago, still without a
    PDF); return how many were handed over."""
    from refunds.tasks import deliver_credit_note

    now = now or timezone.now()
    ids = list(
        CreditNote.objects.filter(pdf="", issued_at__lt=now - DELIVERY_GRACE)
        .order_by("issued_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for note_id in ids:
        deliver_credit_note.delay(note_id)
    return len(ids)
