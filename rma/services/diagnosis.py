"""Diagnose a returned unit and record its data wipe (SPEC §2 R8, R12, R13, R15; F4, F5).

Each service runs in one transaction and locks the ticket row first, then the unit, so
two people diagnosing units of one ticket at once take turns, and the ticket becomes
DIAGNOSED exactly when its last unit is (its state follows its units, never a separate
click). A refusal raises `TicketError` with a sentence from this module and writes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from core.money import to_cents
from orders.selectors import order_facts, order_for_rules
from policies.reasons import goes_to_vendor
from rma.diagnosis import deduction_cap, investigation_charge
from rma.errors import TicketError
from rma.models import (
    EventKind,
    Grade,
    Outcome,
    ReturnedUnit,
    Ticket,
    TicketEvent,
    TicketLine,
)
from rma.services.lifecycle import ticket_diagnose
from rma.states import AT_THE_SHOP, State

# Messages a person may see; the tests assert on them.
NOT_ALLOWED_TO_DIAGNOSE = gettext_noop("You are not allowed to diagnose returned units.")
NOT_ALLOWED_TO_WIPE = gettext_noop("You are not allowed to record a data wipe.")
TICKET_NOT_RECEIVED = gettext_noop(
    "This ticket is {state}: its units are diagnosed while the parcel is received."
)
UNIT_NOT_RECEIVED = gettext_noop("Unit {unit} has not been received yet.")
ALREADY_DIAGNOSED = gettext_noop("Unit {unit} was already diagnosed by {who} on {when}.")
GRADE_NEEDED = gettext_noop("Choose the unit's condition.")
OUTCOME_NEEDED = gettext_noop("Choose what happens to the unit next.")
HOURS_NEGATIVE = gettext_noop("The investigation hours cannot be negative.")
DEDUCTION_NEGATIVE = gettext_noop("A deduction cannot be negative.")
DEDUCTION_ABOVE_CAP = gettext_noop(
    "A deduction of {deduction} is more than this unit's share of the line value, {cap} (F4)."
)
DEDUCTION_NEEDS_REASON = gettext_noop("Say why the deduction is made; accounting will read it.")
DEDUCTION_ONLY_ON_REFUND = gettext_noop(
    "A deduction is taken from a refund (F4): choose the refund or leave the deduction at 0."
)
VENDOR_ONLY_FOR_DEFECTS = gettext_noop(
    "Only a defect goes to the vendor (R4, R5, R13), not a return for the reason “{reason}”."
)
ALREADY_WIPED = gettext_noop("Unit {unit}'s data wipe was already recorded by {who} on {when}.")
SOMEONE = gettext_noop("someone")


@dataclass(frozen=True)
class Findings:
    """What the person diagnosing a unit found and decided (the form's fields)."""

    grade: str
    locked: bool | None
    serial_matches: bool | None
    accessories_complete: bool | None
    defect_confirmed: bool | None
    investigation_hours: Decimal
    deduction: Decimal
    deduction_reason: str
    outcome: str
    note: str


def unit_label(unit: ReturnedUnit) -> str:
    """How staff name a unit: its line and number, and its serial where it has one."""
    label = f"{unit.ticket_line.order_line.line_id}/{unit.number}"
    return f"{label} ({unit.serial})" if unit.serial else label


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _check(findings: Findings, *, reason: str, reason_label: str) -> None:
    """Refuse what the form says before anything is locked or written."""
    if findings.grade not in Grade.values:
        raise TicketError(_(GRADE_NEEDED))
    if findings.outcome not in Outcome.values:
        raise TicketError(_(OUTCOME_NEEDED))
    if findings.investigation_hours < 0:
        raise TicketError(_(HOURS_NEGATIVE))
    if findings.deduction < 0:
        raise TicketError(_(DEDUCTION_NEGATIVE))
    if findings.deduction > 0:
        if findings.outcome != Outcome.REFUND:
            raise TicketError(_(DEDUCTION_ONLY_ON_REFUND))
        if not findings.deduction_reason.strip():
            raise TicketError(_(DEDUCTION_NEEDS_REASON))
    if findings.outcome == Outcome.VENDOR_CASE and not goes_to_vendor(reason):
        raise TicketError(_(VENDOR_ONLY_FOR_DEFECTS).format(reason=reason_label))


def _locked(ticket_pk: int, unit_pk: int) -> tuple[Ticket, ReturnedUnit]:
    """Lock the ticket row, then the unit (always in that order: no deadlock)."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("order", "policy")
        .get(pk=ticket_pk)
    )
    unit = (
        ReturnedUnit.objects.select_for_update(of=("self",))
        .select_related("ticket_line__order_line", "diagnosed_by", "wiped_by")
        .get(pk=unit_pk, ticket_line__ticket=ticket)
    )
    return ticket, unit


def unit_diagnose(
    *,
    unit: ReturnedUnit,
    by: User,
    grade: str,
    locked: bool | None,
    serial_matches: bool | None,
    accessories_complete: bool | None,
    defect_confirmed: bool | None,
    investigation_hours: Decimal,
    deduction: Decimal,
    deduction_reason: str,
    outcome: str,
    note: str = "",
) -> ReturnedUnit:
    """Record a unit's diagnosis: its condition, the R8 lock, the serial and accessories
    checks, the defect (R12, R13), the investigation and its F5 charge fixed at the
    policy's hourly rate, the F4 deduction (never above the unit's share of the line
    value) and the outcome. The line counts the unit as diagnosed; when it was the
    ticket's last unit, the ticket becomes DIAGNOSED."""
    findings = Findings(
        grade=grade,
        locked=locked,
        serial_matches=serial_matches,
        accessories_complete=accessories_complete,
        defect_confirmed=defect_confirmed,
        investigation_hours=investigation_hours,
        deduction=to_cents(deduction),
        deduction_reason=deduction_reason.strip(),
        outcome=outcome,
        note=note.strip(),
    )
    if not by.has_perm("rma.diagnose_ticket"):
        raise TicketError(_(NOT_ALLOWED_TO_DIAGNOSE))
    ticket_pk = TicketLine.objects.values_list("ticket_id", flat=True).get(pk=unit.ticket_line_id)
    with transaction.atomic():
        ticket, unit = _locked(ticket_pk, unit.pk)
        _check(findings, reason=ticket.reason, reason_label=str(ticket.get_reason_display()))
        label = unit_label(unit)
        if unit.diagnosed_at is not None:
            raise TicketError(
                _(ALREADY_DIAGNOSED).format(
                    unit=label,
                    who=unit.diagnosed_by.email if unit.diagnosed_by else _(SOMEONE),
                    when=_when(unit.diagnosed_at),
                )
            )
        if ticket.state != State.RECEIVED:
            raise TicketError(_(TICKET_NOT_RECEIVED).format(state=ticket.get_state_display()))
        if unit.received_at is None:
            raise TicketError(_(UNIT_NOT_RECEIVED).format(unit=label))
        facts = order_facts(order_for_rules(ticket.order.number))
        line = facts.line(unit.ticket_line.order_line.line_id)
        cap = deduction_cap(facts, line)
        if findings.deduction > cap:
            raise TicketError(_(DEDUCTION_ABOVE_CAP).format(deduction=findings.deduction, cap=cap))
        terms = ticket.policy.terms()
        charge = investigation_charge(
            reason=ticket.reason,
            hours=findings.investigation_hours,
            hourly_rate=terms.hourly_rate,
            defect_confirmed=findings.defect_confirmed,
            locked=findings.locked,
        )
        unit.grade = findings.grade
        unit.locked = findings.locked
        unit.serial_matches = findings.serial_matches
        unit.accessories_complete = findings.accessories_complete
        unit.defect_confirmed = findings.defect_confirmed
        unit.investigation_hours = findings.investigation_hours
        unit.investigation_charge = charge.amount
        unit.deduction = findings.deduction
        unit.deduction_reason = findings.deduction_reason if findings.deduction else ""
        unit.outcome = findings.outcome
        unit.diagnosis_note = findings.note
        unit.diagnosed_at = timezone.now()
        unit.diagnosed_by = by
        unit.save()
        try:
            with transaction.atomic():
                TicketLine.objects.filter(pk=unit.ticket_line_id).update(
                    diagnosed_quantity=F("diagnosed_quantity") + 1
                )
        except IntegrityError as exc:  # diagnosed ≤ received, the database's own check
            raise TicketError(_(UNIT_NOT_RECEIVED).format(unit=label)) from exc
        TicketEvent.objects.create(
            ticket=ticket,
            by=by,
            kind=EventKind.CHANGE,
            internal=True,
            note=findings.note,
            data={
                "field": "diagnosis",
                "old": "",
                "new": f"{label}: {findings.outcome}",
                "unit": unit.pk,
                "grade": findings.grade,
                "locked": findings.locked,
                "serial_matches": findings.serial_matches,
                "accessories_complete": findings.accessories_complete,
                "defect_confirmed": findings.defect_confirmed,
                "investigation_hours": findings.investigation_hours,
                "investigation_charge": charge.amount,
                "charge_rules": list(charge.rules),
                "deduction": findings.deduction,
                "deduction_reason": unit.deduction_reason,
                "outcome": findings.outcome,
            },
        )
        left = ReturnedUnit.objects.filter(
            ticket_line__ticket=ticket, diagnosed_at__isnull=True
        ).exists()
        if not left:
            # The ticket's state follows its units: diagnosed when every unit is.
            ticket_diagnose(ticket=ticket, by=by)
    return unit


