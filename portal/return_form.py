"""The return request (RMA) form of the portal: a customer's order → the lines, how many
and which units (serial numbers) → the reason, only those the rules allow for those lines
today (R2–R6) → what is wrong → what the vendor's route asks (V2, V3) → the factory reset
(R8) and the packing checklist (R9) → how the money goes back, where the policy lets the
customer choose store credit (F6) → a refund preview from the calculator (F1–F6, P1).

One form, read from what was posted every time: the page without JavaScript re-renders it
whole ("Update the form"), htmx swaps the parts that depend on the lines and the reason.
Nothing here writes; `portal.returns` submits through `rma.services.ticket_create`.
A withdrawal (R1) is not taken here: it has its own function (art. 11a, /withdraw/).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.periods import Sentence
from orders.enums import PaymentMethod, Route
from orders.facts import Flag, OrderFacts
from orders.models import Order, OrderLine, Vendor
from orders.selectors import order_facts
from policies.reasons import Reason, goes_to_vendor, shop_pays_return
from policies.selectors import rules_configuration
from policies.terms import Terms
from portal.overview import LineReturnability, order_returnability
from refunds.calculator import ORIGINAL_METHOD, quote
from refunds.quotes import Quote, QuoteError
from rma.decisions import ReasonDecision
from rma.models import TicketLine
from rma.rules import HELD_ELSEWHERE, LABEL, reason_decision
from rma.selectors import units_withdrawn
from rma.states import GOODS_GO_BACK, RELEASING_STATES, State

NOTE_MAX = 4000
NUMBER_MAX = 60  # the ticket's vendor number fields

# F6: the values of the "how do you want your money back?" choice.
REFUND_AS_PAID = "as_paid"
REFUND_AS_STORE_CREDIT = "store_credit"

# What a customer may read when the form is refused; the tests assert on these.
NOT_SENT = _(
    "Your request was not sent: correct what is marked below. Everything you typed is "
    "kept, except the photos: browsers do not keep chosen files, so choose them again."
)
CHOOSE_LINE = _("Choose at least one item and how many of it you return.")
BAD_QUANTITY = _("{product}: choose a quantity from 0 to {available}.")
PICK_SERIALS = _(
    "{product}: tick the serial number of each unit you return ({quantity} to tick, "
    "{picked} ticked)."
)
UNKNOWN_SERIAL = _("{product}: {serial} is not a serial number of this order you can return.")
CHOOSE_REASON = _("Choose why you return it.")
REASON_REFUSED = _("{product} cannot be returned for {reason}: {why}")
UNIT_REFUSED = _("{product} ({serial}) cannot be returned for {reason}: {why}")
WITHDRAW_ELSEWHERE = _(
    "To withdraw from the contract, use the withdrawal function: it asks no reasons."
)
NOTE_NEEDED = _("Describe what is wrong, so that we can help you.")
NOTE_TOO_LONG = _("The description can be at most {limit} characters long.")
NUMBER_TOO_LONG = _("This number can be at most {limit} characters long.")
VENDOR_TICKET_NEEDED = _(
    "{vendor} support must confirm the fault first (V3): enter the support ticket number "
    "they gave you."
)
FACTORY_RESET_NEEDED = _(
    "Confirm that the device is reset to its factory settings and unlinked from every "
    "account and app (R8)."
)


@dataclass
class LineOption:
    """One order line the form offers, with what the customer typed for it."""

    returnability: LineReturnability
    order_line: OrderLine
    serials: tuple[str, ...]  # delivered units not on another open return (V4: per unit)
    quantity_typed: str = ""
    picked: tuple[str, ...] = ()
    errors: list[Sentence] = field(default_factory=list)

    @property
    def line_id(self) -> str:
        return self.returnability.line.id

    @property
    def name(self) -> str:
        return self.order_line.name

    @property
    def available(self) -> int:
        return self.returnability.returnable_quantity

    @property
    def vendor(self) -> Vendor:
        return self.order_line.product.vendor

    @property
    def has_login(self) -> bool:
        return self.returnability.line.has(Flag.HAS_LOGIN)

    @property
    def quantity(self) -> int:
        """The quantity typed, 0 when empty or not a number in range."""
        text = self.quantity_typed.strip()
        if not text.isdigit() or int(text) > self.available:
            return 0
        return int(text)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(d.reason for d in self.returnability.allowed)

    def decision(self, reason: str) -> ReasonDecision | None:
        return next((d for d in self.returnability.allowed if d.reason == reason), None)


@dataclass(frozen=True)
class ReasonOption:
    reason: str
    label: Sentence
    # For each chosen line (or, before any is chosen, each line allowing it): until when.
    lines: tuple[tuple[str, ReasonDecision], ...]


class ReturnForm:
    """The form's state for one order on one day: what the rules allow, what was typed,
    what the route and the checklist ask, the preview, and what is wrong with it."""

    def __init__(self, *, order: Order, on: date, data: Mapping | None = None) -> None:
        self.order = order
        self.on = on
        configuration = rules_configuration()
        terms = configuration.terms(None)
        if terms is None:
            raise LookupError("no default return policy")
        self.terms: Terms = terms
        self.calendar = configuration.calendar
        self.facts: OrderFacts = order_facts(order)
        returnability = order_returnability(self.facts, terms=terms, on=on, calendar=self.calendar)
        order_lines = {
            line.line_id: line
            for line in OrderLine.objects.filter(order=order).select_related("product__vendor")
        }
        taken = _serials_on_open_returns(order)
        self.all_lines = returnability
        self.can_withdraw = any(line.can_withdraw for line in returnability)
        self.lines: list[LineOption] = []
        for line in returnability:
            if not line.can_file:
                continue
            delivered = tuple(
                unit.serial
                for unit in self.facts.units(line.line.id, on)
                if unit.serial and unit.delivered_at is not None
            )
            self.lines.append(
                LineOption(
                    returnability=line,
                    order_line=order_lines[line.line.id],
                    serials=tuple(s for s in delivered if s not in taken.get(line.line.id, ())),
                )
            )
        self.refused_lines = tuple(line for line in returnability if not line.can_file)
        self.errors: dict[str, list[Sentence]] = {}
        self.bound = data is not None
        data = data or {}
        self.reason: str = str(data.get("reason", "")).strip()
        self.note: str = str(data.get("note", ""))
        self.vendor_ticket_number: str = str(data.get("vendor_ticket_number", "")).strip()
        self.vendor_rma_number: str = str(data.get("vendor_rma_number", "")).strip()
        self.factory_reset: bool = bool(data.get("factory_reset"))
        self.refund_method: str = str(data.get("refund_method", "")).strip() or REFUND_AS_PAID
        getlist = getattr(data, "getlist", None)
        for option in self.lines:
            option.quantity_typed = str(data.get(f"quantity-{option.line_id}", ""))
            if getlist is not None:
                option.picked = tuple(getlist(f"serial-{option.line_id}"))
        if not self.bound and len(self.lines) == 1 and self.lines[0].available == 1:
            # One unit of one item: it is the one being returned.
            only = self.lines[0]
            only.quantity_typed = "1"
            only.picked = only.serials[:1]

    # --- what the choices so far lead to --------------------------------------------

    @property
    def chosen(self) -> list[LineOption]:
        return [option for option in self.lines if option.quantity > 0]

    @property
    def reason_options(self) -> list[ReasonOption]:
        """R2–R6 the rules allow today: for every chosen line, or for any line before one
        is chosen."""
        chosen = self.chosen
        options = []
        for reason in Reason.values:
            if reason == Reason.WITHDRAWAL:
                continue
            if chosen:
                decisions = [(o.name, o.decision(reason)) for o in chosen]
                if any(d is None for _name, d in decisions):
                    continue
            else:
                decisions = [(o.name, o.decision(reason)) for o in self.lines]
                decisions = [(name, d) for name, d in decisions if d is not None]
                if not decisions:
                    continue
            options.append(
                ReasonOption(
                    reason=reason,
                    label=Reason(reason).label,
                    lines=tuple((name, d) for name, d in decisions if d is not None),
                )
            )
        return options

    @property
    def reason_chosen(self) -> str | None:
        """The reason picked, if the rules allow it for every chosen line."""
        offered = {option.reason for option in self.reason_options}
        return self.reason if self.reason in offered else None

    @property
    def goes_to_vendor(self) -> bool:
        reason = self.reason_chosen
        return reason is not None and goes_to_vendor(reason)

    def _vendors(self, route: str) -> list[Vendor]:
        if not self.goes_to_vendor:
            return []
        vendors: dict[int, Vendor] = {}
        for option in self.chosen:
            if option.vendor.route == route:
                vendors.setdefault(option.vendor.pk, option.vendor)
        for vendor in vendors.values():
            # In the page's language only: a Dutch page never shows the English text.
            vendor.customer_instructions = vendor.instructions_in(get_language() or "en")
        return list(vendors.values())

    @property
    def validation_vendors(self) -> list[Vendor]:
        """V3: vendors whose support confirms the fault before the return is opened."""
        return self._vendors(Route.VENDOR_VALIDATION_FIRST)

    @property
    def direct_vendors(self) -> list[Vendor]:
        """V2: vendors that take the RMA on their own portal."""
        return self._vendors(Route.VENDOR_DIRECT)

    @property
    def needs_factory_reset(self) -> bool:
        """R8: a device with a login is reset and unlinked; the customer confirms it."""
        return any(option.has_login for option in self.chosen)

    @property
    def shop_pays_return(self) -> bool:
        """R9 (R3, R6, R14): who pays the return shipping, for the checklist."""
        reason = self.reason_chosen
        if reason is None:
            return False
        legal = any(o.returnability.legal_guarantee.active for o in self.chosen)
        return shop_pays_return(reason, under_legal_guarantee=goes_to_vendor(reason) and legal)

    @property
    def checklist_has_login(self) -> bool:
        return self.needs_factory_reset

    @property
    def offers_store_credit(self) -> bool:
        """F6: the policy lets the customer take store credit instead of the way they paid."""
        return self.terms.store_credit_by_choice

    @property
    def store_credit_valid_months(self) -> int:
        return self.terms.store_credit_valid_months

    @property
    def store_credit_chosen(self) -> bool:
        """What was posted, as posted: `ticket_create` refuses it where the policy does
        not offer store credit, so a forged choice is refused, never quietly dropped."""
        return self.refund_method == REFUND_AS_STORE_CREDIT

    def preview(self) -> tuple[Quote | None, Sentence | None]:
        """F1–F6, P1: what the calculator says the return refunds, or why it cannot say."""
        reason = self.reason_chosen
        chosen = self.chosen
        if reason is None or not chosen:
            return None, None
        try:
            return quote(
                self.facts,
                [(option.line_id, option.quantity) for option in chosen],
                reason=reason,
                terms=self.terms,
                on=self.on,
                calendar=self.calendar,
                withdrawn_elsewhere=units_withdrawn(self.order),
                # F6: the preview follows the choice only where it is offered.
                store_credit_choice=self.store_credit_chosen and self.offers_store_credit,
            ), None
        except QuoteError as error:
            return None, error.message

    def method_label(self, method: str) -> Sentence:
        if method == ORIGINAL_METHOD:
            return _("the original payment method")
        if method in PaymentMethod.values:
            return PaymentMethod(method).label
        return method

    # --- what is wrong with it -----------------------------------------------------

    def _add(self, key: str, message: Sentence) -> None:
        self.errors.setdefault(key, []).append(message)

    def validate(self) -> bool:
        """Check everything typed; keep every message; True when it can be submitted."""
        self.errors = {}
        for option in self.lines:
            option.errors = []
            text = option.quantity_typed.strip()
            if text and (not text.isdigit() or int(text) > option.available):
                option.errors.append(
                    format_lazy(BAD_QUANTITY, product=option.name, available=option.available)
                )
                continue
            if option.quantity and option.serials:
                unknown = [s for s in option.picked if s not in option.serials]
                for serial in unknown:
                    option.errors.append(
                        format_lazy(UNKNOWN_SERIAL, product=option.name, serial=serial)
                    )
                if not unknown and len(set(option.picked)) != option.quantity:
                    option.errors.append(
                        format_lazy(
                            PICK_SERIALS,
                            product=option.name,
                            quantity=option.quantity,
                            picked=len(set(option.picked)),
                        )
                    )
            if option.errors:
                self.errors.setdefault("lines", [])
        if not self.chosen and not any(o.errors for o in self.lines):
            self._add("lines", CHOOSE_LINE)
        self._validate_reason()
        note = self.note.strip()
        if not note:
            self._add("note", NOTE_NEEDED)
        elif len(note) > NOTE_MAX:
            self._add("note", format_lazy(NOTE_TOO_LONG, limit=NOTE_MAX))
        for name in ("vendor_ticket_number", "vendor_rma_number"):
            if len(getattr(self, name)) > NUMBER_MAX:
                self._add(name, format_lazy(NUMBER_TOO_LONG, limit=NUMBER_MAX))
        vendors = self.validation_vendors
        if vendors and not self.vendor_ticket_number:
            names = ", ".join(vendor.name for vendor in vendors)
            self._add("vendor_ticket_number", format_lazy(VENDOR_TICKET_NEEDED, vendor=names))
        if self.needs_factory_reset and not self.factory_reset:
            self._add("factory_reset", FACTORY_RESET_NEEDED)
        return not self.errors and not any(o.errors for o in self.lines)

    def _validate_reason(self) -> None:
        reason = self.reason
        if not reason:
            self._add("reason", CHOOSE_REASON)
            return
        if reason == Reason.WITHDRAWAL:
            self._add("reason", WITHDRAW_ELSEWHERE)
            return
        if reason not in Reason.values:
            self._add("reason", CHOOSE_REASON)
            return
        for option in self.chosen:
            line = option.returnability.line
            decision = reason_decision(
                self.facts, line, reason, terms=self.terms, on=self.on, calendar=self.calendar
            )
            allowed = option.decision(reason)
            if allowed is None:
                why = decision.sentence if not decision.allowed else HELD_ELSEWHERE
                self._add(
                    "reason",
                    format_lazy(REASON_REFUSED, product=option.name, reason=LABEL[reason], why=why),
                )
                continue
            for serial in option.picked:
                if serial not in option.serials:
                    continue
                # V4: the unit's own delivery decides its windows.
                unit = reason_decision(
                    self.facts,
                    line,
                    reason,
                    terms=self.terms,
                    on=self.on,
                    serial=serial,
                    calendar=self.calendar,
                )
                if not unit.allowed:
                    self._add(
                        "reason",
                        format_lazy(
                            UNIT_REFUSED,
                            product=option.name,
                            serial=serial,
                            reason=LABEL[reason],
                            why=unit.sentence,
                        ),
                    )

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(option.errors for option in self.lines)


def _serials_on_open_returns(order: Order) -> dict[str, set[str]]:
    """Per order line id, the serials that returns still holding their units name."""
    rows = (
        TicketLine.objects.filter(order_line__order=order)
        .exclude(ticket__state__in=RELEASING_STATES)
        .exclude(ticket__state=State.RESOLVED, ticket__resolution__in=GOODS_GO_BACK)
        .values_list("order_line__line_id", "serials")
    )
    taken: dict[str, set[str]] = {}
    for line_id, serials in rows:
        taken.setdefault(line_id, set()).update(serials or ())
    return taken
