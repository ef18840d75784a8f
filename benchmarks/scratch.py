"""The scratch PostgreSQL database each benchmark makes for itself (never yours)."""

from __future__ import annotations

# Databases a benchmark must never drop: the shop's and the tests'.
PROTECTED = ("retour", "test_retour", "postgres", "test")


def recreate_database(url: str, *, template: str | None = None, drop_only: bool = False) -> None:
    """Drop and create the database `url` names, empty or as a copy of `template`; or
    only drop it (`drop_only`, at the end of a run)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    name = config["NAME"]
    if name in PROTECTED:
        raise SystemExit(f"refusing to recreate database {name!r}: use a scratch database")
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            admin.execute(create)


def use_database_beside(suffix: str) -> tuple[str, str]:
    """Make and migrate `<name>_<suffix>` beside the configured database (SQLite: in
    memory) and switch to it; return the configured name, for
    `connection.creation.destroy_test_db` at the end, and the scratch one."""
    from django.db import connection

    settings_dict = connection.settings_dict
    configured = settings_dict["NAME"]
    if connection.vendor != "sqlite":
        settings_dict["TEST"] = {**settings_dict.get("TEST", {}), "NAME": f"{configured}_{suffix}"}
    scratch = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return configured, scratch
