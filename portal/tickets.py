"""A customer's own ticket, logged in: its page (the timeline, the next step, the label,
its refunds), where the parcel is (R10), the thread with support, cancelling it before
the parcel is received, the bank account a refund goes to (F6) and the credit notes
(F8). Anyone else, a visitor not logged in included, gets a 404, the same answer
as for a ticket that does not exist, whatever the method."""

from __future__ import annotations

from dataclasses import replace

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from portal.refund_status import (
    asks_account,
    masked_account,
    ticket_refunds,
    transfer_failed,
)
from portal.status import ticket_status
from refunds.iban import IbanError, normalized_iban
from refunds.models import CreditNote, Refund
from refunds.refunding import RefundError, refund_set_account
from rma import services
from rma.attachments import AttachmentRefused, attachments_check
from rma.models import Attachment, Ticket, TicketMessage
from rma.views import inline_pdf, label_response

TRACKING_NUMBER_CHARACTERS = gettext_lazy(
    "A tracking number has letters, digits, spaces and dashes only."
)


def _owned_ticket(request, number: str) -> Ticket:
    if not request.user.is_authenticated:  # the 404 page offers them the login
        raise Http404
    ticket = get_object_or_404(Ticket.objects.select_related("order__customer"), number=number)
    if ticket.order.customer.user_id != request.user.pk:
        raise Http404  # the same answer as for a ticket that does not exist
    return ticket


class ShippingForm(forms.Form):
    """R10: where the parcel is. The day is enough to stop the reminders to ship (D2);
    the tracking number stops the reminder for it (D3)."""

    shipped_on = forms.DateField(
        label=gettext_lazy("Shipped on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    carrier = forms.CharField(
        label=gettext_lazy("Carrier"),
        required=False,
        max_length=Ticket._meta.get_field("carrier").max_length,
        help_text=gettext_lazy("For example PostNL, DHL or DPD."),
    )
    tracking_number = forms.CharField(
        label=gettext_lazy("Tracking number"),
        required=False,
        max_length=Ticket._meta.get_field("tracking_number").max_length,
    )

    def clean_tracking_number(self) -> str:
        number = self.cleaned_data["tracking_number"].strip()
        if number and not all(c.isalnum() or c in " -" for c in number):
            raise forms.ValidationError(TRACKING_NUMBER_CHARACTERS)
        return number


class MessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=services.MESSAGE_MAX_LENGTH,
    )


HOLDER_NEEDED = gettext_lazy("Give the name of the account holder.")
ACCOUNT_NEXT_STEP = gettext_lazy(
    "Give us your bank account below, so that we can transfer your refund."
)


