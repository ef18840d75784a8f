"""Refunds in the back office (issue 18; SPEC §5 F1, F5, F6, F8, W7).

"Refunds" is the accountants' queue: what is not paid or cancelled yet, the W7 due day
first. A refund's page shows its items with any adjustment beside the original, its parts
and how each is paid back, its history, and a button for each step the person may take
now; each button calls one `refunds.refunding` service, which checks and locks, and a
refusal is said on the page with nothing changed. No field is edited directly: money
moves only through the services.

Credit notes have their own module (`refunds.admin_credit_notes`).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_lists import CappedChangeList, DefaultedFilter, LargeTableAdmin
from refunds import refunding
from refunds.iban import formatted_iban
from refunds.models import (
    Channel,
    CreditNote,
    Refund,
    RefundEvent,
    RefundEventKind,
    RefundItem,
    RefundPart,
    RefundState,
)
from refunds.quotes import method_label
from refunds.search import refund_search

# The accountants' work: refunds not yet paid or cancelled.
OPEN_STATES = (RefundState.PROPOSED, RefundState.APPROVED, RefundState.FAILED)
TO_DO = "todo"
ALL_REFUNDS = "all"
# W7: the list's "due soon" looks this many days ahead.
DUE_SOON_DAYS = 3


def state_value(params) -> str:
    """The state the list shows: as chosen; else the to-do queue, or every refund when
    searching (a number typed finds a paid refund too)."""
    chosen = params.get(RefundStateFilter.parameter_name)
    if chosen in (TO_DO, ALL_REFUNDS, *RefundState.values):
        return chosen
    return ALL_REFUNDS if params.get(SEARCH_VAR, "").strip() else TO_DO


class RefundStateFilter(DefaultedFilter):
    """ "To do" (proposed, approved or failed; the default), one state, or all refunds.
    Each served by the (state, due_on, id) index."""

    title = _("state")
    parameter_name = "state"

    def __init__(self, request, params, model, model_admin):
        self.current = state_value(request.GET)
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [
            (TO_DO, _("To do: proposed, approved or failed")),
            *RefundState.choices,
            (ALL_REFUNDS, _("All refunds")),
        ]

    def queryset(self, request, queryset):
        if self.current == TO_DO:
            return queryset.filter(state__in=OPEN_STATES)
        if self.current == ALL_REFUNDS:
            return queryset
        return queryset.filter(state=self.current)


OVERDUE, DUE_SOON = "overdue", "soon"


class DueFilter(admin.SimpleListFilter):
    """W7: refunds still to pay whose due day has passed, or comes within three days
    (the shop's own date, Europe/Amsterdam)."""

    title = _("due by (W7)")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            (OVERDUE, _("Overdue")),
            (DUE_SOON, _("Due within %(days)d days or overdue") % {"days": DUE_SOON_DAYS}),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == OVERDUE:
            return queryset.filter(state__in=OPEN_STATES, due_on__lt=today)
        if self.value() == DUE_SOON:
            return queryset.filter(
                state__in=OPEN_STATES, due_on__lte=today + timedelta(days=DUE_SOON_DAYS)
            )
        return queryset


class RefundChangeList(CappedChangeList):
    def get_ordering(self, request, queryset):
        """The queue (refunds still to pay): the W7 due day first, refunds without one
        after, then the oldest proposal. Paid and cancelled ones: newest first."""
        if ORDER_VAR not in self.params and state_value(request.GET) in (TO_DO, *OPEN_STATES):
            return [F("due_on").asc(nulls_last=True), "proposed_at", "pk"]
        return super().get_ordering(request, queryset)


class AdjustForm(forms.Form):
    item = forms.IntegerField()
    # An item may be negative (an F2–F4 deduction); the service keeps the total ≥ 0.
    amount = forms.DecimalField(max_digits=12, decimal_places=2)
    reason = forms.CharField(required=False, max_length=1000)


def _who(user) -> str:
    if user is None:
        return gettext("Retour")
    return user.get_full_name() or user.email


def _event_what(event: RefundEvent) -> str:
    data = event.data
    if event.kind == RefundEventKind.ADJUSTED:
        return gettext("Adjusted the %(rule)s item from EUR %(old)s to EUR %(new)s") % data
    if event.kind == RefundEventKind.ACCOUNT:
        return gettext("Bank account ending in %(ending)s given") % data
    return str(event.get_kind_display()).capitalize()


def _part_payer(refund: Refund, part: RefundPart, parts: list[RefundPart]) -> str:
    """Who paid a part: a bank transfer's batch was booked by someone, store credit was
    granted by someone; a part paid outside Retour by whoever paid the refund, when no
    bank transfer left the refund to be settled by a batch later."""
    if part.channel == Channel.SEPA:
        return _who(part.batch.executed_by) if part.batch else "—"
    if part.channel == Channel.STORE_CREDIT:
        return _who(part.grant.by) if part.grant else "—"
    if refund.paid_at and not any(p.channel == Channel.SEPA for p in parts):
        return _who(refund.paid_by)
    return "—"


def due_mark(refund: Refund, today) -> str:
    """The W7 due day, marked when it is today or passed and the refund is still to pay
    (in words too, not by colour alone)."""
    if refund.due_on is None:
        return "—"
    day = date_format(refund.due_on, "SHORT_DATE_FORMAT")
    if refund.state not in OPEN_STATES or refund.due_on > today:
        return day
    word = gettext("due today") if refund.due_on == today else gettext("overdue")
    return format_html(
        '<strong class="retour-overdue" style="color: var(--error-fg, #ba2121)">{} ({})</strong>',
        day,
        word,
    )


@admin.register(Refund)
class RefundAdmin(LargeTableAdmin):
    list_display = [
        "number",
        "ticket_number",
        "customer",
        "total",
        "state",
        "due",
        "proposed_by_name",
        "proposed_at",
    ]
    list_filter = [RefundStateFilter, DueFilter]
    list_select_related = ["ticket__order__customer", "proposed_by"]
    ordering = ["-proposed_at", "-pk"]
    sortable_by = ["number", "proposed_at"]
    search = staticmethod(refund_search)
    search_fields = ["number"]  # shows the search box; `search` does the finding
    search_help_text = _("A refund number, RMA number or order number, as written.")
    fields = [
        "number",
        "state",
        "ticket_link",
        "order_link",
        "customer",
        "due_on",
        "total",
        "charges_total",
        "store_credit_valid_months",
        "account",
        "credit_note_link",
    ]
    readonly_fields = fields

    def get_changelist(self, request, **kwargs):
        return RefundChangeList

    def get_queryset(self, request):
        # The list's and the page's related rows in one query (the changelist adds its
        # `list_select_related` only to a queryset that selects none yet).
        return super().get_queryset(request).select_related(*self.list_select_related)

    # --- columns and read-only fields ---

    @admin.display(description=_("ticket"))
    def ticket_number(self, refund: Refund) -> str:
        return refund.ticket.number

    @admin.display(description=_("customer"))
    def customer(self, refund: Refund) -> str:
        customer = refund.ticket.order.customer
        return customer.name or customer.email

    @admin.display(description=_("due by (W7)"), ordering="due_on")
    def due(self, refund: Refund) -> str:
        return due_mark(refund, timezone.localdate())  # the shop's own date

    @admin.display(description=_("proposed by"))
    def proposed_by_name(self, refund: Refund) -> str:
        return _who(refund.proposed_by) if refund.proposed_by_id else "—"

    @admin.display(description=_("ticket"))
    def ticket_link(self, refund: Refund) -> str:
        url = reverse("admin:rma_ticket_change", args=[refund.ticket_id])
        return format_html('<a href="{}">{}</a>', url, refund.ticket.number)

    @admin.display(description=_("order"))
    def order_link(self, refund: Refund) -> str:
        order = refund.ticket.order
        url = reverse("admin:orders_order_change", args=[order.pk])
        return format_html('<a href="{}">{}</a>', url, order.number)

    @admin.display(description=_("bank account"))
    def account(self, refund: Refund) -> str:
        if not refund.iban:
            return "—"
        return f"{formatted_iban(refund.iban)} ({refund.account_holder})"

    @admin.display(description=_("credit note"))
    def credit_note_link(self, refund: Refund) -> str:
        note = CreditNote.objects.filter(refund=refund).first()
        if note is None:
            return gettext("issued when the refund is paid (F8)")
        url = reverse("admin:refunds_creditnote_change", args=[note.pk])
        return format_html('<a href="{}">{}</a>', url, note.number)

    # --- what may be done: only through the services ---

    def has_add_permission(self, request) -> bool:
        return False  # proposed from the ticket page (refunds.refunding.refund_propose)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # no field is edited; the buttons below call the services

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        refund = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if refund is not None:
            extra_context.update(self._page_context(request, refund))
        return super().change_view(request, object_id, form_url, extra_context)

    def _page_context(self, request, refund: Refund) -> dict:
        user = request.user
        items = list(refund.items.select_related("adjusted_by").order_by("position"))
        parts = list(refund.parts.select_related("batch__executed_by", "grant__by").order_by("pk"))
        state = refund.state
        proposed = state == RefundState.PROPOSED
        may_approve = proposed and user.has_perm("refunds.approve_refund")
        four_eyes_ok = may_approve and refunding.refund_may_approve(refund, user)
        to_pay = [part for part in parts if part.paid_at is None]
        payable_here = [part for part in to_pay if part.channel != Channel.SEPA]
        may_pay = state == RefundState.APPROVED and user.has_perm("refunds.pay_refund")
        return {
            "refund": refund,
            "items": items,
            "parts": [self._part_row(part) for part in parts],
            "history": self._history(refund, parts),
            "may_adjust": proposed and user.has_perm("refunds.change_refund"),
            "may_approve": may_approve,
            "approve_refused": "" if four_eyes_ok else gettext(refunding.FOUR_EYES),
            "may_pay": may_pay and bool(payable_here),
            "waits_for_batch": may_pay
            and not payable_here
            and any(part.channel == Channel.SEPA for part in to_pay),
            "may_fail": state == RefundState.APPROVED and user.has_perm("refunds.pay_refund"),
            "may_retry": state == RefundState.FAILED and user.has_perm("refunds.pay_refund"),
            "may_cancel": state in (RefundState.PROPOSED, RefundState.FAILED)
            and user.has_perm("refunds.add_refund"),
            "needs_account": refunding.needs_account(refund)
            and state not in (RefundState.PAID, RefundState.CANCELLED),
            "is_open": state in OPEN_STATES,
        }

    @staticmethod
    def _part_row(part: RefundPart) -> dict:
        if part.paid_at is not None:
            status = date_format(localtime(part.paid_at), "SHORT_DATETIME_FORMAT")
        elif part.channel == Channel.SEPA:
            status = (
                gettext("in SEPA batch %(batch)s, paid when it is executed")
                % {"batch": part.batch.message_id}
                if part.batch
                else gettext("paid by the next SEPA batch")
            )
        elif part.channel == Channel.STORE_CREDIT:
            status = gettext("booked in the ledger when you pay")
        else:
            status = gettext("not yet: give the reference when you pay")
        return {
            "part": part,
            "method": method_label(part.method),
            "status": status,
            "needs_reference": part.paid_at is None and part.channel == Channel.OUTSIDE,
        }

    @staticmethod
    def _history(refund: Refund, parts: list[RefundPart]) -> list:
        """Who did what and when, oldest first (F8: an auditor reads why every cent moved):
        the refund's events and each part's payment."""
        rows = [
            (event.at, _who(event.by), _event_what(event), event.note)
            for event in refund.events.select_related("by")
        ]
        for part in parts:
            if part.paid_at:
                what = gettext("Paid EUR %(amount)s (%(method)s, %(channel)s)") % {
                    "amount": part.amount,
                    "method": method_label(part.method),
                    "channel": part.get_channel_display(),
                }
                rows.append((part.paid_at, _part_payer(refund, part, parts), what, part.reference))
        rows.sort(key=lambda row: row[0])
        return [{"at": at, "by": by, "what": what, "note": note} for at, by, what, note in rows]

    # --- the buttons ---

    def get_urls(self):
        def url(name, view):
            return path(
                f"<int:pk>/{name}/",
                self.admin_site.admin_view(view),
                name=f"refunds_refund_{name}",
            )

        return [
            url("adjust", self.adjust_view),
            url("approve", self.approve_view),
            url("pay", self.pay_view),
            url("fail", self.fail_view),
            url("retry", self.retry_view),
            url("cancel", self.cancel_view),
            *super().get_urls(),
        ]

    def _act(self, request, pk: int, permission: str, act) -> HttpResponseRedirect:
        """POST only: the service's refusal as a message, nothing changed; its success
        as the sentence `act` returns."""
        if not request.user.has_perm(permission):
            raise PermissionDenied
        refund = get_object_or_404(Refund, pk=pk)
        back = HttpResponseRedirect(reverse("admin:refunds_refund_change", args=[refund.pk]))
        if request.method != "POST":
            return back
        try:
            done = act(refund)
        except refunding.RefundError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done)
        return back

    def adjust_view(self, request, pk: int):
        def act(refund: Refund) -> str:
            form = AdjustForm(request.POST)
            if not form.is_valid():
                raise refunding.RefundError(
                    gettext("Give the new amount in euros, such as 95.00, and the reason.")
                )
            data = form.cleaned_data
            item = RefundItem.objects.filter(refund=refund, pk=data["item"]).first()
            if item is None:
                raise refunding.RefundError(gettext("This item is not part of the refund."))
            item = refunding.refund_adjust(
                item=item, amount=data["amount"], reason=data["reason"], by=request.user
            )
            refund.refresh_from_db(fields=["total"])
            return gettext(
                "The %(rule)s item is now EUR %(amount)s; %(number)s totals EUR %(total)s."
            ) % {
                "rule": item.rule,
                "amount": item.amount,
                "number": refund.number,
                "total": refund.total,
            }

        return self._act(request, pk, "refunds.change_refund", act)

    def approve_view(self, request, pk: int):
        def act(refund: Refund) -> str:
            refund = refunding.refund_approve(refund=refund, by=request.user)
            return gettext("%(number)s is %(state)s.") % {
                "number": refund.number,
                "state": refund.get_state_display(),
            }

        return self._act(request, pk, "refunds.approve_refund", act)

    def pay_view(self, request, pk: int):
        def act(refund: Refund) -> str:
            references = {
                part_pk: request.POST.get(f"reference-{part_pk}", "")
                for part_pk in refund.parts.values_list("pk", flat=True)
            }
            refund = refunding.refund_pay(refund=refund, by=request.user, references=references)
            if refund.state == RefundState.PAID:
                note = CreditNote.objects.get(refund=refund)
                return gettext("%(number)s is paid; credit note %(note)s is issued.") % {
                    "number": refund.number,
                    "note": note.number,
                }
            return gettext(
                "Booked. The bank transfer of %(number)s is paid when its SEPA batch is executed."
            ) % {"number": refund.number}

        return self._act(request, pk, "refunds.pay_refund", act)

    def fail_view(self, request, pk: int):
        def act(refund: Refund) -> str:
            refund = refunding.refund_fail(
                refund=refund, by=request.user, reason=request.POST.get("reason", "")
            )
            return gettext("%(number)s is marked as failed; retry it when you can.") % {
                "number": refund.number
            }

        return self._act(request, pk, "refunds.pay_refund", act)

    def retry_view(self, request, pk: int):
        def act(refund: Refund) -> str:
            refund = refunding.refund_retry(refund=refund, by=request.user)
            return gettext("%(number)s is approved again, to be paid again.") % {
                "number": refund.number
            }

        return self._act(request, pk, "refunds.pay_refund", act)

    def cancel_view(self, request, pk: int):
        def act(refund: Refund) -> str:
            refund = refunding.refund_cancel(refund=refund, by=request.user)
            return gettext("%(number)s is cancelled; its units may be refunded again.") % {
                "number": refund.number
            }

        return self._act(request, pk, "refunds.add_refund", act)
