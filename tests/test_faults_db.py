"""PostgreSQL outage in the middle of a burst of webhooks.

The shared server must not be restarted, so these tests run on a private throwaway PostgreSQL
(pgserver, Unix socket only) that they stop and start. During the outage webhooks answer 5xx
(Meta redelivers them); after it every message is answered exactly once, and the web pool and
the worker recover by themselves, with the same app object and the same worker.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import warnings
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from app.channels.meta import sign
from app.storage import db
from tests import dbutil, envelopes
from tests.conftest import APP_SECRET
from tests.test_faults_llm import echo, echoed, jobs_left, sent_to

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # platformdirs: "XDG_RUNTIME_DIR is not set"
    import pgserver


class PrivatePostgres:
    """A PostgreSQL server of this module's own, which tests may stop and start."""

    def __init__(self, root: Path):
        self.server = pgserver.get_server(root / "pgdata", cleanup_mode="delete")
        self.base_url = self.server.get_uri()

    def url(self, name: str) -> str:
        return dbutil.with_dbname(self.base_url, name)

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.base_url, autocommit=True)

    def stop(self) -> None:
        """Shut the server down (fast: open connections are cut)."""
        from pgserver._commands import pg_ctl

        server = self.server
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def close(self) -> None:
        self.server.cleanup()


@pytest.fixture(scope="module")
def private_pg():
    from app.storage.migrate import migrate

    root = Path(tempfile.mkdtemp(prefix="wbt_pg_"))
    server = PrivatePostgres(root)
    with server.admin() as conn:
        conn.execute("CREATE DATABASE wbt_template")
    migrate(server.url("wbt_template"))
    yield server
    server.close()


@pytest.fixture
def db_url(private_pg):
    """This test's own database, on the private server."""
    name = dbutil.unique_name("wbt")
    with private_pg.admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE wbt_template')
    yield private_pg.url(name)
    db.close_pool()
    with private_pg.admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def app_config(app_config):
    """Fail fast while the database is away, notice dead workers quickly."""
    return {**app_config, "DB_POOL_TIMEOUT": 1.0, "WORKER_CONCURRENCY": 4}


def signed(envelope: dict) -> tuple[bytes, dict]:
    body = json.dumps(envelope).encode()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, APP_SECRET)}


def deliver_until_accepted(client, body: bytes, headers: dict, timeout: float = 60.0) -> list[int]:
    """Deliver like Meta does: again and again until a 200; return every status seen."""
    deadline = time.monotonic() + timeout
    statuses = []
    pause = threading.Event()
    while not statuses or statuses[-1] != 200:
        assert time.monotonic() < deadline, f"webhook never accepted: {statuses}"
        if statuses:
            pause.wait(0.2)  # Meta backs off between deliveries
        statuses.append(client.post("/webhook", data=body, headers=headers).status_code)
    return statuses


def db_wait(predicate, timeout: float = 120.0, what: str = "the database to settle") -> None:
    """Poll until `predicate()` holds, treating database errors as "not yet"."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while True:
        try:
            if predicate():
                return
        except psycopg.Error:
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {state()}"
        tick.wait(0.1)


def state() -> dict:
    """Jobs, messages and turns, to explain a timeout."""
    return {
        "jobs": db.fetch_all("SELECT id, status, attempts, worker_id FROM procrastinate_jobs"),
        "messages": db.fetch_all("SELECT id, direction, status, body FROM messages ORDER BY id"),
        "turns": db.fetch_all("SELECT id, status, error FROM turns ORDER BY id"),
    }


CUSTOMERS = [f"3460300{i:04d}" for i in range(6)]


@pytest.mark.slow
def test_outage_mid_burst_answers_every_message_exactly_once(
    private_pg, app, client, worker, fake_llm, fake_graph
):
    fake_llm.default = echo
    # Burst A is taken in; its turns are stopped inside the model call when the database goes.
    fake_llm.hold.clear()
    for wa_id in CUSTOMERS:
        body, headers = signed(envelopes.text(f"A-{wa_id}", wa_id=wa_id))
        assert client.post("/webhook", data=body, headers=headers).status_code == 200
    assert fake_llm.wait_for_requests(app.config["WORKER_CONCURRENCY"], timeout=60)
    private_pg.stop()

    # Burst B arrives while the database is down: refused with 5xx, so Meta keeps it.
    burst_b = [signed(envelopes.text(f"B-{wa_id}", wa_id=wa_id)) for wa_id in CUSTOMERS]
    during = [client.post("/webhook", data=b, headers=h).status_code for b, h in burst_b]
    assert all(500 <= code < 600 for code in during), during
    assert client.get("/ready").status_code == 503
    fake_llm.hold.set()  # the parked turns now fail on the missing database

    private_pg.start()
    # Meta redelivers burst B; new messages (burst C) keep coming. Same app object throughout.
    retried = [deliver_until_accepted(client, b, h) for b, h in burst_b]
    for wa_id in CUSTOMERS:
        body, headers = signed(envelopes.text(f"C-{wa_id}", wa_id=wa_id))
        assert deliver_until_accepted(client, body, headers)[-1] == 200
    assert client.get("/ready").status_code == 200

    expected = {wa_id: [f"{burst}-{wa_id}" for burst in "ABC"] for wa_id in CUSTOMERS}
    db_wait(
        lambda: (
            all(
                sorted(echoed(sent_to(fake_graph, wa_id))) == expected[wa_id] for wa_id in CUSTOMERS
            )
            and jobs_left() == 0
        ),
        what="every message to be answered",
    )
    for wa_id in CUSTOMERS:
        answered = echoed(sent_to(fake_graph, wa_id))
        assert answered == expected[wa_id], (wa_id, answered, retried)  # once each, in order
    bodies = Counter(m["text"]["body"] for m in fake_graph.messages_sent())
    assert [b for b, n in bodies.items() if n > 1] == []
    counts = db.fetch_one(
        "SELECT count(*) FILTER (WHERE direction = 'in') AS inbound,"
        " count(*) FILTER (WHERE direction = 'in' AND status <> 'processed') AS unanswered,"
        " count(*) FILTER (WHERE direction = 'out' AND status <> 'sent') AS unsent"
        " FROM messages"
    )
    assert counts == {"inbound": 3 * len(CUSTOMERS), "unanswered": 0, "unsent": 0}
    assert worker.is_alive()  # the same worker, started again after the outage


@pytest.mark.slow
def test_connections_cut_under_the_pool_fail_one_request_each_then_recover(
    private_pg, db_url, app, client, drain, fake_llm, fake_graph
):
    """pg_terminate_backend on every connection of the app (no restart of the server)."""
    fake_llm.default = echo
    for i in range(3):
        body, headers = signed(envelopes.text(f"warm {i}", wa_id=CUSTOMERS[0]))
        assert client.post("/webhook", data=body, headers=headers).status_code == 200
    name = urlsplit(db_url).path.lstrip("/")
    with private_pg.admin() as conn:
        cut = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()[0]
    assert cut >= 1
    statuses = []
    for i in range(5):
        body, headers = signed(envelopes.text(f"after {i}", wa_id=CUSTOMERS[1]))
        statuses.append(deliver_until_accepted(client, body, headers))
    # Each broken connection fails at most one request; the pool heals without a restart.
    assert sum(len(s) - 1 for s in statuses) <= cut
    drain()
    answered = echoed(sent_to(fake_graph, CUSTOMERS[1]))
    assert sorted(answered) == [f"after {i}" for i in range(5)]
