"""A process renders every label with one font configuration and the stylesheets parsed
once (`rma.labels.Typesetter`), and the PDFs still read back the same."""

import weasyprint
from weasyprint import CSS
from weasyprint.text.fonts import FontConfiguration

from rma import labels
from rma.labels import (
    LabelContent,
    LabelLine,
    label_html,
    render_label_a4,
    render_pdf,
    ticket_label,
    typesetter,
)
from rma.models import ReturnLabel
from tests.rma.test_labels import (
    A4,
    A6,
    assert_code128_of,
    assert_size,
    authorized_ticket,
    media_root,  # noqa: F401 - the autouse fixture: labels are written under tmp_path
    pdf_text,
)


def spy_on_renders(monkeypatch) -> list[dict]:
    """Record what each WeasyPrint render of a label is given."""
    renders: list[dict] = []

    class SpiedHTML(weasyprint.HTML):
        def render(self, *args, **kwargs):
            renders.append(kwargs)
            return super().render(*args, **kwargs)

    monkeypatch.setattr(labels, "HTML", SpiedHTML)
    return renders


def test_two_labels_share_one_font_configuration_and_parsed_stylesheet(
    anna, eve, support, monkeypatch
):
    renders = spy_on_renders(monkeypatch)
    first_ticket, second_ticket = authorized_ticket(anna, support), authorized_ticket(eve, support)

    first = ticket_label(first_ticket).pdf.read()
    second = ticket_label(second_ticket).pdf.read()

    assert len(renders) == 2
    shared = typesetter()
    assert isinstance(shared.font_config, FontConfiguration)
    assert renders[0]["font_config"] is renders[1]["font_config"] is shared.font_config
    [sheet] = renders[0]["stylesheets"]
    assert isinstance(sheet, CSS)
    assert renders[1]["stylesheets"] == [sheet]  # the same object, parsed once
    assert sheet is shared.stylesheet("a6")
    # Still the same labels: text, page size and barcode, each its own.
    for ticket, data, words in (
        (first_ticket, first, ("Anna de Vries", "BUITENVERPAKKING")),
        (second_ticket, second, ("Eve Evans", "OUTER packaging")),
    ):
        text = pdf_text(data)
        assert ticket.number in text
        assert "2 × Grandstream GRP2614 IP phone" in text
        assert "GS2614A001, GS2614A002" in text
        for word in words:
            assert word in text
        assert_size(data, A6)
        assert_code128_of(data, ticket.number)


def test_the_a4_sheet_uses_the_same_font_configuration_and_its_own_stylesheet(
    anna, support, monkeypatch
):
    renders = spy_on_renders(monkeypatch)
    ticket = authorized_ticket(anna, support)

    a6 = ticket_label(ticket).pdf.read()
    a4 = render_label_a4(ticket)

    assert renders[0]["font_config"] is renders[1]["font_config"]
    assert renders[1]["stylesheets"] == [typesetter().stylesheet("a4")]
    assert renders[1]["stylesheets"] != renders[0]["stylesheets"]
    assert_size(a6, A6)
    assert_size(a4, A4)
    assert "Knip het label uit langs de stippellijn" in pdf_text(a4)


def test_a_changed_stylesheet_is_parsed_again_and_renders_the_label_again(
    anna, support, monkeypatch
):
    ticket = authorized_ticket(anna, support)
    first = ticket_label(ticket)
    old_digest, old_sheet = first.content_digest, typesetter().stylesheet("a6")
    source = labels.label_stylesheet("a6")
    monkeypatch.setattr(
        labels, "label_stylesheet", lambda layout: source + "\n.hint { color: #111; }"
    )

    label = ticket_label(ticket)

    # The digest covers the stylesheet as well as the HTML: a new one renders again.
    assert label.content_digest != old_digest
    assert typesetter().stylesheet("a6") is not old_sheet
    assert ReturnLabel.objects.get(ticket=ticket).content_digest == label.content_digest
    assert ticket.number in pdf_text(label.pdf.read())


def long_withdrawal() -> LabelContent:
    """A withdrawal of three long-named devices: more than one A6 page at the usual size."""
    return LabelContent(
        number="RMA-2026-000777",
        order_number="WS-100777",
        customer_name="Anna de Vries",
        language="nl",
        reason="withdrawal",
        shop_name="WebStore4",
        return_address=("WebStore4 Returns", "Retourweg 4", "1234 AB Amsterdam", "Netherlands"),
        lines=tuple(
            LabelLine(
                3,
                f"Hikvision DS-7608NXI-K2 8-channel AcuSense NVR with a long name, line {n}",
                tuple(f"HK{n}SN{i:04d}" for i in range(6)),
            )
            for n in range(1, 4)
        ),
        login_devices=tuple(f"Hikvision DS-7608NXI-K2, line {n}" for n in range(1, 4)),
    )


def test_a_long_label_laid_out_again_denser_keeps_the_shared_objects(monkeypatch):
    monkeypatch.setattr(labels, "_typesetter", None)  # no static part kept yet
    renders = spy_on_renders(monkeypatch)

    data = render_pdf(label_html(long_withdrawal(), layout="a6"), layout="a6", one_page=True)

    assert len(renders) == 2  # laid out once, then once more with the denser type
    assert renders[1]["font_config"] is renders[0]["font_config"]
    assert renders[1]["stylesheets"][:-1] == renders[0]["stylesheets"]
    assert renders[1]["stylesheets"][-1] is typesetter().dense
    assert_size(data, A6)
    assert_code128_of(data, "RMA-2026-000777")
    assert "line 3" in pdf_text(data)
    assert "+2" in pdf_text(data)  # six serials a line: four shown


def test_a_forked_process_makes_its_own_typesetter(monkeypatch):
    shared = typesetter()
    monkeypatch.setattr(labels, "_typesetter", shared)  # this process's, back after the test
    monkeypatch.setattr(labels.os, "getpid", lambda: shared.pid + 1)

    child = typesetter()

    assert child is not shared
    assert child.font_config is not shared.font_config
    assert typesetter() is child
