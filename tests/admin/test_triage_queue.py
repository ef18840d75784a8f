"""The triage queue on the staff ticket list (issue 16 §5): it opens on what needs a person
now, filters by vendor, route and assignee, assigns, acts in bulk where allowed with each
refusal said, asks to confirm what ends a ticket, and shows a button that cannot be used
now disabled with the reason."""

import datetime as dt
import html
import re

import pytest
from django.contrib.admin import helpers
from django.urls import reverse
from django.utils import timezone

from orders.enums import Route
from rma import services
from rma.models import EventKind, Ticket, TicketEvent
from rma.states import State
from tests.factories import VendorFactory, delivered_order
from tests.rma.lifecycle import staff, ticket_in

QUEUE = reverse("admin:rma_ticket_changelist")


def aged(ticket: Ticket, days: int) -> Ticket:
    """The ticket as if requested (and last changed) `days` ago."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    ticket.created_at = ticket.state_changed_at = timezone.now() - dt.timedelta(days=days)
    ticket.save(update_fields=["created_at", "state_changed_at"])
    return ticket


def defect_of(vendor_name: str, route: str, *, vendor_ticket_number: str = "") -> Ticket:
    order = delivered_order(lines=((1, "120.00"),))
    product = order.lines.get().product
    product.vendor = VendorFactory(name=vendor_name, route=route)
    product.save()
    return services.ticket_create(
        order=order,
        reason="defective",
        lines=[services.LineRequest("1", 1)],
        by=order.customer.user,
        vendor_ticket_number=vendor_ticket_number,
    )


def numbers_in_order(response, *tickets: Ticket) -> list[str]:
    text = response.text
    found = [t.number for t in tickets if t.number in text]
    return sorted(found, key=text.index)


def act(client, action: str, tickets, **extra):
    return client.post(
        QUEUE,
        {
            "action": action,
            helpers.ACTION_CHECKBOX_NAME: [t.pk for t in tickets],
            **extra,
        },
        follow=True,
    )


@pytest.mark.django_db
def test_the_queue_opens_on_what_needs_a_person_overdue_first_then_oldest(client, support):
    newer = aged(ticket_in(State.REQUESTED), 1)
    older = aged(ticket_in(State.REQUESTED), 2)
    overdue = aged(ticket_in(State.REQUESTED), 6)  # D1: no answer within the response days
    waiting = ticket_in(State.AUTHORIZED)
    services.message_post(
        ticket=waiting, by=waiting.order.customer.user, body="Where to?", from_customer=True
    )
    quiet = ticket_in(State.AUTHORIZED)  # nothing to do for anyone now
    closed = ticket_in(State.REJECTED)
    client.force_login(support)

    response = client.get(QUEUE)

    assert response.status_code == 200
    everything = (newer, older, overdue, waiting, quiet, closed)
    assert numbers_in_order(response, *everything) == [
        overdue.number,
        waiting.number,
        older.number,
        newer.number,
    ]
    assert re.search(r'class="selected">\s*<a href="\?queue=needs"', response.text)
    assert "Overdue" in response.text and "Customer waiting since" in response.text
    # "All" is one click away, newest first as before.
    everyone = client.get(QUEUE, {"queue": "all"})
    assert set(numbers_in_order(everyone, *everything)) == {t.number for t in everything}
    # Any other filter or a search shows all tickets that match it.
    assert quiet.number in client.get(QUEUE, {"state__exact": "authorized"}).text
    assert closed.number in client.get(QUEUE, {"q": closed.number}).text


@pytest.mark.django_db
def test_an_overdue_stage_lists_the_longest_overdue_first(client, support):
    """D1 "no answer": the request waiting longest on top (the list's own order is the
    newest first); a column staff sort by still sorts."""
    longest = aged(ticket_in(State.REQUESTED), 9)
    shorter = aged(ticket_in(State.REQUESTED), 6)
    not_yet = aged(ticket_in(State.REQUESTED), 1)
    client.force_login(support)

    response = client.get(QUEUE, {"overdue": "D1-response"})

    assert numbers_in_order(response, longest, shorter, not_yet) == [
        longest.number,
        shorter.number,
    ]
    newest_first = client.get(QUEUE, {"overdue": "D1-response", "o": "-9"})  # "requested"
    assert numbers_in_order(newest_first, longest, shorter) == [shorter.number, longest.number]


@pytest.mark.django_db
def test_the_vendor_and_route_filters_find_the_tickets_of_the_lines_vendor(client, support):
    direct = defect_of("Ubiquiti", Route.VENDOR_DIRECT)
    via_shop = defect_of("TP-Link", Route.VIA_SHOP)
    client.force_login(support)

    by_vendor = client.get(QUEUE, {"vendor": str(direct.vendor_id)})
    by_route = client.get(QUEUE, {"route__exact": Route.VIA_SHOP})

    assert direct.vendor.name == "Ubiquiti" and direct.route == Route.VENDOR_DIRECT
    assert direct.number in by_vendor.text and via_shop.number not in by_vendor.text
    assert via_shop.number in by_route.text and direct.number not in by_route.text


@pytest.mark.django_db
def test_a_defect_goes_to_the_first_vendor_that_takes_it_directly():
    """V1–V3, as the e-mails say it (rma.emails.ticket_context)."""
    order = delivered_order(lines=((1, "120.00"), (1, "80.00")))
    first, second = (line.product for line in order.lines.order_by("line_id"))
    first.vendor = VendorFactory(name="TP-Link", route=Route.VIA_SHOP)
    second.vendor = VendorFactory(name="Ubiquiti", route=Route.VENDOR_DIRECT)
    first.save()
    second.save()

    ticket = services.ticket_create(
        order=order,
        reason="defective",
        lines=[services.LineRequest("1", 1), services.LineRequest("2", 1)],
        by=order.customer.user,
    )

    assert ticket.vendor == second.vendor
    assert ticket.route == Route.VENDOR_DIRECT


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"vendor": "x"}, {"assignee": "x"}, {"queue": "x"}])
def test_a_made_up_filter_value_shows_an_empty_or_whole_list_not_an_error(client, support, query):
    ticket_in(State.REQUESTED)
    client.force_login(support)

    response = client.get(QUEUE, query)

    assert response.status_code in (200, 302)


@pytest.mark.django_db
def test_assign_to_me_in_bulk_filters_by_me_and_lands_in_the_history(client, support):
    mine, theirs = ticket_in(State.REQUESTED), ticket_in(State.REQUESTED)
    client.force_login(support)

    response = act(client, "assign_to_me", [mine])

    assert "Assigned 1 ticket to you." in response.text
    assert Ticket.objects.get(pk=mine.pk).assignee == support
    event = TicketEvent.objects.get(ticket=mine, kind=EventKind.CHANGE)
    assert event.by == support
    assert event.data == {"field": "assignee", "old": "", "new": support.email}
    page = client.get(reverse("admin:rma_ticket_change", args=[mine.pk])).text
    assert f"assigned to: — → {support.email}" in page
    me = client.get(QUEUE, {"assignee": "me"}).text
    nobody = client.get(QUEUE, {"assignee": "nobody"}).text
    by_pk = client.get(QUEUE, {"assignee": str(support.pk)}).text
    assert mine.number in me and theirs.number not in me
    assert theirs.number in nobody and mine.number not in nobody
    assert mine.number in by_pk and theirs.number not in by_pk


@pytest.mark.django_db
def test_assign_and_unassign_on_the_ticket_page(client, support):
    ticket = ticket_in(State.REQUESTED)
    client.force_login(support)
    url = reverse("admin:rma_ticket_assign", args=[ticket.pk])

    assigned = client.post(url, {"to": "me"}, follow=True)
    assert f"{ticket.number} is assigned to you." in assigned.text
    assert f"Assigned to {support.email}." in assigned.text
    unassigned = client.post(url, {"to": "nobody"}, follow=True)

    assert "Assigned to nobody." in unassigned.text
    assert Ticket.objects.get(pk=ticket.pk).assignee is None
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CHANGE).count() == 2


@pytest.mark.django_db
def test_bulk_authorize_does_what_it_may_and_names_each_refusal(client, support):
    fine = ticket_in(State.REQUESTED)
    needs_vendor = defect_of("Grandstream", Route.VENDOR_VALIDATION_FIRST)
    client.force_login(support)

    response = act(client, "authorize_selected", [fine, needs_vendor])

    assert Ticket.objects.get(pk=fine.pk).state == State.AUTHORIZED
    assert Ticket.objects.get(pk=needs_vendor.pk).state == State.REQUESTED
    assert "Authorized 1 ticket." in response.text
    assert (
        f"{needs_vendor.number}: This vendor's support must confirm the fault first (V3)"
        in html.unescape(response.text)
    )


@pytest.mark.django_db
def test_bulk_reject_asks_to_confirm_and_for_the_reason(client, support):
    tickets = [ticket_in(State.REQUESTED), ticket_in(State.REQUESTED)]
    client.force_login(support)

    asked = act(client, "reject_selected", tickets)
    assert "Are you sure?" in asked.text
    assert all(t.number in asked.text for t in tickets)
    assert all(Ticket.objects.get(pk=t.pk).state == State.REQUESTED for t in tickets)

    no_reason = act(client, "reject_selected", tickets, confirmed="yes", note=" ")
    assert "Say why the request is rejected" in no_reason.text
    assert all(Ticket.objects.get(pk=t.pk).state == State.REQUESTED for t in tickets)

    done = act(client, "reject_selected", tickets, confirmed="yes", note="Outside warranty.")
    assert "Rejected 2 tickets." in done.text
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.state == State.REJECTED
        assert ticket.rejection_reason == "Outside warranty."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "name"), [(State.REQUESTED, "cancel"), (State.AUTHORIZED, "expire")]
)
def test_ending_a_ticket_from_its_page_asks_to_confirm(client, support, state, name):
    ticket = ticket_in(state)
    client.force_login(support)
    url = reverse("admin:rma_ticket_transition", args=[ticket.pk])

    asked = client.post(url, {"name": name, "note": "Asked by phone."})
    assert asked.status_code == 200 and "Are you sure?" in asked.text
    assert "Asked by phone." in asked.text
    assert Ticket.objects.get(pk=ticket.pk).state == state

    client.post(url, {"name": name, "note": "Asked by phone.", "confirmed": "yes"})
    assert (
        Ticket.objects.get(pk=ticket.pk).state == {"cancel": "cancelled", "expire": "expired"}[name]
    )


@pytest.mark.django_db
def test_a_button_that_cannot_be_used_now_is_shown_disabled_with_the_reason(client, support):
    ticket = defect_of("Grandstream", Route.VENDOR_VALIDATION_FIRST)
    client.force_login(support)

    page = client.get(reverse("admin:rma_ticket_change", args=[ticket.pk])).text

    disabled = re.search(
        r'<button type="button" class="button retour-disabled" disabled aria-disabled="true" '
        r'aria-describedby="retour-why-authorize">Authorize</button>\s*'
        r'<span class="retour-why" id="retour-why-authorize">([^<]+)</span>',
        page,
    )
    assert disabled, page
    assert "support ticket number" in disabled.group(1)
    assert 'name="name" value="reject"' in page  # the others stay usable


@pytest.mark.django_db
def test_a_customer_message_marks_the_ticket_waiting_until_staff_answer(client, support):
    ticket = ticket_in(State.AUTHORIZED)
    customer = ticket.order.customer.user

    first = services.message_post(ticket=ticket, by=customer, body="Hello?", from_customer=True)
    services.message_post(ticket=ticket, by=customer, body="Anyone?", from_customer=True)
    ticket.refresh_from_db()
    assert ticket.customer_waiting_since == first.at
    client.force_login(support)
    assert "Customer waiting since" in client.get(QUEUE).text

    services.message_post(ticket=ticket, by=support, body="Yes: send it.", from_customer=False)
    ticket.refresh_from_db()
    assert ticket.customer_waiting_since is None
    assert ticket.number not in client.get(QUEUE).text  # authorized, nothing more to do


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["warehouse", "accountant"])
def test_the_warehouse_and_the_accountant_cannot_authorize_or_reject(client, role):
    ticket = ticket_in(State.REQUESTED)
    client.force_login(staff(role))

    page = client.get(QUEUE).text
    for action in ("authorize_selected", "reject_selected"):
        act(client, action, [ticket], confirmed="yes", note="No.")

    assert 'value="authorize_selected"' not in page
    assert 'value="reject_selected"' not in page
    assert Ticket.objects.get(pk=ticket.pk).state == State.REQUESTED
    assert not TicketEvent.objects.filter(ticket=ticket).exclude(to_state="requested").exists()
