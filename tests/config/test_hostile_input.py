"""Hostile input to every address of Retour answers 4xx, never 500 (issue 17, points 3, 4).

Every URL pattern (the admin's and the API's too) is asked for with hostile values in its
path's converters and in its query string: a NUL, a lone surrogate, a CR/LF, an integer
too large for any column and a negative one, by a logged-in superuser who also holds an
API token, so each request gets past the login to the code that reads the value. The
admin's changelist filters get each hostile value in each parameter they read. And the
PDF downloads name their file safely whatever the order number holds.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib import admin as django_admin
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import ApiToken
from config.api import api
from rma import services
from tests.factories import delivered_order
from tests.rma.lifecycle import apply, staff

HOSTILE = {
    "NUL": "%00",
    "lone surrogate": "%ED%A0%80",
    "CR/LF": "%0D%0A",
    "huge integer": "99999999999999999999",
    "negative integer": "-1",
}
# The query parameters the pages read: the admin's (search, order, page, errors, popups,
# the filters a change page returns to, autocomplete), the label's layout and the API's.
QUERY = [
    "q",
    "o",
    "p",
    "e",
    "all",
    "next",
    "_changelist_filters",
    "_popup",
    "term",
    "app_label",
    "model_name",
    "field_name",
    "page",
    "layout",
    "on",
    "policy",
    "language",
]
_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


@dataclass(frozen=True)
class Route:
    """One URL pattern as a template: its converters' names in order, from the root."""

    template: str  # "admin/orders/order/{object_id}/change/"
    converters: tuple[str, ...]
    model: str  # "orders.order" under the admin's per-model URLs, else ""

    def url(self, values: dict[str, str], query: str = "") -> str:
        path = "/" + self.template.format(**{name: values[name] for name in self.converters})
        return path + ("?" + query if query else "")


def _template(pattern) -> tuple[str, list[str]]:
    text = str(pattern).lstrip("^").rstrip("$")
    names: list[str] = []

    def placeholder(match: re.Match) -> str:
        names.append(match["name"])
        return "{" + match["name"] + "}"

    text = text.replace("{", "{{").replace("}", "}}")
    text = _GROUP.sub(placeholder, text) if "(?P<" in text else _CONVERTER.sub(placeholder, text)
    return text, names


def _walk(patterns, prefix: str = "", names: tuple[str, ...] = ()) -> Iterator[Route]:
    for pattern in patterns:
        template, found = _template(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + template, names + tuple(found))
        elif isinstance(pattern, URLPattern):
            full = prefix + template
            admin_model = re.match(r"admin/(\w+)/(\w+)/", full)
            model = ""
            if admin_model and admin_model[1] in {c.label for c in apps.get_app_configs()}:
                model = ".".join(admin_model.groups())
            yield Route(full, names + tuple(found), model)


ROUTES = list(dict.fromkeys(_walk(get_resolver().url_patterns)))


@pytest.fixture
def world(db, client, admin, settings, tmp_path):
    """A superuser logged in, with a token, and a ticket (with its label) to ask about."""
    settings.MEDIA_ROOT = tmp_path
    order = delivered_order(lines=((2, "120.00"),))
    ticket = services.ticket_create(
        order=order,
        reason="defective",
        lines=[services.LineRequest("1", 1)],
        by=order.customer.user,
    )
    apply(ticket, "authorize", staff("support"))
    client.force_login(admin)
    client.defaults["HTTP_AUTHORIZATION"] = "Bearer " + ApiToken.issue(user=admin, name="sweep")[1]
    return {"order": order, "ticket": ticket}


def _benign(route: Route, world: dict) -> dict[str, str]:
    """Values that find something, so a hostile query reaches the page's code."""
    order, ticket = world["order"], world["ticket"]
    values = {}
    for name in route.converters:
        if name in {"object_id", "pk"} and route.model:
            first = apps.get_model(route.model).objects.order_by("pk").first()
            values[name] = str(first.pk) if first else "1"
        elif name == "number":
            values[name] = ticket.number if route.template.startswith("tickets/") else order.number
        elif name == "content_type_id":
            values[name] = str(ContentType.objects.get_for_model(order).pk)
        elif name == "object_id":
            values[name] = str(order.pk)
        elif name == "app_label":
            values[name] = "orders"
        elif name == "url":
            values[name] = "orders/order/"
        else:  # the e-mail provider of the webhook
            values[name] = django_settings.EMAIL_PROVIDER
    return values


def _get(client, url: str, failures: list[str]) -> None:
    try:
        response = client.get(url)
    except Exception:  # the test client re-raises what became a 500
        failures.append(f"GET {url}\n{traceback.format_exc(limit=-6)}")
        return
    if response.status_code >= 500:
        failures.append(f"GET {url} answered {response.status_code}")


