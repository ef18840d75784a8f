"""List filters for the ticket admin."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policies.models import ReturnPolicy
from rma.deadlines import STAGE_LABELS
from rma.selectors import SEVERITY, overdue_q

ANY = "any"


class OverdueFilter(admin.SimpleListFilter):
    """Tickets with a passed deadline (D1–D4), all of them or one stage.

    Add to the ticket admin's `list_filter`; the conditions are the chaser's own
    (`rma.selectors.overdue_q`), so staff see what the chaser chases.
    """

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [(ANY, _("Any deadline")), *((s, STAGE_LABELS[s]) for s in SEVERITY)]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        stage = None if value == ANY else value
        if stage is not None and stage not in STAGE_LABELS:
            return queryset.none()
        policies = ReturnPolicy.objects.all()
        return queryset.filter(
            overdue_q(today=timezone.localdate(), policies=policies, stage=stage)
        )
