import pytest

from tests.factories import CustomerFactory, UserFactory


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
