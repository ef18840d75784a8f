"""The public site: HTTP only. The rules live in withdrawals/ and rma/; these views parse,
call a service or selector, and render (docs/architecture.md)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.lockout import client_ip
from orders.models import Customer, Order
from portal.forms import IdentifyForm, OwnOrderForm
from portal.services import LookupLocked, LookupRefused, order_lookup
from portal.status import ticket_status
from rma import services
from rma.links import ticket_number_from_token, ticket_status_token
from rma.models import Ticket
from rma.views import inline_pdf, label_response
from withdrawals.documents import model_withdrawal_form

# The order a visitor identified in step 1, kept in their session for step 2.
PENDING = "portal.withdrawal"
BAD_QUANTITY = gettext_lazy("{product}: choose a quantity from 0 to {available}.")


def _customer(request) -> Customer | None:
    if not request.user.is_authenticated:
        return None
    return Customer.objects.filter(user=request.user).first()


def home(request):
    return render(request, "portal/home.html")


def other_returns(request):
    return render(request, "portal/other_returns.html")


@require_http_methods(["GET", "POST"])
@never_cache
def withdraw(request):
    """Step 1: identify the contract. A guest types name, e-mail and order number; a
    logged-in customer picks one of their orders."""
    customer = _customer(request)
    status = 200
    if customer is not None:
        orders = list(customer.orders.order_by("-placed_at")[:100])
        form = OwnOrderForm(request.POST or None, orders=orders)
        if request.method == "POST" and form.is_valid():
            request.session[PENDING] = {
                "order": form.cleaned_data["order"],
                "name": customer.name,
                "email": customer.email,
            }
            return HttpResponseRedirect(reverse("portal:withdraw_confirm"))
    else:
        form = IdentifyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                order = order_lookup(
                    number=data["order_number"], email=data["email"], ip=client_ip(request)
                )
            except LookupRefused as refused:
                form.add_error(None, str(refused))
                status = 429 if isinstance(refused, LookupLocked) else 200
            else:
                request.session[PENDING] = {
                    "order": order.number,
                    "name": data["name"],
                    "email": data["email"],
                }
                return HttpResponseRedirect(reverse("portal:withdraw_confirm"))
    return render(
        request, "portal/withdraw.html", {"form": form, "customer": customer}, status=status
    )


def _pending_order(request) -> tuple[dict, Order] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    order = Order.objects.select_related("customer").filter(number=pending.get("order")).first()
    return (pending, order) if order is not None else None


@require_http_methods(["GET", "POST"])
@never_cache
def withdraw_confirm(request):
    """Step 2: what is withdrawn, each line's last day, what cannot be and why; confirm."""
    found = _pending_order(request)
    if found is None:
        return HttpResponseRedirect(reverse("portal:withdraw"))
    pending, order = found
    preview = services.withdrawal_preview(order=order, on=timezone.localdate())
    quantities = {line.line_id: line.available for line in preview.open_lines}
    errors: list[str] = []
    if request.method == "POST":
        for line in preview.open_lines:
            raw = request.POST.get(f"quantity-{line.line_id}", "")
            quantity = int(raw) if raw.strip().isdigit() else -1
            if not 0 <= quantity <= line.available:
                errors.append(BAD_QUANTITY.format(product=line.name, available=line.available))
            else:
                quantities[line.line_id] = quantity
        if not errors:
            # The customer's own account when they are logged in to it; else nobody.
            own = request.user.is_authenticated and order.customer.user_id == request.user.pk
            by = request.user if own else None
            try:
                ticket = services.withdrawal_register(
                    order=order,
                    lines=[services.LineRequest(k, v) for k, v in quantities.items()],
                    by=by,
                    signed_as=pending.get("name", ""),
                )
            except services.TicketError as error:
                errors.append(str(error))
            else:
                del request.session[PENDING]
                messages.success(request, _("We have received your withdrawal."))
                token = ticket_status_token(ticket)
                return HttpResponseRedirect(reverse("portal:ticket_status", args=[token]))
    context = {
        "preview": preview,
        "pending": pending,
        "rows": [(line, quantities.get(line.line_id, 0)) for line in preview.open_lines],
        "errors": errors,
    }
    return render(request, "portal/confirm.html", context, status=400 if errors else 200)


def withdrawal_form_blank(request):
    """The model withdrawal form (W3, appendix 2), blank, in the page's language."""
    response = HttpResponse(model_withdrawal_form(), content_type="application/pdf")
    return inline_pdf(response, "withdrawal-form.pdf")


def withdrawal_form_prefilled(request):
    """The model form pre-filled for the order identified in step 1."""
    found = _pending_order(request)
    if found is None:
        raise Http404
    _pending, order = found
    response = HttpResponse(model_withdrawal_form(order=order), content_type="application/pdf")
    return inline_pdf(response, order.number + "-withdrawal.pdf")


def _ticket_from_token(token: str) -> Ticket:
    number = ticket_number_from_token(token)
    if number is None:  # tampered with, or expired
        raise Http404
    return get_object_or_404(Ticket.objects.select_related("order__customer"), number=number)


def status_page(request, ticket: Ticket, label_url: str):
    context = {"status": ticket_status(ticket), "label_url": label_url}
    return render(request, "portal/status.html", context)


@never_cache
def ticket_status_signed(request, token: str):
    """A ticket's status page through the signed link of its e-mails."""
    ticket = _ticket_from_token(token)
    return status_page(request, ticket, reverse("portal:ticket_label", args=[token]))


def ticket_label_signed(request, token: str):
    return label_response(request, _ticket_from_token(token))
