"""A consumer's withdrawal (W1–W10, art. 11a): what they can withdraw today, and the notice.

`withdrawal_preview` tells, for every line of an order, whether it can be withdrawn on a
day, until when, and why not; the public withdrawal function shows it before the consumer
confirms. `withdrawal_register` turns a notice into a running return at once, whichever
way it came (W3): the site's withdrawal function, a letter or the model form by post, an
e-mail. The ticket is authorized in the same transaction (a withdrawal binds the shop,
W10: no staff step stands between the notice and the label), lines not yet delivered are
cancelled with nothing to send back (W1), the W7 refund day is set, and one receipt (W4)
carries the label. Support hears of a notice that came through the site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.files.base import File
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Role, User
from core.periods import Sentence
from notifications.services import staff_alert_queue
from orders.models import Order
from orders.selectors import order_facts, order_for_rules
from policies.models import ReturnPolicy
from policies.reasons import Reason
from policies.selectors import legal_calendar
from rma.errors import TicketError
from rma.models import NoticeChannel, Ticket
from rma.rules import HELD_ELSEWHERE
from rma.selectors import withdrawal_lines_holding
from rma.services.lifecycle import LineRequest, ticket_authorize, ticket_create
from withdrawals.rules import withdrawal_decision

NOTHING_CHOSEN = gettext_noop("Choose at least one item to withdraw from.")
SCAN_ONLY_FOR_LETTERS = gettext_noop(
    "A scan belongs to a notice that came by post or e-mail, not to one made on the site."
)
AUTHORIZED_AT_ONCE = gettext_noop(
    "A withdrawal binds the shop (W10): authorized when the notice was received."
)


SCAN_NOT_READABLE = gettext_noop("A scan must be a PDF, JPEG or PNG file of at most 10 MB.")
SCAN_MAX_BYTES = 10 * 1024 * 1024
# What a scan may be, told by its first bytes (never by its name or the browser's word).
_SCAN_SIGNATURES = ((b"%PDF-", ".pdf"), (b"\xff\xd8\xff", ".jpg"), (b"\x89PNG\r\n\x1a\n", ".png"))


def notice_scan_extension(scan: File) -> str:
    """The extension of a scan of a notice, from its content; refuse anything else."""
    if scan.size is None or scan.size > SCAN_MAX_BYTES:
        raise TicketError(_(SCAN_NOT_READABLE))
    scan.seek(0)
    head = scan.read(8)
    scan.seek(0)
    for signature, extension in _SCAN_SIGNATURES:
        if head.startswith(signature):
            return extension
    raise TicketError(_(SCAN_NOT_READABLE))


@dataclass(frozen=True)
class WithdrawalLine:
    """One order line as the consumer sees it before confirming a withdrawal."""

    line_id: str
    name: str
    ordered: int
    allowed: bool
    # The units that can be withdrawn now (0 when refused or held by another return).
    available: int
    # Of those, the units not delivered yet (or digital content not supplied): cancelled,
    # nothing to send back (W1, CRD 9(3)).
    not_delivered: int
    last_day: date | None  # None: goods still on their way (the period has not started)
    rules: tuple[str, ...]
    sentence: Sentence  # the rule's own sentence: until when, or why not

    @property
    def to_send_back(self) -> int:
        return self.available - self.not_delivered


@dataclass(frozen=True)
class WithdrawalPreview:
    order: Order
    on: date
    lines: tuple[WithdrawalLine, ...]

    @property
    def open_lines(self) -> tuple[WithdrawalLine, ...]:
        return tuple(line for line in self.lines if line.allowed and line.available)

    @property
    def refused_lines(self) -> tuple[WithdrawalLine, ...]:
        return tuple(line for line in self.lines if not (line.allowed and line.available))


def withdrawal_preview(*, order: Order, on: date) -> WithdrawalPreview:
    """Decide every line of `order` for a withdrawal noticed on `on` (W1, W2, W5).

    A fixed number of queries whatever the number of lines: the order with everything
    the rules read, the policy, the legal calendar and the units earlier withdrawals
    took before delivery.
    """
    facts = order_facts(order_for_rules(order.number))
    terms = ReturnPolicy.default().terms()
    calendar = legal_calendar()
    # Units an open withdrawal already took before they were delivered: not held (nothing
    # was delivered), but no longer free either (rma.services.quantities.units_taken).
    taken = dict(
        withdrawal_lines_holding()
        .filter(ticket__order=order, undelivered_quantity__gt=0)
        .values_list("order_line__line_id")
        .annotate(units=Sum("undelivered_quantity"))
        .order_by()
    )
    lines = []
    for line in facts.lines:
        decision = withdrawal_decision(facts, line, on=on, terms=terms, calendar=calendar)
        delivered = facts.delivered_quantity(line.id, on)
        not_delivered = max(0, line.quantity - delivered - taken.get(line.id, 0))
        available = max(0, delivered - line.held_by_other_tickets) + not_delivered
        sentence = decision.sentence
        if decision.allowed and not available:
            sentence = HELD_ELSEWHERE
        lines.append(
            WithdrawalLine(
                line_id=line.id,
                name=line.name,
                ordered=line.quantity,
                allowed=decision.allowed,
                available=available if decision.allowed else 0,
                not_delivered=not_delivered if decision.allowed else 0,
                last_day=decision.last_day,
                rules=decision.rules,
                sentence=sentence,
            )
        )
    return WithdrawalPreview(order=order, on=on, lines=tuple(lines))


@transaction.atomic
def withdrawal_register(
    *,
    order: Order,
    lines: Sequence[LineRequest],
    by: User | None,
    channel: str = NoticeChannel.ONLINE,
    notice_on: date | None = None,
    signed_as: str = "",
    scan: File | None = None,
    note: str = "",
) -> Ticket:
    """Register a consumer's notice of withdrawal and start the return at once.

    `by` is who registers it: the consumer's own account, None for a consumer without
    one (the site's function), or staff for a notice that came by post or e-mail, whose
    `notice_on` is the day it was sent (W3) and whose `scan` is kept on the ticket.
    Lines the law excludes or whose period ended are refused with the rule's sentence
    (`TicketError`), and nothing is written.
    """
    lines = [line for line in lines if line.quantity > 0]
    if not lines:
        raise TicketError(_(NOTHING_CHOSEN))
    extension = ""
    if scan is not None:
        if channel == NoticeChannel.ONLINE:
            raise TicketError(_(SCAN_ONLY_FOR_LETTERS))
        extension = notice_scan_extension(scan)
    data: dict[str, object] = {"channel": str(channel)}
    if signed_as.strip():
        data["signed_as"] = signed_as.strip()[:200]
    ticket = ticket_create(
        order=order,
        reason=Reason.WITHDRAWAL,
        lines=lines,
        by=by,
        notice_on=notice_on,
        note=note,
        event_data=data,
    )
    ticket.notice_channel = channel
    fields = ["notice_channel"]
    if scan is not None:
        # Named by the ticket and by what the content is, never by the sender's file name.
        ticket.notice_scan.save(f"{ticket.number}-notice{extension}", scan, save=False)
        fields.append("notice_scan")
    ticket.save(update_fields=fields)
    # W10: the notice binds the shop; the system authorizes it with the notice, and the
    # receipt (W4), queued by `ticket_create`, carries the label (R7).
    ticket = ticket_authorize(ticket=ticket, by=None, note=_(AUTHORIZED_AT_ONCE), announce=False)
    if channel == NoticeChannel.ONLINE:
        staff_alert_queue(
            kind="staff_withdrawal_received",
            dedupe_key=f"staff_withdrawal_received:{ticket.pk}",
            role=Role.SUPPORT,
            context={},
            subject=ticket,
        )
    return ticket
