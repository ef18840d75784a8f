"""The ticket page's refunds (issue 18 §1, §8): the ticket's refunds and the button that
proposes one from the diagnosis (`refunds.refunding.refund_propose`).

Shown to staff who may see refunds; the button to those who may propose one, while the
ticket is diagnosed or resolved and a unit is left that no refund holds.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _

from refunds.models import Refund
from refunds.refunding import RefundError, refund_propose, refundable_units
from rma.models import Ticket
from rma.states import State

PROPOSABLE_STATES = (State.DIAGNOSED, State.RESOLVED)


def ticket_refunds_context(ticket: Ticket, user) -> dict:
    """The ticket's refunds, oldest first, and whether `user` may propose one now."""
    if not user.has_perm("refunds.view_refund"):
        return {}
    refunds = list(Refund.objects.filter(ticket=ticket).order_by("proposed_at", "pk"))
    may_propose = (
        user.has_perm("refunds.add_refund")
        and ticket.state in PROPOSABLE_STATES
        and refundable_units(ticket) > 0
    )
    return {
        "show_ticket_refunds": bool(refunds) or may_propose,
        "ticket_refunds": refunds,
        "may_propose_refund": may_propose,
    }


def propose_view(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Propose a refund": the calculator's quote of the units to refund becomes a
    proposed refund, whose page opens next (the second accountant approves it there)."""
    if not request.user.has_perm("refunds.add_refund"):
        raise PermissionDenied
    ticket = get_object_or_404(Ticket, pk=pk)
    back = HttpResponseRedirect(
        reverse("admin:rma_ticket_change", args=[ticket.pk]) + "#retour-refunds"
    )
    if request.method != "POST":
        return back
    try:
        refund = refund_propose(ticket=ticket, by=request.user)
    except RefundError as error:
        messages.error(request, str(error))
        return back
    messages.success(
        request,
        _("%(number)s is proposed: EUR %(total)s. Another accountant approves it.")
        % {"number": refund.number, "total": refund.total},
    )
    return HttpResponseRedirect(reverse("admin:refunds_refund_change", args=[refund.pk]))


def refund_urls(admin_site) -> list:
    return [
        path(
            "<int:pk>/propose-refund/",
            admin_site.admin_view(propose_view),
            name="rma_ticket_refund_propose",
        )
    ]