class BankAccountForm(forms.Form):
    """F6: the account a bank-transfer refund goes to, when the order did not tell us."""

    iban = forms.CharField(
        label=gettext_lazy("IBAN"),
        max_length=50,  # 34 characters, with the spaces people type between the groups
        help_text=gettext_lazy(
            "As it is on your bank card or statement, for example NL91 ABNA 0417 1643 00."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    account_holder = forms.CharField(
        label=gettext_lazy("Account holder"),
        max_length=Refund._meta.get_field("account_holder").max_length,
        error_messages={"required": HOLDER_NEEDED},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def clean_iban(self) -> str:
        # The checksum's message beside the field; the service checks it again.
        try:
            return normalized_iban(self.cleaned_data["iban"])
        except IbanError as error:
            raise forms.ValidationError(str(error)) from None


def _page(
    request,
    ticket: Ticket,
    *,
    shipping_form: ShippingForm | None = None,
    message_form: MessageForm | None = None,
    account_form: BankAccountForm | None = None,
    status: int = 200,
):
    """The ticket page, with the forms as typed when one was refused. Its queries do not
    grow with the number of events, messages, attachments, refunds or their items."""
    thread = list(
        TicketMessage.objects.filter(ticket=ticket)
        .prefetch_related("attachments")
        .order_by("at", "pk")
    )
    attachments = list(
        Attachment.objects.filter(ticket=ticket, message__isnull=True).order_by("at", "pk")
    )
    if shipping_form is None:
        shipping_form = ShippingForm(
            initial={
                "shipped_on": ticket.shipped_on or timezone.localdate(),
                "carrier": ticket.carrier,
                "tracking_number": ticket.tracking_number,
            }
        )
    transitions = services.ticket_transitions_for(ticket, request.user)
    refunds = ticket_refunds(ticket)
    asking = any(refund.asks_account for refund in refunds)
    failed = any(transfer_failed(row.refund) for row in refunds)
    status_shown = ticket_status(ticket)
    if asking:  # F6: until we have the account, that is what the customer does next
        status_shown = replace(status_shown, next_step=ACCOUNT_NEXT_STEP)
    if account_form is None:
        account_form = BankAccountForm(initial={"account_holder": ticket.order.customer.name})
    context = {
        "status": status_shown,
        "label_url": reverse("portal:my_ticket_label", args=[ticket.number]),
        "thread": thread,
        "attachments": attachments,
        "shipping_form": shipping_form,
        "message_form": message_form or MessageForm(),
        "may_cancel": "cancel" in transitions,
        "refunds": refunds,
        "asks_account": asking,
        "transfer_failed": failed,
        "account_form": account_form,
        "max_files": settings.ATTACHMENT_MAX_COUNT,
        "max_megabytes": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
    }
    return render(request, "portal/ticket/page.html", context, status=status)


@never_cache
def ticket_page(request, number: str):
    """The customer's own ticket page; anyone else gets a 404."""
    ticket = _owned_ticket(request, number)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return _page(request, ticket)


@never_cache
def ticket_shipping(request, number: str):
    """R10: the customer gives the shipping day, carrier and tracking number."""
    ticket = _owned_ticket(request, number)  # before the method: a stranger learns nothing
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ShippingForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_details_set(ticket=ticket, by=request.user, changes=form.cleaned_data)
        except services.TicketError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Thank you: we have saved where your parcel is."))
            return HttpResponseRedirect(reverse("portal:my_ticket", args=[number]) + "#shipping")
    return _page(request, ticket, shipping_form=form, status=400)


@never_cache
def ticket_message(request, number: str):
    """The customer writes to support about their ticket."""
    ticket = _owned_ticket(request, number)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = MessageForm(request.POST)
    if form.is_valid():
        files = request.FILES.getlist("photos")
        try:
            checked = attachments_check(files)  # refused: nothing stored, the text kept
            services.message_post(
                ticket=ticket,
                by=request.user,
                body=form.cleaned_data["body"],
                from_customer=True,
                attachments=checked,
            )
        except AttachmentRefused as refused:
            form.add_error(None, str(refused))
        except services.TicketError as error:
            form.add_error("body", str(error))
        else:
            messages.success(request, _("Your message has been sent. We answer you by e-mail."))
            return HttpResponseRedirect(reverse("portal:my_ticket", args=[number]) + "#messages")
    return _page(request, ticket, message_form=form, status=400)


@never_cache
def ticket_cancel(request, number: str):
    """Cancel the return before the parcel is received, after the customer confirms."""
    ticket = _owned_ticket(request, number)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    page = reverse("portal:my_ticket", args=[number])
    if request.method == "POST":
        try:
            services.ticket_cancel(ticket=ticket, by=request.user)
        except services.TicketError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Your return has been cancelled."))
        return HttpResponseRedirect(page)
    if "cancel" not in services.ticket_transitions_for(ticket, request.user):
        messages.error(
            request,
            _("This return is %(state)s now and can no longer be cancelled.")
            % {"state": ticket.get_state_display()},
        )
        return HttpResponseRedirect(page)
    return render(request, "portal/ticket/cancel.html", {"ticket": ticket})


@never_cache
def ticket_account(request, number: str):
    """F6: the customer gives the bank account their refund is transferred to. Every
    refund of the ticket that waits for one gets it, all or none."""
    ticket = _owned_ticket(request, number)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    page = reverse("portal:my_ticket", args=[number]) + "#refunds"
    waiting = [
        refund
        for refund in Refund.objects.filter(ticket=ticket).prefetch_related("parts")
        if asks_account(refund)
    ]
    if not waiting:
        messages.info(request, _("We do not need a bank account for this return."))
        return HttpResponseRedirect(page)
    form = BankAccountForm(request.POST)
    if form.is_valid():
        iban, holder = form.cleaned_data["iban"], form.cleaned_data["account_holder"]
        try:
            with transaction.atomic():
                for refund in waiting:
                    refund_set_account(refund=refund, iban=iban, holder=holder, by=request.user)
        except RefundError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Thank you: we transfer your refund to your bank account ending in %(last4)s.")
                % {"last4": masked_account(iban)},
            )
            return HttpResponseRedirect(page)
    return _page(request, ticket, account_form=form, status=400)


def credit_note_download(request, credit_note: str):
    """The credit note of the customer's paid refund (F8), from private storage; anyone
    else, and a credit note whose PDF is not rendered yet, gets a 404."""
    if not request.user.is_authenticated:
        raise Http404
    note = get_object_or_404(
        CreditNote.objects.select_related("refund__ticket__order__customer"), number=credit_note
    )
    if note.refund.ticket.order.customer.user_id != request.user.pk or not note.pdf:
        raise Http404  # the same answer as for a credit note that does not exist
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    try:
        pdf = note.pdf.open("rb")
    except FileNotFoundError:
        raise Http404 from None  # named but not stored: as if not rendered yet
    response = FileResponse(pdf, content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return inline_pdf(response, f"{note.number}.pdf")


def ticket_label_owned(request, number: str):
    """The return label: A6, or the A4 cut-out sheet with `?layout=a4`."""
    return label_response(request, _owned_ticket(request, number))


urlpatterns = [
    path("my/returns/<str:number>/", ticket_page, name="my_ticket"),
    path("my/returns/<str:number>/label.pdf", ticket_label_owned, name="my_ticket_label"),
    path("my/returns/<str:number>/shipping/", ticket_shipping, name="my_ticket_shipping"),
    path("my/returns/<str:number>/messages/", ticket_message, name="my_ticket_message"),
    path("my/returns/<str:number>/cancel/", ticket_cancel, name="my_ticket_cancel"),
    path("my/returns/<str:number>/bank-account/", ticket_account, name="my_ticket_account"),
    path("my/credit-notes/<str:credit_note>.pdf", credit_note_download, name="my_credit_note"),
]
