"""Migrations: the models and the migrations agree, and a fresh PostgreSQL or SQLite
database migrates from zero to a working schema with the preset policies."""

import os
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from tests.config.test_runtime import manage

PRESETS = {"webstore4", "voip-distributor", "b2b-distributor", "licence-shop"}


def migrate_and_list_presets(database_url: str, tmp_path: Path) -> tuple[set[str], str]:
    """Migrate a database from zero; return its policies' codes and the default's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS"))}
    env.update(DEBUG="1", DATABASE_URL=database_url, RETOUR_VAR_DIR=str(tmp_path / "var"))

    migrated = manage("migrate", "--noinput", env=env)
    listed = manage(
        "shell",
        "-c",
        "from policies.models import ReturnPolicy; "
        "print(*ReturnPolicy.objects.order_by('preset').values_list('preset', flat=True)); "
        "print(ReturnPolicy.default().preset)",
        env=env,
    )
    for result in (migrated, listed):
        assert result.returncode == 0, result.stdout + result.stderr
    presets, default = listed.stdout.strip().splitlines()[-2:]
    return set(presets.split()), default


def test_the_migrations_match_the_models(db):
    # Raises SystemExit(1) when a model change has no migration yet.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.slow
def test_a_fresh_sqlite_database_migrates_from_zero(tmp_path):
    presets, default = migrate_and_list_presets(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", tmp_path)

    assert presets == PRESETS
    assert default == "webstore4"


@pytest.mark.slow
def test_a_fresh_postgresql_database_migrates_from_zero(tmp_path):
    settings = connection.settings_dict
    server = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    if connection.vendor != "postgresql":
        pytest.fail("the suite runs on PostgreSQL (DATABASE_URL)")
    name = f"retour_fresh_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        password = f":{server['password']}" if server["password"] else ""
        url = f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
        presets, default = migrate_and_list_presets(url, tmp_path)
    finally:
        with psycopg.connect(**server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    assert presets == PRESETS
    assert default == "webstore4"
