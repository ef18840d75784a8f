"""Ship the Dutch decree days known when this was written (Atw art. 3(3)).

The values are copied here, not imported from `core.calendar`: a migration never imports
live code. Staff check the Staatscourant and add later decrees in the back office.
"""

import datetime

from django.db import migrations

DECREE_DAYS = [
    (datetime.date(2026, 1, 2), "Friday after New Year's Day"),
    (datetime.date(2026, 5, 15), "Friday after Ascension Day"),
    (datetime.date(2027, 5, 7), "Friday after Ascension Day"),
    (datetime.date(2028, 4, 28), "Friday after King's Day"),
    (datetime.date(2028, 5, 26), "Friday after Ascension Day"),
]


def ship_decree_days(apps, schema_editor):
    LegalHoliday = apps.get_model("policies", "LegalHoliday")
    for day, name in DECREE_DAYS:
        LegalHoliday.objects.get_or_create(
            country="NL", day=day, defaults={"name": name, "source": "Atw art. 3(3) decree"}
        )


class Migration(migrations.Migration):
    dependencies = [("policies", "0003_legal_holidays")]

    operations = [migrations.RunPython(ship_decree_days, migrations.RunPython.noop)]
