"""Render the PDF return label of an authorized ticket (SPEC §7, R7–R9).

Two layouts share one content and one set of partials (`templates/pdf/`):

- **A6** (105 × 148 mm): the label itself, for a label printer or to cut from any sheet.
  This is the **stored** document (`ReturnLabel.pdf`): the e-mail attaches it and the
  portal serves it. `ticket_label()` keeps it current.
- **A4**: the same label in a dashed cut-out box, with the packing checklist in larger
  type beside it and the full contents below, for customers with an ordinary printer.
  It is cheap to render (tens of milliseconds), so `render_label_a4()` renders it on
  demand and nothing is stored.

A label is a derived document (silver's `documents/pdf.py`): its digest is the SHA-256 of
the stylesheet and the HTML that WeasyPrint would print, so it covers the ticket's data,
the customer's language and its translations, the templates and the barcode. When the
digest of the current content equals the stored one, the stored PDF is returned without
rendering.

Rendering is what a worker does all day, so a process renders every label with one
`Typesetter`: one WeasyPrint `FontConfiguration` (a new one per document leaked about
290 kB each and found the fonts again every time) and the stylesheets parsed once. The
barcode is one SVG path, not a rectangle per bar. See `render_pdf`.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass

import barcode
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from orders.enums import Route
from policies.reasons import Reason, goes_to_vendor, shop_pays_return
from rma.errors import TicketError
from rma.models import ReturnLabel, Ticket
from rma.selectors import ticket_under_legal_guarantee
from rma.states import LABELLED_STATES

# A message a person may see; the tests assert on it.
NOT_AUTHORIZED = gettext_noop(
    "Ticket {number} is {state}: a return label exists only once it is authorized."
)

NOTHING_TO_SEND = gettext_noop(
    "Ticket {number} has no return label: its goods were withdrawn before they were delivered."
)

# Code 128 for a handheld scanner: 0.4 mm modules (≥ 0.33 mm) and quiet zones of
# 12.5 modules (≥ 10) each side. 178 modules for RMA-YYYY-NNNNNN: 81 mm wide in all.
BARCODE_MODULE_MM = 0.4
BARCODE_QUIET_ZONE_MM = 5.0
BARCODE_HEIGHT_MM = 13.0

# The A6 label has room for this many lines and serials per line; more are summed up
# (the A4 sheet lists them all).
A6_MAX_LINES = 4
A6_MAX_SERIALS = 4
# When a long content still needs a second A6 page, it is laid out once more, denser
# (given after the label's own stylesheet; `!important` wins whatever the selector).
A6_DENSE_CSS = """
html { font-size: 7pt !important; }
.rma-number { font-size: 21pt !important; }
.to .address { font-size: 9.5pt !important; }
.contents .serials, .hint { font-size: 6pt !important; }
.checklist-a6 .checklist { font-size: 5.6pt !important; }
"""


class LabelRefused(TicketError):
    """No label for a ticket that is not (or no longer) authorized-or-later."""


@dataclass(frozen=True)
class LabelLine:
    quantity: int
    name: str
    serials: tuple[str, ...] = ()


@dataclass(frozen=True)
class VendorHint:
    """How the vendor's route (V1–V3) affects this return, for a warranty reason."""

    vendor: str
    route: str
    portal_url: str = ""


@dataclass(frozen=True)
class LabelContent:
    """Everything printed on a label, as plain values (no ORM: the benchmark builds one)."""

    number: str
    order_number: str
    customer_name: str
    language: str
    reason: str
    shop_name: str
    return_address: tuple[str, ...]
    lines: tuple[LabelLine, ...]
    # R8: names of the returned devices that hold user credentials.
    login_devices: tuple[str, ...] = ()
    vendor_hints: tuple[VendorHint, ...] = ()
    vendor_ticket_number: str = ""
    vendor_rma_number: str = ""
    # R14: a consumer's defect under the legal guarantee travels at the shop's cost.
    under_legal_guarantee: bool = False

    @property
    def reason_label(self) -> str | Promise:  # lazy: rendered in the label's language
        return Reason(self.reason).label

    @property
    def shop_pays_return(self) -> bool:
        return shop_pays_return(self.reason, under_legal_guarantee=self.under_legal_guarantee)

    @property
    def is_withdrawal(self) -> bool:
        return self.reason == Reason.WITHDRAWAL


