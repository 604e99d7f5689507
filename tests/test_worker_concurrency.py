"""The worker runs WORKER_CONCURRENCY jobs at once on any machine (app/jobs/worker.py).

procrastinate runs a synchronous task in its event loop's default executor, which asyncio
sizes by the machine (min(32, cores + 4) threads): without a bigger one, a worker with more
job slots than that ran no more jobs at once than the executor had threads. And a turn's
reply transaction takes a second connection (its sends' place in line): with no more
connections than jobs, turns released together each held one and waited for another until
the pool gave up, and their retries called the model again.
"""

from __future__ import annotations

import os

import pytest

from app.jobs.worker import OWN_THREADS
from app.storage import db
from tests import envelopes
from tests.test_crash import wait_until
from tests.test_faults_llm import sent_to

ASYNCIO_THREADS = min(32, (os.cpu_count() or 1) + 4)  # asyncio's default executor
SLOTS = ASYNCIO_THREADS + 2
DEADLINE = 30.0


@pytest.fixture
def app_config(app_config):
    # No model call gives up while the test holds them all (LLM_TIMEOUT > DEADLINE), so the
    # count of calls waiting is the count of turns running at once, never a retry's. A pool of
    # two connections: the worker must raise it for its slots.
    return {
        **app_config,
        "WORKER_CONCURRENCY": SLOTS,
        "DB_POOL_MAX": 2,
        "LLM_TIMEOUT": 2 * DEADLINE,
    }


def test_a_worker_runs_as_many_turns_at_once_as_it_has_slots(
    post_webhook, worker, fake_llm, fake_graph
):
    customers = [f"3460500{i:04d}" for i in range(SLOTS)]
    fake_llm.hold.clear()  # every model call waits until the test lets them all go
    try:
        for wa_id in customers:
            envelope = envelopes.text(f"hello from {wa_id}", wa_id=wa_id)
            assert post_webhook(envelope).status_code == 200
        # Every customer's turn is inside its model call at the same time.
        assert fake_llm.wait_for_requests(SLOTS, timeout=DEADLINE), (
            f"{len(fake_llm.requests)} of {SLOTS} turns reached the model at once"
        )
    finally:
        fake_llm.hold.set()
    # Let go, each turn answers its customer once.
    wait_until(
        lambda: all(sent_to(fake_graph, wa_id) for wa_id in customers),
        2 * DEADLINE,
        "every customer's reply",
    )
    assert all(len(sent_to(fake_graph, wa_id)) == 1 for wa_id in customers)
    assert len(fake_llm.requests) == SLOTS  # one model call a turn, none retried
    assert db.pool().max_size == SLOTS + OWN_THREADS + 1  # the worker raised it
