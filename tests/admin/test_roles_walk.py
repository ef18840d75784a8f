"""Every admin page and action, for every role (issue 16 §8).

The walk reads the admin site itself: every ModelAdmin in `admin.site._registry`, its
changelist, add, change, history and delete pages (with a real object of the demo shop),
every URL of its own from `get_urls` (resolved through the URL resolver), and every action
it offers. For each role it asserts what `accounts/roles.py` grants: a role sees a page iff
it holds the model's view or change permission (add and delete: those permissions), a
custom page iff it holds the permission `CUSTOM` names for it, and an action is offered and
runs iff the role holds its permission; a customer is sent to the admin's login.

A page or action someone adds later is walked too: a URL of its own must be taught here
(`CUSTOM`: who may open it, and which object each parameter is), else the walk fails and
says so. And every ticket action that changes a ticket writes a TicketEvent (one history).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.db.models import Model
from django.test import RequestFactory
from django.urls import URLPattern, reverse
from django.utils import timezone

from accounts.models import Role
from accounts.roles import ROLE_PERMISSIONS
from demo.data import seed_demo
from rma.models import ReturnedUnit, ReturnLabel, Ticket, TicketEvent
from rma.states import State
from tests.factories import UserFactory, staff_member
from tests.rma.lifecycle import ticket_in

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROLES = [*Role.ALL, "admin"]
STANDARD = ("changelist", "add", "change", "history", "delete")
REFUSED = (403, 404)

_TRANSITIONS = [
    f"rma.{name}_ticket"
    for name in ("authorize", "reject", "cancel", "expire", "receive", "diagnose", "resolve")
]
# Each admin URL of its own: the permissions of which a role needs one to open it, and
# the model of each parameter that is not the admin's own model's pk. A URL missing here
# fails the walk: teach it who may open it.
CUSTOM: dict[str, tuple[tuple[str, ...], dict[str, type[Model] | str]]] = {
    "auth_user_password_change": (("accounts.change_user",), {}),
    "rma_ticket_scan": (("rma.receive_ticket",), {}),
    "rma_ticket_transition": (tuple(_TRANSITIONS), {}),
    "rma_ticket_assign": (("rma.change_ticket",), {}),
    "rma_ticket_message": (("rma.change_ticket",), {}),
    "rma_ticket_notice_scan": (("rma.view_ticket",), {}),
    "rma_ticket_unit_diagnose": (("rma.diagnose_ticket",), {"pk": ReturnedUnit}),
    "rma_ticket_unit_wipe": (("rma.diagnose_ticket", "rma.receive_ticket"), {"pk": ReturnedUnit}),
    "vendors_vendorcase_open": (("vendors.add_vendorcase",), {}),
    "vendors_vendorcase_decide": (("vendors.decide_vendorcase",), {}),
    "vendors_vendorcase_advance_replacement": (("vendors.replace_vendorcase",), {}),
    "vendors_vendorcase_return": (("vendors.return_vendorcase",), {}),
    "vendors_vendorshipment_send": (("vendors.send_vendorshipment",), {}),
    "vendors_vendorshipment_deliver": (("vendors.deliver_vendorshipment",), {}),
    "vendors_vendorshipment_remove": (
        ("vendors.change_vendorshipment",),
        {"case": "vendors.VendorCase"},
    ),
    "vendors_vendorshipment_packing_list": (("vendors.view_vendorshipment",), {}),
    "rma_ticket_refund_propose": (("refunds.add_refund",), {}),
    "refunds_refund_adjust": (("refunds.change_refund",), {}),
    "refunds_refund_approve": (("refunds.approve_refund",), {}),
    "refunds_refund_pay": (("refunds.pay_refund",), {}),
    "refunds_refund_fail": (("refunds.pay_refund",), {}),
    "refunds_refund_retry": (("refunds.pay_refund",), {}),
    "refunds_refund_cancel": (("refunds.add_refund",), {}),
    "refunds_creditnote_pdf": (("refunds.view_creditnote",), {}),
    "refunds_sepabatch_make": (("refunds.add_sepabatch",), {}),
    "refunds_sepabatch_download": (("refunds.view_sepabatch",), {}),
    "refunds_sepabatch_book": (("refunds.pay_refund",), {}),
}
# An action's permission whose name does not follow Django's `<name>_<model>`.
# "superuser": only the admin (no permission a role could hold).
ACTION_PERMISSION = {
    ("vendors", "pack"): "vendors.change_vendorshipment",
    ("accounts", "revoke"): "superuser",
}


# A list whose default view is not every row: the query that shows every row.
LIST_QUERY = {Ticket: "?queue=all"}


def holds(role: str, perm: str) -> bool:
    """What accounts/roles.py grants `role` (the admin, a superuser, holds everything)."""
    return role == "admin" or (perm != "superuser" and perm in ROLE_PERMISSIONS[role])


def user_of(role: str):
    if role == "admin":
        return UserFactory(email="walk.admin@webstore4.example", is_staff=True, is_superuser=True)
    return staff_member(role)


@pytest.fixture
def shop(settings, tmp_path):
    """The demo shop (tickets in every state, vendor cases, e-mails, store credit), with
    a row for each registered model it leaves empty."""
    settings.MEDIA_ROOT = tmp_path
    assert seed_demo(timezone.localdate())
    superuser = user_of("admin")
    _fill_empty_models()
    return superuser


def _fill_empty_models() -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from accounts.models import ApiToken
    from notifications.models import BouncedAddress
    from policies.models import LegalHoliday
    from refunds.models import CreditNote
    from vendors.models import VendorCase, VendorShipment

    now = timezone.now()
    if not AccessAttempt.objects.exists():
        AccessAttempt.objects.create(username="x@example.nl", failures_since_start=1)
    if not AccessLog.objects.exists():
        AccessLog.objects.create(username="x@example.nl")
    if not AccessFailureLog.objects.exists():
        AccessFailureLog.objects.create(username="x@example.nl", attempt_time=now)
    if not BouncedAddress.objects.exists():
        BouncedAddress.objects.create(address="gone@example.nl", first_bounced_at=now)
    if not LegalHoliday.objects.exists():
        LegalHoliday.objects.create(day=timezone.localdate().replace(month=12, day=31))
    if not ApiToken.objects.exists():
        ApiToken.objects.create(
            user=user_of("admin"),
            name="walk",
            prefix="walkwalk",
            digest="0" * 64,
            expires_at=now + timedelta(days=1),
        )
    if not ReturnLabel.objects.exists():
        ticket = Ticket.objects.filter(state=State.AUTHORIZED).first()
        ReturnLabel.objects.create(ticket=ticket, pdf="labels/walk.pdf", content_digest="0")
    if not VendorShipment.objects.exists():
        VendorShipment.objects.create(vendor=VendorCase.objects.first().vendor)
    if not CreditNote.objects.exists():  # a paid refund and its credit note
        from refunds.refunding import refund_pay
        from tests.refunds.refund_flow import accountant, approved_refund

        refund = approved_refund(paid_with="card")
        refund_pay(refund=refund, by=accountant("bea"), references={refund.parts.get().pk: "w"})
    from refunds.models import SepaBatch

    if not SepaBatch.objects.exists():  # a batch, for the SEPA pages (issue 18 §2)
        SepaBatch.objects.create(
            message_id="walk", execution_date=now.date(), count=0, total=0, xml="sepa/walk.xml"
        )


def _admins():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _object(model):
    return model._default_manager.order_by("pk").first()


def _superuser_request(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    return request


def _status(client, url: str, method: str = "get", data=None) -> int:
    response = getattr(client, method)(url, data or {})
    if response.status_code == 302 and "/admin/login/" in response.url:
        return 403  # the admin sends who may not enter to its login
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_the_admin_pages_its_permissions_grant(client, shop, role):
    client.force_login(user_of(role))
    sup = _superuser_request(shop)
    wrong = []

    def check(what: str, url: str, allowed: bool, *, strict=True, custom=False) -> None:
        status = _status(client, url)
        if status >= 500:
            wrong.append(f"{what} {url}: {status}")
        elif allowed and (status == 403 or (strict and status in REFUSED)):
            wrong.append(f"{what} {url}: refused ({status}) though {role} may")
        elif not allowed and (status == 200 if custom else status not in REFUSED):
            wrong.append(f"{what} {url}: {status} though {role} may not")

    for model, model_admin in _admins():
        app, name = model._meta.app_label, model._meta.model_name
        obj = _object(model)
        may_view = holds(role, f"{app}.view_{name}") or holds(role, f"{app}.change_{name}")
        may_add = holds(role, f"{app}.add_{name}") and model_admin.has_add_permission(sup)
        check("changelist", reverse(f"admin:{app}_{name}_changelist"), may_view)
        check("add", reverse(f"admin:{app}_{name}_add"), may_add)
        if obj is None:
            wrong.append(f"{model._meta.label}: no object to walk its pages with")
            continue
        may_delete = holds(role, f"{app}.delete_{name}") and model_admin.has_delete_permission(
            sup, obj
        )
        for page, allowed in (("change", may_view), ("history", may_view), ("delete", may_delete)):
            check(page, reverse(f"admin:{app}_{name}_{page}", args=[obj.pk]), allowed)
        standard = {f"{app}_{name}_{page}" for page in STANDARD}
        for pattern in model_admin.get_urls():
            if not isinstance(pattern, URLPattern) or pattern.name in (None, *standard):
                continue
            if pattern.name not in CUSTOM:
                wrong.append(f"{pattern.name}: a new admin URL; teach the walk (CUSTOM)")
                continue
            perms, params = CUSTOM[pattern.name]
            kwargs = {}
            for param in pattern.pattern.converters:
                target = params.get(param, model)
                if isinstance(target, str):
                    from django.apps import apps

                    target = apps.get_model(target)
                found = _object(target)
                if found is None:
                    wrong.append(f"{pattern.name}: no {target.__name__} to open it with")
                    break
                kwargs[param] = found.pk
            else:
                url = reverse(f"admin:{pattern.name}", kwargs=kwargs)
                allowed = any(holds(role, perm) for perm in perms)
                # An object in a state the page does not serve may answer 404 to anyone;
                # a POST-only address answers a GET by sending back to the object.
                check(pattern.name, url, allowed, strict=False, custom=True)
                if not allowed:  # nor does posting to it show anything
                    status = _status(client, url, "post")
                    if status == 200 or status >= 500:
                        wrong.append(f"POST {pattern.name}: {status} though {role} may not")

    assert not wrong, "\n".join(wrong)


def test_a_customer_gets_the_admin_login_on_every_admin_page(client, shop, anna):
    client.force_login(anna.user)
    for model, _model_admin in _admins():
        app, name = model._meta.app_label, model._meta.model_name
        response = client.get(reverse(f"admin:{app}_{name}_changelist"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    for url in (reverse("admin:index"), "/admin/dashboard/", reverse("admin:rma_ticket_scan")):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def _action_permission(model, perm: str) -> str:
    app = model._meta.app_label
    return ACTION_PERMISSION.get((app, perm), f"{app}.{perm}_{model._meta.model_name}")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_offered_and_runs_exactly_the_actions_its_permissions_grant(
    client, shop, role
):
    user = user_of(role)
    client.force_login(user)
    request = RequestFactory().get("/admin/")
    request.user = user
    known = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.all()}
    known.add("superuser")
    wrong = []
    for model, model_admin in _admins():
        app, name = model._meta.app_label, model._meta.model_name
        # Actions are offered on the list: only to who may see it.
        offered = (
            set(model_admin.get_actions(request))
            if model_admin.has_view_or_change_permission(request)
            else set()
        )
        for action, _description in model_admin.get_action_choices(
            _superuser_request(shop), default_choices=[]
        ):
            func = model_admin.get_action(action)[0]
            perms = [_action_permission(model, p) for p in getattr(func, "allowed_permissions", ())]
            if not perms:  # a third party's action: offered to whoever sees the list
                perms = [f"{app}.view_{name}"]
            unknown = [perm for perm in perms if perm not in known]
            if unknown:
                wrong.append(f"{action}: teach the walk its permission {unknown}")
                continue
            may = all(holds(role, perm) for perm in perms)
            if (action in offered) != may:
                wrong.append(f"{app}.{name} action {action}: offered={action in offered}")
            if not may:  # posting it anyway changes nothing
                obj = _object(model)
                before = model._default_manager.filter(pk=obj.pk).values().first()
                events = TicketEvent.objects.count()
                client.post(
                    reverse(f"admin:{app}_{name}_changelist") + LIST_QUERY.get(model, ""),
                    {
                        "action": action,
                        helpers.ACTION_CHECKBOX_NAME: [obj.pk],
                        "confirmed": "1",
                        "note": "walk",
                    },
                )
                after = model._default_manager.filter(pk=obj.pk).values().first()
                if before != after or TicketEvent.objects.count() != events:
                    wrong.append(f"{app}.{name} action {action}: ran for {role}")
    assert not wrong, "\n".join(wrong)


def test_every_ticket_action_that_changes_a_ticket_writes_its_history(client, shop):
    """One history (issue 16 §8): each bulk action on tickets, run on a ticket of each
    state, leaves a TicketEvent on every ticket it changed."""
    for _n in range(8):  # enough fresh tickets for each action to find one it applies to
        ticket_in(State.REQUESTED)
        ticket_in(State.AUTHORIZED)
    client.force_login(shop)
    model_admin = admin.site._registry[Ticket]
    request = _superuser_request(shop)
    silent = []
    for action in model_admin.get_actions(request):
        if action == "delete_selected":
            continue
        sample: dict[str, list[int]] = {}
        for pk, state in Ticket.objects.order_by("-pk").values_list("pk", "state"):
            if len(sample.setdefault(state, [])) < 2:
                sample[state].append(pk)
        pks = [pk for pks_of_state in sample.values() for pk in pks_of_state]
        before = {row["id"]: row for row in Ticket.objects.filter(pk__in=pks).values()}
        events = {pk: TicketEvent.objects.filter(ticket_id=pk).count() for pk in pks}
        response = client.post(
            # Every ticket, not only the queue's default "needs a person now".
            reverse("admin:rma_ticket_changelist") + "?queue=all",
            {
                "action": action,
                helpers.ACTION_CHECKBOX_NAME: pks,
                "confirmed": "1",
                "note": "The walk asks.",
            },
        )
        changed = [
            row["id"]
            for row in Ticket.objects.filter(pk__in=pks).values()
            if row != before[row["id"]]
        ]
        told = [str(m) for m in response.wsgi_request._messages]
        assert changed, f"{action} changed no ticket of any state ({told}): teach the walk"
        for pk in changed:
            if TicketEvent.objects.filter(ticket_id=pk).count() == events[pk]:
                silent.append(f"{action} changed ticket {pk} without a TicketEvent")
    assert not silent, "\n".join(silent)
