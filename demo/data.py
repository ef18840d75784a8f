"""Demo data for `make run`: the seed shops' vendors, products with every flag, customers of
every kind, orders delivered at various ages, tickets in every state, a vendor case past
its vendor's usual time (D5), store credit about to lapse (D6), and refunds at every step
from proposal to payment with their credit notes, between two accountants (four eyes).

Orders go in through the same import as the webshop's (Appendix A), and tickets through
the same services as staff use, so the demo shows what the real paths produce.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from core.periods import add_months
from orders.enums import Route
from orders.importing import import_orders
from orders.models import Customer, Order, Vendor
from refunds.models import Channel
from refunds.refunding import (
    refund_adjust,
    refund_approve,
    refund_pay,
    refund_propose,
    refund_set_account,
)
from refunds.services import store_credit_grant, store_credit_use
from rma import services
from rma.models import Grade, Outcome, ReturnedUnit, Ticket
from rma.services.diagnosis import unit_diagnose
from rma.states import Resolution
from vendors.models import CaseState, VendorCase, VendorCaseEvent
from vendors.services import vendor_case_open, vendor_case_send

DEMO_PASSWORD = "retour-demo"  # noqa: S105 — printed for the embedded default only

VENDORS = [
    # (name, route, warranty months, DOA days, support portal, RMA portal, instructions in
    # English and in Dutch)
    (
        "Grandstream",
        Route.VENDOR_VALIDATION_FIRST,
        24,
        14,
        "https://helpdesk.grandstream.com/",
        "",
        "The fault must be validated by Grandstream support first; "
        "give their ticket number when you open the RMA.",
        "Grandstream-support moet de storing eerst bevestigen; "
        "vermeld hun ticketnummer als u de retour aanmeldt.",
    ),
    (
        "Ubiquiti",
        Route.VENDOR_DIRECT,
        12,
        14,
        "https://help.ui.com/",
        "https://rma.ui.com/",
        "Ubiquiti handles RMAs directly: open one at rma.ui.com.",
        "Ubiquiti handelt retouren zelf af: meld er een aan op rma.ui.com.",
    ),
    (
        "innovaphone",
        Route.VENDOR_DIRECT,
        24,
        14,
        "",
        "https://rma.innovaphone.com/",
        "innovaphone handles RMAs directly: open one at rma.innovaphone.com.",
        "innovaphone handelt retouren zelf af: meld er een aan op rma.innovaphone.com.",
    ),
    ("Hikvision", Route.VIA_SHOP, 36, 14, "", "", "", ""),
    ("Yealink", Route.VIA_SHOP, 24, 14, "", "", "", ""),
    ("Axis", Route.VIA_SHOP, 36, 30, "", "", "", ""),
    ("3CX", Route.VIA_SHOP, 12, 0, "", "", "", ""),
    ("WebStore4", Route.VIA_SHOP, 24, 14, "", "", "", ""),
]

# (sku, name, vendor, unit price, flags)
PRODUCTS = {
    "GS-GRP2614": ("Grandstream GRP2614 IP phone", "Grandstream", "120.00", ["has_login"]),
    "HK-NVR-8CH": ("Hikvision 8-channel NVR", "Hikvision", "860.00", ["has_login"]),
    "UBNT-U6-LR": ("Ubiquiti UniFi U6 Long-Range", "Ubiquiti", "179.00", ["has_login"]),
    "IP-IP112": ("innovaphone IP112 desk phone", "innovaphone", "229.00", []),
    "3CX-PRO-8": ("3CX Pro licence, 8 calls", "3CX", "395.00", ["digital", "activates_on_use"]),
    "AX-P3245-CFG": ("Axis P3245-LVE, configured on site", "Axis", "649.00", ["custom"]),
    "MS-XPROT-BOX": ("Milestone XProtect Essential+ (boxed)", "Axis", "89.00", ["sealed_software"]),
    "GV-50": ("WebStore4 gift voucher EUR 50", "WebStore4", "50.00", ["gift_voucher"]),
    "YEA-T54W-OUT": ("Yealink T54W (outlet)", "Yealink", "99.00", ["outlet"]),
    "HK-PTZ-SO": (
        "Hikvision PTZ camera (special order)",
        "Hikvision",
        "1290.00",
        ["special_order"],
    ),
}

CUSTOMERS = {
    "anna@example.nl": dict(name="Anna de Vries", type="consumer", language="nl"),
    "tom@example.com": dict(name="Tom Baker", type="consumer", language="en"),
    "inkoop@jansenbouw.example": dict(
        name="Piet Jansen",
        type="business",
        company="Jansen Bouw BV",
        vat_number="NL001234567B01",
        language="nl",
    ),
    "orders@netpartners.example": dict(
        name="Sara Visser",
        type="business",
        partner=True,
        company="NetPartners BV",
        vat_number="NL009876543B01",
        language="nl",
    ),
}

# Imported from the webshop without an account yet: activates it from the login page
# ("Activate your account"), the set-password e-mail lands in var/mail/.
WITHOUT_ACCOUNT = {"tom@example.com"}

STAFF = [
    ("support@webstore4.example", Role.SUPPORT),
    ("warehouse@webstore4.example", Role.WAREHOUSE),
    ("accountant@webstore4.example", Role.ACCOUNTANT),
]
ADMIN = "admin@webstore4.example"
# A second accountant: whoever proposed or adjusted a refund does not approve it (four
# eyes), so the demo's refunds are proposed by Ada (the accountant above), approved by Bea.
SECOND_ACCOUNTANT = "accountant2@webstore4.example"


@dataclass(frozen=True)
class DemoOrder:
    number: str
    customer: str
    delivered_days_ago: int | None  # None: not delivered yet
    lines: list[tuple[str, int]]  # (sku, quantity)
    shipping: tuple[str, str, str] = ("standard", "6.95", "6.95")
    paid_with: str = "ideal"  # F6: how its refund goes back


ORDERS = [
    DemoOrder(
        "WS-DEMO-001",
        "anna@example.nl",
        3,
        [("GS-GRP2614", 2), ("HK-NVR-8CH", 1)],
        ("express", "12.95", "6.95"),
    ),
    DemoOrder("WS-DEMO-002", "anna@example.nl", 40, [("UBNT-U6-LR", 1), ("IP-IP112", 1)]),
    DemoOrder(
        "WS-DEMO-003",
        "tom@example.com",
        10,
        [("3CX-PRO-8", 1), ("AX-P3245-CFG", 1), ("MS-XPROT-BOX", 1), ("GV-50", 1)],
    ),
    DemoOrder("WS-DEMO-004", "tom@example.com", 400, [("YEA-T54W-OUT", 2), ("GS-GRP2614", 1)]),
    DemoOrder(
        "WS-DEMO-005", "inkoop@jansenbouw.example", 10, [("HK-NVR-8CH", 2), ("HK-PTZ-SO", 1)]
    ),
    DemoOrder(
        "WS-DEMO-006", "orders@netpartners.example", 25, [("UBNT-U6-LR", 10), ("YEA-T54W-OUT", 4)]
    ),
    DemoOrder("WS-DEMO-007", "anna@example.nl", None, [("IP-IP112", 2)]),
    DemoOrder(
        "WS-DEMO-008", "tom@example.com", 6, [("GS-GRP2614", 4), ("IP-IP112", 3), ("HK-NVR-8CH", 1)]
    ),
    # Anna's Grandstream phone, past its withdrawal period and well within its warranty:
    # the portal's defect RMA asks for Grandstream support's ticket number (V3) and the
    # factory reset (R8). NetPartners' WS-DEMO-006 is the partner's order error (P1).
    DemoOrder("WS-DEMO-009", "anna@example.nl", 60, [("GS-GRP2614", 1)]),
    # The refunds' orders (issue 18): Anna withdraws a phone paid by iDEAL (her account is
    # asked for) and an access point paid by card; Jansen Bouw got the wrong desk phone.
    DemoOrder("WS-DEMO-010", "anna@example.nl", 5, [("GS-GRP2614", 1)]),
    DemoOrder("WS-DEMO-011", "inkoop@jansenbouw.example", 9, [("IP-IP112", 1)], paid_with="card"),
    DemoOrder("WS-DEMO-012", "anna@example.nl", 12, [("UBNT-U6-LR", 1)], paid_with="card"),
]


def _stamp(day: dt.date, hour: int) -> str:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC).isoformat()


def _demo_lines(demo: DemoOrder) -> list[dict]:
    """The order's lines in the import format, with a serial per unit of physical goods."""
    lines = []
    for index, (sku, quantity) in enumerate(demo.lines, start=1):
        name, vendor, price, flags = PRODUCTS[sku]
        serial_prefix = sku.replace("-", "")[:8]
        lines.append(
            {
                "id": str(index),
                "sku": sku,
                "name": name,
                "vendor": vendor,
                "quantity": quantity,
                "unit_price": price,
                "vat_rate": "21",
                "flags": flags,
                "promotion": False,
                "serials": []
                if "digital" in flags or "gift_voucher" in flags
                else [f"{serial_prefix}{demo.number[-3:]}{n:03d}" for n in range(quantity)],
                "activated_at": None,
            }
        )
    return lines


