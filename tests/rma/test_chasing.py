"""D1–D6 chased on PostgreSQL: each reminder once per ticket and stage, only due rows read."""

import time
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.contrib.admin import site
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.formats import date_format

from backoffice.admin_filters import OverdueFilter
from core.periods import add_months
from deadlines.chasing import CHASED_STAGES, ChaseReport, chase_deadlines
from notifications.models import Email
from notifications.rendering import email_render
from orders.models import OrderLine
from policies.models import ReturnPolicy
from policies.reasons import Reason
from rma.chasing import dedupe_key
from rma.deadlines import Stage
from rma.models import Ticket, TicketEvent, TicketLine
from rma.selectors import tickets_overdue
from rma.services import ticket_number_next
from rma.states import State
from tests.factories import AMSTERDAM, UserFactory, delivered_order
from tests.threads import in_parallel
from vendors.models import VendorCase
from withdrawals.rules import refund_due_by

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=AMSTERDAM)
HOLDING = (State.REQUESTED, State.AUTHORIZED, State.RECEIVED, State.DIAGNOSED)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the chaser's concurrency is PostgreSQL's"
)


def webstore4() -> ReturnPolicy:
    """The default policy (a transactional test's flush removes the migrated presets)."""
    policy = ReturnPolicy.objects.filter(preset="webstore4").first()
    if policy is None:
        policy = ReturnPolicy.from_preset("webstore4")
        policy.name, policy.is_default = "WebStore4", True
        policy.save()
    return policy


def ticket(
    state: str,
    days: int,
    *,
    reason: str = Reason.DEFECTIVE,
    notice_days: int | None = None,
    shipped_days: int | None = None,
    tracking: str = "",
    refund_paid_days: int | None = None,
    policy: ReturnPolicy | None = None,
    now: datetime = NOW,
) -> Ticket:
    """A ticket that entered `state` `days` days before `now` (holding its order line)."""
    order = delivered_order()
    line = order.lines.get()
    made = Ticket.objects.create(
        number=ticket_number_next(now.year),
        order=order,
        policy=policy or webstore4(),
        reason=reason,
        state=state,
        notice_on=None if notice_days is None else (now - timedelta(days=notice_days)).date(),
        refund_due_on=None
        if notice_days is None
        else refund_due_by((now - timedelta(days=notice_days)).date()),
        shipped_on=None if shipped_days is None else (now - timedelta(days=shipped_days)).date(),
        tracking_number=tracking,
        refund_paid_on=None
        if refund_paid_days is None
        else (now - timedelta(days=refund_paid_days)).date(),
        state_changed_at=now - timedelta(days=days),
    )
    TicketLine.objects.create(ticket=made, order_line=line, quantity=1)
    if state in HOLDING:
        OrderLine.objects.filter(pk=line.pk).update(held_quantity=1)
    return Ticket.objects.get(pk=made.pk)


def due_set() -> dict[str, Ticket]:
    """One ticket due for each chased stage (webstore4: 2 / 7 / 30 / 3 / 3 days)."""
    return {
        Stage.RESPONSE_OVERDUE: ticket(State.REQUESTED, 3),
        Stage.ACKNOWLEDGE_DUE: ticket(State.REQUESTED, 14),
        Stage.SHIP_REMINDER: ticket(State.AUTHORIZED, 7),
        Stage.EXPIRE: ticket(State.AUTHORIZED, 31),
        Stage.TRACKING_REMINDER: ticket(State.AUTHORIZED, 5, shipped_days=3),
        Stage.REFUND_ALERT: ticket(
            State.RECEIVED, 1, reason=Reason.WITHDRAWAL, notice_days=11, shipped_days=5
        ),
        Stage.REFUND_OVERDUE: ticket(
            State.DIAGNOSED, 1, reason=Reason.WITHDRAWAL, notice_days=14, shipped_days=8
        ),
    }


