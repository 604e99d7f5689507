"""Migrations apply cleanly, once, and leave the schema the app expects."""

import shutil
from datetime import UTC, datetime

import psycopg
import pytest

from app.storage.migrate import migrate, migration_files, pending
from tests import dbutil


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


@pytest.fixture
def empty_db_url():
    """URL of a new database with no migration applied."""
    name = dbutil.unique_name("wbt_empty")
    yield dbutil.create_database(name)
    dbutil.drop_database(name)


def test_moves_made_before_0009_are_recorded_on_the_chains_last_row(empty_db_url, tmp_path):
    for path in migration_files():
        if path.name < "0009":
            shutil.copy(path, tmp_path / path.name)
    migrate(empty_db_url, tmp_path)
    t = [datetime(2026, 6, 2, h, tzinfo=UTC) for h in (9, 10, 11, 12)]
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        ids = conn.execute(LEGACY_CHAIN, {"t": t}).fetchone()
    migrate(empty_db_url)
    with psycopg.connect(empty_db_url) as conn:
        rows = conn.execute(
            "SELECT appointment_id, from_starts_at, to_starts_at FROM appointment_moves ORDER BY id"
        ).fetchall()
    last = ids[2]
    # 09:00 moved to 10:00 (a new row), then to 11:00 (another); a booking never moved has none.
    assert rows == [(last, t[0], t[1]), (last, t[1], t[2])]


# One business, customer and service; a booking moved twice the old way (09:00 -> 10:00 ->
# 11:00, each move a new row pointing at the cancelled one) and a booking never moved (12:00).
LEGACY_CHAIN = """
WITH b AS (INSERT INTO businesses (name, phone_number_id) VALUES ('Old', 'old') RETURNING id),
s AS (INSERT INTO services (business_id, name, duration_minutes)
      SELECT id, 'Haircut', 30 FROM b RETURNING id, business_id),
c AS (INSERT INTO customers (business_id, wa_id) SELECT id, '34600' FROM b RETURNING id),
a1 AS (INSERT INTO appointments (business_id, customer_id, service_id, starts_at, ends_at,
                                 status, idempotency_key)
       SELECT s.business_id, c.id, s.id, (%(t)s)[1], (%(t)s)[1] + interval '30 min',
              'cancelled', 'k1' FROM s, c RETURNING id),
a2 AS (INSERT INTO appointments (business_id, customer_id, service_id, starts_at, ends_at,
                                 status, idempotency_key, rescheduled_from)
       SELECT s.business_id, c.id, s.id, (%(t)s)[2], (%(t)s)[2] + interval '30 min',
              'cancelled', 'k2', a1.id FROM s, c, a1 RETURNING id),
a3 AS (INSERT INTO appointments (business_id, customer_id, service_id, starts_at, ends_at,
                                 status, idempotency_key, rescheduled_from)
       SELECT s.business_id, c.id, s.id, (%(t)s)[3], (%(t)s)[3] + interval '30 min',
              'booked', 'k3', a2.id FROM s, c, a2 RETURNING id),
a4 AS (INSERT INTO appointments (business_id, customer_id, service_id, starts_at, ends_at,
                                 idempotency_key)
       SELECT s.business_id, c.id, s.id, (%(t)s)[4], (%(t)s)[4] + interval '30 min', 'k4'
         FROM s, c RETURNING id)
SELECT a1.id, a2.id, a3.id, a4.id FROM a1, a2, a3, a4
"""
