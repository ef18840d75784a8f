"""Hostile input to the order import (issue 17, point 3): refused at the door, per field.

A NUL character (no PostgreSQL text holds one) or a lone surrogate (JSON's "\\ud800",
which no encoding can write) in any text of an order refuses that order with its number
and the field's path; nothing of it is written and the other orders of the file are. The
command and the API answer a file or body they cannot read with one sentence.
"""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.utils import translation

from orders.importing import ImportNotJSON, import_orders_json
from orders.models import Customer, Order, OrderLine, Product, Vendor
from tests.factories import UserFactory
from tests.orders.test_import import small_order
from tests.orders.test_import_api import post, token_of

PROJECT = Path(__file__).resolve().parents[2]
BAD_NUMBER = "WS-666"
HOSTILE = {"NUL": "\x00", "lone surrogate": "\ud800"}
MESSAGE = {"NUL": "contains a NUL character", "lone surrogate": "is not valid Unicode"}


def bad_order() -> dict:
    """An order sharing no customer, vendor or product with the good ones, with every
    optional text present, so each can be made hostile."""
    order = small_order(BAD_NUMBER, email="eve@example.nl", sku="EV-1", vendor="Evil Corp")
    order["customer"].update(type="business", company="Eve BV", vat_number="NL001234567B01")
    order["shipping"] = {"method": "standard", "price": "0.00", "standard_price": "0.00"}
    order["discounts"] = [{"code": "WELCOME", "amount": "9.00"}]
    order["payments"] = [{"method": "card", "amount": "90.00"}]
    order["lines"][0]["serials"] = ["SN-1"]
    order["shipments"] = [
        {
            "lines": {"1": 1},
            "shipped_at": "2026-10-06T09:00:00+02:00",
            "delivered_at": "2026-10-07T09:00:00+02:00",
            "carrier": "PostNL",
            "tracking": "3S0001",
        }
    ]
    return order


def _set(order: dict, path: str, bad: str) -> None:
    """Put `bad` into the text at `path` (`customer.name`, `lines[0].serials[0]`)."""
    *parents, last = path.replace("[", ".").replace("]", "").split(".")
    target = order
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if last.isdigit():
        target[int(last)] = target[int(last)] + bad
    else:
        target[last] = target[last] + bad


def _spoil_shipment_key(order: dict, bad: str) -> None:
    order["shipments"][0]["lines"] = {"1" + bad: 1}


TEXT_FIELDS = [
    "number",
    "customer.email",
    "customer.name",
    "customer.company",
    "customer.vat_number",
    "shipping.method",
    "discounts[0].code",
    "lines[0].id",
    "lines[0].sku",
    "lines[0].name",
    "lines[0].vendor",
    "lines[0].serials[0]",
    "shipments[0].carrier",
    "shipments[0].tracking",
]


def import_file(*orders: dict):
    """Import the orders as the API and the command do: a JSON text, "\\ud800" escaped."""
    return import_orders_json(json.dumps({"orders": list(orders)}).encode())


def good(number: str, letter: str) -> dict:
    return small_order(number, email=f"{letter}@example.nl", sku=f"OK-{letter}")


def assert_only_the_good_orders_written() -> None:
    assert sorted(Order.objects.values_list("number", flat=True)) == ["WS-1", "WS-3"]
    assert not Customer.objects.filter(email__startswith="eve").exists()
    assert not Product.objects.filter(sku__startswith="EV-").exists()
    assert not Vendor.objects.filter(name__startswith="Evil").exists()
    assert OrderLine.objects.count() == 2


