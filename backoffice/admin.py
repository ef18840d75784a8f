"""The back office's ticket pages: lists with filters and search, a ticket's lines, its
vendor cases and history, and buttons for exactly the transitions the current user may
make now. It composes the apps below it (rma, vendors), so it lives above them."""

from collections import Counter
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from backoffice import scan
from backoffice.admin_filters import (
    NEEDS_A_PERSON,
    AssigneeFilter,
    OverdueFilter,
    QueueFilter,
    VendorFilter,
    queue_value,
)
from backoffice.diagnosis import unit_urls, units_context
from backoffice.refunds import refund_urls, ticket_refunds_context
from backoffice.timeline import ticket_timeline
from core.admin_lists import CappedChangeList, LargeTableAdmin
from orders.admin import ReadOnlyInline
from orders.models import Order
from policies.reasons import Reason, goes_to_vendor
from rma import services
from rma.models import Attachment, NoticeChannel, Ticket, TicketLine, TicketMessage
from rma.search import ticket_search
from rma.selectors import SEVERITY, stage_since
from rma.services.lifecycle import REJECTION_NEEDS_REASON
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
# Actions that end a ticket: asked to confirm first, on the ticket page and in bulk.
DESTRUCTIVE = {"reject", "cancel", "expire"}
CONFIRM_QUESTIONS = {
    "reject": _("Reject the tickets below? The customer is told, with your reason."),
    "cancel": _("Cancel the tickets below? The customer is told."),
    "expire": _("Expire the tickets below? The customer is told."),
}
# A bulk action acts on at most this many tickets (a page of the list and more).
BULK_MAX = 100


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


class TicketChangeList(CappedChangeList):
    def get_ordering(self, request, queryset):
        """Unless staff sort by a column, each to-do list in the order of its index, so a
        page reads a page: the queue with the overdue first, then the customer waiting
        longest, then the oldest request (`ticket_queue_idx`); one overdue stage with the
        longest overdue first (`stage_since`)."""
        if ORDER_VAR not in self.params:
            if queue_value(request.GET) == NEEDS_A_PERSON:
                return [
                    F("overdue").desc(),
                    F("customer_waiting_since").asc(nulls_last=True),
                    "created_at",
                    "pk",
                ]
            stage = request.GET.get(OverdueFilter.parameter_name)
            if stage in SEVERITY:
                return [stage_since(stage), "pk"]
        return super().get_ordering(request, queryset)


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


def _too_many() -> str:
    return gettext("Choose at most %(max)d tickets at a time.") % {"max": BULK_MAX}


