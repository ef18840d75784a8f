"""Nobody sees what is not theirs (issue 15, point 7).

The test walks Django's URL resolver: every address outside the admin and the API that
names an object (a ticket, an order, an attachment) is requested by another customer and
by an anonymous visitor, with GET and POST, and must answer 404: the same answer as for an
object that does not exist. The owner must get something else, so the walk really reached
the view. A new address with an object in it is covered without anyone remembering to add
it; one whose parameter the walk does not know fails until it is taught here.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from rma.links import ticket_status_token
from rma.models import Attachment
from tests.factories import CustomerFactory
from tests.portal.orders import order_of

pytestmark = pytest.mark.django_db

# Not walked: the staff's own site and the API, which have their own permission tests
# (tests/admin, tests/config/test_api_schema.py and the API tests).
OUTSIDE = ("admin/", "api/")
# Addresses whose parameter is a key the link carries itself (a signed token): whoever
# holds the link may open it. For them the walk checks that a forged key gets nothing.
KEYED = {"token", "uidb64"}
# Parameters that name no one's object: the e-mail provider of the bounce webhook (which
# checks its own secret: tests/notifications).
NOT_OBJECTS = {"provider"}


def _routes(patterns=None, prefix=""):
    """Every (route, name) of the URLconf, with its prefix, namespaces joined."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and isinstance(entry.pattern, RoutePattern):
            yield prefix + route


def _object_routes() -> list[str]:
    routes = [route for route in _routes() if "<" in route and not route.startswith(OUTSIDE)]
    assert routes, "the walk found no address with an object in it"
    return routes


def _credit_note(owner) -> str:
    """The number of a credit note of the owner's paid refund, its PDF rendered."""
    from refunds.models import CreditNote
    from refunds.refunding import refund_pay
    from tests.refunds.refund_flow import accountant, approved_refund

    refund = approved_refund(customer=owner, paid_with="card")
    references = {part.pk: "PSP-1" for part in refund.parts.all()}
    refund_pay(refund=refund, by=accountant("cas"), references=references)
    note = CreditNote.objects.get(refund=refund)
    note.pdf.save(f"{note.number}.pdf", ContentFile(b"%PDF-1.7"), save=False)
    note.save(update_fields=["pdf"])
    return note.number


@pytest.fixture
def owned(settings, tmp_path):
    """A customer's order, its ticket, an attachment and a credit note, and the values
    that fill in each parameter an address may have."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    owner = CustomerFactory(email="eigenaar@example.nl")
    order = order_of(owner)
    from rma.services import LineRequest, ticket_create

    ticket = ticket_create(
        order=order,
        reason="defective",
        lines=[LineRequest(order.lines.first().line_id, 1)],
        by=owner.user,
        vendor_ticket_number="GS-1",
        factory_reset_confirmed=True,
    )
    attachment = Attachment.objects.create(
        ticket=ticket,
        name="photo.png",
        content_type="image/png",
        size=4,
        file=ContentFile(b"\x89PNG", name="photo.png"),
    )
    fillings = {
        # A `number` is an order's or a ticket's: the walk tries both.
        "number": [order.number, ticket.number],
        "key": [str(attachment.key)],
        "credit_note": [_credit_note(owner)],
    }
    return owner, fillings, ticket


def _urls(route: str, fillings: dict[str, list[str]]) -> list[str]:
    """The route with each of its parameters filled in with every value the owner has."""
    urls = ["/" + route]
    while "<" in urls[0]:
        start = urls[0].index("<")
        end = urls[0].index(">", start)
        name = urls[0][start + 1 : end].split(":")[-1]
        assert name in fillings, (
            f"/{route}: the ownership walk does not know the parameter {name!r}; teach it "
            "which of the owner's objects fills it in (tests/portal/test_ownership.py)"
        )
        urls = [url[:start] + value + url[end + 1 :] for url in urls for value in fillings[name]]
    return urls


def test_every_object_address_answers_404_to_everyone_but_its_owner(client, owned):
    owner, fillings, _ticket = owned
    intruder = CustomerFactory(email="indringer@example.nl")
    checked = 0
    for route in _object_routes():
        parameters = {part.split(">")[0].split(":")[-1] for part in route.split("<")[1:]}
        if parameters & (KEYED | NOT_OBJECTS):
            continue
        urls = _urls(route, fillings)
        client.force_login(owner.user)
        reached = [url for url in urls if client.get(url).status_code != 404]
        assert reached, f"/{route}: the owner gets 404 for every one of their objects"
        for visitor in (intruder.user, None):
            client.logout()
            if visitor is not None:
                client.force_login(visitor)
            for url in urls:
                for method in (client.get, client.post):
                    response = method(url)
                    who = visitor.email if visitor else "an anonymous visitor"
                    assert response.status_code == 404, (
                        f"{method.__name__.upper()} {url} answers "
                        f"{response.status_code} to {who}, not 404"
                    )
        checked += 1
    assert checked >= 3  # the owner's ticket page, its label and an attachment at least


def test_a_forged_key_opens_nothing(client, owned):
    _owner, _fillings, ticket = owned
    token = ticket_status_token(ticket)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    keyed = [route for route in _object_routes() if "<str:token>" in route]
    assert keyed, "the signed status page has moved: teach the walk where"
    for route in keyed:
        if "uidb64" in route:
            continue  # the account links: tests/portal/test_account.py
        assert client.get("/" + route.replace("<str:token>", token)).status_code != 404
        assert client.get("/" + route.replace("<str:token>", forged)).status_code == 404