def ticket_label(ticket: Ticket) -> ReturnLabel:
    """Return the ticket's stored A6 label, rendering it only if its content changed.

    Refuses (`LabelRefused`) a ticket that is not authorized-or-later. The ticket row is
    locked while comparing and rendering, so two workers never render it twice at once.
    """
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
        _ensure_labelled(locked)
        html = label_html(label_content(locked), layout="a6")
        digest = label_digest(html, layout="a6")
        label = ReturnLabel.objects.filter(ticket=locked).first()
        if label is not None and label.content_digest == digest and label.pdf:
            return label
        started = time.perf_counter()
        pdf = render_pdf(html, layout="a6", one_page=True)
        render_ms = round((time.perf_counter() - started) * 1000)
        label = label or ReturnLabel(ticket=locked)
        old_name = label.pdf.name
        label.content_digest = digest
        label.render_ms = render_ms
        # The digest in the name: a new content never overwrites a file a reader may hold.
        label.pdf.save(f"{locked.number}-{digest[:12]}.pdf", ContentFile(pdf), save=False)
        label.save()
        if old_name and old_name != label.pdf.name:
            storage = label.pdf.storage
            transaction.on_commit(lambda: storage.delete(old_name))
    return label


def render_label_a4(ticket: Ticket) -> bytes:
    """Render the A4 sheet (cut-out label, checklist beside it) on demand; nothing is stored."""
    _ensure_labelled(ticket)
    return render_pdf(label_html(label_content(ticket), layout="a4"), layout="a4")


def label_content(ticket: Ticket) -> LabelContent:
    """Collect what a ticket's label prints, from the ticket, its order and lines."""
    order = ticket.order
    ticket_lines = ticket.lines.select_related("order_line__product__vendor").order_by(
        "order_line__line_id", "pk"
    )
    lines, login_devices, hints = [], [], {}
    for line in ticket_lines:
        if not line.to_send_back:
            continue  # W1: withdrawn before delivery, it does not travel
        product = line.order_line.product
        lines.append(
            LabelLine(
                quantity=line.to_send_back, name=line.order_line.name, serials=tuple(line.serials)
            )
        )
        if product.has_login:
            login_devices.append(line.order_line.name)
        vendor = product.vendor
        if goes_to_vendor(ticket.reason):
            hints[vendor.pk] = VendorHint(
                vendor=vendor.name, route=vendor.route, portal_url=vendor.rma_portal_url
            )
    return LabelContent(
        number=ticket.number,
        order_number=order.number,
        customer_name=order.customer.name,
        language=order.customer.language or settings.LANGUAGE_CODE,
        reason=ticket.reason,
        shop_name=settings.SHOP_NAME,
        return_address=tuple(
            part.strip() for part in settings.SHOP_RETURN_ADDRESS.splitlines() if part.strip()
        ),
        lines=tuple(lines),
        login_devices=tuple(login_devices),
        vendor_hints=tuple(hints.values()),
        vendor_ticket_number=ticket.vendor_ticket_number,
        vendor_rma_number=ticket.vendor_rma_number,
        under_legal_guarantee=goes_to_vendor(ticket.reason)
        and ticket_under_legal_guarantee(ticket),
    )


def label_html(content: LabelContent, *, layout: str) -> str:
    """The label's HTML in the customer's language; `layout` is "a6" or "a4".

    Its stylesheet is apart (`label_stylesheet`): `render_pdf` gives WeasyPrint both."""
    _check_layout(layout)
    a6_lines = [
        LabelLine(
            quantity=line.quantity,
            name=line.name,
            serials=line.serials[:A6_MAX_SERIALS]
            + (
                (f"+{len(line.serials) - A6_MAX_SERIALS}",)
                if len(line.serials) > A6_MAX_SERIALS
                else ()
            ),
        )
        for line in content.lines[:A6_MAX_LINES]
    ]
    with translation.override(content.language):
        return render_to_string(
            f"pdf/label_{layout}.html",
            {
                "label": content,
                "barcode_svg": code128_svg(content.number),
                "a6_lines": a6_lines,
                "a6_more_lines": len(content.lines) - len(a6_lines),
                "route": Route,
            },
        )


def label_stylesheet(layout: str) -> str:
    """The CSS of a label layout (`templates/pdf/label_<layout>.css`), the same in every
    language."""
    _check_layout(layout)
    return render_to_string(f"pdf/label_{layout}.css")


def label_digest(html: str, *, layout: str) -> str:
    """The SHA-256 of what WeasyPrint prints for a label: its stylesheet and its HTML."""
    return hashlib.sha256(f"{label_stylesheet(layout)}\n{html}".encode()).hexdigest()