def _demo_order(demo: DemoOrder, today: dt.date) -> dict:
    """One demo order in the import format, delivered `delivered_days_ago` before `today`."""
    delivered = today - dt.timedelta(days=demo.delivered_days_ago or 0)
    placed = delivered - dt.timedelta(days=2)
    customer = CUSTOMERS[demo.customer]
    lines = _demo_lines(demo)
    goods = sum((Decimal(line["unit_price"]) * line["quantity"] for line in lines), Decimal("0"))
    method, price, standard = demo.shipping
    shipments = []
    if demo.delivered_days_ago is not None:
        physical = {
            line["id"]: line["quantity"] for line in lines if "digital" not in line["flags"]
        }
        shipments.append(
            {
                "lines": physical,
                "shipped_at": _stamp(delivered - dt.timedelta(days=1), 9),
                "delivered_at": _stamp(delivered, 13),
                "carrier": "PostNL",
                "tracking": f"3S{demo.number.replace('-', '')}",
            }
        )
    return {
        "number": demo.number,
        "customer": {
            "email": demo.customer,
            "name": customer["name"],
            "type": customer["type"],
            "partner": customer.get("partner", False),
            "language": customer["language"],
            "country": "NL",
            "company": customer.get("company"),
            "vat_number": customer.get("vat_number"),
        },
        "placed_at": _stamp(placed, 10),
        "invoiced_on": placed.isoformat(),
        "shipping": {"method": method, "price": price, "standard_price": standard},
        "discounts": [],
        "payments": [{"method": demo.paid_with, "amount": str(goods + Decimal(price))}],
        "lines": lines,
        "shipments": shipments,
    }


