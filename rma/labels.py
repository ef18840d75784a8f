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
290 kB each and found the fonts again every time), the stylesheets parsed once, and the
parts of the A6 label that many labels share (head, return address, vendor hints,
checklist) laid out and drawn once, then drawn again on each later label that has the
same part. What a label prints is still a function of its stylesheet and HTML alone: a
kept part is keyed by its own HTML, language and stylesheet, and prints the same pixels
as a whole layout (tests/rma/test_label_static_parts.py), so the digest covers every
change. The barcode is a stroked line per bar, not a rectangle per bar. See `render_pdf`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import barcode
import pydyf
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
from weasyprint.document import Document
from weasyprint.draw import draw_stacking_context
from weasyprint.formatting_structure.boxes import BlockBox, Box
from weasyprint.pdf.stream import Stream
from weasyprint.stacking import StackingContext
from weasyprint.text.fonts import FontConfiguration, get_pango_font_key

from orders.enums import Route
from policies.reasons import Reason, goes_to_vendor, shop_pays_return
from rma.errors import TicketError
from rma.models import ReturnLabel, Ticket
from rma.selectors import ticket_under_legal_guarantee
from rma.states import LABELLED_STATES

logger = logging.getLogger(__name__)

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


# A part of the A6 label that is the same on many labels (the head, the return address, the
# packing checklist): `<!--static:NAME-->…<!--/static:NAME-->` around an element that has
# `data-static="NAME"` (templates/pdf/). See `Typesetter`.
STATIC_PART = re.compile(
    r"<!--static:(?P<name>[\w-]+)-->(?P<html>.*?)<!--/static:(?P=name)-->", re.S
)
HTML_LANG = re.compile(r'<html lang="([^"]*)"')
# Laid-out parts a process keeps (a few per language, reason and checklist variant); the
# oldest is dropped beyond this, so a worker's memory stays bounded.
STATIC_PARTS_KEPT = 256


@dataclass
class StaticPart:
    """A static part of the A6 label, laid out and drawn once, to print on later labels."""

    margins: tuple[float, float, float, float]  # used margins: top, right, bottom, left (px)
    height: float  # the height its stand-in takes (px): its border box, or all it reaches
    origin: tuple[float, float]  # the top left corner of its border box where it was drawn
    drawing: list[Any]  # the PDF operators WeasyPrint drew it with, there (px)
    # What those operators name: per Pango font, the widths and text of the glyphs drawn
    # (a PDF embeds only the glyphs its pages use), and the graphics states (opacity).
    fonts: list[tuple[Any, dict[int, int], dict[int, str]]]
    graphics_states: dict[str, Any]

    def stand_in(self, name: str) -> str:
        """An empty block that takes the part's place in the flow, exactly: its used margins
        and height (`repr`: the same floats back, so nothing after it moves a hair)."""
        top, right, bottom, left = self.margins
        return (
            f'<div data-slot="{name}" style="height: {self.height!r}px; '
            f'margin: {top!r}px {right!r}px {bottom!r}px {left!r}px"></div>'
        )

    def draw(self, stream: Stream, scale: float, at: tuple[float, float]) -> None:
        """Draw the part on a page's `stream` with its border box's corner `at` (px).

        After the rest of the page, in a saved graphics state: the operators set their
        own colours and fonts. The page's document embeds the glyphs they use."""
        with stream.stacked():
            stream.transform(a=scale, d=scale)  # CSS pixels, as `Page.paint` draws a page
            stream.transform(e=at[0] - self.origin[0], f=at[1] - self.origin[1])
            stream.stream.extend(self.drawing)
        stream._resources["ExtGState"].update(self.graphics_states)
        for pango_font, widths, text in self.fonts:
            font, _ = stream.add_font(pango_font)  # the document's, for its embedded subset
            font.widths.update(widths)
            font.to_unicode.update(text)


class _Recorder(Stream):
    """A WeasyPrint page stream that keeps what a part draws, and the Pango fonts it uses."""

    def __init__(self) -> None:
        resources = pydyf.Dictionary(
            {name: pydyf.Dictionary() for name in ("ExtGState", "XObject", "Pattern", "Shading")}
        )
        super().__init__({}, (0, 0, 0, 0), resources, {}, None, {}, None, compress=False)
        self.pango_fonts: dict[Any, Any] = {}

    def add_font(self, pango_font: Any) -> Any:
        self.pango_fonts[get_pango_font_key(pango_font)[0]] = pango_font
        return super().add_font(pango_font)


