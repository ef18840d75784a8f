"""The back office's ticket pages: lists with filters and search, a ticket's lines, its
vendor cases and history, and buttons for exactly the transitions the current user may
make now. It composes the apps below it (rma, vendors), so it lives above them."""

from collections import Counter
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from backoffice import scan
from backoffice.admin_filters import OverdueFilter
from backoffice.diagnosis import unit_urls, units_context
from backoffice.timeline import ticket_timeline
from core.admin_lists import LargeTableAdmin
from orders.admin import ReadOnlyInline
from orders.models import Order
from policies.reasons import Reason, goes_to_vendor
from rma import services
from rma.models import Attachment, NoticeChannel, Ticket, TicketLine, TicketMessage
from rma.search import ticket_search
from rma.states import AUTHORIZED_OR_LATER, LABELLED_STATES, Resolution
from vendors.models import VendorCase

TRANSITION_LABELS = {
    "authorize": _("Authorize"),
    "reject": _("Reject"),
    "cancel": _("Cancel"),
    "expire": _("Expire"),
    "receive": _("Receive parcel"),
    "resolve": _("Resolve"),
}


class TicketLineInline(ReadOnlyInline):
    model = TicketLine
    select_related = ("order_line__order",)
    fields = ["order_line", "quantity", "serials", "detail"]


class TicketCreateForm(forms.Form):
    order = forms.CharField(label=_("Order number"))
    reason = forms.ChoiceField(label=_("Reason"), choices=Ticket._meta.get_field("reason").choices)
    lines = forms.CharField(
        label=_("Lines"),
        required=False,
        help_text=_("line:quantity, separated by commas, e.g. 1:2, 3:1. Empty: every line."),
    )
    note = forms.CharField(label=_("Customer's description"), widget=forms.Textarea, required=False)
    notice_on = forms.DateField(
        label=_("Notice sent on"),
        required=False,
        help_text=_(
            "Withdrawals that came by post or e-mail: the day the customer sent the notice "
            "(postmark or e-mail date). Empty: today."
        ),
    )
    notice_channel = forms.ChoiceField(
        label=_("Notice received by"),
        required=False,
        choices=[("", "—")]
        + [(c.value, c.label) for c in (NoticeChannel.POST, NoticeChannel.EMAIL)],
        help_text=_("Withdrawals: how the customer's notice reached us. Empty: by post."),
    )
    notice_scan = forms.FileField(
        label=_("Scan of the notice"),
        required=False,
        help_text=_("Withdrawals: the letter, the model form or the e-mail (PDF, JPEG or PNG)."),
    )
    vendor_ticket_number = forms.CharField(label=_("Vendor support ticket"), required=False)
    factory_reset_confirmed = forms.BooleanField(label=_("Factory reset confirmed"), required=False)

    def clean_order(self) -> Order:
        try:
            return Order.objects.get(number=self.cleaned_data["order"].strip())
        except Order.DoesNotExist:
            raise forms.ValidationError(_("There is no order with this number.")) from None

    def clean(self):
        cleaned = super().clean()
        order = cleaned.get("order")
        if order is None:
            return cleaned
        text = cleaned.get("lines", "").strip()
        requests = []
        if not text:
            requests = [
                services.LineRequest(line.line_id, line.returnable_quantity)
                for line in order.lines.all()
                if line.returnable_quantity > 0
            ]
        for part in filter(None, (p.strip() for p in text.split(","))):
            line_id, _sep, quantity = part.partition(":")
            try:
                requests.append(services.LineRequest(line_id.strip(), int(quantity or 1)))
            except ValueError:
                self.add_error("lines", _("Write each line as line:quantity, e.g. 1:2."))
                return cleaned
        cleaned["line_requests"] = requests
        return cleaned


class TicketDetailsForm(forms.ModelForm):
    """The ticket's editable details (`services.DETAIL_FIELDS`), checked before saving."""

    class Meta:
        model = Ticket
        fields = list(services.DETAIL_FIELDS)

    def clean_shipped_on(self):
        shipped_on = self.cleaned_data.get("shipped_on")
        try:
            services.ticket_details_check({"shipped_on": shipped_on})
        except services.TicketError as error:
            raise forms.ValidationError(str(error)) from None
        return shipped_on


class TransitionForm(forms.Form):
    name = forms.ChoiceField(choices=list(TRANSITION_LABELS.items()))
    note = forms.CharField(required=False)
    resolution = forms.ChoiceField(choices=[("", "—"), *Resolution.choices], required=False)


class AnswerForm(forms.Form):
    body = forms.CharField(max_length=services.MESSAGE_MAX_LENGTH)