def test_the_bad_order_without_anything_hostile_imports(db):
    """The control: the order the tests spoil is itself a good one."""
    result = import_file(bad_order())

    assert (result.created, result.errors) == (1, [])


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("path", TEXT_FIELDS)
def test_a_hostile_text_refuses_its_order_only(db, path, kind):
    order = bad_order()
    _set(order, path, HOSTILE[kind])

    result = import_file(good("WS-1", "a"), order, good("WS-3", "c"))

    assert (result.created, result.failed) == (2, 1)
    [error] = result.errors
    # An unreadable order number cannot name its order: its place in the file does.
    assert error.order == ("orders[1]" if path == "number" else BAD_NUMBER)
    assert error.field == path
    assert MESSAGE[kind] in error.message
    assert_only_the_good_orders_written()


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_line_id_in_a_shipment_refuses_its_order_only(db, kind):
    order = bad_order()
    _spoil_shipment_key(order, HOSTILE[kind])

    result = import_file(good("WS-1", "a"), order, good("WS-3", "c"))

    [error] = result.errors
    assert error.order == BAD_NUMBER
    assert error.field.startswith("shipments[0].lines.1")
    assert MESSAGE[kind] in error.message
    assert_only_the_good_orders_written()


@pytest.mark.parametrize("kind", HOSTILE)
def test_an_error_shows_the_hostile_value_escaped(db, kind):
    """A message goes to a terminal, a log and a JSON answer: none of them gets the raw
    character (a terminal would choke on a lone surrogate)."""
    order = bad_order()
    order["customer"]["name"] = "Eve" + HOSTILE[kind]
    order["payments"][0]["method"] = "cash" + HOSTILE[kind]  # a choice, not a text
    order["shipments"][0]["lines"] = {"1" + HOSTILE[kind]: 1}

    result = import_file(order)

    shown = "".join(str(error) for error in result.errors)
    assert len(result.errors) == 3
    assert "\x00" not in shown and "\ud800" not in shown
    shown.encode("utf-8")  # raises on a lone surrogate
    assert ("\\u0000" if kind == "NUL" else "\\ud800") in shown


def test_a_nul_in_a_choice_or_code_is_refused_as_not_one_of_them(db):
    order = bad_order()
    order["customer"]["country"] = "N\x00"
    order["customer"]["type"] = "consumer\x00"

    result = import_file(good("WS-1", "a"), order, good("WS-3", "c"))

    assert sorted(error.field for error in result.errors) == ["customer.country", "customer.type"]
    assert_only_the_good_orders_written()


# --- the command ------------------------------------------------------------------------------


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orders", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write_bytes(tmp_path, content: bytes) -> str:
    path = tmp_path / "orders.json"
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe{}", "not valid JSON: the text is not UTF-8 (byte 0xff at position 0)"),
        (
            b'{"orders": ["caf\xe9"]}',
            "not valid JSON: the text is not UTF-8 (byte 0xe9 at position 16)",
        ),
        (b"", "not valid JSON: Expecting value"),
        (b'{"orders": [}', "not valid JSON: Expecting value"),
        (b'{"orders": ["\x00"]}', "not valid JSON: Invalid control character"),
        (b"[" * 100_000, "not valid JSON"),
        (b'{"orders": [1' + b"0" * 5000 + b"]}", "not valid JSON"),
        (b'["orders"]', 'the document must be a JSON object like {"orders": [...]}'),
        (b'"orders"', 'the document must be a JSON object like {"orders": [...]}'),
        (b'{"orders": {"number": "WS-1"}}', 'the document must have a list "orders"'),
        (b'{"orders": null}', 'the document must have a list "orders"'),
    ],
    ids=[
        "UTF-16",
        "Latin-1",
        "empty",
        "broken JSON",
        "a raw NUL byte",
        "nested too deep",
        "a number too long",
        "a list",
        "a string",
        "orders an object",
        "orders null",
    ],
)
def test_the_command_refuses_a_file_it_cannot_read_as_orders(db, tmp_path, content, message):
    path = write_bytes(tmp_path, content)

    with pytest.raises(CommandError) as refused:
        run(path)

    assert str(refused.value).startswith(f"{path} was not imported: {message}")
    assert "\n" not in str(refused.value)
    assert not Order.objects.exists()


def test_the_command_refuses_a_missing_file(db, tmp_path):
    path = str(tmp_path / "missing.json")

    with pytest.raises(
        CommandError, match="^Cannot read .*missing.json: No such file or directory$"
    ):
        run(path)