def demo_payload(today: dt.date) -> dict:
    """The demo orders in the import format of Appendix A, dated relative to `today`."""
    return {"orders": [_demo_order(demo, today) for demo in ORDERS]}


def _user(email: str, *, staff: bool = False, superuser: bool = False) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"username": email, "is_staff": staff, "is_superuser": superuser}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


@transaction.atomic
def seed_demo(today: dt.date) -> bool:
    """Load the demo once; return False when it was there already."""
    if Order.objects.filter(number=ORDERS[0].number).exists():
        return False
    for name, route, months, doa, support, portal, instructions, instructions_nl in VENDORS:
        Vendor.objects.update_or_create(
            name=name,
            defaults=dict(
                route=route,
                warranty_months=months,
                doa_days=doa,
                support_url=support,
                rma_portal_url=portal,
                instructions=instructions,
                instructions_nl=instructions_nl,
            ),
        )
    result = import_orders(demo_payload(today))
    if result.errors:
        raise RuntimeError(f"demo orders did not import: {result.errors}")
    for email in CUSTOMERS.keys() - WITHOUT_ACCOUNT:
        Customer.objects.filter(email=email).update(user=_user(email))
    staff = {}
    for email, role in STAFF:
        staff[role] = _user(email, staff=True)
        staff[role].groups.add(Group.objects.get(name=role))
    bea = _user(SECOND_ACCOUNTANT, staff=True)
    bea.groups.add(Group.objects.get(name=Role.ACCOUNTANT))
    admin = _user(ADMIN, staff=True, superuser=True)
    _demo_tickets(staff, admin)
    _demo_store_credit(staff[Role.ACCOUNTANT], today)
    _demo_refunds(staff, bea)
    return True


def _open(number: str, reason: str, lines, **kwargs) -> Ticket:
    order = Order.objects.select_related("customer__user").get(number=number)
    return services.ticket_create(
        order=order,
        reason=reason,
        lines=[services.LineRequest(line_id, quantity) for line_id, quantity in lines],
        by=order.customer.user,
        **kwargs,
    )


