"""The tests' database reuse: after a reset a database is identical to a fresh clone of the
template, and a test that changed the schema or the database's settings gets a new clone."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from app.storage import db
from tests import dbutil
from tests.test_observability import booking_turn


@pytest.fixture
def own(template_db):
    """A recycler of this test's own (not the one handing out every test's database)."""
    recycler = dbutil.Recycler(template_db)
    yield recycler
    recycler.close()


@pytest.fixture
def db_url(own):
    """The app of these tests runs on the database of `own`, which the test resets itself."""
    yield own.acquire()
    db.close_pool()


def dump(url: str) -> dict:
    """Every table's rows (sorted) and every sequence's position."""
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE c.relkind = 'r'"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
        ).fetchall()
        content = {}
        for schema, name in tables:
            rows = conn.execute(
                sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, name))
            ).fetchall()
            content[name] = sorted(map(repr, rows))
        for schema, name in conn.execute("SELECT schemaname, sequencename FROM pg_sequences"):
            content[f"sequence {name}"] = conn.execute(
                sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(schema, name))
            ).fetchall()
    return content


# Rows for the tables a booking turn leaves empty (ids 1: the demo business, its first
# customer and the booked appointment).
FILL = [
    "INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'x')",
    "INSERT INTO memberships (user_id, business_id, role) VALUES (1, 1, 'owner')",
    "INSERT INTO auth_tokens (token_hash, user_id, expires_at) VALUES ('h', 1, now())",
    "INSERT INTO login_failures (email, ip) VALUES ('a@example.com', '127.0.0.1')",
    "INSERT INTO audit_log (action, entity) VALUES ('test', 'test')",
    "INSERT INTO status_backlog (business_id, external_id, status) VALUES (1, 'wamid.x', 'read')",
    "INSERT INTO appointment_moves (appointment_id, from_starts_at, from_ends_at, to_starts_at,"
    " to_ends_at) VALUES (1, now(), now() + interval '1 hour', now() + interval '1 day',"
    " now() + interval '25 hours')",
    "INSERT INTO reference_documents (business_id, version, content, source)"
    " VALUES (1, 1, 'Open 9-18', 'import')",
    "INSERT INTO llm_breakers (provider) VALUES ('openai')",
    "INSERT INTO conversation_state (customer_id, business_id, state, expires_at)"
    " VALUES (1, 1, '{}', now())",
    "INSERT INTO blocked_times (business_id, starts_at, ends_at)"
    " VALUES (1, now(), now() + interval '1 hour')",
    "INSERT INTO procrastinate_periodic_defers (task_name) VALUES ('t')",
    "INSERT INTO procrastinate_workers DEFAULT VALUES",
    "INSERT INTO google_event_sync (business_id, calendar_id) VALUES (1, 'primary')",
    "INSERT INTO appointment_requests (business_id, key, fingerprint, appointment_id)"
    " VALUES (1, 'k', 'f', 1)",
    # The template's own rows change too.
    "DELETE FROM schema_migrations WHERE name > '0010'",
    "UPDATE schema_migrations SET applied_at = now() - interval '1 day'",
]


def test_reset_database_equals_a_fresh_clone(own, post_webhook, drain, fake_llm, template_db):
    booking_turn(post_webhook, drain, fake_llm)  # demo seed, a turn, a booking, a sent reply
    url = dbutil.with_dbname(dbutil.admin_url(), own.name)
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in FILL:
            conn.execute(statement)
        for schema, name in conn.execute("SELECT schemaname, sequencename FROM pg_sequences"):
            conn.execute("SELECT nextval(%s)", (sql.Identifier(schema, name).as_string(conn),))
    fresh_name = dbutil.unique_name("wbt")
    try:
        fresh = dump(dbutil.create_database(fresh_name, template=template_db))
        dirty = dump(url)
        assert dirty.keys() == fresh.keys()
        assert [k for k in fresh if dirty[k] == fresh[k]] == []  # every table and sequence
        db.close_pool()
        own.release("dirty")
        assert (own.resets, own.changed) == (1, [])
        assert dump(own.acquire()) == fresh
        assert own.clones == 1
    finally:
        dbutil.drop_database(fresh_name)


@pytest.mark.parametrize(
    "change",
    [
        "CREATE TABLE extra (id int)",
        "ALTER TABLE customers ADD COLUMN extra text",
        "CREATE INDEX extra_idx ON customers (profile_name)",
        "ALTER FUNCTION procrastinate_fetch_job_v2(character varying[], bigint) RESET enable_sort",
        "CREATE FUNCTION extra() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE TYPE extra AS ENUM ('a')",
        "CREATE EXTENSION citext",
        "CREATE SCHEMA extra",
        "DROP TRIGGER procrastinate_jobs_notify_queue_job_inserted_v1 ON procrastinate_jobs",
        "ALTER SEQUENCE customers_id_seq INCREMENT BY 2",
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET work_mem = ''8MB''',"
        " current_database()); END $$",
    ],
)
def test_a_changed_schema_gets_a_fresh_clone(own, change):
    url = own.acquire()
    with psycopg.connect(url, autocommit=True) as conn:
        before = conn.execute(own.snapshot.fingerprint_sql).fetchone()[0]
        conn.execute(change)
    with psycopg.connect(url) as conn:
        assert conn.execute(own.snapshot.fingerprint_sql).fetchone()[0] != before
    own.release("changer")
    assert own.changed == ["changer: schema or database settings changed"]
    with psycopg.connect(own.acquire()) as conn:
        assert own.clones == 2
        assert conn.execute(own.snapshot.fingerprint_sql).fetchone()[0] == before
        assert conn.execute("SHOW work_mem").fetchone()[0] != "8MB"


def test_data_changes_keep_the_database(own):
    url = own.acquire()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO llm_breakers (provider) VALUES ('openai')")
        conn.execute("SET work_mem = '8MB'")  # a session's setting ends with the session
    own.release("data")
    with psycopg.connect(own.acquire()) as conn:
        assert conn.execute("SELECT count(*) FROM llm_breakers").fetchone()[0] == 0
    assert (own.resets, own.clones, own.changed) == (1, 1, [])


def test_a_tests_leftover_connections_are_cut_and_cannot_come_back(own):
    url = own.acquire()
    left = psycopg.connect(url, autocommit=True)
    left.execute("LISTEN anything")
    left.execute("SELECT pg_advisory_lock(1)")
    idle = psycopg.connect(url)
    idle.execute("SELECT * FROM schema_migrations FOR UPDATE")  # idle in transaction
    own.release("leftovers")
    with pytest.raises(psycopg.OperationalError):
        left.execute("SELECT 1")
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(url)
    new_url = own.acquire()
    assert new_url != url and own.resets == 1
    with psycopg.connect(new_url, autocommit=True) as conn:
        assert conn.execute("SELECT pg_try_advisory_lock(1)").fetchone()[0] is True
        others = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        assert conn.execute(others).fetchone()[0] == 1
    left.close()
    idle.close()


def test_a_failed_reset_gets_a_fresh_clone(own):
    url = own.acquire()
    own.snapshot.reset_sql = sql.SQL("SELECT * FROM no_such_table")
    own.release("broken reset")
    assert own.changed[0].startswith("broken reset: reset failed")
    with psycopg.connect(dbutil.admin_url()) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
    assert dbutil.urlsplit(url).path[1:] not in names and own.name is None
    own.acquire()
    assert own.clones == 2
