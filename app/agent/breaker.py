"""A circuit breaker per model provider (base URL + model), shared by every process.

Closed: calls go through; `LLM_BREAKER_FAILURES` failed calls in a row open it. Open: calls are
refused at once for `LLM_BREAKER_RESET_SECONDS`; then it is half-open and one call, claimed
atomically in PostgreSQL by one process, tries the provider: success closes the breaker, failure
opens it again. Failures are outages only (timeouts, connection errors, 5xx, 429, and an answer
that is no answer: HTTP 200 with a body we cannot read), never a request the provider refused as
wrong (4xx). An error that is neither (a bug on our side) is logged and counts for nothing.

Before each call the state is read from a short in-process cache, so a healthy provider costs no
extra query per call.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from app.storage import breakers as store

log = logging.getLogger(__name__)

EXTENSION = "llm_breaker"
CLOSED, HALF_OPEN, OPEN = "closed", "half_open", "open"
GAUGE = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}
OPENAI_BASE_URL = "https://api.openai.com/v1"
CACHE_SECONDS = 1.0


def init_app(app) -> None:
    """Give the app its breaker, watching the configured model providers."""
    cfg = app.config
    providers = []
    if cfg.get("OPENAI_API_KEY"):
        providers.append(provider_key(cfg.get("OPENAI_BASE_URL"), cfg["OPENAI_MODEL"]))
        fallback = fallback_settings(cfg)
        if fallback:
            providers.append(provider_key(fallback["base_url"], fallback["model"]))
    app.extensions[EXTENSION] = Breaker(
        cfg["LLM_BREAKER_FAILURES"], cfg["LLM_BREAKER_RESET_SECONDS"], providers
    )


def fallback_settings(cfg) -> dict | None:
    """The fallback model's settings (unset parts are the primary's), or None without one."""
    base_url = cfg.get("FALLBACK_OPENAI_BASE_URL") or ""
    model = cfg.get("FALLBACK_OPENAI_MODEL") or ""
    if not (base_url or model):
        return None
    settings = {
        "base_url": base_url or cfg.get("OPENAI_BASE_URL") or "",
        "model": model or cfg["OPENAI_MODEL"],
        "api_key": cfg.get("FALLBACK_OPENAI_API_KEY") or cfg.get("OPENAI_API_KEY") or "",
    }
    primary = provider_key(cfg.get("OPENAI_BASE_URL"), cfg["OPENAI_MODEL"])
    if provider_key(settings["base_url"], settings["model"]) == primary:
        return None  # the same provider again is no fallback
    return settings


def provider_key(base_url: str | None, model: str) -> str:
    """`model@base-url`, without any credentials or query the URL may carry."""
    parts = urlsplit(base_url or OPENAI_BASE_URL)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    url = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    return f"{model}@{url}"


class UnusableAnswer(Exception):
    """The provider answered (HTTP 200) with a body that holds no usable answer."""


def is_outage(exc: BaseException) -> bool:
    """Whether a failed call says the provider is down, overloaded or broken (not that we were
    wrong)."""
    from openai import APIConnectionError, APIResponseValidationError  # timeouts: connection

    # Checked first: a body that fails validation carries the 200 it came with.
    if isinstance(exc, UnusableAnswer | APIResponseValidationError | json.JSONDecodeError):
        return True
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return not is_refusal(exc)  # 5xx, 429, or a status no client expects (3xx)
    return isinstance(exc, TimeoutError | ConnectionError | APIConnectionError)


def is_refusal(exc: BaseException) -> bool:
    """Whether the provider refused our request as wrong (4xx but 429): it is up."""
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and 400 <= status < 500 and status != 429


class Breaker:
    """The breakers of every provider: allow a call, record how it went, report states."""

    def __init__(
        self,
        failures: int,
        reset_seconds: float,
        providers: list[str] = (),
        clock: Callable[[], datetime] | None = None,
        cache_seconds: float = CACHE_SECONDS,
    ):
        self.failures = failures
        self.reset = timedelta(seconds=reset_seconds)
        self.providers = list(providers)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, dict | None]] = {}
        self._lock = threading.Lock()

    def allow(self, provider: str) -> bool:
        """Whether a call to `provider` may go out now (a half-open trial is claimed here)."""
        row = self._row(provider)
        if row is None or row["state"] == CLOSED:
            return True
        if row["state"] == OPEN and self.clock() < row["opened_at"] + self.reset:
            return False
        claimed = store.claim_trial(provider, self.clock(), self.reset.total_seconds())
        self._forget(provider)
        return claimed

    def record(self, provider: str, error: BaseException | None) -> None:
        """Record a call's outcome: an outage counts as a failure; an answer or a refusal of our
        request shows the provider is up, and closes the breaker; any other error, nothing."""
        if error is not None and is_outage(error):
            self._remember(provider, store.record_failure(provider, self.failures, self.clock()))
            return
        if error is not None and not is_refusal(error):
            # Our own bug says nothing of the provider: closing on it would hide an outage.
            log.error("model call to %s failed on our side", provider, exc_info=error)
            return
        # Always written (a no-op when clean): a cached "closed" may hide another process's count.
        store.record_success(provider, self.clock())
        self._remember(provider, None)

    def state(self, provider: str) -> str:
        """closed, half_open or open, as a caller would find it now (read afresh)."""
        return self._state(store.get(provider))

    def states(self) -> dict[str, int]:
        """Gauge values (0 closed, 1 half-open, 2 open) of the configured and recorded providers."""
        return {r["provider"]: GAUGE[r["state"]] for r in self.report()}

    def report(self) -> list[dict]:
        """Each configured or recorded provider: state now, failures in a row, when it opened."""
        rows = {p: None for p in self.providers} | {r["provider"]: r for r in store.all_rows()}
        return [
            {
                "provider": provider,
                "state": self._state(row),
                "failures": row["failures"] if row else 0,
                "opened_at": row["opened_at"] if row and row["state"] != CLOSED else None,
            }
            for provider, row in sorted(rows.items())
        ]

    def _state(self, row: dict | None) -> str:
        if row is None or row["state"] == CLOSED:
            return CLOSED
        if row["state"] == OPEN and self.clock() < row["opened_at"] + self.reset:
            return OPEN
        return HALF_OPEN  # open past its reset time: the next call is the trial

    def _row(self, provider: str) -> dict | None:
        with self._lock:
            cached = self._cache.get(provider)
        if cached and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        row = store.get(provider)
        self._remember(provider, row)
        return row

    def _remember(self, provider: str, row: dict | None) -> None:
        with self._lock:
            self._cache[provider] = (time.monotonic(), row)

    def _forget(self, provider: str) -> None:
        with self._lock:
            self._cache.pop(provider, None)