def not_due_set() -> list[Ticket]:
    """One ticket a day short of each stage, and tickets no deadline applies to."""
    return [
        ticket(State.REQUESTED, 2),
        ticket(State.AUTHORIZED, 6),
        ticket(State.AUTHORIZED, 5, shipped_days=2),
        ticket(State.AUTHORIZED, 5, shipped_days=4, tracking="3SXYZ"),
        ticket(State.RECEIVED, 1, reason=Reason.WITHDRAWAL, notice_days=10, shipped_days=5),
        # D4 stops when the refund is paid, not when the ticket is resolved.
        ticket(
            State.RESOLVED,
            1,
            reason=Reason.WITHDRAWAL,
            notice_days=30,
            shipped_days=20,
            refund_paid_days=2,
        ),
        ticket(State.REJECTED, 60),
        ticket(State.EXPIRED, 60),
    ]


def keys() -> list[str]:
    return sorted(Email.objects.values_list("dedupe_key", flat=True))


@pytest.fixture
def staff(support, accountant):
    """Who hears of staff stages: Sam (support) and Ada (accountant)."""
    return {"support": support, "accountant": accountant}


def expected_keys(due: dict[str, Ticket], staff) -> list[str]:
    customer = [
        dedupe_key(Stage.SHIP_REMINDER, due[Stage.SHIP_REMINDER].pk),
        dedupe_key(Stage.TRACKING_REMINDER, due[Stage.TRACKING_REMINDER].pk),
    ]
    support = [
        f"{dedupe_key(stage, due[stage].pk)}:{staff['support'].pk}"
        for stage in (Stage.RESPONSE_OVERDUE, Stage.ACKNOWLEDGE_DUE)
    ]
    accountant = [
        f"{dedupe_key(stage, due[stage].pk)}:{staff['accountant'].pk}"
        for stage in (Stage.REFUND_ALERT, Stage.REFUND_OVERDUE)
    ]
    return sorted(customer + support + accountant)


def outbox_without_lifecycle_mail() -> list[str]:
    """The outbox minus what the expire transition sends itself (`ticket_expired`)."""
    return sorted(Email.objects.exclude(kind="ticket_expired").values_list("dedupe_key", flat=True))


def test_it_sends_each_due_stage_once_and_nothing_for_tickets_not_yet_due(staff):
    due = due_set()
    not_due_set()
    in_transit = ticket(State.AUTHORIZED, 40, shipped_days=20, tracking="3SXYZ")

    report = chase_deadlines(now=NOW)

    assert outbox_without_lifecycle_mail() == expected_keys(due, staff)
    # Every ticket stage once; no vendor case or store credit is due (D5, D6, F7).
    assert report.done == {**dict.fromkeys(CHASED_STAGES, 0), **dict.fromkeys(Stage.CHASED, 1)}
    assert report.already == dict.fromkeys(CHASED_STAGES, 0)
    expired = due[Stage.EXPIRE]
    expired.refresh_from_db()
    assert expired.state == State.EXPIRED
    assert OrderLine.objects.get(ticket_lines__ticket=expired).held_quantity == 0
    transition = TicketEvent.objects.get(ticket=expired, to_state=State.EXPIRED)
    assert transition.by is None  # the system
    assert "30 days" in transition.note
    # Lapsed, but the customer says the parcel is on its way: staff decide, not the chaser.
    in_transit.refresh_from_db()
    assert in_transit.state == State.AUTHORIZED


def test_a_withdrawal_whose_goods_have_not_left_is_reminded_and_never_expired(staff):
    # W10 (CRD 13(3)): the shop may wait for the goods before refunding, not undo the notice.
    withdrawal = ticket(State.AUTHORIZED, 45, reason=Reason.WITHDRAWAL, notice_days=46)
    defect = ticket(State.AUTHORIZED, 45)

    report = chase_deadlines(now=NOW)

    withdrawal.refresh_from_db()
    defect.refresh_from_db()
    assert (withdrawal.state, defect.state) == (State.AUTHORIZED, State.EXPIRED)
    assert report.done[Stage.EXPIRE] == 1
    reminder = Email.objects.get(kind="reminder_ship", ticket=withdrawal)
    reminder.language = "en"
    subject, text, html = email_render(reminder)
    send_back_by = (NOW - timedelta(days=46) + timedelta(days=14)).date()  # W6
    with translation.override("en"):
        day = date_format(send_back_by, "DATE_FORMAT")
    assert f"Please send the goods back by {day}" in text
    assert "expires" not in text
    assert not Email.objects.filter(kind="reminder_ship", ticket=defect).exists()


