"""The `refund_paid` e-mail: the customer's credit note, attached (F8, SPEC §7).

The e-mail is about the credit note (its outbox subject), once per credit note (its
dedupe key names it), so a ticket refunded in two parts gets two e-mails, each with its
own PDF. Its templates see everything an e-mail about the ticket sees (`rma.emails`:
the RMA and order numbers, the customer's link) plus the credit note: its number, the
amount and how it is paid back. rma registers the kind for the ticket's e-mails; the
refunds app, above it, registers it again with the credit note's attachment, and its
`ready()` runs after rma's (INSTALLED_APPS order).
"""

from __future__ import annotations

from typing import Any

from notifications import kinds
from notifications.models import Email
from notifications.services import customer_email_queue
from refunds.documents import paybacks
from refunds.models import CreditNote
from rma.emails import ticket_context

KIND = "refund_paid"


def dedupe_key(note: CreditNote) -> str:
    return f"{KIND}:{note.number}"


def credit_note_email_context(note: CreditNote) -> dict[str, Any]:
    """What the e-mail about `note` shows: the ticket's context and the credit note's."""
    refund = note.refund
    return {
        **ticket_context(refund.ticket),
        "credit_note": note,
        "credit_note_number": note.number,
        "refund_number": refund.number,
        "amount": note.total,
        "paybacks": paybacks(refund),
        "charges_total": refund.charges_total,  # F5: charged apart, not netted
    }


def credit_note_attachment(subject: Any) -> list[kinds.Attachment]:
    """The credit note's stored PDF (rendered before the e-mail was queued)."""
    if not isinstance(subject, CreditNote):
        return []  # a refund_paid about a ticket (none is queued so) has nothing to attach
    if not subject.pdf:
        from refunds.credit_notes import credit_note_pdf_store

        subject = credit_note_pdf_store(credit_note_id=subject.pk)
    with subject.pdf.open("rb") as pdf:
        return [(f"{subject.number}.pdf", pdf.read(), "application/pdf")]


def refund_paid_queue(note: CreditNote) -> Email | None:
    """Queue the customer's `refund_paid` e-mail with `note`, once per credit note."""
    return customer_email_queue(
        customer=note.refund.ticket.order.customer,
        kind=KIND,
        dedupe_key=dedupe_key(note),
        subject=note,
    )


def register() -> None:
    """Tell the outbox about the credit note's e-mail (from `RefundsConfig.ready`)."""
    kinds.register_subject(CreditNote, credit_note_email_context)
    kinds.register_kind(KIND, attachments=credit_note_attachment)
