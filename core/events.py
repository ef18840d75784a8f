"""What every history row of Retour holds (a ticket's events, a vendor case's): when, who,
the note and the structured data of the change. Each app adds what its rows are about."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise


def person_field(verbose_name: StrOrPromise) -> models.ForeignKey[Any, Any]:
    """The person who did something to a row; None is the system (the deadline chaser)
    or a deleted user."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )


class Event(models.Model):
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = person_field(_("by"))
    note = models.TextField(_("note"), blank=True)
    # What came with the change: a field's old and new value, a decision, a resolution.
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        abstract = True