class Typesetter:
    """What every label render of a process shares: one font configuration and the parsed
    stylesheets.

    WeasyPrint makes a new `FontConfiguration` for each document that is given none; each
    one loads the fonts again and leaks about 290 kB (a worker grew by 0.26 MB a label
    without end). Reused, the fonts are found once and memory stays flat. Stylesheets are
    parsed once per layout (again only if their source changes) and given with the same
    font configuration, as WeasyPrint requires. The HTML is parsed once per label, even
    when the A6 label is laid out twice.

    WeasyPrint's own options stay at their defaults, which already suit a label: no
    presentational hints to match (`presentational_hints=False`), no raster images to
    optimize (`optimize_images` does nothing here), fonts subset (small PDFs) with
    HarfBuzz, which costs a millisecond or two; fontTools, WeasyPrint's fallback when
    libharfbuzz-subset is missing (the README's system libraries), costs some 200 ms a
    label, more than all the rest.

    Pango's font map is not safe to share between threads, so renders take turns (`lock`);
    a forked child (a Celery prefork worker) makes its own (`typesetter()`).
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.font_config = FontConfiguration()
        self.lock = threading.Lock()
        self.dense = CSS(string=A6_DENSE_CSS, font_config=self.font_config)
        self._stylesheets: dict[str, tuple[str, CSS]] = {}

    def stylesheet(self, layout: str) -> CSS:
        """The parsed stylesheet of `layout`, parsed again only if its source changed."""
        source = label_stylesheet(layout)
        known = self._stylesheets.get(layout)
        if known is None or known[0] != source:
            known = (source, CSS(string=source, font_config=self.font_config))
            self._stylesheets[layout] = known
        return known[1]

    def render(self, html: str, *, layout: str, one_page: bool = False) -> bytes:
        with self.lock:
            stylesheets = [self.stylesheet(layout)]
            page = HTML(string=html)
            document = page.render(font_config=self.font_config, stylesheets=stylesheets)
            if one_page and len(document.pages) > 1:
                document = page.render(
                    font_config=self.font_config, stylesheets=[*stylesheets, self.dense]
                )
            pdf: bytes = document.write_pdf()
        return pdf


_typesetter: Typesetter | None = None
_typesetter_lock = threading.Lock()


def typesetter() -> Typesetter:
    """This process's `Typesetter`, made on first use (after a fork: in the child)."""
    global _typesetter
    current = _typesetter
    if current is None or current.pid != os.getpid():
        with _typesetter_lock:
            current = _typesetter
            if current is None or current.pid != os.getpid():
                current = _typesetter = Typesetter()
    return current


def render_pdf(html: str, *, layout: str, one_page: bool = False) -> bytes:
    """Print a label's HTML with its layout's stylesheet to PDF (no external resources:
    fonts come from the system), with this process's `Typesetter`.

    `one_page`: the A6 label is one sheet; if the content needs more, lay it out again
    with smaller type (rare: long product names, many lines and a withdrawal's checklist).
    """
    return typesetter().render(html, layout=layout, one_page=one_page)


def code128_svg(value: str) -> SafeString:
    """The Code 128 barcode of `value` as inline SVG, bars only (the value is printed large).

    One `<path>` with a rectangle per bar, drawn from python-barcode's modules: WeasyPrint
    styles, lays out and draws each SVG element, and a `<rect>` per bar (with its
    minidom-built SVG) was a third of a label's elements.
    """
    modules = barcode.get("code128", value).build()[0]
    # Lengths in tenths of a millimetre, on a white ground that includes the quiet zones.
    module = round(BARCODE_MODULE_MM * 10)
    quiet = round(BARCODE_QUIET_ZONE_MM * 10)
    height = round(BARCODE_HEIGHT_MM * 10)
    width = 2 * quiet + module * len(modules)
    bars = []
    start = None
    for position, bit in enumerate(f"{modules}0"):
        if bit == "1" and start is None:
            start = position
        elif bit != "1" and start is not None:
            bar = module * (position - start)
            bars.append(f"M{quiet + module * start} 0h{bar}v{height}h-{bar}z")
            start = None
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width / 10:g}mm" '
        f'height="{height / 10:g}mm" viewBox="0 0 {width} {height}">'
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(bars)}"/></svg>'
    )
    return mark_safe(svg)  # noqa: S308 - generated here from python-barcode's modules


def _check_layout(layout: str) -> None:
    if layout not in ("a6", "a4"):
        raise ValueError(f"unknown label layout {layout!r}")


def _ensure_labelled(ticket: Ticket) -> None:
    if not ticket.goods_to_return:
        raise LabelRefused(_(NOTHING_TO_SEND).format(number=ticket.number))
    if ticket.state not in LABELLED_STATES:
        raise LabelRefused(
            _(NOT_AUTHORIZED).format(number=ticket.number, state=ticket.get_state_display())
        )
