import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import CustomerFactory, UserFactory

# The factories' orders were placed in October 2026; the rules count from them. Every test
# runs on a fixed day soon after (the clock still ticks), so no test changes its verdict
# as the calendar moves on. Tests that need another day travel there themselves.
TEST_DAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.fixture(autouse=True)
def fixed_day():
    with time_machine.travel(TEST_DAY, tick=True):
        yield


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.2 s per user; tests create many users and check no password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def return_policies(request):
    """Give transactional tests the preset policies back: their flush removes the rows
    that the data migration wrote."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if transactional:
        request.getfixturevalue("transactional_db")
        from policies.models import ReturnPolicy

        ReturnPolicy.ensure_presets()


@pytest.fixture
def support(db):
    return UserFactory(email="sam.support@webstore4.example", role="support")


@pytest.fixture
def warehouse(db):
    return UserFactory(email="wim.warehouse@webstore4.example", role="warehouse")


@pytest.fixture
def accountant(db):
    return UserFactory(email="ada.accountant@webstore4.example", role="accountant")


@pytest.fixture
def anna(db):
    """A consumer with an account."""
    return CustomerFactory(email="anna@example.nl", name="Anna de Vries")


@pytest.fixture
def stranger(db):
    """A customer of the shop who has nothing to do with Anna's orders."""
    return CustomerFactory(email="stranger@example.nl", name="Stan Ger").user
