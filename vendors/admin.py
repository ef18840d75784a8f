"""The back office's vendors and vendor cases (V1–V4, R13, D5).

Cases change only through `vendors/services.py`: the list's actions send or close the
chosen cases, and a case's page records the vendor's decision with a small form.
"""

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_lists import LargeTableAdmin
from rma.models import TicketLine
from vendors import services
from vendors.deadlines import case_overdue_on
from vendors.models import AWAITING_VENDOR, Decision, VendorCase
from vendors.search import vendor_case_search
from vendors.selectors import case_overdue_q


class VendorCaseOverdueFilter(admin.SimpleListFilter):
    """D5: cases awaiting their vendor longer than its usual time (the chaser's query)."""

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("D5 vendor case overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(case_overdue_q(today=timezone.localdate()))
        return queryset


class OpenCaseForm(forms.Form):
    ticket_line = forms.IntegerField()
    serial = forms.CharField(required=False, max_length=80)
    firmware_version = forms.CharField(required=False, max_length=60)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices)
    vendor_rma_number = forms.CharField(required=False, max_length=60)


@admin.register(VendorCase)
class VendorCaseAdmin(LargeTableAdmin):
    list_display = [
        "id",
        "ticket_number",
        "vendor",
        "route",
        "serial",
        "state",
        "opened_at",
        "overdue_since",
        "vendor_rma_number",
        "decision",
    ]
    list_filter = [VendorCaseOverdueFilter, "state", "route", "vendor"]
    sortable_by = ["id", "opened_at"]
    search = staticmethod(vendor_case_search)
    search_fields = ["serial"]  # shows the search box; `search` does the finding
    search_help_text = _(
        "An RMA number, serial, vendor RMA number or vendor support ticket; or part of "
        "the vendor's name."
    )
    list_select_related = ["vendor", "ticket_line__ticket"]
    actions = ["send_cases", "close_cases"]
    fields = [
        "ticket_link",
        "ticket_line",
        "vendor",
        "route",
        "state",
        "serial",
        "mac_address",
        "firmware_version",
        "vendor_ticket_number",
        "vendor_rma_number",
        "decision",
        "opened_at",
        "overdue_since",
        "opened_by",
        "sent_at",
        "decided_at",
        "closed_at",
        "note",
    ]
    readonly_fields = fields

    @admin.display(description=_("ticket"))
    def ticket_number(self, case: VendorCase) -> str:
        return case.ticket_line.ticket.number

    @admin.display(description=_("ticket"))
    def ticket_link(self, case: VendorCase) -> str:
        ticket = case.ticket_line.ticket
        url = reverse("admin:rma_ticket_change", args=[ticket.pk])
        return format_html('<a href="{}">{}</a>', url, ticket.number)

    @admin.display(description=_("overdue since (D5)"))
    def overdue_since(self, case: VendorCase):
        if case.state not in AWAITING_VENDOR:
            return None
        day = case_overdue_on(timezone.localdate(case.opened_at), case.vendor.usual_decision_days)
        return day if day <= timezone.localdate() else None

    def has_add_permission(self, request) -> bool:
        return False  # opened per unit from a defect ticket (vendors.services.vendor_case_open)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # read-only page; the decision form and list actions use the services

    def _apply(self, request, queryset, act, done_message) -> None:
        done = 0
        for case in queryset:
            try:
                act(case=case, by=request.user)
            except services.VendorCaseError as error:
                messages.error(request, f"#{case.pk}: {error}")
            else:
                done += 1
        if done:
            messages.success(request, done_message % {"count": done})

    # The list offers each person only the actions their role allows.
    def has_send_permission(self, request) -> bool:
        return request.user.has_perm("vendors.send_vendorcase")

    def has_close_permission(self, request) -> bool:
        return request.user.has_perm("vendors.close_vendorcase")

    @admin.action(description=_("Record as sent to the vendor"), permissions=["send"])
    def send_cases(self, request, queryset):
        self._apply(
            request, queryset, services.vendor_case_send, _("%(count)s case(s) sent to the vendor.")
        )

    @admin.action(description=_("Close (the decision was carried out)"), permissions=["close"])
    def close_cases(self, request, queryset):
        self._apply(request, queryset, services.vendor_case_close, _("%(count)s case(s) closed."))

    def get_urls(self):
        return [
            path(
                "open/",
                self.admin_site.admin_view(self.open_view),
                name="vendors_vendorcase_open",
            ),
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="vendors_vendorcase_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if case is not None and case.state in AWAITING_VENDOR:
            extra_context["may_decide"] = request.user.has_perm("vendors.decide_vendorcase")
            extra_context["decisions"] = Decision.choices
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, pk: int):
        case = get_object_or_404(VendorCase, pk=pk)
        back = HttpResponseRedirect(reverse("admin:vendors_vendorcase_change", args=[pk]))
        form = DecisionForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            messages.error(request, _("Choose the vendor's decision."))
            return back
        try:
            services.vendor_case_decide(
                case=case,
                by=request.user,
                decision=form.cleaned_data["decision"],
                vendor_rma_number=form.cleaned_data["vendor_rma_number"],
            )
        except services.VendorCaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The vendor's decision is recorded."))
        return back

    def open_view(self, request):
        """Open the case of one unit from the ticket page's form (R13), then go back."""
        form = OpenCaseForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            raise Http404
        line = get_object_or_404(TicketLine, pk=form.cleaned_data["ticket_line"])
        try:
            case = services.vendor_case_open(
                ticket_line=line,
                by=request.user,
                serial=form.cleaned_data["serial"],
                firmware_version=form.cleaned_data["firmware_version"],
            )
        except services.VendorCaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Vendor case #%(case)s opened at %(vendor)s.")
                % {"case": case.pk, "vendor": case.vendor.name},
            )
        return HttpResponseRedirect(reverse("admin:rma_ticket_change", args=[line.ticket_id]))
