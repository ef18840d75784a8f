import datetime as dt

import pytest
import time_machine
from django.utils import translation

from tests.factories import AMSTERDAM, CustomerFactory, UserFactory, staff_member

# The factories' orders were placed in October 2026; the rules count from them. Every test
# runs on a fixed day soon after (the clock still ticks), so no test changes its verdict
# as the calendar moves on. Tests that need another day travel there themselves.
TEST_DAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=AMSTERDAM)


@pytest.fixture(autouse=True)
def fixed_day():
    with time_machine.travel(TEST_DAY, tick=True):
        yield


@pytest.fixture(autouse=True)
def private_cache(settings):
    """Each test counts in its own memory, not in the Redis that parallel test runs share
    (a test of the shared cache sets its own)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path_factory):
    """Customers' files land in a folder of the test run's own, never in var/private."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path_factory.getbasetemp() / "private"


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in English: a request in Dutch (LocaleMiddleware) leaves Dutch
    active in the test's thread, and the next test on that worker would read it."""
    yield
    translation.deactivate()


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


# One persona per role: a test that needs "a member of" a role asks for its fixture. Tests
# make their own users only when they need two members of one role, an inactive one, or
# an attribute of their own (tests/factories.py).


@pytest.fixture
def support(db):
    """Sam, of customer support: authorizes, diagnoses and resolves tickets."""
    return staff_member("support")


@pytest.fixture
def warehouse(db):
    """Wim, of the warehouse: receives the parcels."""
    return staff_member("warehouse")


@pytest.fixture
def accountant(db):
    """Ada, the accountant: refunds and keeps the store credit ledger."""
    return staff_member("accountant")


@pytest.fixture
def admin(db):
    """A superuser, who may do everything in the back office."""
    return UserFactory(email="root@webstore4.example", is_staff=True, is_superuser=True)


@pytest.fixture
def anna(db):
    """A consumer with an account."""
    return CustomerFactory(email="anna@example.nl", name="Anna de Vries")


@pytest.fixture
def bram(db):
    """A consumer who reads English."""
    return CustomerFactory(email="bram@example.com", name="Bram Smit", language="en")


@pytest.fixture
def eve(db):
    """A consumer in Ireland who reads English."""
    return CustomerFactory(email="eve@example.com", name="Eve Evans", language="en", country="IE")


@pytest.fixture
def jansen(db):
    """A business customer that is no partner: no withdrawal, no legal guarantee."""
    return CustomerFactory(
        email="inkoop@jansen-installatie.example",
        name="Piet Jansen",
        business=True,
        company="Jansen Installatietechniek BV",
    )


@pytest.fixture
def netpartners(db):
    """A business partner, on partner terms (P1 restocking)."""
    return CustomerFactory(
        email="inkoop@netpartners.example",
        name="Noor Bakker",
        partner_=True,
        company="NetPartners BV",
    )


@pytest.fixture
def stranger(db):
    """A customer of the shop who has nothing to do with Anna's orders."""
    return CustomerFactory(email="stranger@example.nl", name="Stan Ger").user
