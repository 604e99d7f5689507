"""Throwaway PostgreSQL databases for tests: one migrated template, one clone per test."""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from app.storage.migrate import migrate

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    """The server to create test databases on (TEST_DATABASE_URL, DATABASE_URL or local)."""
    return (
        os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_ADMIN_URL
    )


def with_dbname(url: str, name: str) -> str:
    """`url` pointing at database `name`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def create_database(name: str, template: str | None = None) -> str:
    """Create database `name` (optionally cloned from `template`); return its URL."""
    base = admin_url()
    with psycopg.connect(base, autocommit=True) as conn:
        tmpl = f" TEMPLATE {template}" if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{tmpl}')
    return with_dbname(base, name)


def drop_database(name: str) -> None:
    """Drop database `name`, closing whatever is still connected."""
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def unique_name(prefix: str) -> str:
    """A database name nobody else uses."""
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:10]}"


def make_template() -> str:
    """Create and migrate a template database; return its name."""
    name = unique_name("wbt_tmpl")
    url = create_database(name)
    migrate(url)
    return name


# --- One database per test process, reset between tests -------------------------------------
#
# Cloning the template for every test and dropping the clone afterwards costs 0.2-0.6 s a test
# (CREATE and DROP DATABASE are serialized on the server). A `Recycler` clones once and, after
# each test, puts the database back into the state of a fresh clone: same rows, same sequence
# values, same schema. A test that changed the schema or the database's settings (the catalog
# fingerprint differs) or whose reset fails gets a fresh clone instead, and so does every
# RECLONE_EVERY-th test: DELETE leaves dead rows behind, and a fresh clone also brings back the
# template's table sizes and planner statistics.

RECLONE_EVERY = 100

# Catalogs whose rows are data rather than schema: planner statistics and large objects' pages.
_DATA_CATALOGS = ("pg_statistic", "pg_statistic_ext_data", "pg_largeobject")


class Snapshot:
    """What a fresh clone of the template holds: every table (and the rows of those that have
    some), every sequence's position, and the fingerprint of the catalogs."""

    def __init__(self, url: str):
        with psycopg.connect(url, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT n.nspname, c.relname FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                " AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2"
            ).fetchall()
            self.tables = [sql.Identifier(s, t) for s, t in tables]
            # (table, its columns, its rows in COPY's binary format) for the tables with rows
            self.rows: list[tuple[sql.Identifier, sql.Composable, bytes]] = []
            for table in self.tables:
                if conn.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(table)).fetchone()[
                    0
                ]:
                    self.rows.append((table, *_copy_out(conn, table)))
            self.sequences: list[tuple[str, int, bool]] = []
            for schema, name in conn.execute(
                "SELECT schemaname, sequencename FROM pg_sequences ORDER BY 1, 2"
            ).fetchall():
                seq = sql.Identifier(schema, name)
                last, called = conn.execute(
                    sql.SQL("SELECT last_value, is_called FROM {}").format(seq)
                ).fetchone()
                self.sequences.append((seq.as_string(conn), last, called))
            self.fingerprint_sql = _fingerprint_sql(conn)
            self.fingerprint = conn.execute(self.fingerprint_sql).fetchone()[0]
        self.reset_sql = sql.SQL("\n").join(
            [
                sql.SQL("SET LOCAL session_replication_role = replica;"),
                *(sql.SQL("DELETE FROM {};").format(t) for t in self.tables),
                *(
                    sql.SQL("SELECT setval({}, {}, {});").format(seq, last, called)
                    for seq, last, called in self.sequences
                ),
            ]
        )


def _copy_out(conn: psycopg.Connection, table: sql.Identifier) -> tuple[sql.Composable, bytes]:
    """The rows of `table` in COPY's binary format, with the list of its (non-generated) columns."""
    names = conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
        (table.as_string(conn),),
    ).fetchall()
    cols = sql.SQL(", ").join(sql.Identifier(n) for (n,) in names)
    data = bytearray()
    query = sql.SQL("COPY {} ({}) TO STDOUT (FORMAT binary)").format(table, cols)
    with conn.cursor().copy(query) as copy:
        for chunk in copy:
            data += chunk
    return cols, bytes(data)


