"""The packing list of a vendor shipment (V1) as PDF: what goes into the parcel to the vendor.

The shop's return address (where the vendor sends the units back) and the vendor at the
top; one row per unit: the ticket number, the product, the serial or MAC address, the
firmware version, the vendor's RMA number and the fault. Rendered on demand from the
shipment's page; nothing is stored. It shares the process's WeasyPrint font configuration
with the withdrawal form (one per process: a new one per document leaked memory).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from vendors.models import VendorCase, VendorShipment
from withdrawals.documents import font_config


@dataclass(frozen=True)
class PackedUnit:
    case: int
    ticket: str
    product: str
    sku: str
    serial: str
    mac_address: str
    firmware: str
    vendor_rma_number: str
    fault: str


def shipment_units(shipment: VendorShipment) -> list[PackedUnit]:
    """The units in the shipment, in the order they were opened (one query)."""
    cases = (
        VendorCase.objects.filter(shipment=shipment)
        .select_related("ticket_line__ticket", "ticket_line__order_line__product", "unit")
        .order_by("pk")
    )
    return [_packed(case) for case in cases]


def _packed(case: VendorCase) -> PackedUnit:
    line = case.ticket_line
    product = line.order_line.product
    # The diagnosis says what is wrong with this unit; else what the customer wrote.
    fault = (case.unit.diagnosis_note if case.unit else "") or line.detail
    return PackedUnit(
        case=case.pk,
        ticket=line.ticket.number,
        product=product.name,
        sku=product.sku,
        serial=case.serial,
        mac_address=case.mac_address,
        firmware=case.firmware_version,
        vendor_rma_number=case.vendor_rma_number,
        fault=fault,
    )


def packing_list_pdf(shipment: VendorShipment) -> bytes:
    """The shipment's packing list as PDF, in the language active for the request."""
    context = {
        "shipment": shipment,
        "vendor": shipment.vendor,
        "shop_name": settings.SHOP_NAME,
        "return_address": [
            part.strip() for part in settings.SHOP_RETURN_ADDRESS.splitlines() if part.strip()
        ],
        "shop_email": settings.SHOP_CONTACT_EMAIL,
        "shop_phone": settings.SHOP_PHONE,
        "printed_on": timezone.localdate(),
        "units": shipment_units(shipment),
    }
    html = render_to_string("pdf/packing_list.html", context)
    fonts, lock = font_config()
    with lock:  # Pango's font map is not safe to share between threads: take turns
        pdf: bytes = HTML(string=html).write_pdf(font_config=fonts)
    return pdf
