"""The staff lists' rows (core.admin_rows) are Django's own, byte for byte: every cell,
its class, its link with the list's filters kept, in every list over a large table, in
English and in Dutch (choices' labels, dates' formats)."""

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results
from django.urls import reverse
from django.utils import timezone, translation

from core import admin_rows
from core.admin_lists import LargeTableAdmin
from demo.data import seed_demo
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LARGE_LISTS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, LargeTableAdmin)
)
# The list as opened, sorted and filtered (its filters kept in each row's link), and as
# a popup (the row's key for the opener).
VARIANTS = ["", "?o=-1", "?q=a&o=1", "?_popup=1&_to_field=id"]


@pytest.fixture
def shop_admin(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert seed_demo(timezone.localdate())
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_every_large_list_is_measured():
    """The lists issue 19 names, and the accountants' since, all render their rows here."""
    assert {"rma", "orders", "vendors", "notifications", "refunds"} <= {
        app for app, _model in LARGE_LISTS
    }


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize(("app", "model"), LARGE_LISTS)
def test_the_rows_are_the_admins_own(shop_admin, app, model, language):
    shown = 0
    for variant in VARIANTS:
        url = reverse(f"admin:{app}_{model}_changelist") + variant
        response = shop_admin.get(url, headers={"accept-language": language})
        assert response.status_code == 200, variant
        cl = response.context["cl"]
        with translation.override(language):
            ours = [list(row) for row in admin_rows.rows(cl)]
            djangos = [list(row) for row in results(cl)]
        assert ours == djangos, variant
        for row in ours:  # the page shows them
            assert all(cell in response.content.decode() for cell in row)
        shown += len(ours)
    assert shown, f"the demo has no {model} to show"
