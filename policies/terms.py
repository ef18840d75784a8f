"""The numbers and switches of a return policy, as plain values.

`Terms` is what the pure rules (`rma/rules.py`, `withdrawals/rules.py`,
`refunds/calculator.py`) read. The staff-editable `policies.models.ReturnPolicy` row
holds the same fields and hands them to the rules through `ReturnPolicy.terms()`,
so the rules never touch the database. The four presets below are the seed
shops' policies (SPEC table of presets); migration 0002 wrote them as rows once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from policies.reasons import Reason

# Reason.values builds its list anew on every call; the rules ask for it for every decision.
_REASONS: tuple[str, ...] = tuple(Reason.values)


@dataclass(frozen=True)
class Terms:
    preset: str
    # W1, W10: statutory 14 days for consumers; a policy may only be more generous.
    withdrawal_days: int = 14
    # R2 order error: offered at all, within how many days of delivery, and the F3 fee.
    offers_order_error: bool = False
    order_error_days: int = 30
    order_error_restocking_percent: Decimal = Decimal("0")
    # R3 delivery error (shop's fault, no fee), within how many days of delivery.
    offers_delivery_error: bool = True
    delivery_error_days: int = 30
    # R4 defective / warranty (window from the vendor, V4).
    offers_defective: bool = True
    # R5 dead on arrival; doa_days None = the vendor's DOA days.
    offers_dead_on_arrival: bool = True
    doa_days: int | None = None
    # R6 damaged in transit, report within this many days of delivery.
    offers_damaged_in_transit: bool = True
    damaged_in_transit_days: int = 7
    # R11 the licence-shop's list of items not eligible for return.
    strict_ineligibility: bool = False
    # F2 transaction fee (percent of the refunded goods) in its four cases.
    transaction_fee_percent: Decimal = Decimal("0")
    # F6 store credit instead of the original payment method, at the customer's choice.
    store_credit_by_choice: bool = False
    # R8, R12, F5 investigation charge per hour.
    hourly_rate: Decimal = Decimal("75.00")
    # P1 partner restocking.
    partner_restocking: bool = False
    partner_restocking_months: int = 2
    partner_restocking_percent: Decimal = Decimal("20")
    partner_credit_valid_months: int = 12
    # F7 store credit validity.
    store_credit_valid_months: int = 24
    # b2b-distributor sells to businesses only.
    business_only: bool = False
    # R14 statutory conformity guarantee for consumers, from delivery.
    legal_guarantee_months: int = 24
    # D1–D6 deadlines the workers chase.
    response_days: int = 2
    ship_reminder_days: int = 7
    authorization_valid_days: int = 30
    tracking_reminder_days: int = 3
    refund_alert_days: int = 3
    store_credit_notice_days: int = 30

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name != "preset"]

    def offered_reasons(self) -> tuple[str, ...]:
        """Reasons this policy offers at all (who may use which is the rules' job)."""
        switches: dict[str, bool] = {
            Reason.WITHDRAWAL: True,  # W10: statutory, never switched off for consumers
            Reason.ORDER_ERROR: self.offers_order_error,
            Reason.DELIVERY_ERROR: self.offers_delivery_error,
            Reason.DEFECTIVE: self.offers_defective,
            Reason.DEAD_ON_ARRIVAL: self.offers_dead_on_arrival,
            Reason.DAMAGED_IN_TRANSIT: self.offers_damaged_in_transit,
        }
        return tuple(r for r in _REASONS if switches[r])


WEBSTORE4 = "webstore4"
VOIP_DISTRIBUTOR = "voip-distributor"
B2B_DISTRIBUTOR = "b2b-distributor"
LICENCE_SHOP = "licence-shop"

PRESETS: dict[str, Terms] = {
    # webstore4-terms-and-conditions.txt, webstore4-return-page.txt: full EU withdrawal,
    # defects examined by the shop (R12 at the IT hourly rate), partners restock (P1).
    # Order errors are a consumer's withdrawal; for partners they are P1 restocking.
    WEBSTORE4: Terms(
        preset=WEBSTORE4,
        offers_order_error=False,
        partner_restocking=True,
        hourly_rate=Decimal("75.00"),
    ),
    # voip-distributor-rma-page.txt: three reasons, credit note minus restocking fee (F3)
    # on order errors, vendor-specific routing (V1–V3).
    VOIP_DISTRIBUTOR: Terms(
        preset=VOIP_DISTRIBUTOR,
        offers_order_error=True,
        order_error_days=30,
        order_error_restocking_percent=Decimal("15"),
        offers_dead_on_arrival=False,
        offers_damaged_in_transit=False,
        hourly_rate=Decimal("65.00"),
    ),
    # b2b-distributor-faq-nl.txt: business only, 45 days DOA after receipt, then warranty.
    B2B_DISTRIBUTOR: Terms(
        preset=B2B_DISTRIBUTOR,
        business_only=True,
        offers_delivery_error=True,
        offers_dead_on_arrival=True,
        doa_days=45,
        offers_damaged_in_transit=False,
    ),
    # licence-shop-return-policy.txt: manufacturer decides, strict R11 list, 6% F2 fee,
    # refund or store credit at the customer's choice; damaged parcels are refused at the door.
    LICENCE_SHOP: Terms(
        preset=LICENCE_SHOP,
        offers_order_error=True,
        order_error_days=14,
        strict_ineligibility=True,
        transaction_fee_percent=Decimal("6"),
        store_credit_by_choice=True,
        offers_dead_on_arrival=False,
        offers_damaged_in_transit=False,
    ),
}

DEFAULT_PRESET = WEBSTORE4

# What staff see the presets called in the back office.
PRESET_NAMES = {
    WEBSTORE4: "WebStore4",
    VOIP_DISTRIBUTOR: "VoIP distributor",
    B2B_DISTRIBUTOR: "B2B distributor",
    LICENCE_SHOP: "Licence shop",
}

# Numbers Retour chose because the shop's own documents do not state them: each shop
# must confirm (or change) them before its customers rely on them (docs/policies.md).
UNCONFIRMED: dict[str, frozenset[str]] = {
    WEBSTORE4: frozenset({"damaged_in_transit_days", "delivery_error_days"}),
    VOIP_DISTRIBUTOR: frozenset({"order_error_restocking_percent", "order_error_days"}),
    LICENCE_SHOP: frozenset({"order_error_days"}),
}