def _thread_context(ticket: Ticket, user) -> dict:
    """The thread with the customer (issue 16 §6), apart from the internal notes of the
    history: its messages, whether the customer waits for an answer, and every file the
    customer sent. Three queries, whatever their number."""
    thread = list(
        TicketMessage.objects.filter(ticket=ticket)
        .select_related("by")
        .prefetch_related("attachments")
        .order_by("at", "pk")
    )
    attachments = list(
        Attachment.objects.filter(ticket=ticket).select_related("by").order_by("at", "pk")
    )
    # The customer's messages since support last wrote: new, not answered yet.
    last_answer = max((i for i, m in enumerate(thread) if not m.from_customer), default=-1)
    unanswered = thread[last_answer + 1 :]
    return {
        "thread": thread,
        "unanswered": {message.pk for message in unanswered},
        "waiting_since": unanswered[0].at if unanswered else None,
        "attachments": attachments,
        "may_answer": user.has_perm("rma.change_ticket"),
        "message_max_length": services.MESSAGE_MAX_LENGTH,
    }


def _vendor_cases_context(ticket: Ticket, user) -> dict:
    """The ticket's vendor cases (R13) and whether `user` may open one for a unit now."""
    cases = list(
        VendorCase.objects.filter(ticket_line__ticket=ticket)
        .select_related("vendor")
        .order_by("pk")
    )
    lines = []
    if (
        goes_to_vendor(ticket.reason)
        and ticket.state in AUTHORIZED_OR_LATER
        and user.has_perm("vendors.add_vendorcase")
    ):
        # Only lines with a unit left without a case (one case per unit).
        opened = Counter(case.ticket_line_id for case in cases)
        lines = [
            line
            for line in ticket.lines.select_related("order_line")
            if opened[line.pk] < line.quantity
        ]
    return {"vendor_cases": cases, "may_open_vendor_case": bool(lines), "ticket_lines": lines}