@pytest.mark.slow  # a sweep: `make test` runs it, `make check` leaves it out
@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.template or "/")
def test_hostile_values_in_the_path_and_query_never_answer_500(client, world, route):
    failures: list[str] = []
    benign = _benign(route, world)
    for value in HOSTILE.values():
        if route.converters:
            _get(client, route.url(dict.fromkeys(route.converters, value)), failures)
        query = "&".join(f"{name}={value}" for name in QUERY)
        _get(client, route.url(benign, query), failures)

    assert not failures, "\n\n".join(failures)


def test_every_pattern_is_swept():
    """The sweep reads the patterns as they are: an app's new page is in it by itself."""
    templates = {route.template for route in ROUTES}
    assert {"admin/orders/order/{object_id}/change/", "api/v1/orders/import"} <= templates
    assert "tickets/{number}/label.pdf" in templates
    assert len(ROUTES) > 80


def _changelist_parameters(model_admin, user) -> list[str]:
    """The query parameters a changelist's filters and date hierarchy read."""
    request = RequestFactory().get("/")
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    names = [name for spec in changelist.filter_specs for name in spec.expected_parameters()]
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return names


@pytest.mark.slow  # a sweep: `make test` runs it, `make check` leaves it out
@pytest.mark.parametrize(
    "model_admin",
    list(django_admin.site._registry.values()),
    ids=lambda model_admin: model_admin.opts.label_lower,
)
def test_hostile_values_in_each_admin_filter_never_answer_500(client, world, admin, model_admin):
    failures: list[str] = []
    url = f"/admin/{model_admin.opts.app_label}/{model_admin.opts.model_name}/"
    for name in _changelist_parameters(model_admin, admin):
        for value in HOSTILE.values():
            _get(client, f"{url}?{name}={value}", failures)

    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("placed_at__year=99999999999", 400),
        ("placed_at__year=99999999999999999999", 400),
        # With no date hierarchy (issue 19), a date part no order has lists none; a year
        # no date can have is refused as other bad lookups are.
        ("placed_at__year=2026&placed_at__month=10&placed_at__day=0", 200),
        ("placed_at__year=2026&placed_at__month=13", 200),
        ("placed_at__year=0", 302),
        ("placed_at__year=-1", 302),
        ("q=%00", 400),
        ("q=%ED%A0%80", 400),
        ("q=%0D%0A", 200),
        ("placed_at__gte=%00", 400),
        ("placed_at__gte=99999-01-01", 302),
        ("customer__type__exact=%0D%0A", 200),
    ],
)
def test_the_order_list_refuses_absurd_filters_as_the_issue_found_them(
    client, world, query, status
):
    """Issue 17 found these 500 on the order list (date_hierarchy on placed_at)."""
    response = client.get(f"/admin/orders/order/?{query}")

    assert response.status_code == status
    if status == 200 and "month" in query:
        assert "0 orders" in response.text


@pytest.mark.parametrize(
    "query",
    [
        "created_at__year=99999999999",
        "created_at__year=2026&created_at__month=10&created_at__day=0",
        "q=%00",
    ],
)
def test_the_ticket_list_refuses_absurd_filters(client, world, query):
    response = client.get(f"/admin/rma/ticket/?{query}")

    # Refused, or (a day 0 no ticket has) an empty list: never a 500.
    assert response.status_code in {302, 400} or "0 tickets" in response.text


# --- the PDF downloads ---------------------------------------------------------------------

HOSTILE_NUMBER = 'WS-1"\r\nX-Injected: 1; é€'


@pytest.fixture
def hostile_ticket(db, settings, tmp_path):
    """A ticket of an order whose number the webshop filled with a header injection.
    The import would refuse it; the factories write it as a broken feed once might have."""
    settings.MEDIA_ROOT = tmp_path
    order = delivered_order(lines=((2, "120.00"),), number=HOSTILE_NUMBER)
    ticket = services.ticket_create(
        order=order,
        reason="defective",
        lines=[services.LineRequest("1", 1)],
        by=order.customer.user,
    )
    return apply(ticket, "authorize", staff("support"))


def _disposition(response) -> Message:
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    assert header.isascii()
    message = Message()
    message["Content-Disposition"] = header
    return message


