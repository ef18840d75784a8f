"""The cases awaiting their vendor by age, (opened_at, id), instead of per vendor by age
(issue 19). The D5 chaser reads them as before, a few hundred rows; the staff's
"Overdue" list, newest first, now reads a page of them instead of walking every case
opened since. Built before the old index is dropped.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vendors", "0003_units_shipments_replacements"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="vendorcase",
            index=models.Index(
                condition=models.Q(("state__in", ["open", "at_vendor"])),
                fields=["opened_at", "id"],
                name="vendor_case_awaiting_idx",
            ),
        ),
        migrations.RemoveIndex(
            model_name="vendorcase",
            name="vendor_case_d5_awaiting_idx",
        ),
    ]
