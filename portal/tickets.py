"""A customer's own ticket, logged in: its page (the timeline, the next step, the label),
where the parcel is (R10), the thread with support, and cancelling it before the parcel
is received. Anyone else, a visitor not logged in included, gets a 404, the same answer
as for a ticket that does not exist, whatever the method."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from portal.status import ticket_status
from rma import services
from rma.attachments import AttachmentRefused, attachments_check
from rma.models import Attachment, Ticket, TicketMessage
from rma.views import label_response

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


def _page(
    request,
    ticket: Ticket,
    *,
    shipping_form: ShippingForm | None = None,
    message_form: MessageForm | None = None,
    status: int = 200,
):
    """The ticket page, with the forms as typed when one was refused. Its queries do not
    grow with the number of events, messages or attachments."""
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
    context = {
        "status": ticket_status(ticket),
        "label_url": reverse("portal:my_ticket_label", args=[ticket.number]),
        "thread": thread,
        "attachments": attachments,
        "shipping_form": shipping_form,
        "message_form": message_form or MessageForm(),
        "may_cancel": "cancel" in transitions,
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


def ticket_label_owned(request, number: str):
    """The return label: A6, or the A4 cut-out sheet with `?layout=a4`."""
    return label_response(request, _owned_ticket(request, number))


urlpatterns = [
    path("my/returns/<str:number>/", ticket_page, name="my_ticket"),
    path("my/returns/<str:number>/label.pdf", ticket_label_owned, name="my_ticket_label"),
    path("my/returns/<str:number>/shipping/", ticket_shipping, name="my_ticket_shipping"),
    path("my/returns/<str:number>/messages/", ticket_message, name="my_ticket_message"),
    path("my/returns/<str:number>/cancel/", ticket_cancel, name="my_ticket_cancel"),
]
