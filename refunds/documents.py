"""The credit note of a paid refund as PDF (F8, SPEC §7).

It prints what the credit note says, and nothing computed afresh: the items with their
rule ids and the VAT per rate exactly as `CreditNote.lines` and `CreditNote.vat` hold
them (copied when it was issued, `refunds.credit_notes`), so the PDF, the e-mail and the
bookkeeping export (`refunds.exports`) read the same figures forever. Around them: the
shop (name, legal address, chamber of commerce and VAT number), the customer (a
business with its VAT number), the order and its invoice date, the RMA and refund
numbers, how the money goes back (the refund's parts, F6, F7) and an F5 investigation
charge as a separate note: a charge, never netted against the credit.

In the customer's language (English or Dutch), its amounts and dates written as that
language writes them. Rendering is a worker's job (`refunds.tasks`); a process renders
every credit note with the WeasyPrint font configuration it shares with the withdrawal
form and the packing list (`withdrawals.documents.font_config`: one made per document
found the fonts again each time and leaked about 290 kB), and parses the stylesheet once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from core.periods import Sentence, long_date
from refunds.models import Channel, CreditNote, Refund
from refunds.quotes import method_label
from withdrawals.documents import font_config

# F6, F7: how a part reaches the customer.
TO_ACCOUNT = _("Bank transfer to the account ending in {last4}")
BY_BANK_TRANSFER = _("Bank transfer")
STORE_CREDIT_UNTIL = _("Store credit, valid until {day}")
STORE_CREDIT = _("Store credit")
THE_WAY_IT_WAS_PAID = _("Refunded the way it was paid")


@dataclass(frozen=True)
class Payback:
    """One part of the refund: paid with what, back how, its reference and amount."""

    method: Sentence
    how: Sentence
    reference: str
    amount: Decimal
    paid_on: date | None


@dataclass(frozen=True)
class CreditNoteLine:
    rule: str
    description: str
    line_id: str
    vat_rate: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class VatLine:
    rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


def paybacks(refund: Refund) -> list[Payback]:
    """F6: how each part of `refund` goes back to the customer, in the order of its parts."""
    rows = []
    for part in refund.parts.select_related("grant").order_by("pk"):
        how: Sentence
        if part.channel == Channel.SEPA:
            how = (
                format_lazy(TO_ACCOUNT, last4=refund.iban[-4:])
                if refund.iban
                else (BY_BANK_TRANSFER)
            )
        elif part.channel == Channel.STORE_CREDIT:
            # F7: valid for as long as its grant says (P1 partner credit: a year).
            until = part.grant.valid_until if part.grant is not None else None
            how = format_lazy(STORE_CREDIT_UNTIL, day=long_date(until)) if until else STORE_CREDIT
        else:
            how = THE_WAY_IT_WAS_PAID
        rows.append(
            Payback(
                method=method_label(part.method),
                how=how,
                reference=part.reference,
                amount=part.amount,
                paid_on=timezone.localdate(part.paid_at) if part.paid_at else None,
            )
        )
    return rows


def _lines(note: CreditNote) -> list[CreditNoteLine]:
    return [
        CreditNoteLine(
            rule=line["rule"],
            description=line["description"],
            line_id=line.get("line_id") or "",
            vat_rate=None if line.get("vat_rate") is None else Decimal(line["vat_rate"]),
            amount=Decimal(line["amount"]),
        )
        for line in note.lines
    ]


def vat_lines(note: CreditNote) -> list[VatLine]:
    """The credit note's VAT per rate as it was issued (`refunds.vat`), as numbers."""
    return [
        VatLine(
            rate=Decimal(row["rate"]),
            net=Decimal(row["net"]),
            vat=Decimal(row["vat"]),
            gross=Decimal(row["gross"]),
        )
        for row in note.vat
    ]


def _address(setting: str) -> list[str]:
    return [part.strip() for part in setting.splitlines() if part.strip()]


def credit_note_language(note: CreditNote) -> str:
    language = note.refund.ticket.order.customer.language
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def credit_note_context(note: CreditNote) -> dict:
    """Everything the credit note prints (a handful of queries: the refund, its parts)."""
    refund = note.refund
    order = refund.ticket.order
    customer = order.customer
    vat = vat_lines(note)
    return {
        "note": note,
        "number": note.number,
        "issued_on": timezone.localdate(note.issued_at),
        "shop_name": settings.SHOP_NAME,
        "shop_address": _address(settings.SHOP_LEGAL_ADDRESS),
        "shop_chamber_of_commerce": settings.SHOP_CHAMBER_OF_COMMERCE,
        "shop_vat_number": settings.SHOP_VAT_NUMBER,
        "shop_email": settings.SHOP_CONTACT_EMAIL,
        "customer": customer,
        "is_business": not customer.is_consumer,
        "order_number": order.number,
        "invoiced_on": order.invoiced_on,
        "rma_number": refund.ticket.number,
        "refund_number": refund.number,
        "lines": _lines(note),
        "vat": vat,
        "net_total": sum((row.net for row in vat), Decimal("0.00")),
        "vat_total": sum((row.vat for row in vat), Decimal("0.00")),
        "total": note.total,
        "paybacks": paybacks(refund),
        # F5: charged separately, never taken off the credit.
        "charges_total": refund.charges_total,
    }


def credit_note_html(note: CreditNote) -> str:
    """The credit note's HTML in the customer's language (its stylesheet is apart)."""
    # The lazy sentences (how it is paid back, the dates) render in the same language.
    with translation.override(credit_note_language(note)):
        return render_to_string("pdf/credit_note.html", credit_note_context(note))


_stylesheet: tuple[str, FontConfiguration, CSS] | None = None
_stylesheet_lock = threading.Lock()


def _parsed_stylesheet(fonts: FontConfiguration) -> CSS:
    """The credit note's stylesheet, parsed once per process with its fonts (again only if
    its source changed, or after a fork, when the child has fonts of its own)."""
    global _stylesheet
    source = render_to_string("pdf/credit_note.css")
    with _stylesheet_lock:
        if _stylesheet is None or _stylesheet[0] != source or _stylesheet[1] is not fonts:
            _stylesheet = (source, fonts, CSS(string=source, font_config=fonts))
        return _stylesheet[2]


def credit_note_pdf(note: CreditNote) -> bytes:
    """Render the credit note as PDF (the caller stores it: `credit_notes.credit_note_deliver`)."""
    html = credit_note_html(note)
    fonts, lock = font_config()
    stylesheet = _parsed_stylesheet(fonts)
    with lock:  # Pango's font map is not safe to share between threads: take turns
        pdf: bytes = HTML(string=html).write_pdf(stylesheets=[stylesheet], font_config=fonts)
    return pdf
