"""Shared fixtures: a real PostgreSQL database per test, the Flask app, fake HTTP services."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest

from tests import dbutil
from tests.fake_llm import FakeLLM

pytest_plugins = ["tests.fixtures_graph", "tests.fixtures_admin"]

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
SECRET_KEY = "test-secret-key"
ACCESS_TOKEN = "test-access-token"
PHONE_NUMBER_ID = "123456123"
RECYCLER = pytest.StashKey[dbutil.Recycler]()
WORKER_COUNTS = pytest.StashKey[list]()  # each parallel test process's database counts


@pytest.fixture(scope="session")
def template_db():
    """A migrated template database, cloned for every test that needs a database."""
    name = dbutil.make_template()
    yield name
    dbutil.drop_database(name)


@pytest.fixture(scope="session")
def recycler(template_db, pytestconfig):
    """This process's test database, reset after each test to the state of a fresh clone."""
    recycler = dbutil.Recycler(template_db)
    pytestconfig.stash[RECYCLER] = recycler
    yield recycler
    recycler.close()


@pytest.fixture
def db_url(recycler, request):
    """URL of a migrated database of this test's own, identical to a fresh clone of the template.

    No connection of an earlier test reaches it: each test's database has a new name.
    """
    url = recycler.acquire()
    yield url
    from app.storage import db

    db.close_pool()
    recycler.release(request.node.nodeid)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Captured output that is not valid UTF-8 (a test that feeds the app a lone surrogate logs
    it) is escaped, so a report can travel from a parallel test process to the one printing."""
    report = yield
    report.sections = [
        (title, text.encode("utf-8", "backslashreplace").decode("utf-8"))
        for title, text in report.sections
    ]
    return report


def _counts(recycler: dbutil.Recycler) -> dict:
    return {"resets": recycler.resets, "clones": recycler.clones, "changed": recycler.changed}


def pytest_sessionfinish(session):
    """A parallel test process hands its database counts to the one printing the summary."""
    recycler = session.config.stash.get(RECYCLER, None)
    if recycler is not None and hasattr(session.config, "workeroutput"):
        session.config.workeroutput["test_databases"] = _counts(recycler)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    counts = getattr(node, "workeroutput", {}).get("test_databases")
    if counts is not None:
        node.config.stash.setdefault(WORKER_COUNTS, []).append(counts)


def pytest_terminal_summary(terminalreporter, config):
    recycler = config.stash.get(RECYCLER, None)
    parts = config.stash.get(WORKER_COUNTS, []) + ([_counts(recycler)] if recycler else [])
    if not parts:
        return
    resets, clones = (sum(part[key] for part in parts) for key in ("resets", "clones"))
    terminalreporter.write_line(
        f"test databases: {resets} resets, {clones} clones"
        f" (a fresh clone every {dbutil.RECLONE_EVERY} tests and after these):"
    )
    for line in (line for part in parts for line in part["changed"]):
        terminalreporter.write_line(f"  {line}")


@pytest.fixture
def pool(db_url):
    """The app's connection pool opened on this test's database."""
    from app.storage import db

    yield db.open_pool(db_url, min_size=1, max_size=20)
    db.close_pool()


@pytest.fixture
def fake_llm():
    """A running fake OpenAI-compatible server."""
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def app_config(db_url, fake_llm, fake_graph):
    """Settings for a production-like app wired to this test's database and fakes."""
    return {
        "DATABASE_URL": db_url,
        "MOCK_MODE": False,
        "APP_SECRET": APP_SECRET,
        "VERIFY_TOKEN": VERIFY_TOKEN,
        "SECRET_KEY": SECRET_KEY,
        "ACCESS_TOKEN": ACCESS_TOKEN,
        "PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_API_BASE_URL": fake_graph.base_url,
        "OUTBOX_BACKOFF_BASE": 0.01,
        "OUTBOX_RATE_PAUSE": 0.05,
        "OUTBOX_PAIR_PAUSE": 0.05,
        "OPENAI_API_KEY": "test-openai-key",
        "OPENAI_BASE_URL": fake_llm.base_url,
        "LLM_TIMEOUT": 10.0,
        "LLM_MAX_RETRIES": 0,
        "DB_POOL_MAX": 20,
        "WORKER_STALLED_TIMEOUT": 2.0,
        "WORKER_HEARTBEAT_INTERVAL": 0.5,
        # No hourly purge job waiting in the queue of tests that count jobs (test_retention).
        "RETENTION_PURGE": False,
        # Nor the Google Calendar read-back (tests run it themselves).
        "GOOGLE_SYNC_INTERVAL": 0,
        "TESTING": True,
    }


