"""The return label (SPEC §7, R7–R9): read back as text, page size and barcode."""

import datetime as dt
import io

import pypdf
import pypdfium2
import pytest
import time_machine
import zxingcpp

from orders.models import Product
from rma.labels import NOT_AUTHORIZED, LabelRefused, render_label_a4, ticket_label
from rma.models import ReturnLabel, TicketLine
from rma.services import LineRequest, ticket_authorize, ticket_create
from tests.factories import AMSTERDAM, delivered_order

MM = 72 / 25.4  # PDF points per millimetre
A6 = (105 * MM, 148 * MM)
A4 = (210 * MM, 297 * MM)
# Two days after the factories' delivery (3 October 2026): every reason is still open.
SOON_AFTER_DELIVERY = dt.datetime(2026, 10, 5, 10, 0, tzinfo=AMSTERDAM)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def authorized_ticket(customer, support, *, reason="defective"):
    order = delivered_order(customer=customer, lines=((2, "120.00"),))
    line = order.lines.get()
    line.name = "Grandstream GRP2614 IP phone"
    line.save(update_fields=["name"])
    Product.objects.filter(pk=line.product_id).update(has_login=True)  # R8
    with time_machine.travel(SOON_AFTER_DELIVERY, tick=False):
        ticket = ticket_create(
            order=order,
            reason=reason,
            lines=[LineRequest(line_id="1", quantity=2, serials=("GS2614A001", "GS2614A002"))],
            by=customer.user,
            factory_reset_confirmed=True,
        )
        return ticket_authorize(ticket=ticket, by=support)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [(float(page.mediabox.width), float(page.mediabox.height)) for page in reader.pages]


def barcodes(data: bytes, dpi: int = 300) -> list:
    page = pypdfium2.PdfDocument(data)[0]
    image = page.render(scale=dpi / 72).to_pil()
    return zxingcpp.read_barcodes(image)


def assert_size(data: bytes, size: tuple[float, float]) -> None:
    assert len(page_sizes(data)) == 1
    width, height = page_sizes(data)[0]
    assert width == pytest.approx(size[0], abs=0.5)
    assert height == pytest.approx(size[1], abs=0.5)


def assert_code128_of(data: bytes, number: str) -> None:
    found = barcodes(data)
    assert [(b.format, b.text) for b in found] == [(zxingcpp.BarcodeFormat.Code128, number)]


def test_the_a6_label_prints_number_order_address_lines_and_checklist_in_english(eve, support):
    ticket = authorized_ticket(eve, support)

    label = ticket_label(ticket)

    data = label.pdf.read()
    text = pdf_text(data)
    assert ticket.number in text
    assert ticket.order.number in text
    assert "Eve Evans" in text
    for part in ("WebStore4 Returns", "Retourweg 4", "1234 AB Amsterdam", "Netherlands"):
        assert part in text
    assert "2 × Grandstream GRP2614 IP phone" in text
    assert "GS2614A001, GS2614A002" in text
    assert "OUTER packaging" in text  # R7
    assert "Factory reset the device and unlink it from every account and app." in text  # R8
    assert "A copy of the invoice inside the box." in text  # R9
    assert "An outer box with padding around the product." in text
    assert "Sufficient postage." in text
    # R14 (BW 7:21): Eve's phone is under the legal guarantee, so its return is free.
    assert "Return shipping is at our expense: a repair or replacement under the legal" in text
    assert "We examine the product and forward it to" in text  # V1 route hint


def test_the_a6_label_is_in_dutch_for_a_dutch_customer(anna, support):
    ticket = authorized_ticket(anna, support)

    text = pdf_text(ticket_label(ticket).pdf.read())

    assert ticket.number in text
    assert "Anna de Vries" in text
    assert "BUITENVERPAKKING" in text  # R7
    assert "Zet het apparaat terug naar de fabrieksinstellingen" in text  # R8
    assert "Een kopie van de factuur in de doos." in text  # R9
    assert "De retourzending is voor onze rekening: herstel of vervanging" in text  # R14
    assert "OUTER packaging" not in text


def test_a_business_customer_pays_the_return_of_a_defect(jansen, support):
    # R9: no legal guarantee for a business; the vendor's warranty covers the unit only.
    ticket = authorized_ticket(jansen, support)

    text = pdf_text(ticket_label(ticket).pdf.read())

    assert "De retourzending is voor uw rekening." in text


@pytest.mark.parametrize(
    ("reason", "sentence"),
    [
        ("delivery_error", "Return shipping is at our expense: we delivered the wrong product."),
        ("damaged_in_transit", "Return shipping is at our expense: the product was damaged"),
    ],
)
def test_the_shop_pays_the_return_of_a_delivery_error_or_transit_damage(
    eve, support, reason, sentence
):
    ticket = authorized_ticket(eve, support, reason=reason)

    text = pdf_text(ticket_label(ticket).pdf.read())

    assert sentence in text  # R3, R6
    assert "Return shipping is at your expense." not in text


