"""Staff members and their roles are managed in the admin, by superusers only (issue 17.6)."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import User
from accounts.roles import ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Retour-new-staff-2026"


def add_staff_member(client, email: str, role: str, password: str = NEW_PASSWORD):
    return client.post(
        "/admin/accounts/user/add/",
        {
            "email": email,
            "role": Group.objects.get(name=role).pk,
            "password1": password,
            "password2": password,
        },
    )


def test_a_superuser_adds_a_staff_member_with_a_role_who_can_then_log_in(client, admin):
    client.force_login(admin)

    response = add_staff_member(client, "Wendy.Warehouse@WebStore4.example", "warehouse")

    assert response.status_code == 302, response.content.decode()
    user = User.objects.get(email="wendy.warehouse@webstore4.example")
    assert user.username == user.email
    assert user.is_staff and user.is_active and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["warehouse"]
    assert user.check_password(NEW_PASSWORD)
    staff = Client()
    assert (
        staff.post(
            "/admin/login/",
            {"username": "wendy.warehouse@webstore4.example", "password": NEW_PASSWORD},
        ).status_code
        == 302
    )
    assert staff.get("/admin/rma/ticket/").status_code == 200


def test_a_new_staff_member_needs_a_role_a_fresh_address_and_a_good_password(
    client, admin, support
):
    client.force_login(admin)

    no_role = client.post(
        "/admin/accounts/user/add/",
        {"email": "new@webstore4.example", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    taken = add_staff_member(client, support.email.upper(), "support")
    weak = add_staff_member(client, "new@webstore4.example", "support", password="password")

    for response in (no_role, taken, weak):
        assert response.status_code == 200
    assert "Someone already has this e-mail address." in taken.content.decode()
    assert not User.objects.filter(email="new@webstore4.example").exists()


def test_a_superuser_changes_a_staff_members_roles_and_address(client, admin, support):
    client.force_login(admin)
    page = client.get(f"/admin/accounts/user/{support.pk}/change/")
    assert page.status_code == 200

    response = client.post(
        f"/admin/accounts/user/{support.pk}/change/",
        {
            "email": "Samuel@WebStore4.example",
            "first_name": "Samuel",
            "last_name": "",
            "is_active": "on",
            "is_staff": "on",
            "groups": [
                Group.objects.get(name="support").pk,
                Group.objects.get(name="accountant").pk,
            ],
        },
    )

    assert response.status_code == 302, response.content.decode()
    support.refresh_from_db()
    assert support.email == support.username == "samuel@webstore4.example"
    assert set(support.groups.values_list("name", flat=True)) == {"support", "accountant"}


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/auth/group/",
        "/admin/auth/group/add/",
    ],
)
def test_support_staff_cannot_open_the_user_or_role_admin(client, support, url):
    client.force_login(support)

    assert client.get(url).status_code == 403


def test_staff_cannot_change_their_own_account_or_give_themselves_powers(client, support):
    client.force_login(support)

    response = client.post(
        f"/admin/accounts/user/{support.pk}/change/",
        {"email": support.email, "is_active": "on", "is_staff": "on", "is_superuser": "on"},
    )

    assert response.status_code == 403
    support.refresh_from_db()
    assert not support.is_superuser


def test_no_role_grants_a_permission_on_users_groups_or_tokens():
    granted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}

    assert not {perm for perm in granted if perm.split(".")[0] in {"auth", "accounts", "axes"}}
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        assert not group.permissions.filter(
            content_type__app_label__in=["auth", "accounts", "axes"]
        ).exists()
