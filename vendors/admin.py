"""The back office's vendors and vendor cases (V1–V4, R13, D5).

Cases change only through `vendors/services.py`: the list's actions send or close the
chosen cases, and a case's page records the vendor's decision with a small form.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_lists import LargeTableAdmin
from rma.models import TicketLine
from vendors import services
from vendors.deadlines import case_overdue_on
from vendors.documents import packing_list_pdf, shipment_units
from vendors.models import (
    AWAITING_VENDOR,
    CaseState,
    Decision,
    ShipmentState,
    VendorCase,
    VendorShipment,
)
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


class ParcelForm(forms.Form):
    """A parcel leaves: to the vendor (a shipment) or back to the customer."""

    carrier = forms.CharField(required=False, max_length=60)
    tracking_number = forms.CharField(required=False, max_length=80)


class AdvanceReplacementForm(forms.Form):
    serial = forms.CharField(required=False, max_length=80)
    tracking_number = forms.CharField(required=False, max_length=80)
    shipped_on = forms.DateField(required=False)


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
    actions = ["pack_cases", "send_cases", "close_cases"]
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
        "unit",
        "shipment_link",
        "opened_at",
        "overdue_since",
        "opened_by",
        "sent_at",
        "decided_at",
        "advance_replacement_shipped_on",
        "advance_replacement_serial",
        "advance_replacement_tracking_number",
        "returned_to_customer_at",
        "return_carrier",
        "return_tracking_number",
        "closed_at",
        "note",
    ]
    readonly_fields = fields

    @admin.display(description=_("vendor shipment"))
    def shipment_link(self, case: VendorCase):
        if case.shipment_id is None:
            return None
        url = reverse("admin:vendors_vendorshipment_change", args=[case.shipment_id])
        return format_html('<a href="{}">#{}</a>', url, case.shipment_id)

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

    def has_pack_permission(self, request) -> bool:
        return request.user.has_perm("vendors.change_vendorshipment")

    @admin.action(description=_("Add to a shipment"), permissions=["pack"])
    def pack_cases(self, request, queryset):
        """V1: the chosen units go into their vendor's shipment being packed."""
        try:
            packed, refused = services.shipment_gather(cases=list(queryset), by=request.user)
        except services.VendorCaseError as error:
            messages.error(request, str(error))
            return None
        for _case, sentence in refused:
            messages.error(request, sentence)
        for shipment_pk in sorted({case.shipment_id for case in packed}):
            count = sum(1 for case in packed if case.shipment_id == shipment_pk)
            url = reverse("admin:vendors_vendorshipment_change", args=[shipment_pk])
            messages.success(
                request,
                format_html(
                    '<a href="{}">{}</a>',
                    url,
                    ngettext(
                        "%(count)s unit in shipment #%(shipment)s.",
                        "%(count)s units in shipment #%(shipment)s.",
                        count,
                    )
                    % {"count": count, "shipment": shipment_pk},
                ),
            )
        return None

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
            path(
                "<int:pk>/advance-replacement/",
                self.admin_site.admin_view(self.advance_replacement_view),
                name="vendors_vendorcase_advance_replacement",
            ),
            path(
                "<int:pk>/return/",
                self.admin_site.admin_view(self.return_view),
                name="vendors_vendorcase_return",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if case is not None and case.state in AWAITING_VENDOR:
            extra_context["may_decide"] = request.user.has_perm("vendors.decide_vendorcase")
            extra_context["decisions"] = Decision.choices
            extra_context["may_record_replacement"] = (
                case.vendor.offers_advance_replacement
                and not case.advance_replacement_serial
                and request.user.has_perm("vendors.replace_vendorcase")
            )
        if case is not None and case.state == CaseState.DECIDED:
            extra_context["may_return"] = (
                case.decision in services.UNIT_GOES_BACK
                and case.returned_to_customer_at is None
                and request.user.has_perm("vendors.return_vendorcase")
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def advance_replacement_view(self, request, pk: int):
        case = get_object_or_404(VendorCase, pk=pk)
        form = AdvanceReplacementForm(request.POST or None)
        if request.method != "POST":
            raise Http404
        if not form.is_valid():
            messages.error(request, _("Enter the date as shown, e.g. 2026-11-23."))
        else:
            try:
                services.vendor_case_advance_replacement(
                    case=case,
                    by=request.user,
                    serial=form.cleaned_data["serial"],
                    tracking_number=form.cleaned_data["tracking_number"],
                    shipped_on=form.cleaned_data["shipped_on"],
                )
            except services.VendorCaseError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("The advance replacement is recorded."))
        return HttpResponseRedirect(reverse("admin:vendors_vendorcase_change", args=[pk]))

    def return_view(self, request, pk: int):
        case = get_object_or_404(VendorCase, pk=pk)
        form = ParcelForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            raise Http404
        try:
            services.vendor_case_return_to_customer(
                case=case,
                by=request.user,
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
            )
        except services.VendorCaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The unit is on its way back to the customer."))
        return HttpResponseRedirect(reverse("admin:vendors_vendorcase_change", args=[pk]))

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


@admin.register(VendorShipment)
class VendorShipmentAdmin(admin.ModelAdmin):
    """The parcels of units the shop forwards to vendors (V1). A small table (a parcel per
    vendor every few days): an ordinary list, newest first, on its index."""

    list_display = [
        "id",
        "vendor",
        "state",
        "unit_count",
        "carrier",
        "tracking_number",
        "created_at",
        "sent_at",
    ]
    list_display_links = ["id", "vendor"]
    list_filter = ["state", "vendor"]
    list_select_related = ["vendor"]
    search_fields = ["tracking_number"]
    show_full_result_count = False
    fields = [
        "vendor",
        "state",
        "carrier",
        "tracking_number",
        "created_at",
        "created_by",
        "sent_at",
        "sent_by",
        "delivered_at",
        "note",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(unit_count=Count("cases"))

    @admin.display(description=_("units"), ordering="unit_count")
    def unit_count(self, shipment: VendorShipment) -> int:
        return shipment.unit_count  # type: ignore[attr-defined]

    def has_add_permission(self, request) -> bool:
        return False  # made by adding units from the vendor-case list ("Add to a shipment")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # read-only page; its forms call the services

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/send/", view(self.send_view), name="vendors_vendorshipment_send"),
            path(
                "<int:pk>/deliver/", view(self.deliver_view), name="vendors_vendorshipment_deliver"
            ),
            path(
                "<int:pk>/remove/<int:case>/",
                view(self.remove_view),
                name="vendors_vendorshipment_remove",
            ),
            path(
                "<int:pk>/packing-list.pdf",
                view(self.packing_list_view),
                name="vendors_vendorshipment_packing_list",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        shipment = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if shipment is not None:
            user = request.user
            draft = shipment.state == ShipmentState.DRAFT
            extra_context.update(
                units=shipment_units(shipment),
                may_send=draft and user.has_perm("vendors.send_vendorshipment"),
                may_pack=draft and user.has_perm("vendors.change_vendorshipment"),
                may_deliver=shipment.state == ShipmentState.SENT
                and user.has_perm("vendors.deliver_vendorshipment"),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _shipment(self, request, pk: int) -> VendorShipment:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(VendorShipment.objects.select_related("vendor"), pk=pk)

    def _back(self, pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:vendors_vendorshipment_change", args=[pk]))

    def packing_list_view(self, request, pk: int):
        shipment = self._shipment(request, pk)
        response = HttpResponse(packing_list_pdf(shipment), content_type="application/pdf")
        name = f"packing-list-{shipment.vendor.name}-{shipment.pk}.pdf".replace(" ", "-")
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response

    def send_view(self, request, pk: int):
        shipment = self._shipment(request, pk)
        form = ParcelForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            raise Http404
        try:
            services.shipment_send(
                shipment=shipment,
                by=request.user,
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
            )
        except services.VendorCaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Shipment #%(shipment)s is sent to %(vendor)s: its units are at the vendor.")
                % {"shipment": shipment.pk, "vendor": shipment.vendor.name},
            )
        return self._back(pk)

    def deliver_view(self, request, pk: int):
        shipment = self._shipment(request, pk)
        if request.method != "POST":
            raise Http404
        try:
            services.shipment_deliver(shipment=shipment, by=request.user)
        except services.VendorCaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The shipment is recorded as delivered."))
        return self._back(pk)

    def remove_view(self, request, pk: int, case: int):
        shipment = self._shipment(request, pk)
        if request.method != "POST":
            raise Http404
        vendor_case = get_object_or_404(VendorCase, pk=case)
        try:
            services.shipment_remove_case(shipment=shipment, case=vendor_case, by=request.user)
        except services.VendorCaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Vendor case #%(case)s is taken out of the shipment.") % {"case": case},
            )
        return self._back(pk)
