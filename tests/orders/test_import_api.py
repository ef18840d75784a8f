"""POST /api/v1/orders/import: the order import over the API, for staff with a token."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from accounts.models import ApiToken
from orders.models import Order
from tests.factories import UserFactory
from tests.orders.test_import import appendix_a, example_order, small_order

URL = "/api/v1/orders/import"


def token_of(user) -> str:
    return ApiToken.issue(user=user, name="webshop feed")[1]


@pytest.fixture
def importer(db):
    """A staff member allowed to import orders: both orders.add_order and change_order."""
    user = UserFactory(email="ilse.import@webstore4.example", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="orders", codename__in=["add_order", "change_order"]
        )
    )
    return user


def post(client, body, key=None, **extra):
    if key is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **extra)


def test_it_imports_orders_for_a_permitted_staff_member(client, importer):
    response = post(client, appendix_a(), token_of(importer))

    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0, "errors": []}
    assert Order.objects.filter(number="WS-100234").exists()


def test_it_imports_orders_for_a_superuser(client, admin):
    response = post(client, appendix_a(), token_of(admin))

    assert response.status_code == 200
    assert response.json()["created"] == 1


def test_a_second_call_with_the_same_body_reports_the_order_unchanged(client, importer):
    key = token_of(importer)
    post(client, appendix_a(), key)

    response = post(client, appendix_a(), key)

    assert response.json() == {"created": 0, "updated": 0, "unchanged": 1, "errors": []}
    assert Order.objects.count() == 1


def test_it_lists_the_failed_orders_beside_the_imported_ones(client, importer):
    bad = example_order()
    bad["lines"][1]["unit_price"] = "12,50"

    response = post(client, {"orders": [bad, small_order("WS-200001")]}, token_of(importer))

    assert response.status_code == 200
    assert response.json() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "errors": [
            {
                "order": "WS-100234",
                "field": "lines[1].unit_price",
                "message": '"12,50" is not an amount like "12.50"',
            }
        ],
    }
    assert list(Order.objects.values_list("number", flat=True)) == ["WS-200001"]


def test_it_answers_422_when_no_order_could_be_imported(client, importer):
    bad = example_order()
    bad["lines"][0]["quantity"] = -1

    response = post(client, {"orders": [bad]}, token_of(importer))

    assert response.status_code == 422
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 0)
    assert [(e["order"], e["field"]) for e in body["errors"]] == [
        ("WS-100234", "lines[0].quantity")
    ]
    assert not Order.objects.exists()


def test_an_empty_list_of_orders_is_fine(client, importer):
    response = post(client, {"orders": []}, token_of(importer))

    assert response.status_code == 200
    assert response.json()["errors"] == []


@pytest.mark.parametrize(
    "body",
    ["{not json", "", b"\xff\xfe{"],
    ids=["broken JSON", "empty body", "not UTF-8"],
)
def test_it_answers_400_to_a_body_that_is_not_json(client, importer, body):
    response = post(client, body, token_of(importer))

    assert response.status_code == 400
    assert response.json()["detail"].startswith("not valid JSON")
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('["orders"]', 'the document must be a JSON object like {"orders": [...]}'),
        ('{"orders": "WS-100234"}', 'the document must have a list "orders"'),
        ("{}", 'the document must have a list "orders"'),
    ],
    ids=["a list", "orders not a list", "an empty object"],
)
def test_it_answers_422_to_json_that_is_not_a_list_of_orders(client, importer, body, detail):
    response = post(client, body, token_of(importer))

    assert response.status_code == 422
    assert response.json() == {"detail": detail}


def test_it_answers_413_to_a_body_too_large_to_read(client, importer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = post(client, appendix_a(), token_of(importer))

    assert response.status_code == 413
    assert not Order.objects.exists()


def test_it_answers_401_without_a_token(client, db):
    response = post(client, appendix_a())

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    assert not Order.objects.exists()


def test_it_answers_401_to_an_unknown_token(client, importer):
    token_of(importer)

    response = post(client, appendix_a(), "not-a-key-anyone-was-given")

    assert response.status_code == 401


def test_it_answers_401_to_a_revoked_token(client, importer):
    token, key = ApiToken.issue(user=importer, name="old feed")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at="2026-10-01T00:00:00Z")

    response = post(client, appendix_a(), key)

    assert response.status_code == 401


def test_it_answers_401_to_the_token_of_someone_who_is_no_longer_staff(client, importer):
    key = token_of(importer)
    importer.is_staff = False
    importer.save()

    response = post(client, appendix_a(), key)

    assert response.status_code == 401


def test_it_answers_403_to_support_staff(client, support):
    response = post(client, appendix_a(), token_of(support))

    assert response.status_code == 403
    assert not Order.objects.exists()


def test_it_answers_403_to_staff_who_may_add_but_not_change_orders(client, db):
    user = UserFactory(email="half@webstore4.example", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_order"))

    response = post(client, appendix_a(), token_of(user))

    assert response.status_code == 403


def test_a_logged_in_session_is_not_enough(client, importer):
    client.force_login(importer)

    response = post(client, appendix_a())

    assert response.status_code == 401


# --- issue_api_token -------------------------------------------------------------------------


def test_issue_api_token_prints_a_key_that_imports_orders(client, importer, capsys):
    call_command("issue_api_token", "Ilse.Import@webstore4.example", "--name", "webshop feed")

    out, err = capsys.readouterr()
    key = out.strip()
    assert "not shown again" in err
    assert ApiToken.objects.get(user=importer).name == "webshop feed"
    assert key not in ApiToken.objects.get(user=importer).digest
    assert post(client, appendix_a(), key).status_code == 200


def test_issue_api_token_refuses_someone_who_is_not_staff(anna):
    with pytest.raises(CommandError, match="not an active staff member"):
        call_command("issue_api_token", "anna@example.nl", "--name", "feed")

    assert not ApiToken.objects.exists()


def test_issue_api_token_refuses_an_unknown_address(db):
    with pytest.raises(CommandError, match="No user has the e-mail address"):
        call_command("issue_api_token", "nobody@example.nl", "--name", "feed")
