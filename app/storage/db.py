"""The psycopg connection pool, shared by the web app, the worker and the job queue."""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

_pool: ConnectionPool | None = None
# Characters JSON and Python strings can hold but PostgreSQL's text and jsonb cannot: NUL, and
# the halves of a surrogate pair on their own.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def client_target(url: str) -> tuple[str, str | None]:
    """`url` for a client program such as psql: a connection string without the password, and
    the password apart (None when there is none), to hand over in its environment rather than on
    its command line, which every user of the machine can read. ValueError when it does not
    parse (with no words of its own: psycopg's quote the URL, password and all)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise ValueError("not a valid connection URL") from None
    password = params.pop("password", None)
    return make_conninfo(**params), None if password is None else str(password)


def storable(value):
    """`value` (strings, lists and dicts of them) with what PostgreSQL cannot store replaced
    by U+FFFD; the same object when there was none."""
    if isinstance(value, str):
        return UNSTORABLE.sub("\ufffd", value) if UNSTORABLE.search(value) else value
    if isinstance(value, list):
        cleaned = [storable(v) for v in value]
        return value if all(a is b for a, b in zip(cleaned, value, strict=True)) else cleaned
    if isinstance(value, dict):
        pairs = [(storable(k), storable(v)) for k, v in value.items()]
        same = all(
            k2 is k and v2 is v for (k2, v2), (k, v) in zip(pairs, value.items(), strict=True)
        )
        return value if same else dict(pairs)
    return value


# Every error of the database or the pool (PoolTimeout is one), for callers above storage.
DatabaseError = psycopg.Error
# The connection of the transaction in progress on this thread, so that job deferral
# joins it (the inbound row and its job commit together or not at all).
current_conn: contextvars.ContextVar[psycopg.Connection | None] = contextvars.ContextVar(
    "current_conn", default=None
)


def init_app(app) -> None:
    """Open the pool for `app`'s DATABASE_URL (once per process and URL)."""
    open_pool(
        app.config["DATABASE_URL"],
        min_size=app.config.get("DB_POOL_MIN", 1),
        max_size=app.config.get("DB_POOL_MAX", 10),
        timeout=app.config.get("DB_POOL_TIMEOUT", 5.0),
    )


def check_cooperative() -> None:
    """Under gevent (the README's webhook processes, `gunicorn -k gevent`), psycopg must wait
    for the server through gevent's patched `select`, or one query blocks every request of the
    process. psycopg chooses how it waits when it is first imported: imported before gevent
    patched the standard library (`--preload`, or a `gunicorn.conf.py` importing it in the
    master), it waits in C and blocks them all. Raise then, instead of serving slowly
    (`gunicorn.conf.py` calls this in each worker once it has loaded the app)."""
    import sys

    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("select"):
        return
    from psycopg import waiting

    if waiting.wait is getattr(waiting, "wait_c", None):
        raise RuntimeError(
            "psycopg was imported before gevent patched the standard library, so its waits "
            "would block every request of this process: do not import psycopg (or the app's "
            "storage) in the gunicorn master, and do not use --preload with -k gevent"
        )


def open_pool(
    url: str, min_size: int = 1, max_size: int = 10, timeout: float = 30.0
) -> ConnectionPool:
    """Open (or reuse) the process-wide pool for `url`."""
    global _pool
    if _pool is not None and _pool.conninfo == url and not _pool.closed:
        return _pool
    if _pool is not None:
        _pool.close()
    _pool = ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs={"row_factory": dict_row, "autocommit": True},
        configure=_in_utc,
        timeout=timeout,
        open=False,
        name="app",
    )
    # Fail fast when the database is unreachable at startup.
    _pool.open(wait=True, timeout=15)
    return _pool


def _in_utc(conn: psycopg.Connection) -> None:
    """Every session speaks UTC, whatever the server's or the URL's TimeZone: timestamps come
    back, and the API writes them, with one offset (+00:00), as the tests see them."""
    conn.execute("SET TIME ZONE 'UTC'")


def close_pool() -> None:
    """Close the process-wide pool."""
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None


def pool() -> ConnectionPool:
    """The open pool; raises if `init_app` has not run."""
    if _pool is None:
        raise RuntimeError("database pool is not open; call storage.init_app(app) first")
    return _pool


@contextlib.contextmanager
def connection() -> Iterator[psycopg.Connection]:
    """Borrow an autocommit connection (or the one of the enclosing transaction)."""
    conn = current_conn.get()
    if conn is not None:
        yield conn
        return
    with pool().connection() as conn:
        yield conn


@contextlib.contextmanager
def transaction() -> Iterator[psycopg.Connection]:
    """Run the block in one transaction; nested calls join the outer one."""
    outer = current_conn.get()
    if outer is not None:
        with outer.transaction():
            yield outer
        return
    with pool().connection() as conn:
        token = current_conn.set(conn)
        try:
            with conn.transaction():
                yield conn
        finally:
            current_conn.reset(token)


@contextlib.contextmanager
def session_lock(namespace: int, key: int) -> Iterator[None]:
    """Hold the advisory lock (namespace, key) for the block, on a pooled connection of its own."""
    with pool().connection() as conn:
        conn.execute("SELECT pg_advisory_lock(%s, %s)", (namespace, key))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s, %s)", (namespace, key))


def fetch_one(sql: str, params: dict | tuple | None = None) -> dict | None:
    """Run a query and return its first row."""
    with connection() as conn:
        return conn.execute(sql, params).fetchone()


def fetch_all(sql: str, params: dict | tuple | None = None) -> list[dict]:
    """Run a query and return every row."""
    with connection() as conn:
        return conn.execute(sql, params).fetchall()


def execute(sql: str, params: dict | tuple | None = None) -> int:
    """Run a statement and return the affected row count."""
    with connection() as conn:
        return conn.execute(sql, params).rowcount
