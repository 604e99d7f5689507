"""The `gcal` fixture (a plugin: `pytest_plugins = ["tests.fake_gcal.fixtures"]`)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.calendars.google_state import EXTENSION
from tests.fake_gcal import FakeGoogle
from tests.fake_gcal.accounts import CAL, OWNER


@pytest.fixture
def gcal(app):
    """A running fake Google with the salon's calendar, inside the app's context (the Google
    backend's state lives on the app); retries sleep into `gcal.sleeps`."""
    fake = FakeGoogle()
    fake.add_calendar(CAL, OWNER, "Salon")
    fake.sleeps = []
    google = app.extensions[EXTENSION]
    google.policy = replace(google.policy, sleep=fake.sleeps.append, timeout=5.0)
    with app.app_context():
        yield fake
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
