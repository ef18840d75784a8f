"""Headers a browser and a proxy act on: the Content-Security-Policy on every page, no
copy kept of personal data (API answers, PDFs), and the API docs without a CDN."""

import logging
import sys

import pytest
from django.urls import reverse

from config.middleware import RequestRefusalsWithoutTraceback

pytestmark = pytest.mark.django_db


def test_every_page_carries_a_strict_content_security_policy(client):
    policy = client.get(reverse("admin:login"))["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no inline script, no CDN
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_api_answers_are_not_kept_by_any_cache(client, admin):
    client.force_login(admin)

    response = client.get("/api/v1/orders/WS-NOPE/returnability")

    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]


def test_the_api_docs_load_their_scripts_from_our_own_static_files(client):
    page = client.get("/api/v1/docs").content.decode()

    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


@pytest.mark.parametrize(("status", "traceback_kept"), [(403, False), (400, False), (500, True)])
def test_a_refused_request_is_logged_in_one_line_a_server_error_with_its_traceback(
    settings, status, traceback_kept
):
    try:
        raise PermissionError("refused")
    except PermissionError:
        record = logging.LogRecord(
            "django.request", logging.WARNING, __file__, 1, "Forbidden", (), sys.exc_info()
        )
    record.status_code = status

    RequestRefusalsWithoutTraceback().filter(record)

    assert (record.exc_info is not None) is traceback_kept
    assert "refusals" in settings.LOGGING["handlers"]["console"]["filters"]
