"""Read queries on the outbox: is a message for this row already queued?

The chasers use these to leave out, in SQL, the rows whose reminder or alert is in the
outbox already, so a message sent weeks ago is not read again on every run. Correctness
does not depend on them: the unique dedupe key does (`notifications.services`).
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Exists, Model, OuterRef, Value
from django.db.models.functions import Cast, Concat

from notifications.models import Email


def outbox_key(kind: str, stage: str) -> Concat:
    """The dedupe key `<kind>:<pk>:<stage>` of the outer query's row, as SQL."""
    return Concat(
        Value(f"{kind}:"),
        Cast(OuterRef("pk"), CharField()),
        Value(f":{stage}"),
        output_field=CharField(),
    )


def queued(kind: str, stage: str) -> Exists:
    """The outer row's message `kind` for `stage` is in the outbox (one recipient)."""
    return Exists(Email.objects.filter(dedupe_key=outbox_key(kind, stage)))


def queued_to_staff(kind: str, stage: str, *, subject: type[Model], pk: str = "pk") -> Exists:
    """The outer row's staff alert is in the outbox: one row per recipient, keyed
    `<key>:<user id>`, found through its subject, a `subject` row whose id the outer
    query names `pk` (a vendor case's alert is about its ticket)."""
    return Exists(
        Email.objects.filter(
            subject_type=ContentType.objects.get_for_model(subject),
            subject_id=OuterRef(pk),
            kind=kind,
            dedupe_key__startswith=Concat(
                outbox_key(kind, stage), Value(":"), output_field=CharField()
            ),
        )
    )
