"""What every history row of Retour holds (a ticket's events, a vendor case's): when, who,
the note and the structured data of the change. Each app adds what its rows are about."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    at = models.DateTimeField(_("at"), auto_now_add=True)
    # None is the system (the deadline chaser).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.TextField(_("note"), blank=True)
    # What came with the change: a field's old and new value, a decision, a resolution.
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        abstract = True
