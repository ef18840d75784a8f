"""The diagnosis of a returned unit in the back office (issue 16 §3; SPEC §2 R8, R12,
R13, R15; §5 F4, F5), and the ticket page's units section with the refund the diagnosis
feeds.

The form takes the findings, shows the F4 cap and the outcome the rules propose
(`rma.diagnosis.proposed_outcome`, pre-selected, "Update the proposal" recomputes it
from what was typed, no script needed) and hands them to `unit_diagnose`; a unit sent to
the vendor gets its vendor case at once (`vendors.services.case_open_for_unit`). The
ticket page lists the units and quotes the refund of those to refund with the
calculator, their deductions and the investigation charges, in a fixed number of
queries whatever the number of units.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.periods import Sentence
from orders.facts import LineFacts, OrderFacts
from orders.selectors import order_facts, order_for_rules
from policies.reasons import goes_to_vendor
from refunds.quotes import Quote, QuoteError
from refunds.refunding import refund_preview
from rma import selectors
from rma.diagnosis import (
    Proposal,
    deduction_cap,
    investigation_charge,
    proposed_outcome,
    wipe_required,
)
from rma.errors import TicketError
from rma.guarantees import legal_guarantee, warranty
from rma.models import Grade, Outcome, ReturnedUnit, Ticket
from rma.services.diagnosis import unit_diagnose, unit_label, unit_wipe
from rma.states import AT_THE_SHOP, State
from vendors.services import VendorCaseError, case_open_for_unit

PERMISSION = "rma.diagnose_ticket"
# R15: the warehouse wipes at receipt; whoever diagnoses may record it too.
WIPE_PERMISSIONS = ("rma.diagnose_ticket", "rma.receive_ticket")

_YES_NO = [("yes", gettext_lazy("yes")), ("no", gettext_lazy("no"))]


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class DiagnosisForm(forms.Form):
    grade = forms.ChoiceField(
        label=gettext_lazy("Condition"), choices=Grade.choices, widget=forms.RadioSelect
    )
    locked = forms.TypedChoiceField(
        label=gettext_lazy("Factory reset and unlinked from accounts (R8)"),
        choices=[
            ("no", gettext_lazy("reset and unlinked")),
            ("yes", gettext_lazy("still locked: a second investigation is charged")),
        ],
        coerce=_yes_no,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    serial_matches = forms.TypedChoiceField(
        label=gettext_lazy("Serial number matches the order"),
        choices=[*_YES_NO, ("", gettext_lazy("no serial number to check"))],
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    accessories_complete = forms.TypedChoiceField(
        label=gettext_lazy("Accessories complete"),
        choices=_YES_NO,
        coerce=_yes_no,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    defect_confirmed = forms.TypedChoiceField(
        label=gettext_lazy("Defect"),
        choices=[
            ("yes", gettext_lazy("defect confirmed (R13)")),
            ("no", gettext_lazy("no defect found: the investigation is charged (R12)")),
            ("", gettext_lazy("not examined for a defect")),
        ],
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    investigation_hours = forms.DecimalField(
        label=gettext_lazy("Investigation (hours)"),
        min_value=Decimal("0"),
        max_digits=5,
        decimal_places=2,
        initial=Decimal("0"),
    )
    deduction = forms.DecimalField(
        label=gettext_lazy("Deduction for depreciation or repair (EUR)"),
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        initial=Decimal("0"),
    )
    deduction_reason = forms.CharField(
        label=gettext_lazy("Reason for the deduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )
    wiped = forms.BooleanField(
        label=gettext_lazy("Data wiped to factory state (R15)"), required=False
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=gettext_lazy("Diagnosis note (internal)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def __init__(self, *args, unit: ReturnedUnit, ticket: Ticket, cap: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        has_login = unit.ticket_line.order_line.product.has_login
        if not has_login:
            del self.fields["locked"]  # R8 is about devices with a login
        if not wipe_required(has_login=has_login) or unit.wiped_at is not None:
            del self.fields["wiped"]
        if goes_to_vendor(ticket.reason):
            # R12, R13: a claimed defect is either confirmed or not found.
            self.fields["defect_confirmed"].required = True
            self.fields["defect_confirmed"].choices = self.fields["defect_confirmed"].choices[:2]
        else:
            # Only defects go to the vendor (R13).
            self.fields["outcome"].choices = [
                choice for choice in Outcome.choices if choice[0] != Outcome.VENDOR_CASE
            ]
        self.fields["deduction"].validators.append(
            MaxValueValidator(
                cap,
                message=_(
                    "A deduction is never more than this unit's share of the line value, "
                    "%(cap)s (F4)."
                )
                % {"cap": cap},
            )
        )
        self.fields["deduction"].help_text = _(
            "F4: at most %(cap)s, this unit's share of the line value (W6 for a withdrawal)."
        ) % {"cap": cap}
        self.fields["deduction"].widget.attrs["max"] = str(cap)
        self.fields["investigation_hours"].help_text = _(
            "F5: charged at %(rate)s per hour when no defect is found (R12), and once more "
            "when the unit came back still locked (R8)."
        ) % {"rate": ticket.policy.terms().hourly_rate}


@dataclass(frozen=True)
class UnitFacts:
    """What the rules need about a unit besides the findings: its line's facts, the cap,
    whether it is still covered and its vendor's route."""

    facts: OrderFacts
    line: LineFacts
    cap: Decimal
    covered: bool
    route: str


