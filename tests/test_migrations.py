"""Migrations apply cleanly, once, and leave the schema the app expects."""

import psycopg

from app.storage.migrate import migrate, migration_files, pending


def test_template_has_every_migration(db_url):
    with psycopg.connect(db_url) as conn:
        assert pending(conn) == []
        names = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
    assert names == {p.name for p in migration_files()}


def test_migrate_is_idempotent(db_url):
    assert migrate(db_url) == []


def test_procrastinate_schema_installed(db_url):
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    assert row[0] is True
