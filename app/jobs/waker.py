"""Wake idle workers after the webhook's jobs commit, with one NOTIFY for many deliveries.

A NOTIFY inside the webhook's transaction would make every delivery's commit wait for the
one before it (PostgreSQL serializes notifying commits cluster-wide). The webhook writes its
turn jobs quietly instead and calls `wake()` once they are committed; one thread per process
sends the NOTIFY, off the request's path, and a wake that arrives while one is being sent is
answered by one more. NOTIFYs are at least `MIN_GAP` apart: under a burst, every delivery
would otherwise find the previous NOTIFY already sent and ask for its own (a transaction each,
taking PostgreSQL's cluster-wide notify lock), while a worker busy with the burst needs none; a
job waits at most `MIN_GAP` longer for an idle worker. If the process dies between commit and
NOTIFY, the workers' poll (WORKER_POLL_INTERVAL) finds the job.
"""

from __future__ import annotations

import json
import logging
import threading
import time

from procrastinate.manager import get_channel_for_queues

from app.storage import db

log = logging.getLogger(__name__)
# What procrastinate's own trigger sends: the worker only reads the type.
_PAYLOAD = json.dumps({"type": "job_inserted", "job_id": None})
MIN_GAP = 0.01  # seconds between two NOTIFYs of one process
_NOTIFY = "SELECT " + ", ".join(f"pg_notify(%(channel{i})s, %(payload)s)" for i in range(2))


class Waker:
    """Coalesce wake-ups of this process into NOTIFYs sent by one background thread."""

    def __init__(self, queue_name: str, min_gap: float = MIN_GAP):
        self._min_gap = min_gap
        channels = [*get_channel_for_queues([queue_name]), *get_channel_for_queues(None)]
        self._params = {"channel0": channels[0], "channel1": channels[1], "payload": _PAYLOAD}
        self._pending = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Ask for a NOTIFY after now: call it once the jobs are committed."""
        self._pending.set()
        if self._thread is None or not self._thread.is_alive():
            self._start()

    def _start(self) -> None:
        with self._lock:
            # Started on first use, in the process that wakes (gunicorn forks before that).
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="queue-waker", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        last = float("-inf")
        while True:
            self._pending.wait()
            pause = last + self._min_gap - time.monotonic()
            if pause > 0:
                time.sleep(pause)  # the rate limit: wake-ups meanwhile share the next NOTIFY
            self._pending.clear()  # before sending: a later wake() gets a later NOTIFY
            last = time.monotonic()
            try:
                with db.pool().connection() as conn:
                    conn.execute(_NOTIFY, self._params)
            except Exception:  # the workers' poll finds the jobs; keep serving wake-ups
                log.warning("could not wake the job workers; their poll will", exc_info=True)