def _request_day(ticket: Ticket):
    """The day the claim was made: the windows and covers count to it (W3, V4, R14)."""
    return ticket.notice_on or timezone.localdate(ticket.created_at)


def _unit_facts(ticket: Ticket, unit: ReturnedUnit) -> UnitFacts:
    facts = order_facts(order_for_rules(ticket.order.number))
    line = facts.line(unit.ticket_line.order_line.line_id)
    on = _request_day(ticket)
    serial = unit.serial or None
    try:
        covers = (
            warranty(facts, line, on, serial),
            legal_guarantee(facts, line, ticket.policy.terms(), on, serial),
        )
    except KeyError:  # a serial the order does not know: the line's delivery counts
        covers = (
            warranty(facts, line, on),
            legal_guarantee(facts, line, ticket.policy.terms(), on),
        )
    return UnitFacts(
        facts=facts,
        line=line,
        cap=deduction_cap(facts, line),
        covered=any(cover.active for cover in covers),
        route=unit.ticket_line.order_line.product.vendor.route,
    )


def _proposal(ticket: Ticket, known: UnitFacts, data: dict) -> Proposal:
    return proposed_outcome(
        reason=ticket.reason,
        route=known.route,
        covered=known.covered,
        grade=data.get("grade") or "",
        defect_confirmed=data.get("defect_confirmed"),
        locked=data.get("locked"),
    )


def _initial(ticket: Ticket, unit: ReturnedUnit) -> dict:
    """The findings a form starts from: the customer's claim (a defect for R4, R5), the
    unit as it was sent, the accessories complete and the serial checked if it has one."""
    return {
        "grade": Grade.OPENED_AS_NEW,
        "locked": False,
        "serial_matches": True if unit.serial else None,
        "accessories_complete": True,
        "defect_confirmed": True if goes_to_vendor(ticket.reason) else None,
    }


def _as_choices(findings: dict) -> dict:
    """The findings as the form's radio buttons name them (yes, no, or blank)."""
    choice = {True: "yes", False: "no", None: ""}
    return {
        name: choice[value] if value is None or isinstance(value, bool) else value
        for name, value in findings.items()
    }


def _unit(pk: int) -> ReturnedUnit:
    return get_object_or_404(
        ReturnedUnit.objects.select_related(
            "ticket_line__ticket__order",
            "ticket_line__ticket__policy",
            "ticket_line__order_line__product__vendor",
            "wiped_by",
        ),
        pk=pk,
    )


def _back_to(ticket: Ticket) -> HttpResponseRedirect:
    return HttpResponseRedirect(
        reverse("admin:rma_ticket_change", args=[ticket.pk]) + "#retour-units"
    )