class Typesetter:
    """What every label render of a process shares: one font configuration, the parsed
    stylesheets and the laid-out static parts of the A6 label.

    WeasyPrint makes a new `FontConfiguration` for each document that is given none; each
    one loads the fonts again and leaks about 290 kB (a worker grew by 0.26 MB a label
    without end). Reused, the fonts are found once and memory stays flat. Stylesheets are
    parsed once per layout (again only if their source changes) and given with the same
    font configuration, as WeasyPrint requires.

    Layout and drawing are most of a render, and most of an A6 label is the same from one
    label to the next: the head (reason, shop), the return address, the vendor hints and
    the packing checklist (one of a few variants per language). The templates mark those
    parts (`STATIC_PART`). The first label that has a part is rendered whole, and the part
    is kept, keyed by its HTML, the language and the stylesheet: its size and margins, and
    the PDF operators WeasyPrint draws it with (`_Recorder`), with the glyphs they use. A
    later label with the same part is laid out with an empty block of the part's exact
    size in its place (`StaticPart.stand_in`), so everything else lands where a whole
    layout puts it, and the kept operators are drawn again at that block's place once the
    page is drawn (`StaticPart.draw`). The page looks the same to the pixel, but for a grey
    level at an edge where a position rounds the other way (tests/rma/
    test_label_static_parts.py); only the text's reading order differs, the static parts
    coming after the rest. What a label prints is therefore still a function of its
    stylesheet and HTML (the digest). A label that does not fit one page this way is
    rendered whole, as before (`render`). Recording a part uses WeasyPrint's drawing
    internals: should they change, nothing is kept and every label is rendered whole.

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
        self._static: OrderedDict[tuple[str, ...], StaticPart] = OrderedDict()
        self._keeps_parts = True  # False once recording a part failed (`_keep_parts`)

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
            if not one_page:
                return self._pdf(
                    HTML(string=html).render(font_config=self.font_config, stylesheets=stylesheets)
                )
            parts = self._part_keys(html, layout)
            kept = {name: self._static[key] for name, key in parts.items() if key in self._static}
            if kept:
                document = self._render_with_parts(html, kept, stylesheets)
                if document is not None:
                    self._keep_parts(document, parts, kept)
                    return self._pdf(document)
            page = HTML(string=html)
            document = page.render(font_config=self.font_config, stylesheets=stylesheets)
            if len(document.pages) > 1:
                # Too long for one A6 page: laid out again with smaller type (rare). The
                # HTML is parsed once for both layouts.
                document = page.render(
                    font_config=self.font_config, stylesheets=[*stylesheets, self.dense]
                )
            else:
                self._keep_parts(document, parts, {})
            return self._pdf(document)

    def _part_keys(self, html: str, layout: str) -> dict[str, tuple[str, ...]]:
        """The key of each static part of `html` by name: its HTML, in this language and
        with this stylesheet (the part's HTML includes its text, so its translation)."""
        lang = HTML_LANG.search(html)
        context = (layout, self._stylesheets[layout][0], lang[1] if lang else "")
        return {
            match["name"]: (*context, match["name"], match["html"])
            for match in STATIC_PART.finditer(html)
        }

    @staticmethod
    def _pdf(document: Document) -> bytes:
        pdf: bytes = document.write_pdf()
        return pdf

    def _render_with_parts(
        self, html: str, kept: dict[str, StaticPart], stylesheets: list[CSS]
    ) -> Document | None:
        """Lay out `html` with stand-ins for the `kept` parts, its page to draw the parts in
        their places; None if that is more than one page (the caller lays out the whole
        label)."""

        def stand_in(match: re.Match[str]) -> str:
            part = kept.get(match["name"])
            return part.stand_in(match["name"]) if part else match[0]

        page = HTML(string=STATIC_PART.sub(stand_in, html))
        document = page.render(font_config=self.font_config, stylesheets=stylesheets)
        if len(document.pages) != 1:
            return None
        # Where each stand-in is, then each part drawn there once the page is drawn.
        places = []
        for box in document.pages[0]._page_box.descendants():
            element = getattr(box, "element", None)
            name = element.get("data-slot") if element is not None else None
            if name is not None and isinstance(box, BlockBox):
                # Border box onto border box: the stand-in has the part's margins.
                places.append((kept[name], (box.border_box_x(), box.border_box_y())))
        paint = document.pages[0].paint

        def paint_with_parts(stream: Stream, scale: float = 1) -> None:
            paint(stream, scale)
            for part, at in places:
                part.draw(stream, scale, at)

        document.pages[0].paint = paint_with_parts
        return document

    def _keep_parts(
        self, document: Document, parts: dict[str, tuple[str, ...]], kept: dict[str, StaticPart]
    ) -> None:
        """Keep the static parts this one-page `document` laid out itself, drawn."""
        if len(document.pages) != 1 or not self._keeps_parts:
            return
        wanted = {name for name in parts if name not in kept}
        if not wanted:
            return
        page_box = document.pages[0]._page_box
        for parent in list(page_box.descendants()):
            children = [c for c in getattr(parent, "children", ()) if isinstance(c, Box)]
            for index, box in enumerate(children):
                element = getattr(box, "element", None)
                name = element.get("data-static") if element is not None else None
                if name not in wanted or not isinstance(box, BlockBox):
                    continue
                try:
                    # Only the body's last block may have floats below its box: nothing
                    # follows that they would push aside (`_static_part`).
                    part = _static_part(
                        box,
                        page_box,
                        last=index == len(children) - 1 and parent.element_tag == "body",
                    )
                except (AttributeError, KeyError, TypeError):  # another WeasyPrint inside
                    logger.exception("Label parts cannot be kept: labels are laid out whole.")
                    self._keeps_parts = False
                    return
                if part is not None:
                    self._static[parts[name]] = part
                    while len(self._static) > STATIC_PARTS_KEPT:
                        self._static.popitem(last=False)
                wanted.discard(name)


def _static_part(box: Box, page_box: Box, *, last: bool) -> StaticPart | None:
    """`box` as a `StaticPart`, or None if it cannot be printed elsewhere as it is.

    Its stand-in takes its border box's height, with its margins. Floats that reach below
    its border box (the checklist's items: a block does not grow to hold its floats) would
    then push nothing aside, so they are allowed only in the body's last block, whose
    stand-in reaches as low as the part: a label fits one page the same way. A
    part draws only text, lines and colours: no image, pattern or gradient to carry over.
    """
    top = box.border_box_y()
    bottom = top + box.border_height()
    # The lowest border box: where WeasyPrint finds that a float overflows the page (its
    # margin below may overflow). The checklist's last float is often within a pixel.
    reaches = bottom
    for descendant in box.descendants():
        if descendant is not box and isinstance(descendant, Box):
            reaches = max(reaches, descendant.border_box_y() + descendant.border_height())
    if reaches > bottom and not last:
        return None
    recorder = _Recorder()
    draw_stacking_context(recorder, StackingContext.from_box(box, page_box))
    resources = recorder._resources
    if recorder._images or any(resources[name] for name in ("XObject", "Pattern", "Shading")):
        return None
    return StaticPart(
        margins=(box.margin_top, box.margin_right, box.margin_bottom, box.margin_left),
        height=reaches - top,
        origin=(box.border_box_x(), top),
        drawing=list(recorder.stream),
        fonts=[
            (recorder.pango_fonts[key], dict(font.widths), dict(font.to_unicode))
            for key, font in recorder._fonts.items()
        ],
        graphics_states=dict(resources["ExtGState"]),
    )


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

    Each bar is a vertical line stroked as wide as the bar (butt ends: the stroke covers
    exactly the bar's rectangle), one `<path>` per bar width: WeasyPrint styles, lays out
    and draws each SVG element and parses each path command in Python, so a `<rect>` per
    bar (with its minidom-built SVG) was a third of a label's elements, and one filled
    rectangle path (five commands a bar) still a tenth of its render time.
    """
    modules = barcode.get("code128", value).build()[0]
    # Lengths in tenths of a millimetre, on a white ground that includes the quiet zones.
    module = round(BARCODE_MODULE_MM * 10)
    quiet = round(BARCODE_QUIET_ZONE_MM * 10)
    height = round(BARCODE_HEIGHT_MM * 10)
    width = 2 * quiet + module * len(modules)
    by_width: dict[int, list[str]] = {}
    start = None
    for position, bit in enumerate(f"{modules}0"):
        if bit == "1" and start is None:
            start = position
        elif bit != "1" and start is not None:
            bar = module * (position - start)  # an even number: the centre is a whole tenth
            by_width.setdefault(bar, []).append(f"M{quiet + module * start + bar // 2} 0V{height}")
            start = None
    paths = "".join(
        f'<path stroke="#000" stroke-width="{bar}" d="{"".join(lines)}"/>'
        for bar, lines in sorted(by_width.items())
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width / 10:g}mm" '
        f'height="{height / 10:g}mm" viewBox="0 0 {width} {height}">'
        f'<rect width="{width}" height="{height}" fill="#fff"/>{paths}</svg>'
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
