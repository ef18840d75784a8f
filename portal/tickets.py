"""A customer's own ticket, logged in: its page and its label. Anyone else gets a 404,
the same answer as for a ticket that does not exist."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.cache import never_cache

from portal import views
from rma.models import Ticket
from rma.views import label_response


def _owned_ticket(request, number: str) -> Ticket:
    if not request.user.is_authenticated:  # the 404 page offers them the login
        raise Http404
    ticket = get_object_or_404(Ticket.objects.select_related("order__customer"), number=number)
    if ticket.order.customer.user_id != request.user.pk:
        raise Http404  # the same answer as for a ticket that does not exist
    return ticket


@never_cache
def ticket_status_owned(request, number: str):
    """The same page for its owner, logged in; anyone else gets a 404."""
    ticket = _owned_ticket(request, number)
    return views.status_page(request, ticket, reverse("portal:my_ticket_label", args=[number]))


def ticket_label_owned(request, number: str):
    return label_response(request, _owned_ticket(request, number))


urlpatterns = [
    path("my/returns/<str:number>/", ticket_status_owned, name="my_ticket"),
    path("my/returns/<str:number>/label.pdf", ticket_label_owned, name="my_ticket_label"),
]