def test_reminders_go_to_the_customer_and_name_the_stage(staff):
    shipped = ticket(State.AUTHORIZED, 5, shipped_days=3)

    chase_deadlines(now=NOW)

    email = Email.objects.get(kind="reminder_tracking")
    assert email.to == shipped.order.customer.email
    assert email.subject == shipped
    assert email.context["stage"] == Stage.TRACKING_REMINDER


def test_a_second_run_sends_nothing_again(staff):
    due = due_set()
    chase_deadlines(now=NOW)
    first = keys()

    again = chase_deadlines(now=NOW)
    later = chase_deadlines(now=NOW + timedelta(hours=6))

    assert keys() == first
    assert again.total == later.total == 0
    # What is in the outbox is not even read again (the anti-join on the dedupe keys).
    assert again.already == later.already == dict.fromkeys(CHASED_STAGES, 0)
    assert outbox_without_lifecycle_mail() == expected_keys(due, staff)
    assert TicketEvent.objects.filter(to_state=State.EXPIRED).count() == 1


def test_the_next_stage_of_the_same_deadline_is_sent_when_it_comes(staff):
    requested = ticket(State.REQUESTED, 3)
    chase_deadlines(now=NOW)
    chase_deadlines(now=NOW + timedelta(days=11))

    assert outbox_without_lifecycle_mail() == sorted(
        f"{dedupe_key(stage, requested.pk)}:{staff['support'].pk}"
        for stage in (Stage.RESPONSE_OVERDUE, Stage.ACKNOWLEDGE_DUE)
    )


def test_a_ticket_that_moved_on_is_no_longer_chased(staff):
    authorized = ticket(State.AUTHORIZED, 7)
    Ticket.objects.filter(pk=authorized.pk).update(shipped_on=NOW.date())

    report = chase_deadlines(now=NOW)

    assert report.total == 0
    assert keys() == []


@pytest.mark.parametrize(
    ("authorized_at", "reminded"),
    [
        # Days are the shop's (Europe/Amsterdam): 00:30 local is still the previous UTC day.
        (datetime(2026, 11, 13, 0, 30, tzinfo=AMSTERDAM), True),
        (datetime(2026, 11, 13, 23, 59, tzinfo=AMSTERDAM), True),
        (datetime(2026, 11, 14, 0, 0, tzinfo=AMSTERDAM), False),
    ],
)
def test_the_seven_days_count_in_the_shops_timezone(staff, authorized_at, reminded):
    authorized = ticket(State.AUTHORIZED, 0)
    Ticket.objects.filter(pk=authorized.pk).update(state_changed_at=authorized_at)

    report = chase_deadlines(now=NOW)

    assert report.done[Stage.SHIP_REMINDER] == int(reminded)


def test_a_chaser_that_dies_mid_run_leaves_the_rest_for_the_next_run(staff, monkeypatch):
    from rma import chasing

    reminded = [ticket(State.AUTHORIZED, 8) for _ in range(5)]
    real_queue = chasing.ticket_email_queue
    calls = []

    def dies_on_the_third(**kwargs):
        calls.append(kwargs["ticket"].pk)
        if len(calls) == 3:
            raise SystemExit("worker killed")
        return real_queue(**kwargs)

    monkeypatch.setattr(chasing, "ticket_email_queue", dies_on_the_third)
    with pytest.raises(SystemExit):
        chase_deadlines(now=NOW)
    assert Email.objects.filter(kind="reminder_ship").count() == 2
    monkeypatch.setattr(chasing, "ticket_email_queue", real_queue)

    report = chase_deadlines(now=NOW)

    assert report.done[Stage.SHIP_REMINDER] == 3
    assert keys() == sorted(dedupe_key(Stage.SHIP_REMINDER, t.pk) for t in reminded)


def test_d4_alerts_every_active_accountant_and_no_one_else(staff):
    bea = UserFactory(email="bea.accountant@webstore4.example", role="accountant")
    UserFactory(email="old.accountant@webstore4.example", role="accountant", is_active=False)
    withdrawal = ticket(State.AUTHORIZED, 2, reason=Reason.WITHDRAWAL, notice_days=12)
    Ticket.objects.filter(pk=withdrawal.pk).update(shipped_on=NOW.date(), tracking_number="3S1")

    report = chase_deadlines(now=NOW)

    alerts = Email.objects.filter(kind="staff_refund_due")
    assert sorted(alerts.values_list("to", flat=True)) == sorted(
        [staff["accountant"].email, bea.email]
    )
    assert {alert.subject_id for alert in alerts} == {withdrawal.pk}
    # Notice on Sunday 8 November: the 14th day is Sunday 22nd, so W7 (with W2) ends on
    # Monday 23 November.
    assert alerts.first().context["refund_due_on"] == "2026-11-23"
    assert report.done[Stage.REFUND_ALERT] == 1
    assert not Email.objects.filter(to=staff["support"].email).exists()


