"""A worker stopped gracefully (SIGTERM on a deploy) keeps its heartbeat while it finishes its
running jobs, so no other worker takes them for stalled and runs them a second time beside it.

procrastinate stops its worker's heartbeat before waiting for the running jobs; a send still in
flight after WORKER_STALLED_TIMEOUT (2 s in the tests) was then retried by another worker and
went to Meta twice (app/jobs/worker.py, `_heartbeat`).
"""

from __future__ import annotations

import asyncio
import threading
import time

from app import jobs
from app.storage import db
from tests import envelopes


class WorkerThread:
    """A job worker on its own thread and event loop, stopped as SIGTERM stops it."""

    def __init__(self, app):
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.task: asyncio.Task | None = None

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.task = self.loop.create_task(
                jobs.run_worker_async(app, install_signal_handlers=False)
            )
            self.started.set()
            try:
                self.loop.run_until_complete(self.task)
            except asyncio.CancelledError:
                pass
            finally:
                self.loop.run_until_complete(self.loop.shutdown_default_executor())
                self.loop.close()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stop_gracefully(self) -> None:
        """What SIGTERM does (`on_signal`): cancel the worker's task; it drains, then stops."""
        assert self.started.wait(10)
        self.loop.call_soon_threadsafe(self.task.cancel)

    def join(self) -> None:
        self.thread.join(60)
        assert not self.thread.is_alive()


def wait_for(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)


def unfinished_jobs() -> int:
    return db.fetch_one(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
    )["n"]


def test_a_send_finishing_during_a_graceful_stop_goes_to_meta_once(app, post_webhook, fake_graph):
    fake_graph.delay_next(6)  # Meta is slow to answer the reply's send: 3 stalled timeouts
    post_webhook(envelopes.text("hello", wa_id="34600000902"))
    first = WorkerThread(app)
    second = None
    try:
        fake_graph.wait_for_arrivals(1, timeout=30)  # the reply's send waits for Meta's answer
        first.stop_gracefully()  # a deploy: the first worker drains its send
        second = WorkerThread(app)  # the rest of the fleet runs on
        first.join()  # its send answered and recorded: every job of the turn is done
        wait_for(lambda: unfinished_jobs() == 0, "the queue to empty")
    finally:
        if second is not None:
            second.stop_gracefully()
            second.join()
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == ["You said: hello"]
