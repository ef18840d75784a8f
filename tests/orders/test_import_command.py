"""`python manage.py import_orders FILE`: the order import from a file or standard input."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from orders.models import Order
from tests.orders.test_import import appendix_a, example_order, small_order

PROJECT = Path(__file__).resolve().parents[2]


def write(tmp_path, document, name="orders.json") -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orders", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_a_file_and_prints_a_summary(db, tmp_path):
    out, err = run(write(tmp_path, appendix_a()))

    assert out == "1 created, 0 updated, 0 unchanged, 0 failed.\n"
    assert err == ""
    assert Order.objects.filter(number="WS-100234").exists()


def test_a_second_run_reports_every_order_unchanged(db, tmp_path):
    path = write(tmp_path, {"orders": [example_order(), small_order("WS-200001")]})
    run(path)

    out, _err = run(path)

    assert out == "0 created, 0 updated, 2 unchanged, 0 failed.\n"
    assert Order.objects.count() == 2


def test_it_reads_standard_input_for_a_dash(db, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(json.dumps(appendix_a()).encode()))
    monkeypatch.setattr(sys, "stdin", stdin)

    out, _err = run("-")

    assert out.startswith("1 created")
    assert Order.objects.filter(number="WS-100234").exists()


def test_it_prints_each_error_on_its_own_line_and_fails(db, tmp_path):
    missing_email = example_order("WS-100235")
    del missing_email["customer"]["email"]
    comma = example_order("WS-100236")
    comma["lines"][1]["unit_price"] = "12,50"
    path = write(tmp_path, {"orders": [missing_email, small_order("WS-200001"), comma]})
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="2 of 3 orders were not imported"):
        call_command("import_orders", path, stdout=out, stderr=err)

    assert out.getvalue() == "1 created, 0 updated, 0 unchanged, 2 failed.\n"
    assert err.getvalue().splitlines() == [
        "WS-100235: customer.email: is missing",
        'WS-100236: lines[1].unit_price: "12,50" is not an amount like "12.50"',
    ]
    assert list(Order.objects.values_list("number", flat=True)) == ["WS-200001"]


def test_it_refuses_a_file_that_is_not_json(db, tmp_path):
    with pytest.raises(CommandError, match="not valid JSON"):
        run(write(tmp_path, '{"orders": [}'))


def test_it_refuses_a_file_without_a_list_of_orders(db, tmp_path):
    with pytest.raises(CommandError, match='must have a list "orders"'):
        run(write(tmp_path, {"order": []}))


def test_it_refuses_a_file_it_cannot_read(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "missing.json"))


def test_the_exit_status_is_not_zero_and_there_is_no_traceback(tmp_path):
    """As a shell script sees it; the file fails before the database is asked anything."""
    path = write(tmp_path, "this is not JSON")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}

    finished = subprocess.run(
        [sys.executable, "manage.py", "import_orders", path],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 1
    assert "CommandError:" in finished.stderr
    assert "not valid JSON" in finished.stderr
    assert "Traceback" not in finished.stderr
