"""The e-mails about a ticket (SPEC §7): which kinds exist, what their templates see of
the ticket at send time, and the label the authorization carries (R7).

The outbox (`notifications`) knows no ticket: this module registers the kinds and the
ticket's context with it when the app is ready, and queues a ticket's e-mails through
`ticket_email_queue`. Every date shown comes from the rule that sets it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from notifications import kinds
from notifications.models import Email
from notifications.services import customer_email_queue
from orders.enums import ProductFlag, Route
from policies.reasons import Reason, goes_to_vendor, shop_pays_return
from policies.selectors import legal_calendar
from rma.deadlines import authorization_valid_until, response_due_on
from rma.labels import LabelRefused, ticket_label
from rma.links import ticket_status_url
from rma.models import Ticket
from rma.routes import shop_forwards
from rma.selectors import ticket_under_legal_guarantee
from rma.states import LABELLED_STATES, Resolution
from withdrawals.rules import goods_back_by

# Every kind about a ticket; the tests render each one in every language.
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
# D1 and D4 alerts to staff (D5's, about a vendor case's ticket, is the vendors app's),
# and the notice of a consumer's withdrawal through the site (art. 11a).
STAFF_KINDS = ("staff_response_overdue", "staff_refund_due", "staff_withdrawal_received")
TICKET_KINDS = CUSTOMER_KINDS + STAFF_KINDS


def ticket_context(ticket: Ticket) -> dict[str, Any]:
    """What every e-mail about `ticket` may show, read when it is sent."""
    customer = ticket.order.customer
    terms = ticket.policy.terms()
    lines = list(ticket.lines.select_related("order_line__product__vendor").order_by("pk"))
    # V2, V3: a defect goes to the first vendor that takes it directly; everything else
    # comes back to the shop (V1).
    vendor = None
    if goes_to_vendor(ticket.reason):
        vendors = (line.order_line.product.vendor for line in lines)
        vendor = next((v for v in vendors if not shop_forwards(v.route)), None)
    changed_on = timezone.localdate(ticket.state_changed_at)
    requested_on = timezone.localdate(ticket.created_at)
    notice_on = ticket.notice_on
    return {
        "ticket": ticket,
        "number": ticket.number,
        "order_number": ticket.order.number,
        "customer": customer,
        "customer_name": customer.name,
        # A signed, expiring link: the customer follows the ticket without an account.
        "ticket_url": ticket_status_url(ticket),
        "admin_url": f"{settings.SITE_URL}/admin/rma/ticket/{ticket.pk}/change/",
        "reason": ticket.get_reason_display(),
        "is_withdrawal": ticket.reason == Reason.WITHDRAWAL,
        "lines": lines,
        "route": vendor.route if vendor else Route.VIA_SHOP,
        "vendor": vendor,
        # In the e-mail's language only: a Dutch e-mail never carries the English text.
        "vendor_instructions": vendor.instructions_in(customer.language) if vendor else "",
        "vendor_ticket_number": ticket.vendor_ticket_number,
        # R8: devices holding a login must come back factory reset and unlinked.
        "has_login": any(ProductFlag.HAS_LOGIN in line.order_line.product.flags for line in lines),
        "shop_pays_return": shop_pays_return(  # R9, R14
            ticket.reason,
            under_legal_guarantee=goes_to_vendor(ticket.reason)
            and ticket_under_legal_guarantee(ticket),
        ),
        "rejection_reason": ticket.rejection_reason,
        "resolution": Resolution(ticket.resolution).label if ticket.resolution else "",
        "tracking_number": ticket.tracking_number,
        "goods_to_return": ticket.goods_to_return,  # W1: False when withdrawn undelivered
        # R7: the label exists once the ticket is authorized (a withdrawal: at submission).
        "has_label": ticket.goods_to_return and ticket.state in LABELLED_STATES,
        "requested_on": requested_on,
        "response_due_on": response_due_on(requested_on, terms),  # D1
        "ship_by": authorization_valid_until(changed_on, terms),  # D2
        "notice_on": notice_on,
        "send_back_by": goods_back_by(notice_on, legal_calendar()) if notice_on else None,  # W6
        "refund_due_on": ticket.refund_due_on,  # W7, D4
    }


def ticket_email_queue(
    *, ticket: Ticket, kind: str, stage: str, context: dict[str, Any] | None = None
) -> Email | None:
    """Queue `kind` to the ticket's customer, in their language, once per ticket and stage."""
    return customer_email_queue(
        customer=ticket.order.customer,
        kind=kind,
        dedupe_key=f"{kind}:{ticket.pk}:{stage}",
        subject=ticket,
        context=context,
    )


def label_attachment(ticket: Ticket) -> list[kinds.Attachment]:
    """R7: the authorization carries the return label, rendered (or re-used) now.

    A ticket cancelled or expired before its authorization went out has no label: the
    e-mail is superseded by the one about that change."""
    if not ticket.goods_to_return:
        return []  # W1: withdrawn before delivery, nothing travels back
    try:
        label = ticket_label(ticket)
    except LabelRefused as refused:
        raise kinds.Superseded(str(refused)) from refused
    with label.pdf.open("rb") as pdf:
        return [(f"{ticket.number}.pdf", pdf.read(), "application/pdf")]


def receipt_attachments(ticket: Ticket) -> list[kinds.Attachment]:
    """W4, R7: a withdrawal authorized at submission gets its label with the receipt.

    The receipt itself must go out whatever happened since (W4): a label that can no
    longer be made (the ticket was cancelled) is left out, never the e-mail."""
    if not ticket.goods_to_return or ticket.state not in LABELLED_STATES:
        return []
    try:
        return label_attachment(ticket)
    except kinds.Superseded:
        return []


# What each kind attaches, rendered when it is sent.
_ATTACHMENTS = {"ticket_authorized": label_attachment, "withdrawal_receipt": receipt_attachments}


def register() -> None:
    """Tell the outbox about the ticket's e-mails (called once, from `RmaConfig.ready`)."""
    kinds.register_subject(Ticket, ticket_context)
    for name in TICKET_KINDS:
        kinds.register_kind(name, attachments=_ATTACHMENTS.get(name))
