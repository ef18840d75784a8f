"""Turn an outbox row into the message a person reads (SPEC §7).

Subject, plain text and HTML come from `templates/emails/<kind>.*` rendered in the row's
language. The ticket's current data is read at send time; the row's `context` holds
only what belongs to the moment it was queued (the note, the notice time, a reminder's
stage).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime

from notifications.models import Email

# Every kind a template exists for; the tests render each one in every language.
CUSTOMER_KINDS = (
    "ticket_requested",
    "withdrawal_receipt",
    "ticket_authorized",
    "ticket_rejected",
    "ticket_received",
    "ticket_diagnosed",
    "ticket_resolved",
    "refund_paid",
    "staff_message",
    "ticket_cancelled",
    "ticket_expired",
    "reminder_ship",
    "reminder_tracking",
)
STAFF_KINDS = ("staff_response_overdue", "staff_refund_due", "staff_vendor_case_overdue")
TICKET_KINDS = CUSTOMER_KINDS + STAFF_KINDS
# About the customer's account rather than one return (D6).
ACCOUNT_KINDS = ("store_credit_expiring",)
KINDS = TICKET_KINDS + ACCOUNT_KINDS

# The authorization e-mail carries the return label (R7: the RMA number and its barcode
# on the outer packaging).
KINDS_WITH_LABEL = ("ticket_authorized",)

_BLANK_RUNS = re.compile(r"\n{3,}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# W7: the refund is due 14 days after the notice.
REFUND_DAYS = 14
# W6: the goods go back within 14 days after the notice.
SEND_BACK_DAYS = 14


def ticket_url(number: str) -> str:
    """The customer's page of a ticket; the format is fixed before the portal exists."""
    return f"{settings.SITE_URL}/portal/tickets/{number}/"


def _revive(value: Any) -> Any:
    """Turn the ISO strings the JSON column stores back into dates for `|date`."""
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return parse_date(value) or value
        if _ISO_DATETIME.match(value):
            return parse_datetime(value) or value
    return value


def _ticket_context(ticket) -> dict[str, Any]:
    from rma.models import Resolution
    from rma.terms import Reason

    customer = ticket.order.customer
    policy = ticket.policy
    lines = list(ticket.lines.select_related("order_line__product__vendor").order_by("pk"))
    vendors = []
    for line in lines:
        vendor = line.order_line.product.vendor
        if vendor not in vendors:
            vendors.append(vendor)
    # V1–V3 apply to defects; every other reason goes back to the shop (V1).
    vendor = None
    if ticket.reason in (Reason.DEFECTIVE, Reason.DEAD_ON_ARRIVAL):
        vendor = next((v for v in vendors if v.route != "via_shop"), None)
    route = vendor.route if vendor else "via_shop"
    changed_on = timezone.localdate(ticket.state_changed_at)
    requested_on = timezone.localdate(ticket.created_at)
    return {
        "ticket": ticket,
        "number": ticket.number,
        "order_number": ticket.order.number,
        "customer": customer,
        "customer_name": customer.name,
        "ticket_url": ticket_url(ticket.number),
        "admin_url": f"{settings.SITE_URL}/admin/rma/ticket/{ticket.pk}/change/",
        "reason": ticket.get_reason_display(),
        "is_withdrawal": ticket.reason == Reason.WITHDRAWAL,
        "lines": lines,
        "route": route,
        "vendor": vendor,
        "vendor_ticket_number": ticket.vendor_ticket_number,
        # R8: devices holding a login must come back factory reset and unlinked.
        "has_login": any("has_login" in line.order_line.product.flags for line in lines),
        # R9: return shipping is the customer's, except for the shop's own errors (R3, R6).
        "shop_pays_return": ticket.reason in (Reason.DELIVERY_ERROR, Reason.DAMAGED_IN_TRANSIT),
        "rejection_reason": ticket.rejection_reason,
        "resolution": Resolution(ticket.resolution).label if ticket.resolution else "",
        "tracking_number": ticket.tracking_number,
        "requested_on": requested_on,
        "response_due_on": requested_on + dt.timedelta(days=policy.response_days),  # D1
        # D2: an authorization is valid this long; then the ticket expires.
        "ship_by": changed_on + dt.timedelta(days=policy.authorization_valid_days),
        "notice_on": ticket.notice_on,
        "send_back_by": ticket.notice_on + dt.timedelta(days=SEND_BACK_DAYS)
        if ticket.notice_on
        else None,
        "refund_due_on": ticket.notice_on + dt.timedelta(days=REFUND_DAYS)  # W7, D4
        if ticket.notice_on
        else None,
    }


def email_context(email: Email) -> dict[str, Any]:
    """What the templates of `email` see: shop, ticket (current), then the row's context."""
    context: dict[str, Any] = {
        "kind": email.kind,
        "site_url": settings.SITE_URL,
        "shop_name": settings.SHOP_NAME,
        "return_address": settings.SHOP_RETURN_ADDRESS,
        "support_email": parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
    }
    if email.ticket_id:
        context.update(_ticket_context(email.ticket))
    context.update({key: _revive(value) for key, value in (email.context or {}).items()})
    return context


def email_render(email: Email) -> tuple[str, str, str]:
    """Render subject, text and HTML of `email` in its language."""
    with translation.override(email.language or settings.LANGUAGE_CODE):
        context = email_context(email)
        subject = render_to_string(f"emails/{email.kind}.subject.txt", context)
        text = render_to_string(f"emails/{email.kind}.txt", context)
        html = render_to_string(f"emails/{email.kind}.html", context)
    # A header must be one line; the text part reads better without the blank runs
    # that template tags leave behind.
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    text = _BLANK_RUNS.sub("\n\n", text) + "\n"
    return " ".join(subject.split()), text, html


def _message_id(email: Email) -> str:
    """A Message-ID stable per row: a resend after a crash carries the same id, so
    mailbox providers that de-duplicate on it (Gmail does) show it once."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "retour.invalid"
    digest = hashlib.sha256(email.dedupe_key.encode()).hexdigest()[:16]
    return f"<retour.{email.pk}.{digest}@{domain}>"


def email_message_build(email: Email) -> EmailMultiAlternatives:
    """The message for `email`, with the return label attached where the kind needs it."""
    subject, text, html = email_render(email)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[email.to],
        headers={"Message-ID": _message_id(email)},
    )
    message.attach_alternative(html, "text/html")
    # anymail reads these; Django's own backends ignore them.
    message.tags = [email.kind]
    message.metadata = {"email_id": str(email.pk)}
    if email.kind in KINDS_WITH_LABEL and email.ticket_id:
        from rma.labels import ticket_label  # the label is rendered (or re-used) on demand

        label = ticket_label(email.ticket)
        with label.pdf.open("rb") as pdf:
            message.attach(f"{email.ticket.number}.pdf", pdf.read(), "application/pdf")
    return message
