"""The queue's "a deadline passed", stored (issue 19): `Ticket.overdue_from` and
`Ticket.overdue`, and the index that keeps the queue in its order.

`Ticket.save` computes both from here on. The tickets already there are filled after
`migrate` by `rma.services.overdue.refresh_after_migrate` with the rules of the code
deployed, not by a copy of them frozen here.
"""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [
        ("rma", "0010_refunds_paid_before_retour_recorded_them"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="overdue",
            field=models.BooleanField(default=False, editable=False, verbose_name="overdue"),
        ),
        migrations.AddField(
            model_name="ticket",
            name="overdue_from",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="overdue from"
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="state_changed_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="state changed"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=Q(state="requested")
                | Q(overdue=True)
                | Q(customer_waiting_since__isnull=False),
                fields=["-overdue", "customer_waiting_since", "created_at", "id"],
                name="ticket_queue_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=Q(overdue=False, overdue_from__isnull=False),
                fields=["overdue_from"],
                name="ticket_overdue_soon_idx",
            ),
        ),
    ]
