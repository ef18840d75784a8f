"""The A6 label lays out and draws its static parts (head, return address, vendor hints,
checklist) once per process and draws them again on later labels (`rma.labels.
Typesetter`): those labels must look exactly like a whole layout of the same HTML."""

import dataclasses
import re

import barcode
import pypdfium2
import pytest
import weasyprint
from PIL import ImageChops
from weasyprint import HTML

from rma import labels
from rma.labels import LabelContent, LabelLine, VendorHint, label_html, render_pdf, typesetter
from tests.rma.test_label_render_reuse import long_withdrawal
from tests.rma.test_labels import A6, assert_code128_of, assert_size, pdf_text

DEFECT = LabelContent(
    number="RMA-2026-000123",
    order_number="WS-100234",
    customer_name="Anna de Vries",
    language="nl",
    reason="defective",
    shop_name="WebStore4",
    return_address=("WebStore4 Returns", "Retourweg 4", "1234 AB Amsterdam", "Netherlands"),
    lines=(
        LabelLine(2, "Grandstream GRP2614 IP phone", ("GS2614A001", "GS2614A002")),
        LabelLine(1, "Hikvision 8-channel NVR", ("HKNVR8A0001",)),
    ),
    login_devices=("Grandstream GRP2614 IP phone",),
    vendor_hints=(
        VendorHint("Grandstream", "vendor_validation_first"),
        VendorHint("Hikvision", "via_shop"),
    ),
    vendor_ticket_number="GS-55123",
)
# Other numbers, languages, checklists and facts: the parts are kept per variant.
CONTENTS = [
    DEFECT,
    dataclasses.replace(DEFECT, number="RMA-2026-000124", customer_name="Eve Evans"),
    dataclasses.replace(
        DEFECT, number="RMA-2026-000125", language="en", reason="withdrawal", vendor_hints=()
    ),
    dataclasses.replace(
        DEFECT,
        number="RMA-2026-000126",
        reason="delivery_error",
        customer_name="Bartholomew Featherstonehaugh-Montgomery",
        lines=DEFECT.lines[:1],
        login_devices=(),
        vendor_hints=(),
        vendor_rma_number="HV-RMA-9",
    ),
    # The checklist's last float ends within a pixel of the page's bottom margin: it fits,
    # with kept parts as when laid out whole.
    dataclasses.replace(
        DEFECT,
        number="RMA-2026-000127",
        customer_name="Klant 5 van Dijk-Ševčík",
        lines=(LabelLine(3, "Grandstream GRP2605 IP phone", ("GS00000005",)), *DEFECT.lines[1:]),
        login_devices=DEFECT.login_devices * 2,
    ),
]


@pytest.fixture
def fresh_typesetter(monkeypatch):
    """A process's first label: no static part kept yet."""
    monkeypatch.setattr(labels, "_typesetter", None)
    return typesetter()


def spy_on_pages(monkeypatch) -> list[str]:
    """Record the HTML of each page WeasyPrint lays out for a label."""
    pages: list[str] = []

    class SpiedHTML(weasyprint.HTML):
        def __init__(self, *args, string, **kwargs):
            pages.append(string)
            super().__init__(*args, string=string, **kwargs)

    monkeypatch.setattr(labels, "HTML", SpiedHTML)
    return pages


def whole(html: str) -> bytes:
    """The label laid out in one piece, as WeasyPrint prints its HTML and stylesheet."""
    shared = typesetter()
    document = HTML(string=html).render(
        font_config=shared.font_config, stylesheets=[shared.stylesheet("a6")]
    )
    return document.write_pdf()


def assert_looks_the_same(data: bytes, reference: bytes) -> None:
    """The same pages at 200 dpi, pixel for pixel: a part drawn at another place may differ
    by a rounding in its position, so by one grey level at an anti-aliased edge."""
    first, second = pypdfium2.PdfDocument(data), pypdfium2.PdfDocument(reference)
    assert len(first) == len(second)
    for one, other in zip(first, second, strict=True):
        images = [page.render(scale=200 / 72).to_pil().convert("L") for page in (one, other)]
        assert images[0].size == images[1].size
        assert ImageChops.difference(*images).getextrema()[1] <= 1