def test_each_policy_uses_its_own_numbers(staff):
    quick = ReturnPolicy.from_preset("voip-distributor")
    quick.preset, quick.name = "quick", "Quick reminders"
    quick.ship_reminder_days = 3
    quick.save()
    ticket(State.AUTHORIZED, 3, policy=quick)  # due under its policy
    ticket(State.AUTHORIZED, 3)  # webstore4 reminds after 7

    report = chase_deadlines(now=NOW)

    assert report.done[Stage.SHIP_REMINDER] == 1
    assert Email.objects.get(kind="reminder_ship").subject.policy == quick


def test_the_command_prints_the_report(staff):
    due_set()
    out = StringIO()

    call_command("chase_deadlines", "--now", NOW.isoformat(), stdout=out)

    text = out.getvalue()
    assert "Deadlines chased for 2026-11-20:" in text
    assert "D2-ship-1" in text and "D2 not shipped yet: 1 done, 0 already done" in text
    assert "Total: 7" in text


def test_the_command_takes_a_local_time_without_offset(staff):
    ticket(State.AUTHORIZED, 7)
    out = StringIO()

    call_command("chase_deadlines", "--now", "2026-11-20T10:00", stdout=out)

    assert "Total: 1" in out.getvalue()


def test_the_command_refuses_a_malformed_moment(db):
    with pytest.raises(CommandError, match="ISO"):
        call_command("chase_deadlines", "--now", "next tuesday")


def test_a_chase_over_many_tickets_not_due_runs_a_constant_number_of_queries(
    staff, django_assert_max_num_queries
):
    """Only due rows are read: one query for the policies, one marking the tickets that
    fell due (the queue's `Ticket.overdue`) and one per ticket stage, two for D5 (the
    vendors' usual days, the overdue cases), two for D6 and F7."""
    per_run = 1 + 1 + len(Stage.CHASED) + 2 + 2
    for _ in range(3):
        not_due_set()
    with CaptureQueriesContext(connection) as few:
        chase_deadlines(now=NOW)
    for _ in range(6):
        not_due_set()

    with django_assert_max_num_queries(per_run):
        report = chase_deadlines(now=NOW)

    assert len(few.captured_queries) == per_run
    assert report.total == 0


