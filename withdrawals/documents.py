"""Render the model withdrawal form of appendix 2 of the terms as PDF (SPEC W3, §7).

The consumer may withdraw with this form, online (the withdrawal function) or with any
unambiguous statement; the form is one of the W3 channels, so it is offered for download
blank or pre-filled: the shop's name and address always, and when known the order
number, the order and delivery dates, the consumer's name and the order's lines. What is
not known stays a blank line to fill in by hand. The text follows the statutory model
(annex I(B) of Directive 2011/83/EU, appendix 2 of the shop's terms), in the customer's
language when the customer is known, else in the language active for the request.

A process renders every form with one WeasyPrint `FontConfiguration` (`font_config()`),
as the return labels do (`rma.labels.Typesetter`, which this layer may not import): one
made per document found the fonts again each time and leaked about 290 kB.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from orders.models import Customer, Order


@dataclass(frozen=True)
class FormLine:
    quantity: int
    name: str
    serials: tuple[str, ...] = ()


def model_withdrawal_form(*, order: Order | None = None, customer: Customer | None = None) -> bytes:
    """Render the model withdrawal form, pre-filled from `order` and `customer` when given."""
    if order is not None and customer is not None and order.customer_id != customer.pk:
        raise ValueError(f"order {order.number} is not the customer's")
    customer = customer or (order.customer if order is not None else None)
    language = (customer.language if customer else "") or translation.get_language()
    context = {
        "shop_address": _shop_address(),
        "shop_email": parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        "customer_name": customer.name if customer else "",
        "order_number": order.number if order else "",
        "ordered_on": timezone.localdate(order.placed_at) if order else None,
        "received_on": _received_on(order) if order else None,
        "lines": _lines(order) if order else (),
    }
    with translation.override(language):
        html = render_to_string("pdf/withdrawal_form.html", context)
    fonts, lock = font_config()
    with lock:  # Pango's font map is not safe to share between threads: take turns
        pdf: bytes = HTML(string=html).write_pdf(font_config=fonts)
    return pdf


_font_config: tuple[int, FontConfiguration, threading.Lock] | None = None
_font_config_lock = threading.Lock()


def font_config() -> tuple[FontConfiguration, threading.Lock]:
    """This process's font configuration for the form and the lock its renders share,
    made on first use (after a fork, in the child: a Celery prefork worker)."""
    global _font_config
    with _font_config_lock:
        if _font_config is None or _font_config[0] != os.getpid():
            _font_config = (os.getpid(), FontConfiguration(), threading.Lock())
        return _font_config[1], _font_config[2]


def _shop_address() -> tuple[str, ...]:
    lines = [part.strip() for part in settings.SHOP_RETURN_ADDRESS.splitlines() if part.strip()]
    if not lines or settings.SHOP_NAME not in lines[0]:
        lines.insert(0, settings.SHOP_NAME)
    return tuple(lines)


def _received_on(order: Order) -> date | None:
    # W1: for an order delivered in several shipments the period runs from the last one.
    delivered = [s.delivered_at for s in order.shipments.all() if s.delivered_at is not None]
    return timezone.localdate(max(delivered)) if delivered else None


def _lines(order: Order) -> tuple[FormLine, ...]:
    return tuple(
        FormLine(quantity=line.quantity, name=line.name, serials=tuple(line.serials))
        for line in order.lines.order_by("pk")
    )
