"""The warehouse's scan station (issue 16 §2, R7): one field for the keyboard-wedge
scanner, the parcel received in one step, a loud verdict, and the scans of the day.

Each scan is a plain POST that redirects back (works without script); the station's
script (static/backoffice/scan.js) posts the same form in the background so the field
is ready for the next parcel at once, and beeps. The page reads in a fixed number of
queries: the day's scans with their tickets, and the lines of the last one received.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rma import services
from rma.models import ParcelCondition, ParcelScan, ScanOutcome, Ticket

PERMISSION = "rma.receive_ticket"
URL_NAME = "admin:rma_ticket_scan"
RECENT = 50  # the day's scans shown, newest first
_LAST = "scan_station_last"  # the session's last scan (its id)
_FRESH = "scan_station_fresh"  # the last scan is not announced yet (the beep)


class ScanForm(forms.Form):
    # Not required and no length here: the service says what is wrong (nothing scanned,
    # far too long) in the warehouse's words, and writes nothing.
    scanned = forms.CharField(label=gettext_lazy("RMA number"), required=False, strip=False)
    parcel_condition = forms.ChoiceField(
        label=gettext_lazy("Outer packaging"),
        choices=ParcelCondition.choices,
        initial=ParcelCondition.INTACT,
        required=False,
        widget=forms.RadioSelect,
    )
    photo = forms.FileField(
        label=gettext_lazy("Photo of the damage"),
        required=False,
        help_text=gettext_lazy("Only for a damaged parcel: JPEG, PNG or HEIC."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


@dataclass(frozen=True)
class Verdict:
    """What the station shouts about a scan: a tone (colour and sound), an icon, a
    headline and the reason in a sentence."""

    tone: str  # "ok", "warn" or "refuse"
    icon: str
    headline: str
    reason: str


def verdict(scan: ParcelScan) -> Verdict:
    """R7: everything that is not authorized (or no longer) is refused, loud and plain."""
    ticket = scan.ticket
    number = ticket.number if ticket else scan.scanned
    state = ticket.get_state_display() if ticket else ""
    if scan.outcome == ScanOutcome.RECEIVED:
        return Verdict(
            "ok",
            "✔",
            _("Received"),
            _("Return %(number)s is received: check its units below.") % {"number": number},
        )
    if scan.outcome == ScanOutcome.ALREADY_RECEIVED:
        return Verdict(
            "warn",
            "⚠",
            _("Already received"),
            _("Return %(number)s is %(state)s: it was received before. Do not receive it again.")
            % {"number": number, "state": state},
        )
    reasons = {
        ScanOutcome.UNKNOWN: _("No return has the number “%(number)s” (R7)."),
        ScanOutcome.NOT_AUTHORIZED: _(
            "Return %(number)s is %(state)s: it was never authorized (R7)."
        ),
        ScanOutcome.CANCELLED: _("Return %(number)s was cancelled (R7)."),
        ScanOutcome.EXPIRED: _("The authorization of return %(number)s expired (R7)."),
    }
    return Verdict(
        "refuse",
        "✖",
        _("Refuse this parcel"),
        reasons[ScanOutcome(scan.outcome)] % {"number": number, "state": state},
    )


def _day_start() -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))


def station(request: HttpRequest) -> HttpResponse:
    """GET: the station with the last verdict and the day's scans. POST: one scan, then
    back here (303), or the page again with the message when the input was wrong."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = ScanForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.parcel_scan(
                scanned=data["scanned"],
                by=request.user,  # type: ignore[arg-type]  # admin_view: a logged-in user
                parcel_condition=data["parcel_condition"] or ParcelCondition.INTACT,
                photo=data["photo"],
            )
        except services.TicketError as refused:
            error = str(refused)
        else:
            request.session[_LAST] = result.scan.pk
            request.session[_FRESH] = True
            return HttpResponseRedirect(reverse(URL_NAME), status=303)
    elif request.method == "POST":
        error = " ".join(str(message) for messages in form.errors.values() for message in messages)
    if error:
        form = ScanForm(initial={"parcel_condition": ParcelCondition.INTACT})
    return TemplateResponse(request, "admin/backoffice/scan.html", _context(request, form, error))


def _context(request: HttpRequest, form: ScanForm, error: str) -> dict:
    recent = list(
        ParcelScan.objects.filter(by=request.user.pk, at__gte=_day_start())
        .select_related("ticket")
        .order_by("-at", "-pk")[:RECENT]
    )
    last_pk = request.session.get(_LAST)
    fresh = bool(request.session.pop(_FRESH, False))
    last = None if error else next((scan for scan in recent if scan.pk == last_pk), None)
    lines: tuple[services.LineCheck, ...] = ()
    if last is not None and last.outcome == ScanOutcome.RECEIVED and last.ticket is not None:
        lines = services.line_checks(last.ticket)
    return {
        **admin.site.each_context(request),
        "title": _("Scan station"),
        "opts": Ticket._meta,
        "form": form,
        "error": error,
        "last": last,
        "last_verdict": verdict(last) if last else None,
        "fresh": fresh,
        "lines": lines,
        "recent": [(scan, verdict(scan)) for scan in recent],
        "parcel_condition": last.get_parcel_condition_display() if last else "",
    }
