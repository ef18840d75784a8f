"""A customer's orders and returns: what each line can still be returned for, and filing
a return request (RMA). HTTP only: `portal.overview` and `portal.return_form` decide what
is shown and asked, `rma.services.ticket_create` opens the ticket."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from orders.models import Customer, Order
from policies.selectors import rules_configuration
from portal.overview import (
    ORDERS_PER_PAGE,
    TICKETS_PER_PAGE,
    customer_overview,
    customer_tickets_query,
    ticket_rows,
)
from portal.refund_status import tickets_asking_account
from portal.return_form import NOT_SENT, ReturnForm
from rma import services
from rma.attachments import AttachmentRefused, attachments_check, attachments_store


@never_cache
def my_returns(request):
    """The customer's orders, newest first, a page at a time, with what each line can be
    returned for today; their tickets with the next step; and what they must do."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("portal:login"))
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:  # staff, or an account without a webshop customer
        return render(request, "portal/my/returns.html", {"overview": None})
    orders = Order.objects.filter(customer=customer).order_by("-placed_at", "-pk")
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    for order in page.object_list:
        order.customer = customer
    overview = customer_overview(customer, list(page.object_list), on=timezone.localdate())
    context = {
        "overview": overview,
        "page": page,
        # F6: a refund waits for the customer's bank account: something they must do.
        "accounts_asked": tickets_asking_account(customer),
    }
    return render(request, "portal/my/returns.html", context)


@never_cache
def my_tickets(request):
    """All the customer's returns, newest first, a page at a time."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("portal:login"))
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:
        raise Http404
    page = Paginator(customer_tickets_query(customer), TICKETS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = ticket_rows(page.object_list, rules_configuration().calendar)
    return render(request, "portal/my/tickets.html", {"rows": rows, "page": page})


def _own_order(request, number: str) -> Order:
    """The logged-in customer's order; a 404 for anyone else, as for no order at all."""
    if not request.user.is_authenticated:
        raise Http404
    order = (
        Order.objects.select_related("customer")
        .filter(number=number, customer__user=request.user)
        .first()
    )
    if order is None:
        raise Http404
    return order


@require_http_methods(["GET", "POST"])
@never_cache
def file_return(request, number: str):
    """The return request form of one order. "Update the form" (or htmx, on a change)
    shows what the choices so far lead to; "Send" checks everything and opens the ticket."""
    order = _own_order(request, number)
    data = request.POST if request.method == "POST" else None
    form = ReturnForm(order=order, on=timezone.localdate(), data=data)
    status = 200
    if data is not None and data.get("action") == "submit":
        ticket = _submit(request, form)
        if ticket is not None:
            messages.success(
                request,
                _("We have received your return request %(number)s.") % {"number": ticket.number},
            )
            return HttpResponseRedirect(reverse("portal:my_ticket", args=[ticket.number]))
        status = 400
    quote, quote_refused = form.preview()
    context = {
        "form": form,
        "order": order,
        "quote": quote,
        "quote_refused": quote_refused,
        "methods": [(form.method_label(p.method), p.amount) for p in quote.methods]
        if quote
        else [],
        "max_files": settings.ATTACHMENT_MAX_COUNT,
        "max_megabytes": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
        "not_sent": NOT_SENT if status == 400 else None,
    }
    return render(request, "portal/my/file_return.html", context, status=status)


def _submit(request, form: ReturnForm):
    """Check the form and the photos, then open the ticket and store the photos in one
    transaction; None (with the form's errors set) when anything is refused."""
    valid = form.validate()
    files = request.FILES.getlist("photos")
    checked = []
    try:
        checked = attachments_check(files)
    except AttachmentRefused as refused:
        form.errors.setdefault("photos", []).append(str(refused))
        valid = False
    if not valid:
        return None
    try:
        with transaction.atomic():
            ticket = services.ticket_create(
                order=form.order,
                reason=form.reason,
                lines=[
                    services.LineRequest(option.line_id, option.quantity, option.picked)
                    for option in form.chosen
                ],
                by=request.user,
                note=form.note.strip(),
                factory_reset_confirmed=form.factory_reset and form.needs_factory_reset,
                vendor_ticket_number=form.vendor_ticket_number if form.validation_vendors else "",
                vendor_rma_number=form.vendor_rma_number if form.direct_vendors else "",
                store_credit_chosen=form.store_credit_chosen,
            )
            attachments_store(ticket=ticket, files=checked, by=request.user)
    except services.TicketError as error:
        form.errors.setdefault("form", []).append(str(error))
        return None
    return ticket


urlpatterns = [
    path("my/", my_returns, name="my_returns"),
    path("my/returns/", my_tickets, name="my_tickets"),
    path("my/orders/<str:number>/return/", file_return, name="file_return"),
]