def diagnose_view(request: HttpRequest, pk: int, *, admin_site) -> HttpResponse:
    """The per-unit diagnosis form (issue 16 §3)."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    unit = _unit(pk)
    ticket = unit.ticket_line.ticket
    if unit.diagnosed_at is not None:
        messages.info(
            request, _("Unit %(unit)s is diagnosed already.") % {"unit": unit_label(unit)}
        )
        return _back_to(ticket)
    if ticket.state != State.RECEIVED:
        messages.error(
            request,
            _("This ticket is %(state)s: its units are diagnosed while the parcel is received.")
            % {"state": ticket.get_state_display()},
        )
        return _back_to(ticket)
    known = _unit_facts(ticket, unit)
    initial = _initial(ticket, unit)
    proposal = _proposal(ticket, known, initial)
    initial["outcome"] = proposal.outcome
    if request.method == "POST":
        form = DiagnosisForm(request.POST, unit=unit, ticket=ticket, cap=known.cap)
        if "propose" in request.POST:
            # Recompute the proposal from what was typed and pre-select it; save nothing.
            form.is_valid()
            findings = {**initial, **getattr(form, "cleaned_data", {})}
            proposal = _proposal(ticket, known, findings)
            data = request.POST.copy()
            data["outcome"] = proposal.outcome
            form = DiagnosisForm(data, unit=unit, ticket=ticket, cap=known.cap)
        elif form.is_valid():
            done = _save(request, unit, form.cleaned_data)
            if done:
                return _back_to(ticket)
    else:
        form = DiagnosisForm(initial=_as_choices(initial), unit=unit, ticket=ticket, cap=known.cap)
    context = {
        **admin_site.each_context(request),
        "title": _("Diagnose unit %(unit)s") % {"unit": unit_label(unit)},
        "opts": Ticket._meta,
        "ticket": ticket,
        "unit": unit,
        "form": form,
        "proposal": proposal,
        "proposal_label": Outcome(proposal.outcome).label,
        "cap": known.cap,
        "hourly_rate": ticket.policy.terms().hourly_rate,
        "order_serials": known.line.serials,
    }
    return TemplateResponse(request, "admin/backoffice/diagnosis_form.html", context)


def _save(request: HttpRequest, unit: ReturnedUnit, data: dict) -> bool:
    """Record the diagnosis, the wipe and, for the vendor, the case; say what happened."""
    try:
        unit = unit_diagnose(
            unit=unit,
            by=request.user,
            grade=data["grade"],
            locked=data.get("locked"),
            serial_matches=data.get("serial_matches"),
            accessories_complete=data.get("accessories_complete"),
            defect_confirmed=data.get("defect_confirmed"),
            investigation_hours=data["investigation_hours"],
            deduction=data["deduction"],
            deduction_reason=data["deduction_reason"],
            outcome=data["outcome"],
            note=data["note"],
        )
    except TicketError as error:
        messages.error(request, str(error))
        return False
    label = unit_label(unit)
    messages.success(request, _("Unit %(unit)s is diagnosed.") % {"unit": label})
    if data.get("wiped"):
        try:
            unit_wipe(unit=unit, by=request.user)
        except TicketError as error:
            messages.error(request, str(error))
    if unit.outcome == Outcome.VENDOR_CASE:
        try:
            case = case_open_for_unit(unit=unit, by=request.user)
        except VendorCaseError as error:
            messages.warning(
                request,
                _("The vendor case could not be opened: %(why)s") % {"why": error},
            )
        else:
            messages.success(
                request,
                _("Vendor case #%(case)s is open for unit %(unit)s.")
                % {"case": case.pk, "unit": label},
            )
    return True


def wipe_view(request: HttpRequest, pk: int) -> HttpResponse:
    """R15: the "Wipe done" button of a unit on the ticket page."""
    if not any(request.user.has_perm(perm) for perm in WIPE_PERMISSIONS):
        raise PermissionDenied
    unit = _unit(pk)
    if request.method == "POST":
        try:
            unit_wipe(unit=unit, by=request.user)
        except TicketError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("The data wipe of unit %(unit)s is recorded.") % {"unit": unit_label(unit)},
            )
    return _back_to(unit.ticket_line.ticket)


def unit_urls(admin_site) -> list:
    return [
        path(
            "unit/<int:pk>/diagnose/",
            admin_site.admin_view(
                lambda request, pk: diagnose_view(request, pk, admin_site=admin_site)
            ),
            name="rma_ticket_unit_diagnose",
        ),
        path(
            "unit/<int:pk>/wipe/",
            admin_site.admin_view(wipe_view),
            name="rma_ticket_unit_wipe",
        ),
    ]


# --- the ticket page's units section ---------------------------------------------------


@dataclass(frozen=True)
class ChargeRow:
    unit: str
    rules: str
    hours: Decimal
    amount: Decimal


def units_context(ticket: Ticket, user) -> dict:
    """The units of the ticket, what each may get now (diagnose, wipe), the investigation
    charges fixed at diagnosis (F5) and the refund quote of the units to refund."""
    units = list(selectors.ticket_units(ticket))
    if not units:
        return {"units": []}
    may_diagnose = user.has_perm(PERMISSION) and ticket.state == State.RECEIVED
    may_wipe = ticket.state in AT_THE_SHOP and any(user.has_perm(p) for p in WIPE_PERMISSIONS)
    rows = [
        {
            "unit": unit,
            "label": unit_label(unit),
            "diagnose": may_diagnose and unit.diagnosed_at is None,
            "wipe": may_wipe
            and unit.wiped_at is None
            and wipe_required(has_login=unit.ticket_line.order_line.product.has_login),
            "wipe_applies": wipe_required(has_login=unit.ticket_line.order_line.product.has_login),
        }
        for unit in units
    ]
    terms = ticket.policy.terms()
    charges = []
    for unit in units:
        if unit.diagnosed_at is None or not unit.investigation_charge:
            continue
        charge = investigation_charge(
            reason=ticket.reason,
            hours=unit.investigation_hours,
            hourly_rate=terms.hourly_rate,
            defect_confirmed=unit.defect_confirmed,
            locked=unit.locked,
        )
        charges.append(
            ChargeRow(
                unit=unit_label(unit),
                rules=", ".join(charge.rules),
                hours=charge.hours,
                amount=unit.investigation_charge,
            )
        )
    refund, refund_error = _refund_quote(ticket)
    return {
        "units": rows,
        "charges": charges,
        "charges_total": sum((row.amount for row in charges), Decimal("0.00")),
        "hourly_rate": terms.hourly_rate,
        "refund_quote": refund,
        "refund_error": refund_error,
    }


def _refund_quote(ticket: Ticket) -> tuple[Quote | None, Sentence | None]:
    """F1–F6 from the calculator for the diagnosed units no refund holds yet, as
    "Propose a refund" would quote them (`refunds.refunding.refund_preview`)."""
    try:
        return refund_preview(ticket), None
    except QuoteError as error:
        return None, error.message
