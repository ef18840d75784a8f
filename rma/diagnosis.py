"""What a returned unit's diagnosis proposes and costs (SPEC §2 R8, R12–R15; §5 F4, F5).

Pure: the ticket's reason, the vendor's route, whether the unit is still covered and the
findings go in; the proposed outcome with its rule ids and sentence, the F4 cap and the
F5 charge come out. No database, no clock: the services and the back office call these
and none restates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.money import ZERO, to_cents
from core.periods import Sentence
from orders.enums import Route
from orders.facts import LineFacts, OrderFacts
from policies.reasons import Reason, goes_to_vendor
from rma.models import Grade, Outcome

# W6, R11: a unit in one of these conditions lost value; a deduction is proposed.
DIMINISHED = frozenset({Grade.SIGNS_OF_USE, Grade.DAMAGED, Grade.INCOMPLETE})
# A unit in one of these conditions is as it was sent: refunded in full.
AS_NEW = frozenset({Grade.SEALED, Grade.OPENED_AS_NEW})

ROUTE_RULE: dict[str, str] = {
    Route.VIA_SHOP: "V1",
    Route.VENDOR_DIRECT: "V2",
    Route.VENDOR_VALIDATION_FIRST: "V3",
}


@dataclass(frozen=True)
class Proposal:
    """The next step a diagnosis proposes for one unit, and why (rule ids first)."""

    outcome: str
    rules: tuple[str, ...]
    sentence: Sentence
    deduction: bool = False  # F4: a deduction for lost value is proposed (W6, R8)


def proposed_outcome(
    *,
    reason: str,
    route: str | None,
    covered: bool,
    grade: str,
    defect_confirmed: bool | None,
    locked: bool | None = False,
) -> Proposal:
    """Propose what happens to a unit after its diagnosis.

    - R4, R5 with the defect confirmed and the unit under the vendor's warranty (V4) or
      a consumer's legal guarantee (R14): a vendor case (R13) on the vendor's route
      (V1–V3); a dead-on-arrival unit (R5) is the shop's to replace or refund.
      Out of both: a repair at the customer's expense, after a quote (R13).
    - R4, R5 with no defect found: back to the customer as is, the investigation
      charged (R12, F5).
    - R3 (wrong item delivered) and R6 (damaged in transit): the shop's mistake or the
      carrier's: refund or replacement.
    - R1, R2 sealed or opened as new: refund; with signs of use, damage, missing parts
      or still locked (R8): refund less a deduction for the lost value (F4; W6 for a
      withdrawal).
    """
    if goes_to_vendor(reason):
        if defect_confirmed:
            if reason == Reason.DEAD_ON_ARRIVAL:
                return Proposal(
                    Outcome.REFUND,
                    ("R5",),
                    _("Dead on arrival: replace the unit or refund it (R5)."),
                )
            if covered:
                route_rule = ROUTE_RULE.get(route or "", "V1")
                return Proposal(
                    Outcome.VENDOR_CASE,
                    ("R13", route_rule),
                    format_lazy(
                        _("Defect confirmed under warranty: send it to the vendor ({rules})."),
                        rules=f"R13, {route_rule}",
                    ),
                )
            return Proposal(
                Outcome.REPAIR,
                ("R13",),
                _(
                    "Defect confirmed, but no longer under the vendor's warranty or the "
                    "legal guarantee: offer the customer a repair with a quote (R13)."
                ),
            )
        return Proposal(
            Outcome.RETURN_AS_IS,
            ("R12", "F5"),
            _(
                "No defect found: return the unit to the customer as is and charge the "
                "investigation (R12, F5)."
            ),
        )
    if reason == Reason.DELIVERY_ERROR:
        return Proposal(
            Outcome.REFUND,
            ("R3",),
            _("The wrong item was delivered: refund it or send the right one (R3)."),
        )
    if reason == Reason.DAMAGED_IN_TRANSIT:
        return Proposal(
            Outcome.REFUND,
            ("R6",),
            _("Damaged in transit: refund or replace it; the shop claims the carrier (R6)."),
        )
    withdrawal = reason == Reason.WITHDRAWAL
    if grade in DIMINISHED or locked:
        rules = ("F4", "W6") if withdrawal else ("F4",)
        if locked:
            rules = (*rules, "R8")
        if locked:
            sentence = (
                _(
                    "The unit came back still locked (R8): refund, less a deduction for "
                    "the lost value, up to its full value (F4, W6)."
                )
                if withdrawal
                else _(
                    "The unit came back still locked (R8): refund, less a deduction for "
                    "the lost value (F4); the second investigation is charged (F5)."
                )
            )
            return Proposal(Outcome.REFUND, rules, sentence, deduction=True)
        return Proposal(
            Outcome.REFUND,
            rules,
            _(
                "Refund, less a deduction for the lost value set now (F4, W6): the unit "
                "is not as it was sent."
            )
            if withdrawal
            else _(
                "Refund, less a deduction for the lost value set now (F4): the unit is "
                "not as it was sent."
            ),
            deduction=True,
        )
    return Proposal(
        Outcome.REFUND,
        ("R1",) if withdrawal else ("R2",),
        _("The unit is as it was sent: refund it in full."),
    )


def deduction_cap(order: OrderFacts, line: LineFacts) -> Decimal:
    """F4: a unit's deduction is never above its share of the line value: the unit price
    actually paid, after the line's share of the order discount."""
    share = order.discount_shares[line.id]
    return max(ZERO, to_cents((line.paid - share) / line.quantity))


@dataclass(frozen=True)
class InvestigationCharge:
    """F5: what the investigation of one unit costs the customer, and under which rules."""

    investigations: int  # 0: not charged; 1 (R12 or R8); 2 (R12 and R8's second)
    hours: Decimal  # the hours charged: investigations × the hours spent
    amount: Decimal
    rules: tuple[str, ...]


def investigation_charge(
    *,
    reason: str,
    hours: Decimal,
    hourly_rate: Decimal,
    defect_confirmed: bool | None,
    locked: bool | None,
) -> InvestigationCharge:
    """F5: the investigation at the policy's hourly rate, a charge, not a deduction.

    R12: a claimed defect (R4, R5) not found is charged once. R8: a unit received still
    locked needs a second investigation, charged likewise. A consumer's withdrawal is
    free of charge (W10): its R8 case is a deduction for the lost value instead (W6).
    """
    rules: tuple[str, ...] = ()
    if goes_to_vendor(reason) and defect_confirmed is False:
        rules = ("R12",)
    if locked and reason != Reason.WITHDRAWAL:
        rules = (*rules, "R8")
    investigations = len(rules)
    if not investigations or hours <= 0:
        return InvestigationCharge(0, ZERO, ZERO, ())
    charged = investigations * hours
    return InvestigationCharge(
        investigations=investigations,
        hours=charged,
        amount=to_cents(charged * hourly_rate),
        rules=(*rules, "F5"),
    )


def wipe_required(*, has_login: bool) -> bool:
    """R15: a device that can hold customer data (a login: cameras, recorders, phones)
    is wiped to factory state before it is restocked or sent to a vendor."""
    return has_login
