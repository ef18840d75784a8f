"""Documents of a ticket for the people it belongs to: its customer and staff."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404

from rma.labels import LabelRefused, render_label_a4, ticket_label
from rma.models import Ticket
from withdrawals.documents import model_withdrawal_form


def _visible_ticket(request, number: str) -> Ticket:
    """The ticket if it is the user's own or the user is staff who may see tickets;
    anyone else gets the same 404 as for a ticket that does not exist."""
    ticket = get_object_or_404(Ticket.objects.select_related("order__customer"), number=number)
    user = request.user
    if user.is_staff and user.has_perm("rma.view_ticket"):
        return ticket
    if ticket.order.customer.user_id == user.pk:
        return ticket
    raise Http404


@login_required
def label_download(request, number: str):
    """The stored A6 label, or the A4 cut-out sheet with `?layout=a4`."""
    ticket = _visible_ticket(request, number)
    try:
        if request.GET.get("layout") == "a4":
            response = HttpResponse(render_label_a4(ticket), content_type="application/pdf")
        else:
            response = FileResponse(
                ticket_label(ticket).pdf.open("rb"), content_type="application/pdf"
            )
    except LabelRefused as refused:
        return HttpResponse(str(refused), status=409, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{ticket.number}-label.pdf"'
    return response


@login_required
def withdrawal_form_download(request, number: str):
    """The model withdrawal form (W3, appendix 2), pre-filled for the ticket's order."""
    ticket = _visible_ticket(request, number)
    pdf = model_withdrawal_form(order=ticket.order, customer=ticket.order.customer)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{ticket.order.number}-withdrawal.pdf"'
    return response
