"""Seed the four return policy presets of SPEC; webstore4 is the default."""

from django.db import migrations

from rma.terms import DEFAULT_PRESET, PRESET_NAMES, PRESETS, Terms


def seed_presets(apps, schema_editor):
    ReturnPolicy = apps.get_model("rma", "ReturnPolicy")
    for preset, terms in PRESETS.items():
        ReturnPolicy.objects.get_or_create(
            preset=preset,
            defaults={
                "name": PRESET_NAMES[preset],
                "is_default": preset == DEFAULT_PRESET,
                **{name: getattr(terms, name) for name in Terms.field_names()},
            },
        )


class Migration(migrations.Migration):
    dependencies = [("rma", "0001_initial")]

    operations = [migrations.RunPython(seed_presets, migrations.RunPython.noop)]
