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


def test_a_presets_unconfirmed_numbers_are_named_on_its_page_until_confirmed(client, admin):
    from django.urls import reverse

    policy = ReturnPolicy.objects.get(preset="voip-distributor")
    client.force_login(admin)
    url = reverse("admin:policies_returnpolicy_change", args=[policy.pk])

    page = client.get(url).content.decode()

    assert "Not in the shop&#x27;s documents" in page
    assert "order-error window (days)" in page and "order-error restocking fee (%)" in page
    ReturnPolicy.objects.filter(pk=policy.pk).update(defaults_confirmed=True)
    assert "Not in the shop" not in client.get(url).content.decode()
