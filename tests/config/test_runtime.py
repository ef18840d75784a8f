"""The two ways Retour runs: production settings pass `check --deploy`, and the embedded
default (SQLite, in-process tasks, e-mail to files) boots from nothing with the demo."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# What an operator puts in place of .env.example's placeholders.
REAL_SECRETS = {
    "SECRET_KEY": "q8Vf2kLz9Rw4Xn7Bt1Hc6Jm3Pd0Sg5Yu8Ae2Wr4Tz7Kx1Nb9Ql3",
    "ANYMAIL_API_KEY": "9f3c2a71-0b6e-4d5a-8c14-2e7f90ab3d55",
    "ANYMAIL_WEBHOOK_SECRET": "retour-hooks:Zr8wq2LmV5tK9yPb",
}


def production_environment(**overrides: str) -> dict[str, str]:
    """.env.example's production variables, with real secrets unless `overrides` says."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE", "REDIS", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _sep, value = line.partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return {**env, **REAL_SECRETS, **overrides}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow  # subprocesses: `make test` runs it, `make check` leaves it out
@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        (
            {"SECRET_KEY": "change-me-to-50-random-characters-for-example-from-openssl-rand"},
            "retour.E001",
        ),
        ({"SECRET_KEY": "short-but-not-an-example-1234"}, "retour.E002"),
        ({"ANYMAIL_WEBHOOK_SECRET": ""}, "retour.E003"),
        ({"ANYMAIL_WEBHOOK_SECRET": "webhook-user:webhook-password"}, "retour.E003"),
        ({"ANYMAIL_API_KEY": "provider-api-key"}, "retour.E004"),
    ],
    ids=["example-key", "short-key", "no-webhook", "example-webhook", "example-api-key"],
)
def test_check_deploy_refuses_each_unsafe_production_setting(overrides, error):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_environment(**overrides)
    )

    assert result.returncode != 0
    assert error in result.stdout + result.stderr


def test_check_deploy_is_clean_with_the_production_variables_of_env_example():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_environment())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_environment()
    env.pop("SECRET_KEY")

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_misspelt_boolean_setting_stops_the_start_up():
    env = {**production_environment(), "SECURE_SSL_REDIRECT": "yes please"}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT must be true or false" in result.stderr


@pytest.mark.slow
def test_the_embedded_default_boots_with_demo_data_and_a_logged_in_admin_page(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "CELERY"))}
    env.update(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        RETOUR_VAR_DIR=str(tmp_path / "var"),
    )
    assert manage("migrate", "--noinput", env=env).returncode == 0
    seeded = manage("seed_demo", env=env)
    again = manage("seed_demo", env=env)
    page = manage(
        "shell",
        "-c",
        "from django.test import Client; c = Client(); "
        "assert c.login(username='support@webstore4.example', password='retour-demo'); "
        "r = c.get('/admin/rma/ticket/?queue=all'); print(r.status_code); "
        "print(r.content.decode().count('RMA-'))",
        env=env,
    )

    assert seeded.returncode == 0, seeded.stderr
    assert "Demo data loaded." in seeded.stdout
    for login in ["anna@example.nl", "support@webstore4.example", "admin@webstore4.example"]:
        assert login in seeded.stdout
    assert "already there" in again.stdout
    status, tickets_listed = page.stdout.split()[-2:]
    assert status == "200", page.stderr
    assert int(tickets_listed) >= 8
    assert any((tmp_path / "var" / "mail").iterdir()), "the demo's e-mails go to var/mail/"