def test_a_label_with_kept_parts_looks_like_its_whole_layout(fresh_typesetter, monkeypatch):
    pages = spy_on_pages(monkeypatch)
    for _ in range(2):  # the first time lays the parts out, the second reuses them
        for content in CONTENTS:
            html = label_html(content, layout="a6")

            data = render_pdf(html, layout="a6", one_page=True)

            reference = whole(html)
            assert_looks_the_same(data, reference)
            # The same words; the static parts' come last in the PDF's reading order.
            assert sorted(pdf_text(data).split()) == sorted(pdf_text(reference).split())
            assert_size(data, A6)
            assert_code128_of(data, content.number)
    # The second time round, each label was laid out once, with stand-ins.
    assert all('data-slot="' in page for page in pages[len(CONTENTS) :])
    assert len(pages) == 2 * len(CONTENTS)


def test_the_second_label_lays_out_only_what_differs(fresh_typesetter, monkeypatch):
    pages = spy_on_pages(monkeypatch)
    second = dataclasses.replace(DEFECT, number="RMA-2026-000777", customer_name="Eve Evans")

    render_pdf(label_html(DEFECT, layout="a6"), layout="a6", one_page=True)
    data = render_pdf(label_html(second, layout="a6"), layout="a6", one_page=True)

    first_page, second_page = pages
    for static in ("Retourweg 4", "BUITENVERPAKKING", "Grandstream heeft het defect bevestigd"):
        assert static in first_page
        assert static not in second_page  # a stand-in of the same size instead
        assert static in pdf_text(data)  # and printed all the same
    assert second_page.count('data-slot="') == 5  # head, address, two hints, checklist
    assert "Eve Evans" in second_page
    assert "RMA-2026-000777" in second_page


def test_a_label_that_no_longer_fits_with_kept_parts_is_laid_out_whole_then_denser(
    fresh_typesetter, monkeypatch
):
    long = long_withdrawal()
    render_pdf(
        label_html(dataclasses.replace(long, lines=long.lines[:1]), layout="a6"),
        layout="a6",
        one_page=True,
    )  # keeps the withdrawal's parts
    pages = spy_on_pages(monkeypatch)

    data = render_pdf(label_html(long, layout="a6"), layout="a6", one_page=True)

    assert len(pages) == 2  # with the kept parts: two pages; then whole (and denser)
    assert 'data-slot="' in pages[0] and 'data-slot="' not in pages[1]
    assert_size(data, A6)
    assert_code128_of(data, "RMA-2026-000777")
    assert "line 3" in pdf_text(data)


def test_kept_parts_are_bounded(fresh_typesetter, monkeypatch):
    monkeypatch.setattr(labels, "STATIC_PARTS_KEPT", 3)

    for content in CONTENTS:
        render_pdf(label_html(content, layout="a6"), layout="a6", one_page=True)

    assert len(fresh_typesetter._static) == 3


def test_the_barcode_is_one_stroked_line_per_bar():
    modules = barcode.get("code128", "RMA-2026-000123").build()[0]

    svg = labels.code128_svg("RMA-2026-000123")

    # 178 modules of 0.4 mm between quiet zones of 5 mm; a path per bar width (1–4
    # modules), a vertical line per bar, stroked as wide as the bar.
    assert len(modules) == 178
    assert 'width="81.2mm" height="13mm"' in svg
    assert svg.count("<path ") == len(set(re.findall("1+", modules)))
    assert svg.count("V130") == len(re.findall("1+", modules))


def test_a_part_that_cannot_be_recorded_leaves_every_label_whole(
    fresh_typesetter, monkeypatch, caplog
):
    # Recording a part uses WeasyPrint's drawing internals: another version may differ.
    def changed(self):
        raise TypeError("Stream.__init__() missing 1 required positional argument")

    monkeypatch.setattr(labels._Recorder, "__init__", changed)
    pages = spy_on_pages(monkeypatch)

    for content in CONTENTS[:2]:
        data = render_pdf(label_html(content, layout="a6"), layout="a6", one_page=True)
        assert_code128_of(data, content.number)
        assert "BUITENVERPAKKING" in pdf_text(data)

    assert not fresh_typesetter._static
    assert not any('data-slot="' in page for page in pages)
    assert len([r for r in caplog.records if "cannot be kept" in r.getMessage()]) == 1