@admin.register(Ticket)
class TicketAdmin(LargeTableAdmin):
    list_display = [
        "number",
        "order",
        "customer_email",
        "reason",
        "state",
        "created_at",
        "state_changed_at",
    ]
    # Each filter and sortable column has its index (rma.Ticket.Meta.indexes).
    list_filter = [OverdueFilter, "state", "reason", "policy", "created_at"]
    sortable_by = ["number", "created_at", "state_changed_at"]
    search = staticmethod(ticket_search)
    search_fields = ["number"]  # shows the search box; `search` does the finding
    search_help_text = _(
        "An RMA number, order number, e-mail address, serial or tracking number; or part "
        "of a customer's or product's name."
    )
    list_select_related = ["order__customer"]
    inlines = [TicketLineInline]
    form = TicketDetailsForm
    readonly_fields = [
        "number",
        "order",
        "policy",
        "reason",
        "state",
        "created_at",
        "state_changed_at",
        "created_by",
        "notice_on",
        "notice_channel",
        "notice_scan_link",
        "refund_due_on",
        "customer_note",
        "factory_reset_confirmed",
        "rejection_reason",
        "resolution",
    ]
    fields = readonly_fields[:-2] + [
        "vendor_ticket_number",
        "vendor_rma_number",
        "shipped_on",
        "carrier",
        "tracking_number",
        "rejection_reason",
        "resolution",
    ]

    @admin.display(description=_("customer"))
    def customer_email(self, ticket: Ticket) -> str:
        return ticket.order.customer.email

    @admin.display(description=_("scan of the notice"))
    def notice_scan_link(self, ticket: Ticket) -> str:
        if not ticket.notice_scan:
            return "—"
        url = reverse("admin:rma_ticket_notice_scan", args=[ticket.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open the scan"))

    def notice_scan_view(self, request, pk: int):
        """The scan of a withdrawal's notice, for staff who may see tickets only."""
        ticket = get_object_or_404(Ticket, pk=pk)
        if not self.has_view_permission(request, ticket) or not ticket.notice_scan:
            raise Http404
        content_type = {".pdf": "application/pdf", ".png": "image/png"}.get(
            Path(ticket.notice_scan.name).suffix, "image/jpeg"
        )
        response = FileResponse(ticket.notice_scan.open("rb"), content_type=content_type)
        response["Cache-Control"] = "no-store, private"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def get_urls(self):
        return [
            # The warehouse's scan station (backoffice/scan.py, R7).
            path("scan/", self.admin_site.admin_view(scan.station), name="rma_ticket_scan"),
            path(
                "<int:pk>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name="rma_ticket_transition",
            ),
            path(
                "<int:pk>/message/",
                self.admin_site.admin_view(self.message_view),
                name="rma_ticket_message",
            ),
            path(
                "<int:pk>/notice-scan/",
                self.admin_site.admin_view(self.notice_scan_view),
                name="rma_ticket_notice_scan",
            ),
            *unit_urls(self.admin_site),  # the units' diagnosis and R15 wipe
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        """Open a ticket through the service, which checks and holds the quantities."""
        if not self.has_add_permission(request):
            raise Http404
        form = TicketCreateForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                ticket = self._open(request, data)
            except services.TicketError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Opened %(number)s.") % {"number": ticket.number})
                return HttpResponseRedirect(reverse("admin:rma_ticket_change", args=[ticket.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Open a return request"),
            "submit_label": _("Open the request"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/retour/service_form.html", context)

    @staticmethod
    def _open(request, data) -> Ticket:
        """A withdrawal that came by post or e-mail is registered as the site's function
        registers one (W3): the same ticket, authorized at once, and the same e-mails."""
        if data["reason"] == Reason.WITHDRAWAL:
            return services.withdrawal_register(
                order=data["order"],
                lines=data["line_requests"],
                by=request.user,
                channel=data["notice_channel"] or NoticeChannel.POST,
                notice_on=data["notice_on"],
                scan=data["notice_scan"],
                note=data["note"],
            )
        if data["notice_scan"] or data["notice_channel"]:
            raise services.TicketError(_("Only a withdrawal has a notice and its scan."))
        return services.ticket_create(
            order=data["order"],
            reason=data["reason"],
            lines=data["line_requests"],
            by=request.user,
            note=data["note"],
            vendor_ticket_number=data["vendor_ticket_number"],
            factory_reset_confirmed=data["factory_reset_confirmed"],
            notice_on=data["notice_on"],
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if ticket is not None:
            extra_context["transitions"] = [
                (name, TRANSITION_LABELS[name])
                for name in services.ticket_transitions_for(ticket, request.user)
                # Diagnosed follows the units (issue 16): no button of its own.
                if name in TRANSITION_LABELS
            ]
            extra_context["resolutions"] = Resolution.choices
            extra_context["has_label"] = ticket.state in LABELLED_STATES and ticket.goods_to_return
            extra_context.update(_vendor_cases_context(ticket, request.user))
            extra_context.update(units_context(ticket, request.user))
            extra_context["timeline"] = ticket_timeline(ticket)
            extra_context.update(_thread_context(ticket, request.user))
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Staff edit only the details that drive deadlines; the service keeps their
        history (who, when, old → new)."""
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.ticket_details_set(ticket=obj, by=request.user, changes=changes)

    def message_view(self, request, pk: int):
        """Support answers the customer: the message joins the thread and is e-mailed
        to them in their language."""
        ticket = get_object_or_404(Ticket, pk=pk)
        if not self.has_view_permission(request, ticket):
            raise Http404
        back = HttpResponseRedirect(
            reverse("admin:rma_ticket_change", args=[pk]) + "#retour-thread"
        )
        form = AnswerForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            messages.error(request, _("Write the answer before sending it."))
            return back
        try:
            services.message_post(
                ticket=ticket,
                by=request.user,
                body=form.cleaned_data["body"],
                from_customer=False,
            )
        except services.TicketError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Your answer was sent to %(email)s.") % {"email": ticket.order.customer.email},
            )
        return back

    def transition_view(self, request, pk: int):
        ticket = get_object_or_404(Ticket, pk=pk)
        back = HttpResponseRedirect(reverse("admin:rma_ticket_change", args=[pk]))
        form = TransitionForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            messages.error(request, _("Choose an action."))
            return back
        name, note = form.cleaned_data["name"], form.cleaned_data["note"]
        actions = {
            "authorize": lambda: services.ticket_authorize(
                ticket=ticket, by=request.user, note=note
            ),
            "reject": lambda: services.ticket_reject(ticket=ticket, by=request.user, reason=note),
            "cancel": lambda: services.ticket_cancel(ticket=ticket, by=request.user, note=note),
            "expire": lambda: services.ticket_expire(ticket=ticket, by=request.user, note=note),
            "receive": lambda: services.ticket_receive(ticket=ticket, by=request.user, note=note),
            "resolve": lambda: services.ticket_resolve(
                ticket=ticket,
                by=request.user,
                resolution=form.cleaned_data["resolution"],
                note=note,
            ),
        }
        try:
            ticket = actions[name]()
        except services.TicketError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("%(number)s is now %(state)s.")
                % {"number": ticket.number, "state": ticket.get_state_display()},
            )
        return back
