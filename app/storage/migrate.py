"""Apply the numbered SQL files of `migrations/` once each, in order."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Any constant works; it only has to be the same for every process that migrates.
_MIGRATION_LOCK = 7_240_001


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    """The migration files, sorted by their number."""
    return sorted(p for p in directory.glob("[0-9][0-9][0-9][0-9]_*.sql"))


def applied(conn: psycopg.Connection) -> set[str]:
    """Names of the migrations already applied (empty when none ever ran)."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL AS ok").fetchone()
    if not _value(exists):
        return set()
    return {_value(r) for r in conn.execute("SELECT name FROM schema_migrations").fetchall()}


def pending(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Names of the migration files not yet applied."""
    done = applied(conn)
    return [p.name for p in migration_files(directory) if p.name not in done]


def migrate(url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration, each in its own transaction; return their names."""
    done_now: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            for path in migration_files(directory):
                if path.name in applied(conn):
                    continue
                with conn.transaction():
                    conn.execute(path.read_text())
                    conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (path.name,))
                log.info("applied migration %s", path.name)
                done_now.append(path.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
    return done_now


def _value(row):
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
