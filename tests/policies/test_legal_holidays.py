"""The legal calendar staff keep: shipped with the published decree days (Atw art. 3(3)),
extended in the back office, and used for every statutory date Retour shows."""

import datetime as dt

import pytest
import time_machine

from policies.models import LegalHoliday
from policies.selectors import legal_calendar
from rma import services
from tests.factories import AMSTERDAM, delivered_order
from withdrawals.rules import refund_due_by

pytestmark = pytest.mark.django_db


def test_the_shop_calendar_holds_the_published_decree_days_and_those_staff_add():
    assert not legal_calendar().is_working_day(dt.date(2027, 5, 7))  # migrated decree day
    LegalHoliday.objects.create(country="NL", day=dt.date(2029, 5, 11), name="Decree 2029")

    assert not legal_calendar().is_working_day(dt.date(2029, 5, 11))
    assert legal_calendar("BE").is_working_day(dt.date(2029, 5, 11))


@time_machine.travel(dt.datetime(2026, 10, 5, 10, tzinfo=AMSTERDAM))
def test_a_refund_due_on_a_day_staff_added_moves_to_the_next_working_day(anna):
    # Notice on Monday 5 October 2026: W7's 14th day is Monday 19 October.
    LegalHoliday.objects.create(country="NL", day=dt.date(2026, 10, 19), name="Test decree")
    order = delivered_order(customer=anna)

    ticket = services.ticket_create(
        order=order, reason="withdrawal", lines=[services.LineRequest("1", 1)], by=anna.user
    )

    assert ticket.refund_due_on == dt.date(2026, 10, 20)
    assert refund_due_by(ticket.notice_on) == dt.date(2026, 10, 19)  # the published days only
