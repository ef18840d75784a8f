"""Every operation of the JSON API's OpenAPI schema, fuzzed by schemathesis with each
staff role's token: no server error, and no answer the schema does not document (status
code, content type, body)."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken
from tests.factories import STAFF, UserFactory, staff_member

pytestmark = pytest.mark.slow  # a fuzz: `make test` runs it, `make check` leaves it out

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def in_process(db):
    """The WSGI app runs in the test's thread on the test's database connection: Django
    must not close that connection at the end of each request (its test client does not)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=[*STAFF, "admin"])
def token(request, in_process):
    """A token of a member of each role, and of an admin."""
    if request.param == "admin":
        user = UserFactory(email="root@webstore4.example", is_staff=True, is_superuser=True)
    else:
        user = staff_member(request.param)
    _token, key = ApiToken.issue(user=user, name="schemathesis")
    return key


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_only_what_its_schema_documents(case, token):
    response = case.call(headers={"Authorization": f"Bearer {token}"})

    case.validate_response(response, checks=CHECKS)
