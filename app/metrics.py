"""Prometheus metrics and GET /metrics (multi-process aware with PROMETHEUS_MULTIPROC_DIR)."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

from app.errors import error_response

bp = Blueprint("metrics", __name__)
FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
SLOW = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)

WEBHOOK_REQUESTS = Counter("webhook_requests_total", "Webhook POSTs by outcome", ["outcome"])
WEBHOOK_ACK = Histogram("webhook_ack_seconds", "Time to answer a webhook POST", buckets=FAST)
WEBHOOK_MESSAGES = Counter(
    "webhook_messages_total", "Inbound messages by what the webhook did", ["result"]
)
WEBHOOK_COMMITS = Histogram(
    "webhook_commit_deliveries",
    "Requests whose deliveries one webhook commit stored (group commit)",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
WEBHOOK_STATUSES = Counter("webhook_statuses_total", "Delivery statuses received", ["status"])
TURNS = Counter("turns_total", "Customer turns by outcome", ["outcome"])
TURN_SECONDS = Histogram("turn_seconds", "Duration of a customer turn", buckets=SLOW)
JOB_DELAY = Histogram(
    "turn_queue_delay_seconds", "From the first pending message to the turn starting", buckets=SLOW
)
REMINDER_DELAY = Histogram(
    "reminder_delay_seconds",
    "From a reminder's due time to its job running (a backlog of other jobs delays it)",
    buckets=(1, 5, 10, 30, 60, 300, 900, 3600),
)
LLM_SECONDS = Histogram("llm_call_seconds", "Duration of one model call", buckets=SLOW)
LLM_TOKENS = Counter("llm_tokens_total", "Model tokens", ["kind"])
TOOL_SECONDS = Histogram("tool_call_seconds", "Duration of one tool call", ["tool"], buckets=FAST)
TOOL_CALLS = Counter("tool_calls_total", "Tool calls", ["tool", "ok"])
# Refused sends, and failures the channel reports later in a status (each once).
GRAPH_ERRORS = Counter("graph_errors_total", "Graph API send errors by code", ["code"])
OUTBOX_SENDS = Counter(
    "outbox_sends_total", "Outbound message attempts by channel and outcome", ["channel", "outcome"]
)
BOOKINGS = Counter("bookings_total", "Booking tool outcomes by result code", ["result"])
QUEUE_DEPTH = Gauge(
    "queue_jobs", "Jobs in the queue by status", ["status"], multiprocess_mode="livemax"
)
LLM_CIRCUIT = Gauge(
    "llm_circuit_state",
    "Model provider circuit breaker: 0 closed, 1 half-open, 2 open",
    ["provider"],
    multiprocess_mode="livemostrecent",
)
LLM_FAILOVER = Counter(
    "llm_failover_total", "Model calls answered other than by the primary model", ["to"]
)


class ByLabel(dict):
    """A one-label metric's children by label value, each looked up once: `labels()` takes the
    metric's lock and builds a key on every call, which the webhook would pay per delivery."""

    def __init__(self, metric) -> None:
        super().__init__()
        self.metric = metric

    def __missing__(self, value: str):
        child = self[value] = self.metric.labels(value)  # the same child for every thread
        return child


@bp.get("/metrics")
def get_metrics():
    """Metrics in the Prometheus text format (behind a bearer token when METRICS_TOKEN is set)."""
    if not _authorized(current_app.config.get("METRICS_TOKEN") or ""):
        response, status = error_response(401, "a valid bearer token is required")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response, status
    _refresh_queue_depth()
    _refresh_llm_circuits()
    if current_app.config.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = DEFAULT_REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _authorized(token: str) -> bool:
    """No token configured, or the request carries it as `Authorization: Bearer <token>`."""
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Constant time, so response timing does not reveal how much of a guess was right.
    matches = hmac.compare_digest(given.strip().encode(), token.encode())
    return scheme.lower() == "bearer" and matches


def _refresh_queue_depth() -> None:
    # The job queue hands its reader over in `jobs.init_app`: this module sits below it.
    depth = current_app.extensions.get("queue_depth")
    if depth is None:
        return
    try:
        counts = depth()
    except Exception:  # metrics must answer even when the database does not
        # NaN rather than the last value: a stale depth would look like a healthy queue.
        counts = {"todo": float("nan"), "doing": float("nan")}
    for status in ("todo", "doing"):
        QUEUE_DEPTH.labels(status).set(counts.get(status, 0))


def _refresh_llm_circuits() -> None:
    # The breaker hands itself over in `breaker.init_app`; its state lives in PostgreSQL.
    breaker = current_app.extensions.get("llm_breaker")
    if breaker is None:
        return
    try:
        states = breaker.states()
    except Exception:  # metrics must answer even when the database does not
        states = {provider: float("nan") for provider in breaker.providers}
    for provider, value in states.items():
        LLM_CIRCUIT.labels(provider).set(value)


def record_tool_calls(records: list[dict]) -> None:
    """Count a turn's tool calls, their latency and the outcomes of tools that claim an action."""
    from app.agent.tools import claim_of, is_ours  # the tools' own declarations

    for rec in records:
        result = rec.get("result") or {}
        # A name the model made up (it may quote the customer) must not become a series.
        tool = rec["name"] if is_ours(rec["name"]) else "unknown"
        TOOL_CALLS.labels(tool, str(rec["ok"]).lower()).inc()
        TOOL_SECONDS.labels(tool).observe(rec["latency_ms"] / 1000)
        if claim_of(tool) is not None:
            BOOKINGS.labels(result.get("status") or result.get("error") or "unknown").inc()