def _demo_tickets(staff: dict, admin: User) -> None:
    """One ticket in every state, moved there through the services.

    Long on purpose: one straight script per state reads as the story a newcomer clicks
    through, which helpers per ticket would scatter."""
    support, warehouse, accountant = (staff[r] for r in Role.ALL)
    anna = Customer.objects.get(email="anna@example.nl").user

    _open(
        "WS-DEMO-001",
        "withdrawal",
        [("1", 1)],
        note="Ik heb er één te veel besteld.",
        factory_reset_confirmed=True,
    )  # requested

    ticket = _open(
        "WS-DEMO-008", "delivery_error", [("2", 1)], note="Received a T54W instead of the IP112."
    )
    services.ticket_authorize(ticket=ticket, by=support)  # authorized

    ticket = _open("WS-DEMO-004", "defective", [("1", 1)], note="Screen flickers.")
    services.ticket_reject(
        ticket=ticket,
        by=support,
        reason="Our test shows the flicker comes from the power adapter, not the phone.",
    )

    ticket = _open("WS-DEMO-002", "defective", [("2", 1)], note="No dial tone.")
    services.ticket_cancel(ticket=ticket, by=anna, note="Works again after a reboot.")

    ticket = _open(
        "WS-DEMO-008",
        "defective",
        [("1", 1)],
        vendor_ticket_number="GS-448812",
        note="Handset crackles.",
        factory_reset_confirmed=True,
    )
    services.ticket_authorize(ticket=ticket, by=support)
    services.ticket_expire(ticket=ticket, by=None, note="Not received within 30 days (D2).")

    ticket = _open("WS-DEMO-005", "dead_on_arrival", [("1", 1)], note="Does not power on.")
    services.ticket_authorize(ticket=ticket, by=support)
    services.ticket_receive(ticket=ticket, by=warehouse)  # received
    # R13: the unit went to Hikvision a month ago and it has not decided yet (D5).
    line = ticket.lines.select_related("order_line").get()
    case = vendor_case_open(
        ticket_line=line, by=support, serial=line.order_line.serials[0], firmware_version="V4.62"
    )
    vendor_case_send(case=case, by=warehouse)
    month_ago = timezone.now() - dt.timedelta(days=30)
    VendorCase.objects.filter(pk=case.pk).update(
        opened_at=month_ago, sent_at=month_ago + dt.timedelta(days=1)
    )
    # The case's history tells the same story as its dates.
    VendorCaseEvent.objects.filter(case=case, to_state=CaseState.OPEN).update(at=month_ago)
    VendorCaseEvent.objects.filter(case=case, to_state=CaseState.AT_VENDOR).update(
        at=month_ago + dt.timedelta(days=1)
    )

    ticket = _open("WS-DEMO-006", "order_error", [("1", 2)], note="Ordered two too many, sealed.")
    services.ticket_authorize(ticket=ticket, by=support)
    services.ticket_receive(ticket=ticket, by=warehouse)
    _diagnose(ticket, support, grade=Grade.SEALED, note="Sealed, as new.")  # diagnosed

    ticket = _open(
        "WS-DEMO-001",
        "damaged_in_transit",
        [("2", 1)],
        note="Box crushed, NVR case dented.",
        factory_reset_confirmed=True,
    )
    services.ticket_authorize(ticket=ticket, by=support)
    services.ticket_receive(ticket=ticket, by=warehouse)
    _diagnose(ticket, support, grade=Grade.DAMAGED, note="Transit damage confirmed.")
    services.ticket_resolve(
        ticket=ticket,
        by=accountant,
        resolution=Resolution.REFUND,
        note="Refund by bank transfer; carrier claim filed.",
    )


def _diagnose(
    ticket: Ticket,
    by: User,
    *,
    grade: str,
    note: str,
    deduction: str = "0.00",
    deduction_reason: str = "",
) -> Ticket:
    """Diagnose each returned unit for a refund, as support does on the ticket page (R8,
    F4); the ticket is diagnosed with its last unit."""
    for unit in ReturnedUnit.objects.filter(ticket_line__ticket=ticket).order_by("pk"):
        unit_diagnose(
            unit=unit,
            by=by,
            grade=grade,
            locked=False,
            serial_matches=True,
            accessories_complete=True,
            defect_confirmed=None,
            investigation_hours=Decimal("0"),
            deduction=Decimal(deduction),
            deduction_reason=deduction_reason,
            outcome=Outcome.REFUND,
            note=note,
        )
    ticket.refresh_from_db()
    return ticket


def _returned(ticket: Ticket, staff: dict, **findings) -> Ticket:
    """The parcel of an authorized ticket arrives and each unit is diagnosed for a refund."""
    services.ticket_receive(ticket=ticket, by=staff[Role.WAREHOUSE])
    return _diagnose(ticket, staff[Role.SUPPORT], **findings)


def _withdraw(number: str, lines, customer: Customer) -> Ticket:
    """A consumer's notice of withdrawal through the portal's function (art. 11a, W10)."""
    order = Order.objects.get(number=number)
    return services.withdrawal_register(
        order=order,
        lines=[services.LineRequest(line_id, quantity) for line_id, quantity in lines],
        by=customer.user,
        signed_as=customer.name,
    )


