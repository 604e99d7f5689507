"""The `gcal` fixture (a plugin: `pytest_plugins = ["tests.fake_gcal.fixtures"]`)."""

from __future__ import annotations

import pytest

from app.calendars.google_client import POLICY, clear_clients, configure
from tests.conftest import SECRET_KEY
from tests.fake_gcal import FakeGoogle
from tests.fake_gcal.accounts import CAL, OWNER


@pytest.fixture
def gcal():
    """A running fake Google with the salon's calendar; retries sleep into `gcal.sleeps`."""
    fake = FakeGoogle()
    fake.add_calendar(CAL, OWNER, "Salon")
    fake.sleeps = []
    saved = dict(vars(POLICY))
    configure(sleep=fake.sleeps.append, secret_key=SECRET_KEY, timeout=5.0)
    clear_clients()
    yield fake
    configure(**saved)
    clear_clients()
    fake.stop()


@pytest.fixture
def drain_all(drain):
    """Run the worker until no job is due: jobs sharing a lock need one pass each."""
    from app.storage.db import fetch_one

    def run(passes: int = 60) -> None:
        for _ in range(passes):
            drain()
            due = fetch_one(
                "SELECT count(*) AS n FROM procrastinate_jobs WHERE status = 'todo'"
                " AND (scheduled_at IS NULL OR scheduled_at <= now())"
            )
            if not due["n"]:
                return
        raise AssertionError("jobs still due after draining")

    return run