@pytest.fixture
def app(app_config):
    """The Flask app on this test's database, with the demo business seeded."""
    from app import create_app
    from app.storage import businesses, db

    flask_app = create_app(app_config)
    businesses.seed_demo(PHONE_NUMBER_ID)
    yield flask_app
    db.close_pool()


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def post_webhook(client):
    """POST a JSON envelope (dict or bytes) to /webhook, signed with the app secret."""
    from app.channels.meta import sign

    def post(envelope, secret: str | None = APP_SECRET, headers: dict | None = None):
        body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if secret is not None:
            hdrs["X-Hub-Signature-256"] = sign(body, secret)
        return client.post("/webhook", data=body, headers=hdrs)

    return post


@pytest.fixture
def post_concurrently(app):
    """POST one signed envelope `n` times at once to the app on a real threaded HTTP server;
    returns the status codes (as Meta redelivering while the first delivery is in flight)."""
    import requests
    from werkzeug.serving import make_server

    from app.channels.meta import sign

    def run(envelope: dict, n: int = 20) -> list[int]:
        body = json.dumps(envelope).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(body, APP_SECRET),
        }
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/webhook"
        barrier = threading.Barrier(n)
        codes = []

        def deliver():
            barrier.wait()
            codes.append(requests.post(url, data=body, headers=headers, timeout=30).status_code)

        threads = [threading.Thread(target=deliver) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        server.shutdown()
        return codes

    return run


@pytest.fixture
def release():
    """Set at the end of the test: lets a slow fake page's handler finish."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def drain(app):
    """Run the job worker until no job is due and no send waits for a retry.

    A pass of the worker stops when it finds nothing to start, so jobs queued by running ones
    (a turn's send) need another pass; sends retry after a few milliseconds in the tests, while
    other jobs' retries stay scheduled.
    """
    from app import jobs
    from app.storage import db

    def run() -> None:
        deadline = time.monotonic() + 60
        while True:
            asyncio.run(jobs.run_worker_async(app, install_signal_handlers=False, wait=False))
            row = db.fetch_one(
                "SELECT count(*) FILTER (WHERE scheduled_at IS NULL OR scheduled_at <= now())"
                " AS due, extract(epoch FROM min(scheduled_at) FILTER"
                " (WHERE task_name = 'send_outbox') - now())::float8 AS send_wait"
                " FROM procrastinate_jobs WHERE status = 'todo'"
            )
            if not row["due"] and row["send_wait"] is None:
                return
            assert time.monotonic() < deadline, "jobs still due after 60 s of draining"
            if not row["due"]:
                time.sleep(min(max(row["send_wait"], 0.0), 5.0))  # until the retry is due

    return run


@pytest.fixture
def worker(app):
    """Start a job worker in a background thread for the duration of the test."""
    from app import jobs

    loop = asyncio.new_event_loop()
    task_box: dict = {}

    def run():
        asyncio.set_event_loop(loop)
        task_box["task"] = loop.create_task(
            jobs.run_worker_async(app, install_signal_handlers=False)
        )
        try:
            loop.run_until_complete(task_box["task"])
        except asyncio.CancelledError:
            pass
        finally:  # as asyncio.run ends: the job threads stop with the loop
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield thread
    if not loop.is_closed():  # (closed already if the worker ended on its own)
        loop.call_soon_threadsafe(lambda: task_box["task"].cancel())
    thread.join(timeout=30)