def _demo_refunds(staff: dict, bea: User) -> None:
    """Refunds at every step, through the accountants' services: Ada proposes, Bea (the
    second pair of eyes) approves and pays. The paid ones get their credit note, whose
    PDF the refunds' task renders after the commit.

    proposed: Anna's withdrawn phone, one deduction lowered by Ada; by bank transfer,
        so the portal asks Anna for her IBAN
    approved: Anna's transit damage, to her IBAN, waiting for the next SEPA batch
    approved: Jansen Bouw's wrong phone, paid by card: waits for the provider's reference
    paid: Anna's withdrawn access point, refunded to her card outside Retour
    paid: NetPartners' restocked order error, as store credit valid 1 year (P1)
    """
    ada = staff[Role.ACCOUNTANT]
    anna = Customer.objects.get(email="anna@example.nl")

    ticket = _withdraw("WS-DEMO-010", [("1", 1)], anna)
    ticket = _returned(
        ticket,
        staff,
        grade=Grade.SIGNS_OF_USE,
        note="Used for a few days; scratch on the display.",
        deduction="15.00",
        deduction_reason="Scratch on the display (W6).",
    )
    refund = refund_propose(ticket=ticket, by=ada)
    refund_adjust(
        item=refund.items.get(rule="F4"),
        amount=Decimal("-5.00"),
        reason="Anna's photos of the delivery show part of the scratch: 10.00 less deducted.",
        by=ada,
    )

    transit = Ticket.objects.get(order__number="WS-DEMO-001", reason="damaged_in_transit")
    refund = refund_propose(ticket=transit, by=ada)
    refund_set_account(refund=refund, iban="NL91ABNA0417164300", holder=anna.name)
    refund_approve(refund=refund, by=bea)

    ticket = _open(
        "WS-DEMO-011", "delivery_error", [("1", 1)], note="We received an IP111, not the IP112."
    )
    services.ticket_authorize(ticket=ticket, by=staff[Role.SUPPORT])
    ticket = _returned(ticket, staff, grade=Grade.SEALED, note="Sealed; the wrong model shipped.")
    refund_approve(refund=refund_propose(ticket=ticket, by=ada), by=bea)

    ticket = _withdraw("WS-DEMO-012", [("1", 1)], anna)
    ticket = _returned(ticket, staff, grade=Grade.OPENED_AS_NEW, note="Opened, as new.")
    refund = refund_approve(refund=refund_propose(ticket=ticket, by=ada), by=bea)
    by_card = refund.parts.filter(channel=Channel.OUTSIDE)
    references = {part.pk: f"PSP-{part.pk:06d}" for part in by_card}  # the provider's id
    refund_pay(refund=refund, by=bea, references=references)
    services.ticket_resolve(
        ticket=ticket, by=ada, resolution=Resolution.REFUND, note="Refunded to the card."
    )

    restock = Ticket.objects.get(order__number="WS-DEMO-006", reason="order_error")
    services.ticket_resolve(
        ticket=restock,
        by=ada,
        resolution=Resolution.STORE_CREDIT,
        note="Partner restocking (P1): store credit for a year.",
    )
    refund = refund_approve(refund=refund_propose(ticket=restock, by=ada), by=bea)
    refund_pay(refund=refund, by=bea)


def _demo_store_credit(accountant: User, today: dt.date) -> None:
    """Anna's goodwill credit lapses in three weeks (D6); Tom's is partly spent."""
    anna = Customer.objects.get(email="anna@example.nl")
    store_credit_grant(
        customer=anna,
        amount=Decimal("35.00"),
        by=accountant,
        reason="Goodwill for a delivery that came a week late.",
        on=add_months(today, -24) + dt.timedelta(days=21),
    )
    tom = Customer.objects.get(email="tom@example.com")
    store_credit_grant(
        customer=tom,
        amount=Decimal("50.00"),
        by=accountant,
        reason="Compensation for a missing power adapter.",
        on=today - dt.timedelta(days=60),
    )
    store_credit_use(customer=tom, amount=Decimal("19.95"), on=today - dt.timedelta(days=10))


def demo_logins() -> list[tuple[str, str]]:
    return [
        ("customer (consumer)", "anna@example.nl"),
        ("customer (business partner)", "orders@netpartners.example"),
        ("support", STAFF[0][0]),
        ("warehouse", STAFF[1][0]),
        ("accountant", STAFF[2][0]),
        ("accountant (four eyes)", SECOND_ACCOUNTANT),
        ("admin", ADMIN),
    ]