def test_the_withdrawal_form_of_a_hostile_order_number_has_one_safe_header(client, hostile_ticket):
    client.force_login(hostile_ticket.order.customer.user)

    response = client.get(f"/tickets/{hostile_ticket.number}/withdrawal-form.pdf")

    assert response.status_code == 200
    assert "X-Injected" not in response.headers
    header = response["Content-Disposition"]
    # One parameter of plain ASCII for every browser, one exact (RFC 6266, RFC 5987).
    shape = re.fullmatch(
        r"inline; filename=\"(?P<plain>[A-Za-z0-9._-]+)\"; "
        r"filename\*=UTF-8''(?P<exact>[A-Za-z0-9%._~-]+)",
        header,
    )
    assert shape, header
    assert shape["plain"] == "WS-1___X-Injected_1_e-withdrawal.pdf"
    # The exact name keeps its quote and non-ASCII characters; the line break is replaced.
    assert unquote(shape["exact"]) == 'WS-1"__X-Injected: 1; é€-withdrawal.pdf'
    assert _disposition(response).get_content_disposition() == "inline"


@pytest.mark.parametrize("layout", ["", "?layout=a4"])
def test_the_label_names_its_file_and_is_never_cached(client, hostile_ticket, layout):
    client.force_login(hostile_ticket.order.customer.user)

    response = client.get(f"/tickets/{hostile_ticket.number}/label.pdf{layout}")

    assert response.status_code == 200
    disposition = _disposition(response)
    assert disposition.get_filename() == f"{hostile_ticket.number}-label.pdf"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control


def test_the_withdrawal_form_is_never_cached(client, hostile_ticket):
    client.force_login(hostile_ticket.order.customer.user)

    response = client.get(f"/tickets/{hostile_ticket.number}/withdrawal-form.pdf")

    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control


def test_a_plain_number_keeps_a_plain_header(client, world):
    ticket = world["ticket"]
    client.force_login(ticket.order.customer.user)

    response = client.get(f"/tickets/{ticket.number}/withdrawal-form.pdf")

    assert response["Content-Disposition"] == (
        f'inline; filename="{ticket.order.number}-withdrawal.pdf"'
    )


# --- bodies of the API and the webhooks ------------------------------------------------------

NUL, SURROGATE = "X\x00", "X\ud800"  # json.dumps writes them as "\u0000" and "\ud800"


def _quote(*, line: str = "1", quantity: int = 1, **fields: str) -> dict:
    """A refund quote request for the world's order, with hostile changes."""
    lines = [{"line": line, "quantity": quantity}]
    return {"order": "{order}", "lines": lines, "reason": "defective", **fields}


HOSTILE_BODIES = {
    "raw NUL byte": b'{"order": "\x00"}',
    "not UTF-8": b'{"order": "\xff\xfe"}',
    "nested too deep": b"[" * 100_000,
    "orders with hostile numbers": {"orders": [{"number": NUL}, {"number": SURROGATE}]},
    "order NUL": _quote(order=NUL),
    "order lone surrogate": _quote(order=SURROGATE),
    "policy NUL": _quote(policy=NUL),
    "policy lone surrogate": _quote(policy=SURROGATE),
    "line NUL": _quote(line=NUL),
    "line lone surrogate": _quote(line=SURROGATE),
    "reason NUL": _quote(reason=NUL),
    "on NUL": _quote(on=NUL),
    "on far future": _quote(on="99999-01-01"),
    "huge quantity": _quote(quantity=99999999999999999999),
    "negative quantity": _quote(quantity=-1),
}
# What takes a body: every operation of the API's schema that is a POST, and the webhooks.
_POSTS = {
    path.lstrip("/") for path, ops in api.get_openapi_schema()["paths"].items() if "post" in ops
}
POSTED = [
    pytest.param(route, name, id=f"{route.template}-{name}")
    for route in ROUTES
    if route.template in _POSTS or route.template.startswith("anymail/")
    for name in HOSTILE_BODIES
]


@pytest.mark.slow  # a sweep: `make test` runs it, `make check` leaves it out
@pytest.mark.parametrize(("route", "name"), POSTED)
def test_hostile_bodies_posted_to_the_api_and_webhooks_never_answer_500(client, world, route, name):
    url = route.url(_benign(route, world))
    body = HOSTILE_BODIES[name]
    if isinstance(body, dict):
        body = json.dumps(body).replace("{order}", world["order"].number).encode()

    failures: list[str] = []
    _post(client, url, body, failures)

    assert not failures, "\n\n".join(failures)


def _post(client, url: str, body: bytes, failures: list[str]) -> None:
    try:
        response = client.post(url, data=body, content_type="application/json")
    except Exception:  # the test client re-raises what became a 500
        failures.append(f"POST {url} {body[:80]!r}\n{traceback.format_exc(limit=-6)}")
        return
    if response.status_code >= 500:
        failures.append(f"POST {url} {body[:80]!r} answered {response.status_code}")
