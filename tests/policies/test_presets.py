"""The preset policies in the database are the presets of `policies.terms`.

Migration 0002 carries its own copy of the values (a migration never imports live code);
when a preset changes in code, this test asks for the migration that changes the rows."""

from policies.models import ReturnPolicy
from policies.terms import DEFAULT_PRESET, PRESETS


def test_the_migrated_preset_rows_hold_the_terms_of_the_code(db):
    rows = {policy.preset: policy for policy in ReturnPolicy.objects.all()}

    assert set(rows) == set(PRESETS)
    for preset, terms in PRESETS.items():
        assert rows[preset].terms() == terms, preset
    assert ReturnPolicy.default().preset == DEFAULT_PRESET