def unit_wipe(*, unit: ReturnedUnit, by: User) -> ReturnedUnit:
    """R15: record that a unit that can hold customer data was wiped to factory state
    (who, when), before it is restocked or sent to a vendor; once."""
    if not (by.has_perm("rma.diagnose_ticket") or by.has_perm("rma.receive_ticket")):
        raise TicketError(_(NOT_ALLOWED_TO_WIPE))
    ticket_pk = TicketLine.objects.values_list("ticket_id", flat=True).get(pk=unit.ticket_line_id)
    with transaction.atomic():
        ticket, unit = _locked(ticket_pk, unit.pk)
        label = unit_label(unit)
        if unit.wiped_at is not None:
            raise TicketError(
                _(ALREADY_WIPED).format(
                    unit=label,
                    who=unit.wiped_by.email if unit.wiped_by else _(SOMEONE),
                    when=_when(unit.wiped_at),
                )
            )
        if ticket.state not in AT_THE_SHOP:
            raise TicketError(_(TICKET_NOT_RECEIVED).format(state=ticket.get_state_display()))
        unit.wiped_at = timezone.now()
        unit.wiped_by = by
        unit.save(update_fields=["wiped_at", "wiped_by"])
        TicketEvent.objects.create(
            ticket=ticket,
            by=by,
            kind=EventKind.CHANGE,
            internal=True,
            data={"field": "wipe", "old": "", "new": label, "unit": unit.pk},
        )
    return unit
