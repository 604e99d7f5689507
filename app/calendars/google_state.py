"""What the Google backend takes from the process: its key, call policy, clients and job queue.

`calendars.init_app` puts one `GoogleState` in `app.extensions`; the backend reads it from the
app in context, never from module globals or the environment. Importing this module loads no
Google library.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app, has_app_context

if TYPE_CHECKING:
    from app.calendars.google_client import Client

EXTENSION = "google_calendar"
# Queue the `calendar_sync` job of an appointment inside the caller's transaction:
# (business_id, appointment_id) -> whether a job was queued (False: one is already waiting).
QueueSync = Callable[[int, int], bool]


@dataclass(frozen=True)
class Policy:
    """Timeouts and retries of every Google call."""

    timeout: float = 10.0
    attempts: int = 4  # per call inside a sync job (the job itself is retried too)
    read_attempts: int = 2  # per busy-time read on a customer's turn, which must stay quick
    backoff: float = 0.5
    max_backoff: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    api_endpoint: str | None = None  # None: Google's, unless a business's settings name one


class ClientCache:
    """API clients by business, rebuilt when the business's credentials change."""

    def __init__(self) -> None:
        self._clients: dict[int, tuple[str, Client]] = {}
        self._lock = threading.Lock()

    def get(self, business_id: int, key: str, factory: Callable[[], Client]) -> Client:
        """The client of a business for credentials `key`, built by `factory` only when needed."""
        with self._lock:
            found = self._clients.get(business_id)
            if found and found[0] == key:
                return found[1]
            client = factory()
            self._clients[business_id] = (key, client)
            return client

    def clear(self) -> None:
        """Forget every client (credentials rotated outside the app)."""
        with self._lock:
            self._clients.clear()


@dataclass
class GoogleState:
    """The Google backend's share of one app."""

    secret_key: str
    queue_sync: QueueSync | None = None
    policy: Policy = field(default_factory=Policy)
    clients: ClientCache = field(default_factory=ClientCache)


def init_app(app, queue_sync: QueueSync | None) -> None:
    """Give `app` its Google state: SECRET_KEY, default policy, no clients yet."""
    app.extensions[EXTENSION] = GoogleState(app.config.get("SECRET_KEY") or "", queue_sync)


def state() -> GoogleState:
    """The Google state of the app in context."""
    return current_app.extensions[EXTENSION]


def current() -> GoogleState | None:
    """The Google state of the app in context; None without one (or before `init_app`)."""
    return current_app.extensions.get(EXTENSION) if has_app_context() else None