def _fingerprint_sql(conn: psycopg.Connection) -> sql.Composable:
    """A query summing up the schema and the settings of the database it runs in.

    Any DDL (a table, function, type, trigger, index, extension or schema created, altered or
    dropped) inserts, updates or deletes rows of this database's catalogs: their number or the
    sum of their xmins (the transactions that wrote them) changes;
    database settings (ALTER DATABASE ... SET) and roles live in shared catalogs, compared by
    content. Only planner statistics and large objects' data are left out.
    """
    catalogs = [
        r[0]
        for r in conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace"
            " AND relkind = 'r' AND NOT relisshared AND relname <> ALL(%s) ORDER BY 1",
            (list(_DATA_CATALOGS),),
        )
    ]
    parts = [
        sql.SQL(
            "SELECT {} || count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM {}"
        ).format(sql.Literal(c + ":"), sql.Identifier("pg_catalog", c))
        for c in catalogs
    ]
    parts += [
        sql.SQL(
            "SELECT 'db:' || row(datdba, encoding, datlocprovider, datistemplate, datallowconn,"
            " datconnlimit, dattablespace, datcollate, datctype, daticulocale, datcollversion,"
            " datacl)::text FROM pg_database WHERE datname = current_database()"
        ),
        sql.SQL(
            "SELECT 'settings:' || coalesce(string_agg(row(setdatabase = 0, setrole,"
            " setconfig)::text, ',' ORDER BY setdatabase, setrole), '') FROM pg_db_role_setting"
            " WHERE setdatabase IN"
            " (0, (SELECT oid FROM pg_database WHERE datname = current_database()))"
        ),
        sql.SQL(
            "SELECT 'roles:' || md5(string_agg(rolname || xmin::text, ',' ORDER BY rolname))"
            " FROM pg_authid"
        ),
        sql.SQL(
            "SELECT 'members:' || md5(coalesce(string_agg(row(roleid, member, xmin)::text, ','"
            " ORDER BY roleid, member), '')) FROM pg_auth_members"
        ),
    ]
    union = sql.SQL(" UNION ALL ").join(sql.SQL("({})").format(p) for p in parts)
    return sql.SQL("SELECT md5(string_agg(part, '|' ORDER BY part)) FROM ({}) AS f(part)").format(
        union
    )


class Recycler:
    """One database at a time, cloned from `template` and reset between the tests using it."""

    def __init__(self, template: str, reclone_every: int = RECLONE_EVERY):
        self.template = template
        self.reclone_every = reclone_every
        self.snapshot = Snapshot(with_dbname(admin_url(), template))
        self.name: str | None = None
        self.uses = 0
        self.resets = 0
        self.clones = 0
        self.changed: list[str] = []  # tests whose database was replaced, and why
        self._admin: psycopg.Connection | None = None

    def acquire(self) -> str:
        """The URL of a database identical to a fresh clone of the template."""
        if self.name is None:
            self.name = unique_name("wbt")
            create_database(self.name, template=self.template)
            self.clones += 1
            self.uses = 0
        self.uses += 1
        return with_dbname(admin_url(), self.name)

    def release(self, test: str = "") -> None:
        """Make the database fresh again after a test (or replace it by a fresh clone)."""
        if self.name is None:
            return
        old, self.name = self.name, None
        try:
            new = self._detach(old)
        except psycopg.Error as exc:
            self.changed.append(f"{test}: could not detach ({exc})")
            drop_database(old)
            return
        reason = None
        if self.uses >= self.reclone_every:
            reason = "periodic fresh clone"
        else:
            try:
                reason = self._reset(new)
            except psycopg.Error as exc:
                reason = f"reset failed ({exc})"
        if reason is None:
            self.name = new
            self.resets += 1
        else:
            if reason != "periodic fresh clone":
                self.changed.append(f"{test}: {reason}")
            drop_database(new)

    def close(self) -> None:
        if self.name is not None:
            drop_database(self.name)
            self.name = None
        if self._admin is not None:
            self._admin.close()
            self._admin = None

    def _admin_conn(self) -> psycopg.Connection:
        if self._admin is None or self._admin.closed or self._admin.broken:
            self._admin = psycopg.connect(admin_url(), autocommit=True)
        return self._admin

    def _detach(self, name: str) -> str:
        """Cut every connection to database `name` and rename it; return the new name.

        Whatever a test left running (a pool, a worker thread, a LISTEN, an advisory lock) loses
        its connection, and cannot reconnect: its URL names a database that no longer exists.
        """
        new = unique_name("wbt")
        conn = self._admin_conn()
        for _ in range(50):
            conn.execute(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            try:
                conn.execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                        sql.Identifier(name), sql.Identifier(new)
                    )
                )
                return new
            except psycopg.errors.ObjectInUse:
                continue  # somebody connected between the two statements
        raise psycopg.OperationalError(f"database {name} is still in use")

    def _reset(self, name: str) -> str | None:
        """Reset database `name`; return why it cannot be reused, or None once it is fresh."""
        snap = self.snapshot
        with psycopg.connect(with_dbname(admin_url(), name), autocommit=True) as conn:
            if conn.execute(snap.fingerprint_sql).fetchone()[0] != snap.fingerprint:
                return "schema or database settings changed"
            with conn.transaction():
                conn.execute(snap.reset_sql)
                for table, cols, data in snap.rows:
                    query = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(table, cols)
                    with conn.cursor().copy(query) as copy:
                        copy.write(data)
        return None