@admin.register(Ticket)
class TicketAdmin(LargeTableAdmin):
    list_display = [
        "number",
        "attention",
        "order",
        "customer_email",
        "reason",
        "state",
        "vendor",
        "assignee",
        "created_at",
        "state_changed_at",
    ]
    # Each filter and sortable column has its index (rma.Ticket.Meta.indexes); the queue
    # ("needs a person") is the default view.
    list_filter = [
        QueueFilter,
        OverdueFilter,
        "state",
        "reason",
        VendorFilter,
        "route",
        "policy",
        AssigneeFilter,
        "created_at",
    ]
    actions = [
        "assign_to_me",
        "unassign",
        "authorize_selected",
        "reject_selected",
        "cancel_selected",
        "expire_selected",
    ]
    sortable_by = ["number", "created_at", "state_changed_at"]
    search = staticmethod(ticket_search)
    search_fields = ["number"]  # shows the search box; `search` does the finding
    search_help_text = _(
        "An RMA number, order number, e-mail address, serial or tracking number; or part "
        "of a customer's or product's name."
    )
    list_select_related = ["order__customer", "vendor", "assignee"]
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

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and obj.store_credit_chosen:
            # F6: the customer's choice of store credit, beside the reason it came with;
            # nothing is shown where they took the way they paid (every other ticket).
            fields.insert(fields.index("reason") + 1, "store_credit_choice")
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "store_credit_choice"]

    @admin.display(description=_("money back"))
    def store_credit_choice(self, ticket: Ticket) -> str:
        return gettext("Customer chose store credit (F6)")

    @admin.display(description=_("customer"))
    def customer_email(self, ticket: Ticket) -> str:
        return ticket.order.customer.email

    @admin.display(description=_("needs"))
    def attention(self, ticket: Ticket) -> str:
        """Why the ticket is in the queue: a passed deadline, a customer waiting."""
        marks = []
        if ticket.overdue:
            marks.append(format_html('<strong class="retour-overdue">{}</strong>', _("Overdue")))
        if ticket.customer_waiting_since:
            since = date_format(localtime(ticket.customer_waiting_since), "SHORT_DATETIME_FORMAT")
            marks.append(
                format_html(
                    '<span class="retour-waiting">{}</span>',
                    _("Customer waiting since %(since)s") % {"since": since},
                )
            )
        return format_html_join(" ", "{}", ((mark,) for mark in marks))

    def get_changelist(self, request, **kwargs):
        return TicketChangeList

    # Who may use each action (the admin's `has_<name>_permission`).
    def has_authorize_permission(self, request) -> bool:
        return request.user.has_perm("rma.authorize_ticket")

    def has_reject_permission(self, request) -> bool:
        return request.user.has_perm("rma.reject_ticket")

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("rma.cancel_ticket")

    def has_expire_permission(self, request) -> bool:
        return request.user.has_perm("rma.expire_ticket")

    def _each(self, request, queryset, act, done) -> None:
        """`act` on each selected ticket through its service; what was done is counted
        and each refusal reported with the ticket's number and the service's sentence."""
        tickets = list(queryset.order_by("pk")[: BULK_MAX + 1])
        if len(tickets) > BULK_MAX:
            messages.error(request, _too_many())
            return
        count = 0
        for ticket in tickets:
            try:
                changed = act(ticket)
            except services.TicketError as error:
                messages.error(
                    request,
                    gettext("%(number)s: %(why)s") % {"number": ticket.number, "why": error},
                )
            else:
                count += changed is not False
        if count:
            messages.success(request, done(count) % {"count": count})

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda t: services.ticket_assign(ticket=t, by=request.user, assignee=request.user),
            lambda n: ngettext(
                "Assigned %(count)d ticket to you.", "Assigned %(count)d tickets to you.", n
            ),
        )

    @admin.action(description=_("Unassign"), permissions=["change"])
    def unassign(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda t: services.ticket_assign(ticket=t, by=request.user, assignee=None),
            lambda n: ngettext("Unassigned %(count)d ticket.", "Unassigned %(count)d tickets.", n),
        )

    @admin.action(description=_("Authorize"), permissions=["authorize"])
    def authorize_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda t: services.ticket_authorize(ticket=t, by=request.user),
            lambda n: ngettext("Authorized %(count)d ticket.", "Authorized %(count)d tickets.", n),
        )

    @admin.action(description=_("Reject…"), permissions=["reject"])
    def reject_selected(self, request, queryset):
        return self._confirmed_bulk(
            request,
            queryset,
            "reject",
            lambda t, note: services.ticket_reject(ticket=t, by=request.user, reason=note),
            lambda n: ngettext("Rejected %(count)d ticket.", "Rejected %(count)d tickets.", n),
        )

    @admin.action(description=_("Cancel…"), permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        return self._confirmed_bulk(
            request,
            queryset,
            "cancel",
            lambda t, note: services.ticket_cancel(ticket=t, by=request.user, note=note),
            lambda n: ngettext("Cancelled %(count)d ticket.", "Cancelled %(count)d tickets.", n),
        )

    @admin.action(description=_("Expire…"), permissions=["expire"])
    def expire_selected(self, request, queryset):
        return self._confirmed_bulk(
            request,
            queryset,
            "expire",
            lambda t, note: services.ticket_expire(ticket=t, by=request.user, note=note),
            lambda n: ngettext("Expired %(count)d ticket.", "Expired %(count)d tickets.", n),
        )

    def _confirmed_bulk(self, request, queryset, name, act, done):
        """A destructive bulk action: a page listing the tickets asks to confirm (and,
        for a rejection, the reason the customers will read); then each is done."""
        note = request.POST.get("note", "").strip()
        error = ""
        if request.POST.get("confirmed"):
            if name == "reject" and not note:
                error = gettext(REJECTION_NEEDS_REASON)
            else:
                self._each(request, queryset, lambda t: act(t, note), done)
                return None
        tickets = list(queryset.select_related("order__customer").order_by("pk")[: BULK_MAX + 1])
        if len(tickets) > BULK_MAX:
            messages.error(request, _too_many())
            return None
        return self._confirmation(
            request,
            name=name,
            tickets=tickets,
            action_url=request.get_full_path(),
            hidden=[("action", f"{name}_selected")]
            + [(helpers.ACTION_CHECKBOX_NAME, str(ticket.pk)) for ticket in tickets],
            note=note,
            error=error,
            back_url=request.get_full_path(),
        )

    def _confirmation(self, request, *, name, tickets, action_url, hidden, note, error, back_url):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Are you sure?"),
            "opts": self.model._meta,
            "question": CONFIRM_QUESTIONS[name],
            "button": TRANSITION_LABELS[name],
            "needs_reason": name == "reject",
            "tickets": tickets,
            "action_url": action_url,
            "hidden": hidden,
            "note": note,
            "error": error,
            "back_url": back_url,
        }
        return TemplateResponse(request, "admin/rma/ticket/confirm_action.html", context)

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
                "<int:pk>/assign/",
                self.admin_site.admin_view(self.assign_view),
                name="rma_ticket_assign",
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
            *refund_urls(self.admin_site),  # propose a refund (issue 18)
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
            # Each button the role allows, disabled with the reason when it cannot be
            # used now. Diagnosed follows the units (issue 16): no button of its own.
            extra_context["transitions"] = [
                {
                    "name": c.name,
                    "label": TRANSITION_LABELS[c.name],
                    "allowed": c.allowed,
                    "reason": c.reason,
                }
                for c in services.ticket_transition_choices(ticket, request.user)
                if c.name in TRANSITION_LABELS
            ]
            extra_context["may_assign"] = request.user.has_perm("rma.change_ticket")
            extra_context["resolutions"] = Resolution.choices
            extra_context["has_label"] = ticket.state in LABELLED_STATES and ticket.goods_to_return
            extra_context.update(_vendor_cases_context(ticket, request.user))
            extra_context.update(units_context(ticket, request.user))
            extra_context.update(ticket_refunds_context(ticket, request.user))
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

    def assign_view(self, request, pk: int):
        """ "Assign to me" and "Unassign" on the ticket page."""
        ticket = get_object_or_404(Ticket, pk=pk)
        if not self.has_view_permission(request, ticket):
            raise Http404
        if not self.has_change_permission(request, ticket):
            raise PermissionDenied  # as the "Assign to me" action (tests/admin/test_roles_walk)
        back = HttpResponseRedirect(reverse("admin:rma_ticket_change", args=[pk]))
        to = request.POST.get("to") if request.method == "POST" else None
        if to not in ("me", "nobody"):
            messages.error(request, _("Choose an action."))
            return back
        try:
            services.ticket_assign(
                ticket=ticket, by=request.user, assignee=request.user if to == "me" else None
            )
        except services.TicketError as error:
            messages.error(request, str(error))
        else:
            done = (
                _("%(number)s is assigned to you.")
                if to == "me"
                else _("%(number)s is assigned to nobody.")
            )
            messages.success(request, done % {"number": ticket.number})
        return back

    def transition_view(self, request, pk: int):
        ticket = get_object_or_404(Ticket, pk=pk)
        back = HttpResponseRedirect(reverse("admin:rma_ticket_change", args=[pk]))
        form = TransitionForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            messages.error(request, _("Choose an action."))
            return back
        name, note = form.cleaned_data["name"], form.cleaned_data["note"]
        usable = {
            c.name for c in services.ticket_transition_choices(ticket, request.user) if c.allowed
        }
        if name in DESTRUCTIVE and name in usable and not request.POST.get("confirmed"):
            # Ending a ticket is asked to confirm first (with the reason, for a rejection);
            # one that cannot be made now goes on to the service's clear refusal.
            return self._confirmation(
                request,
                name=name,
                tickets=[ticket],
                action_url=request.path,
                hidden=[("name", name)],
                note=note.strip(),
                error="",
                back_url=back.url,
            )
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