def test_the_stage_queries_use_the_partial_indexes(staff):
    """PostgreSQL can answer D2, D3 and D4 from the partial indexes of the ticket table."""
    from rma.selectors import tickets_due

    policies = list(ReturnPolicy.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for stage, index in [
            (Stage.SHIP_REMINDER, "ticket_d2_unshipped_idx"),
            (Stage.EXPIRE, "ticket_d2_unshipped_idx"),
            (Stage.TRACKING_REMINDER, "ticket_d3_no_tracking_idx"),
            (Stage.REFUND_ALERT, "ticket_d4_unpaid_refund_idx"),
            (Stage.REFUND_OVERDUE, "ticket_d4_unpaid_refund_idx"),
        ]:
            plan = tickets_due(stage=stage, today=NOW.date(), policies=policies).explain()
            assert index in plan, (stage, plan)


def test_staff_see_overdue_tickets_with_their_most_pressing_deadline(staff):
    due = due_set()
    not_due_set()
    in_transit = ticket(State.AUTHORIZED, 31, shipped_days=10, tracking="3S9")

    overdue = {t.pk: t.overdue_stage for t in tickets_overdue(now=NOW)}

    assert overdue == {
        **{t.pk: stage for stage, t in due.items()},
        in_transit.pk: Stage.IN_TRANSIT_LAPSED,
    }
    only = tickets_overdue(now=NOW, stage=Stage.SHIP_REMINDER)
    assert [t.pk for t in only] == [due[Stage.SHIP_REMINDER].pk]


@time_machine.travel(NOW, tick=False)
def test_the_admin_overdue_filter_lists_what_the_chaser_chases(staff, support):
    due = due_set()
    not_due_set()
    request = RequestFactory().get("/admin/rma/ticket/")
    request.user = support

    def filtered(value):
        chosen = OverdueFilter(request, {"overdue": [value]}, Ticket, site)
        return set(chosen.queryset(request, Ticket.objects.all()).values_list("pk", flat=True))

    assert filtered("any") == {t.pk for t in due.values()}
    assert filtered(Stage.REFUND_ALERT) == {due[Stage.REFUND_ALERT].pk}
    assert filtered("nonsense") == set()
    chooser = OverdueFilter(request, {}, Ticket, site)
    assert ("any", "Any deadline") in [(k, str(v)) for k, v in chooser.lookup_choices]
    assert str(OverdueFilter.title) == "overdue"


@time_machine.travel(NOW, tick=False)
def test_the_overdue_filter_works_in_an_admin_change_list(staff, admin):
    from django.contrib.admin import ModelAdmin

    due = due_set()
    not_due_set()

    class TicketAdmin(ModelAdmin):
        list_filter = [OverdueFilter]

    request = RequestFactory().get("/admin/rma/ticket/", {"overdue": Stage.EXPIRE})
    request.user = admin

    changelist = TicketAdmin(Ticket, site).get_changelist_instance(request)

    assert [t.pk for t in changelist.get_queryset(request)] == [due[Stage.EXPIRE].pk]


@pytest.mark.django_db(transaction=True)
def test_two_chasers_at_once_send_each_reminder_once_and_expire_once(staff):
    sets = [due_set() for _ in range(8)]
    for _ in range(3):
        not_due_set()

    reports: list[ChaseReport] = in_parallel(2, lambda: chase_deadlines(now=NOW))

    expected = sorted(k for due in sets for k in expected_keys(due, staff))
    assert outbox_without_lifecycle_mail() == expected
    expired = [due[Stage.EXPIRE] for due in sets]
    for t in expired:
        assert TicketEvent.objects.filter(ticket=t, to_state=State.EXPIRED).count() == 1
    assert Ticket.objects.filter(state=State.EXPIRED, pk__in=[t.pk for t in expired]).count() == 8
    # Between them the two chasers did every stage of every ticket exactly once.
    for stage in Stage.CHASED:
        assert sum(r.done[stage] for r in reports) == 8, stage


@pytest.mark.worker
@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL for a real worker")
@pytest.mark.django_db(transaction=True)
def test_the_beat_task_on_a_real_worker_queues_the_reminders_alerts_and_notices(support):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app
    from deadlines.tasks import chase_deadlines_task
    from refunds.chasing import dedupe_key as notice_key
    from refunds.services import store_credit_grant
    from tests.vendors.test_vendor_case_chasing import case
    from vendors.chasing import dedupe_key as case_key

    now = datetime.now(tz=AMSTERDAM)  # the task reads the real clock
    authorized = ticket(State.AUTHORIZED, 7, now=now)
    lapsed = ticket(State.AUTHORIZED, 31, now=now)
    slow = case(30)  # D5: Hikvision usually decides within 21 days
    VendorCase.objects.filter(pk=slow.pk).update(opened_at=now - timedelta(days=30))
    expiring = store_credit_grant(  # D6: its last valid day is in ten days
        customer=authorized.order.customer,
        amount=Decimal("25.00"),
        by=None,
        reason="Goodwill",
        on=add_months(now.date(), -24) + timedelta(days=10),
    )
    expected = {
        dedupe_key(Stage.SHIP_REMINDER, authorized.pk),
        f"{case_key(slow.pk)}:{support.pk}",
        notice_key(expiring.pk),
    }

    def queued():
        return set(
            Email.objects.exclude(kind="ticket_expired").values_list("dedupe_key", flat=True)
        )

    with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
        chase_deadlines_task.delay()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if Ticket.objects.filter(pk=lapsed.pk, state=State.EXPIRED).exists() and (
                queued() == expected
            ):
                break
            time.sleep(0.2)

    assert queued() == expected
    assert Ticket.objects.get(pk=lapsed.pk).state == State.EXPIRED