def test_the_command_refuses_a_directory(db, tmp_path):
    with pytest.raises(CommandError, match="^Cannot read .*: Is a directory$"):
        run(str(tmp_path))


def test_the_command_refuses_a_path_through_a_file(db, tmp_path):
    path = write_bytes(tmp_path, b"{}") + "/orders.json"

    with pytest.raises(CommandError, match="^Cannot read .*: Not a directory$"):
        run(path)


def test_the_command_refuses_a_file_it_may_not_read(db, tmp_path, monkeypatch):
    # A mode-000 file would not do: the suite may run as root, who reads it anyway.
    from orders.management.commands import import_orders as command

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(command, "open", refuse, raising=False)

    with pytest.raises(CommandError, match="^Cannot read .*: Permission denied$"):
        run(write_bytes(tmp_path, b'{"orders": []}'))


@pytest.mark.parametrize("kind", HOSTILE)
def test_the_command_prints_a_hostile_order_escaped_and_imports_the_rest(db, tmp_path, kind):
    order = bad_order()
    order["customer"]["name"] += HOSTILE[kind]
    path = write_bytes(
        tmp_path, json.dumps({"orders": [good("WS-1", "a"), order, good("WS-3", "c")]}).encode()
    )
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="^1 of 3 orders were not imported.$"):
        call_command("import_orders", path, stdout=out, stderr=err)

    assert out.getvalue() == "2 created, 0 updated, 0 unchanged, 1 failed.\n"
    [line] = err.getvalue().splitlines()
    assert line.startswith(f"{BAD_NUMBER}: customer.name: ")
    line.encode("utf-8")
    assert_only_the_good_orders_written()


@pytest.mark.slow
def test_the_command_run_by_a_shell_prints_one_line_and_no_traceback(tmp_path):
    """As a shell script sees it; the file fails before the database is asked anything."""
    path = write_bytes(tmp_path, b"\xff\xfe{\x00\x00")

    finished = subprocess.run(
        [sys.executable, "manage.py", "import_orders", path],
        cwd=PROJECT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr
    assert finished.stderr.strip().splitlines() == [
        f"CommandError: {path} was not imported: "
        "not valid JSON: the text is not UTF-8 (byte 0xff at position 0)"
    ]


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture
def importer(db):
    user = UserFactory(email="ilse.import@webstore4.example", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="orders", codename__in=["add_order", "change_order"]
        )
    )
    return user


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"\xff\xfe{}", "not valid JSON: the text is not UTF-8 (byte 0xff at position 0)"),
        (b'{"orders": ["\x00"]}', "not valid JSON: Invalid control character"),
        (b"[" * 100_000, "not valid JSON"),
    ],
    ids=["not UTF-8", "a raw NUL byte", "nested too deep"],
)
def test_the_api_answers_400_to_a_body_it_cannot_read(client, importer, body, detail):
    response = post(client, body, token_of(importer))

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("path", ["number", "customer.name", "lines[0].serials[0]"])
def test_the_api_refuses_the_hostile_order_and_imports_the_rest(client, importer, path, kind):
    order = bad_order()
    _set(order, path, HOSTILE[kind])

    response = post(
        client, {"orders": [good("WS-1", "a"), order, good("WS-3", "c")]}, token_of(importer)
    )

    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 2
    [error] = body["errors"]
    assert error["order"] == ("orders[1]" if path == "number" else BAD_NUMBER)
    assert error["field"] == path
    assert MESSAGE[kind] in error["message"]
    assert_only_the_good_orders_written()


@pytest.mark.parametrize(
    ("bad", "dutch"),
    [("\x00", "bevat een NUL-teken"), ("\ud800", "geen geldige Unicode")],
    ids=["NUL", "lone surrogate"],
)
def test_a_dutch_importer_reads_the_refusal_in_dutch(db, bad, dutch):
    order = bad_order()
    order["customer"]["name"] += bad

    with translation.override("nl"):
        result = import_file(order)
        with pytest.raises(ImportNotJSON, match="geen geldige JSON: de tekst is geen UTF-8"):
            import_orders_json(b"\xff")

    assert dutch in result.errors[0].message
