"""List filters for the ticket admin: the queue, overdue, assignee and vendor."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.admin_lists import DefaultedFilter, choices_filter
from orders.models import Vendor
from policies.models import ReturnPolicy
from rma.deadlines import STAGE_LABELS
from rma.models import IN_THE_QUEUE
from rma.selectors import SEVERITY, overdue_q
from rma.services.overdue import mark_overdue_once

ANY = "any"


class OverdueFilter(admin.SimpleListFilter):
    """Tickets with a passed deadline (D1–D4), all of them or one stage.

    Add to the ticket admin's `list_filter` after `QueueFilter`. A stage's conditions
    are the chaser's own (`rma.selectors.overdue_q`), so staff see what the chaser
    chases; "any" is the queue's stored mark, `Ticket.overdue`, which says the same.
    """

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [(ANY, _("Any deadline")), *((s, STAGE_LABELS[s]) for s in SEVERITY)]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == ANY:
            return queryset.filter(overdue=True)
        if value not in SEVERITY:  # the stages it offers; the ticket list sorts the same
            return queryset.none()
        policies = ReturnPolicy.objects.all()
        return queryset.filter(
            overdue_q(today=timezone.localdate(), policies=policies, stage=value)
        )


# The queue (issue 16 §5): what needs a person now. Its default when the list is opened
# without a filter or a search; any other filter or search shows all tickets.
NEEDS_A_PERSON = "needs"
ALL_TICKETS = "all"
# The changelist's own parameters (sorting, paging, its error flag, popups): not filters.
_NOT_FILTERS = {"o", "p", "e", "_popup", "_to_field", "_changelist_filters"}


def queue_value(params) -> str:
    """ "needs" or "all": as chosen, else "needs" when no other filter or search is set."""
    chosen = params.get(QueueFilter.parameter_name)
    if chosen in (NEEDS_A_PERSON, ALL_TICKETS):
        return chosen
    others = (
        {key for key in params if params.get(key)} - _NOT_FILTERS - {QueueFilter.parameter_name}
    )
    return ALL_TICKETS if others else NEEDS_A_PERSON


class QueueFilter(DefaultedFilter):
    """ "Needs a person" (selected by default) or "All tickets".

    Needs a person: a new request, a deadline passed (D1–D4, stored as `Ticket.overdue`),
    a customer waiting for an answer: `rma.models.IN_THE_QUEUE`, whose index holds the
    queue in its order. The first list of a day marks the tickets that fell due since
    the chaser's last run, so the queue and the marks are right from midnight on.
    """

    title = _("queue")
    parameter_name = "queue"

    def __init__(self, request, params, model, model_admin):
        self.current = queue_value(request.GET)
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [(NEEDS_A_PERSON, _("Needs a person")), (ALL_TICKETS, _("All tickets"))]

    def queryset(self, request, queryset):
        mark_overdue_once(timezone.localdate())
        if self.current == NEEDS_A_PERSON:
            return queryset.filter(IN_THE_QUEUE)
        return queryset


ME = "me"
NOBODY = "nobody"


class AssigneeFilter(admin.SimpleListFilter):
    """Tickets assigned to me, to nobody or to one staff member (the (assignee,
    created_at, id) index serves each, NULL included)."""

    title = _("assigned to")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        staff = User.objects.filter(is_staff=True, is_active=True).order_by("email")
        return [
            (ME, _("Me")),
            (NOBODY, _("Nobody")),
            *((str(user.pk), user.get_full_name() or user.email) for user in staff),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == ME:
            return queryset.filter(assignee=request.user)
        if value == NOBODY:
            return queryset.filter(assignee__isnull=True)
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(assignee_id=int(value))


def _vendor_choices():
    return [
        (str(pk), name) for pk, name in Vendor.objects.order_by("name").values_list("pk", "name")
    ]


class VendorFilter(choices_filter("vendor", _("vendor"), _vendor_choices)):  # type: ignore[misc]
    """The ticket's vendor (`Ticket.vendor`, copied from its lines; index per vendor)."""

    def queryset(self, request, queryset):
        value = self.value()
        if value and not value.isdigit():
            return queryset.none()
        return super().queryset(request, queryset)