def test_a_withdrawal_label_asks_for_clean_original_packaging(eve, support):
    ticket = authorized_ticket(eve, support, reason="withdrawal")

    text = pdf_text(ticket_label(ticket).pdf.read())

    assert "No stickers, tape or writing on the product or its original packaging." in text  # W6
    assert "Send the goods within 14 days after your withdrawal notice." in text


def test_the_a6_label_is_a6_with_a_code128_barcode_of_the_number(anna, support):
    ticket = authorized_ticket(anna, support)

    data = ticket_label(ticket).pdf.read()

    assert_size(data, A6)
    assert_code128_of(data, ticket.number)


def test_the_a4_sheet_is_a4_with_the_barcode_and_checklist(anna, support):
    ticket = authorized_ticket(anna, support)

    data = render_label_a4(ticket)

    assert_size(data, A4)
    assert_code128_of(data, ticket.number)
    text = pdf_text(data)
    assert ticket.number in text
    assert ticket.order.number in text
    assert "Retourweg 4" in text
    assert "Knip het label uit langs de stippellijn" in text
    assert "Zet deze apparaten terug naar de fabrieksinstellingen" not in text  # one device
    assert "Zet de Grandstream GRP2614 IP phone terug naar de fabrieksinstellingen" in text
    assert "Een kopie van de factuur in de doos." in text
    assert not ReturnLabel.objects.filter(ticket=ticket).exists()  # rendered on demand


def test_the_label_is_rendered_once_while_nothing_changes(anna, support):
    ticket = authorized_ticket(anna, support)
    first = ticket_label(ticket)
    stored = ReturnLabel.objects.get(ticket=ticket)

    second = ticket_label(ticket)

    again = ReturnLabel.objects.get(ticket=ticket)
    assert second.pk == first.pk
    assert (again.pdf.name, again.content_digest, again.rendered_at, again.render_ms) == (
        stored.pdf.name,
        stored.content_digest,
        stored.rendered_at,
        stored.render_ms,
    )
    assert len(stored.content_digest) == 64
    assert stored.render_ms > 0


def test_the_label_is_rendered_again_when_its_content_changes(
    anna, support, django_capture_on_commit_callbacks
):
    ticket = authorized_ticket(anna, support)
    first = ticket_label(ticket)
    old_name, old_digest, old_rendered_at = first.pdf.name, first.content_digest, first.rendered_at
    TicketLine.objects.filter(ticket=ticket).update(serials=["GS2614B777", "GS2614B778"])

    with django_capture_on_commit_callbacks(execute=True):
        label = ticket_label(ticket)

    assert label.content_digest != old_digest
    assert label.pdf.name != old_name
    assert label.rendered_at > old_rendered_at
    assert "GS2614B777, GS2614B778" in pdf_text(label.pdf.read())
    assert not label.pdf.storage.exists(old_name)  # the outdated file is removed
    assert ReturnLabel.objects.filter(ticket=ticket).count() == 1


def test_a_requested_ticket_gets_no_label(anna, support):
    order = delivered_order(customer=anna)
    ticket = ticket_create(
        order=order, reason="defective", lines=[LineRequest("1", 1)], by=anna.user
    )

    with pytest.raises(LabelRefused) as refused:
        ticket_label(ticket)
    with pytest.raises(LabelRefused):
        render_label_a4(ticket)

    assert str(refused.value) == NOT_AUTHORIZED.format(number=ticket.number, state="requested")
    assert not ReturnLabel.objects.filter(ticket=ticket).exists()


def test_a_long_return_still_fits_one_a6_page(anna, support):
    lines = tuple((3, "100.00") for _ in range(7))
    order = delivered_order(customer=anna, lines=lines)
    for line in order.lines.all():
        line.name = f"Hikvision DS-7608NXI-K2 8-channel AcuSense NVR, line {line.line_id}"
        line.save(update_fields=["name"])
    with time_machine.travel(SOON_AFTER_DELIVERY, tick=False):
        ticket = ticket_create(
            order=order,
            reason="withdrawal",
            lines=[
                LineRequest(str(n), 3, serials=tuple(f"HK{n}SN{i:04d}" for i in range(3)))
                for n in range(1, 8)
            ],
            by=anna.user,
        )
        ticket = ticket_authorize(ticket=ticket, by=support)

    data = ticket_label(ticket).pdf.read()

    assert_size(data, A6)
    assert_code128_of(data, ticket.number)
    assert "nog 3 regels" in pdf_text(data)  # the A4 sheet lists every line
    assert "line 7" in pdf_text(render_label_a4(ticket))
