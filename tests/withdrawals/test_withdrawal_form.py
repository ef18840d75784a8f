"""The model withdrawal form of appendix 2 (SPEC W3, §7), read back from the PDF."""

import datetime as dt
import io
import os

import pypdf
import pytest
from django.utils import translation
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from orders.models import ShipmentLine
from tests.factories import AMSTERDAM, ShipmentFactory, delivered_order
from withdrawals import documents
from withdrawals.documents import model_withdrawal_form

MM = 72 / 25.4


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def assert_a4_pages(data: bytes) -> None:
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        assert float(page.mediabox.width) == pytest.approx(210 * MM, abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(297 * MM, abs=0.5)


def named_order(customer):
    order = delivered_order(customer=customer, lines=((2, "120.00"), (1, "860.00")))
    for line, name, serials in zip(
        order.lines.order_by("line_id"),
        ("Grandstream GRP2614 IP phone", "Hikvision 8-channel NVR"),
        (["GS2614A001", "GS2614A002"], ["HKNVR8A0001"]),
        strict=True,
    ):
        line.name, line.serials = name, serials
        line.save(update_fields=["name", "serials"])
    return order


def test_it_is_prefilled_in_dutch_for_a_dutch_consumer(anna):
    order = named_order(anna)

    data = model_withdrawal_form(order=order)

    assert_a4_pages(data)
    text = pdf_text(data)
    assert "Modelformulier voor herroeping" in text
    assert "WebStore4 Returns" in text and "Retourweg 4" in text
    assert order.number in text
    assert "Anna de Vries" in text
    assert "Besteld op (*)" in text and "1 oktober 2026" in text
    assert "Ontvangen op (*)" in text and "3 oktober 2026" in text
    assert "Grandstream GRP2614 IP phone" in text
    assert "Hikvision 8-channel NVR" in text
    assert "GS2614A001, GS2614A002" in text
    assert "Doorhalen wat niet van toepassing is." in text


def test_it_is_prefilled_in_english_for_an_english_consumer(eve):
    order = named_order(eve)

    text = pdf_text(model_withdrawal_form(order=order, customer=eve))

    assert "Model withdrawal form" in text
    assert "only complete and return this form if you wish to withdraw" in text
    assert order.number in text
    assert "Eve Evans" in text
    assert "1 October 2026" in text and "3 October 2026" in text
    assert "Grandstream GRP2614 IP phone" in text
    assert "Signature of consumer(s) (only when this form is submitted on paper)" in text


def test_received_on_is_the_last_delivery_of_the_order(anna):
    order = named_order(anna)
    late = ShipmentFactory(
        order=order, delivered_at=dt.datetime(2026, 10, 9, 11, 0, tzinfo=AMSTERDAM)
    )
    ShipmentLine.objects.create(shipment=late, line=order.lines.first(), quantity=1)

    text = pdf_text(model_withdrawal_form(order=order))

    assert "9 oktober 2026" in text  # W1: the period runs from the last delivery


def test_a_customer_without_an_order_gets_their_name_and_blank_goods(eve):
    text = pdf_text(model_withdrawal_form(customer=eve))

    assert "Model withdrawal form" in text
    assert "Eve Evans" in text
    assert "Order number" not in text
    assert "Retourweg 4" in text


def test_the_blank_form_follows_the_active_language(db):
    with translation.override("nl"):
        dutch = pdf_text(model_withdrawal_form())
    english = pdf_text(model_withdrawal_form())

    assert "Modelformulier voor herroeping" in dutch
    assert "Model withdrawal form" in english
    assert "WebStore4" in english
    assert "Name(s) of consumer(s)" in english


def test_it_refuses_another_customers_order(anna, eve):
    with pytest.raises(ValueError, match="is not the customer's"):
        model_withdrawal_form(order=named_order(anna), customer=eve)


def test_forms_share_one_font_configuration(anna, eve, monkeypatch):
    # A new FontConfiguration per document found the fonts again and leaked ~290 kB each.
    given = []

    class SpiedHTML(HTML):
        def write_pdf(self, *args, **kwargs):
            given.append(kwargs.get("font_config"))
            return super().write_pdf(*args, **kwargs)

    monkeypatch.setattr(documents, "HTML", SpiedHTML)

    first = model_withdrawal_form(order=named_order(anna))
    second = model_withdrawal_form(customer=eve)

    assert len(given) == 2
    assert isinstance(given[0], FontConfiguration)
    assert given[0] is given[1] is documents.font_config()[0]
    assert "Anna de Vries" in pdf_text(first)
    assert "Eve Evans" in pdf_text(second)


def test_a_forked_process_makes_its_own_font_configuration(monkeypatch):
    parent, _ = documents.font_config()
    pid = os.getpid()
    monkeypatch.setattr(documents, "_font_config", documents._font_config)  # back after
    monkeypatch.setattr(documents.os, "getpid", lambda: pid + 1)

    child, _ = documents.font_config()

    assert child is not parent
    assert documents.font_config()[0] is child
