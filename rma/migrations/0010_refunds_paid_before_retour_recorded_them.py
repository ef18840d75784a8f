"""D4 (W7) for the withdrawals a shop resolved before Retour recorded refunds.

0008 added `Ticket.refund_paid_on` and made D4 chase a withdrawal until it is set, also
after the ticket is resolved. Before 0008 a refund was paid outside Retour and D4 ended
with the ticket, so every withdrawal resolved before then has `refund_paid_on` empty:
on upgrade, each of them (years of them, at a shop's size) turned "refund overdue" at
once, flooding the accountants' alerts and the triage queue. Those refunds were paid
when the ticket was resolved, as D4 then assumed; this records that day. Withdrawals
resolved after 0008 was applied keep their state: theirs is recorded by a Refund.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.functions import TruncDate

REFUNDS_RECORDED_SINCE = ("rma", "0008_ticket_refund_paid_on")


def record_refunds_paid_on_resolution(apps, schema_editor):
    app, name = REFUNDS_RECORDED_SINCE
    recorded_since = (
        MigrationRecorder.Migration.objects.using(schema_editor.connection.alias)
        .filter(app=app, name=name)
        .values_list("applied", flat=True)
        .first()
    )
    if recorded_since is None:  # not possible after 0008, but nothing to decide then
        return
    Ticket = apps.get_model("rma", "Ticket")
    Ticket.objects.using(schema_editor.connection.alias).filter(
        reason="withdrawal",
        state="resolved",
        refund_paid_on__isnull=True,
        state_changed_at__lt=recorded_since,
    ).update(refund_paid_on=TruncDate("state_changed_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))


class Migration(migrations.Migration):
    dependencies = [
        ("rma", "0009_ticket_store_credit_chosen"),
    ]

    operations = [
        migrations.RunPython(record_refunds_paid_on_resolution, migrations.RunPython.noop),
    ]
