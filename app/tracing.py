"""Turn tracing: a console tracer (one JSON line per event) or Langfuse, chosen by TRACER_TYPE."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
import uuid
from typing import Any

from flask import current_app
from langchain_core.callbacks import BaseCallbackHandler

from app import metrics
from app.privacy import pseudonym, scrub

log = logging.getLogger("trace")
EXTENSION = "langfuse"


class TurnTrace:
    """One customer turn: events under a run id, LangChain callbacks, spans for other steps."""

    def __init__(self, config, request_id: str | None, business: dict, customer: dict):
        self.config = config
        self.run_id = uuid.uuid4().hex
        self.request_id = request_id or "-"
        self.key = config.get("SECRET_KEY") or ""
        self.pii = bool(config.get("TRACE_LOG_PII"))
        self.business_id = business["id"]
        self.customer = pseudonym(customer["address"], self.key)
        self.name = (
            customer.get("profile_name")
            if self.pii
            else pseudonym(customer.get("profile_name"), self.key)
        )
        self._langfuse = _langfuse(config) if config.get("TRACER_TYPE") == "langfuse" else None
        self._stack = contextlib.ExitStack()
        self.callbacks: list = [_Callbacks(self)]

    def __enter__(self) -> TurnTrace:
        self.started = time.perf_counter()
        if self._langfuse is not None:
            self._stack.enter_context(
                self._langfuse.start_as_current_observation(
                    name="turn",
                    as_type="span",
                    metadata={
                        "business_id": self.business_id,
                        "customer": self.customer,
                        "request_id": self.request_id,
                    },
                )
            )
            if self.pii:
                # LangChain's handler sends every prompt and completion: names and the
                # customer's words. Without TRACE_LOG_PII, _Callbacks sends each model call's
                # latency, tokens and tool names instead (`llm_observation`).
                from langfuse.langchain import CallbackHandler

                self.callbacks.append(
                    CallbackHandler(public_key=self.config.get("LANGFUSE_PUBLIC_KEY") or None)
                )
        self.event(
            "turn.start",
            business_id=self.business_id,
            customer=self.customer,
            customer_name=self.name,
        )
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def end(self, outcome: str, tool_calls: int = 0, error: str | None = None) -> None:
        """Close the turn with its outcome."""
        elapsed = time.perf_counter() - self.started
        metrics.TURNS.labels(outcome).inc()
        metrics.TURN_SECONDS.observe(elapsed)
        self.event(
            "turn.end",
            outcome=outcome,
            tool_calls=tool_calls,
            error=error,
            latency_ms=round(elapsed * 1000, 2),
        )

    def llm_observation(self, latency_ms: float, tokens: dict, tool_calls: list) -> None:
        """One model call as a Langfuse generation without its text (TRACE_LOG_PII off)."""
        if self._langfuse is None or self.pii:
            return
        try:
            with self._langfuse.start_as_current_observation(
                name="llm",
                as_type="generation",
                usage_details={k: int(v) for k, v in tokens.items()},
                metadata={"latency_ms": latency_ms, "tool_calls": tool_calls},
            ):
                pass
        except Exception:  # tracing never breaks a turn
            log.warning("langfuse observation failed", exc_info=True)

    def text(self, value: str) -> str:
        """Message text as traces may show it: itself with TRACE_LOG_PII, else its length."""
        return value if self.pii else f"[{len(value or '')} chars]"

    @contextlib.contextmanager
    def span(self, name: str, **fields):
        """Time a non-LLM step (sending, loading) as its own trace event and Langfuse span."""
        started = time.perf_counter()
        ctx = (
            self._langfuse.start_as_current_observation(name=name, as_type="span")
            if self._langfuse is not None
            else contextlib.nullcontext()
        )
        with ctx:
            try:
                yield
            finally:
                self.event(
                    name, latency_ms=round((time.perf_counter() - started) * 1000, 2), **fields
                )

    def event(self, name: str, **fields) -> None:
        """Write one structured trace line."""
        record = {"trace": name, "run_id": self.run_id, "request_id": self.request_id}
        record.update(scrub(fields, self.key))
        log.info(json.dumps(record, default=str, ensure_ascii=False))


class _Callbacks(BaseCallbackHandler):
    """LangChain events → trace lines and metrics (latency, tokens, tool results)."""

    def __init__(self, trace: TurnTrace):
        self.trace = trace
        self.started: dict[Any, float] = {}

    def on_chat_model_start(self, serialized, messages, *, run_id, **kwargs) -> None:
        self.started[run_id] = time.perf_counter()

    def on_llm_end(self, response, *, run_id, **kwargs) -> None:
        latency = time.perf_counter() - self.started.pop(run_id, time.perf_counter())
        usage = _usage(response)
        metrics.LLM_SECONDS.observe(latency)
        for kind, n in usage.items():
            metrics.LLM_TOKENS.labels(kind).inc(n)
        calls = _tool_call_names(response)
        if not self.trace.pii:
            calls = _known_tools(calls)
        self.trace.event(
            "llm.call", latency_ms=round(latency * 1000, 2), tokens=usage, tool_calls=calls
        )
        self.trace.llm_observation(round(latency * 1000, 2), usage, calls)

    def on_llm_error(self, error, *, run_id, **kwargs) -> None:
        latency = time.perf_counter() - self.started.pop(run_id, time.perf_counter())
        self.trace.event(
            "llm.error", latency_ms=round(latency * 1000, 2), error=type(error).__name__
        )

    def on_tool_start(self, serialized, input_str, *, run_id, inputs=None, **kwargs) -> None:
        self.started[run_id] = time.perf_counter()
        self.started[(run_id, "name")] = (serialized or {}).get("name") or kwargs.get("name")
        self.started[(run_id, "args")] = inputs if inputs is not None else input_str

    def on_tool_end(self, output, *, run_id, **kwargs) -> None:
        self._tool_done(run_id, output, None)

    def on_tool_error(self, error, *, run_id, **kwargs) -> None:
        self._tool_done(run_id, None, type(error).__name__)

    def _tool_done(self, run_id, output, error) -> None:
        latency = time.perf_counter() - self.started.pop(run_id, time.perf_counter())
        name = self.started.pop((run_id, "name"), "?")
        args = self.started.pop((run_id, "args"), None)
        result = getattr(output, "content", output)
        try:
            result = json.loads(result) if isinstance(result, str) else result
        except ValueError:
            pass
        if not self.trace.pii:
            args, result = _redact_args(args), _outcome(result)
        self.trace.event(
            "tool.call",
            tool=name,
            args=args,
            result=result,
            error=error,
            latency_ms=round(latency * 1000, 2),
        )


# Tool arguments that are only dates, times or numbers cannot carry the customer's own words.
_PLAIN_ARG = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|\d{1,12})$")


def _redact_args(args) -> object:
    """Tool arguments without free text (which may quote the customer) unless PII is enabled."""
    if not isinstance(args, dict):
        return "[redacted]"
    return {
        k: v if isinstance(v, int | float | bool) or _PLAIN_ARG.match(str(v)) else "[text]"
        for k, v in args.items()
    }


def _outcome(result) -> object:
    """What a tool result says (ok, status or error code, appointment id), not its wording."""
    if not isinstance(result, dict):
        return "[redacted]"
    kept = {k: result[k] for k in ("ok", "status", "error") if k in result}
    appointment = result.get("appointment")
    if isinstance(appointment, dict) and "id" in appointment:
        kept["appointment_id"] = appointment["id"]
    return kept


def _known_tools(names: list) -> list[str]:
    """Tool names as traces may show them: a name the model made up (it may quote the
    customer) becomes "unknown", as in the metrics."""
    from app.agent.tools import is_ours  # the tools' own declarations

    return [name if is_ours(name) else "unknown" for name in names]


def _usage(response) -> dict:
    usage = (response.llm_output or {}).get("token_usage") or {}
    out = {k: usage[k] for k in ("prompt_tokens", "completion_tokens") if usage.get(k)}
    if not out:
        for gen in (response.generations or [[]])[0]:
            meta = getattr(getattr(gen, "message", None), "usage_metadata", None) or {}
            if meta:
                out = {
                    "prompt_tokens": meta.get("input_tokens", 0),
                    "completion_tokens": meta.get("output_tokens", 0),
                }
    return out


def _tool_call_names(response) -> list[str]:
    names = []
    for gen in (response.generations or [[]])[0]:
        msg = getattr(gen, "message", None)
        names += [c.get("name") for c in getattr(msg, "tool_calls", None) or []]
    return names


class LangfuseClient:
    """The app's Langfuse client, built on first use from LANGFUSE_* settings."""

    def __init__(self) -> None:
        self._client = None
        self._lock = threading.Lock()

    def get(self, config):
        with self._lock:
            if self._client is None:
                from langfuse import Langfuse

                self._client = Langfuse(
                    public_key=config.get("LANGFUSE_PUBLIC_KEY") or None,
                    secret_key=config.get("LANGFUSE_SECRET_KEY") or None,
                    base_url=config.get("LANGFUSE_BASE_URL") or None,
                    timeout=int(config.get("LANGFUSE_TIMEOUT") or 2),
                    flush_interval=float(config.get("LANGFUSE_FLUSH_INTERVAL") or 1.0),
                )
            return self._client

    def flush(self) -> None:
        """Send buffered data; never raises."""
        with self._lock:
            client = self._client
        if client is not None:
            try:
                client.flush()
            except Exception:  # tracing must never break the bot
                logging.getLogger(__name__).warning("langfuse flush failed", exc_info=True)

    def shutdown(self) -> None:
        """Flush and stop the client's background threads."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.shutdown()


def init_app(app) -> None:
    """Give the app its (lazily built) Langfuse client."""
    app.extensions[EXTENSION] = LangfuseClient()


def _langfuse(config):
    """The app's Langfuse client."""
    return current_app.extensions[EXTENSION].get(config)


def flush(app) -> None:
    """Send `app`'s buffered Langfuse data (at the end of a job or at shutdown); never raises."""
    client = app.extensions.get(EXTENSION)
    if client is not None:
        client.flush()
