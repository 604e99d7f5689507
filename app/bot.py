"""One turn: gather a customer's pending messages → agent → format → store → send."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

import psycopg
from cachetools import TTLCache
from flask import current_app
from langchain_core.messages import AIMessage, HumanMessage

from app import metrics, tracing
from app.agent import llm, loop, prompts, tools
from app.channel.formatting import split_message, to_whatsapp
from app.channel.sender import GraphClient, GraphUnavailable
from app.secrets import decrypt
from app.storage import businesses, conversations, db

log = logging.getLogger(__name__)

NON_TEXT_REPLY = (
    "Thanks! I can only read text messages for now. Please write what you need, "
    'for example "book a haircut tomorrow at 17:00".'
)
MAX_INPUT_CHARS = 4096
# Upper bound on re-reading a customer's newer messages inside one turn.
MAX_MID_TURN_MERGES = 5
# Attempts at recording a send WhatsApp accepted (see _record_sent).
RECORD_ATTEMPTS = 6
_business_cache: TTLCache = TTLCache(maxsize=1000, ttl=300)
_cache_lock = threading.Lock()


def run_turn(business_id: int, customer_id: int, request_id: str | None = None) -> None:
    """Answer everything a customer has written since the last reply, exactly once."""
    business = load_business(business_id)
    customer = conversations.get_customer(customer_id)
    if business is None or customer is None:
        log.warning("turn for missing business %s / customer %s", business_id, customer_id)
        return
    # A reply stored by a turn that crashed before sending goes out first, and only once.
    send_queued(business, customer)
    pending = conversations.pending_inbound(customer_id)
    if not pending:
        return
    metrics.JOB_DELAY.observe(
        max(0.0, (datetime.now(UTC) - pending[0]["created_at"]).total_seconds())
    )
    if customer["bot_paused"] or customer["opted_out"]:
        with db.transaction() as conn:
            conversations.mark_inbound(conn, [m["id"] for m in pending], "processed", None)
        metrics.TURNS.labels("paused").inc()
        return
    texts = [m for m in pending if m["body"] and _is_text(m["type"])]
    if not texts:
        _reply_fixed(business, customer, pending, NON_TEXT_REPLY)
        metrics.TURNS.labels("non_text").inc()
        return
    _mark_read(business, customer, pending[-1])
    with tracing.TurnTrace(current_app.config, request_id, business, customer) as trace:
        _agent_turn(business, customer, pending, request_id, trace)


def _agent_turn(business: dict, customer: dict, pending: list[dict], request_id, trace) -> None:
    cfg = current_app.config
    turn_id = conversations.start_turn(business["id"], customer["id"], request_id)
    now = datetime.now(UTC)
    seen = {m["id"] for m in pending}
    merges = 0

    def poll_new_input() -> str | None:
        nonlocal merges
        if merges >= MAX_MID_TURN_MERGES:
            return None
        newer = [m for m in conversations.pending_inbound(customer["id"]) if m["id"] not in seen]
        if not newer:
            return None
        merges += 1
        seen.update(m["id"] for m in newer)
        pending.extend(newer)
        return render_input(newer)

    ctx = tools.ToolContext(business=business, customer=customer, turn_id=turn_id, now=now)
    trace.event("turn.input", messages=len(pending), text=trace.text(render_input(pending)))
    result = loop.run_agent(
        llm.get_chat_model(cfg),
        prompts.build_system_prompt(business, customer, now),
        # Everything answered so far, not only what precedes the first pending message: a reply
        # stored just after the next message arrived belongs in the history too.
        history_messages(customer["id"], cfg["HISTORY_LIMIT"], before_id=None),
        render_input(pending),
        tools.make_tools(ctx),
        cfg["AGENT_MAX_ITERATIONS"],
        poll_new_input=poll_new_input,
        check_reply=tools.check_grounded,
        callbacks=trace.callbacks,
    )
    metrics.record_tool_calls(result.tool_calls)
    chunks = split_message(to_whatsapp(result.reply)) or [loop.APOLOGY]
    outcome = "answered" if result.ok else "failed"
    try:
        with db.transaction() as conn:
            _claim(conn, pending, "processed" if result.ok else "failed", turn_id)
            conversations.queue_replies(
                conn, business["id"], customer["id"], chunks, pending[-1]["id"], turn_id
            )
            conversations.finish_turn(conn, turn_id, outcome, result.tool_calls, result.error)
    except TurnSuperseded as exc:
        with db.transaction() as conn:
            conversations.finish_turn(conn, turn_id, "failed", result.tool_calls, str(exc))
        trace.end("superseded", len(result.tool_calls), str(exc))
        return
    trace.end(outcome, len(result.tool_calls), result.error)
    with trace.span("whatsapp.send", chunks=len(chunks)):
        send_queued(business, customer)


class TurnSuperseded(Exception):
    """Another run of this turn answered some of its messages first; this run stores nothing."""


def _claim(conn, pending: list[dict], status: str, turn_id: int | None) -> None:
    """Mark the turn's messages answered, or raise TurnSuperseded (rolling the reply back).

    Procrastinate's per-customer lock keeps turns apart, but a worker presumed dead (no
    heartbeat) can still be running when its job is retried elsewhere: of the two runs, only
    the one that claims every message it answers may store a reply, so nothing is sent twice.
    """
    ids = [m["id"] for m in pending]
    claimed = conversations.mark_inbound(conn, ids, status, turn_id)
    if claimed != len(ids):
        log.warning(
            "turn superseded: %d of %d messages already answered", len(ids) - claimed, len(ids)
        )
        raise TurnSuperseded("superseded: another run answered these messages first")


def _reply_fixed(business: dict, customer: dict, pending: list[dict], text: str) -> None:
    try:
        with db.transaction() as conn:
            _claim(conn, pending, "processed", None)
            conversations.queue_replies(
                conn, business["id"], customer["id"], [text], pending[-1]["id"], None
            )
    except TurnSuperseded:
        return
    send_queued(business, customer)


def render_input(messages: list[dict]) -> str:
    """What the customer wrote, as one user message (non-text parts named, not shown)."""
    parts = []
    for m in messages:
        if _is_text(m["type"]) and m["body"]:
            # WhatsApp texts stop at 4,096 characters; anything longer is not a customer typing.
            parts.append(m["body"][:MAX_INPUT_CHARS])
        else:
            parts.append(f"[The customer sent a {m['type']!r} message, which you cannot see.]")
    return "\n".join(parts)


def history_messages(customer_id: int, limit: int, before_id: int | None) -> list:
    """The last `limit` exchanged messages as chat messages, oldest first."""
    rows = conversations.history(customer_id, limit, before_id=before_id)
    return [
        HumanMessage(r["body"]) if r["direction"] == "in" else AIMessage(r["body"])
        for r in rows
        if r["body"]
    ]


def send_queued(business: dict, customer: dict) -> None:
    """Hand every queued reply of a customer to WhatsApp, in order."""
    for message in conversations.queued_outbound(customer["id"]):
        if current_app.config["MOCK_MODE"] or customer.get("sandbox"):
            conversations.mark_sent(message["id"], f"wamid.MOCK.{message['id']}")
            continue
        result = graph_client().send_text(
            business["phone_number_id"], access_token(business), customer["wa_id"], message["body"]
        )
        if result.ok:
            _record_sent(message["id"], result.wamid)
            continue
        metrics.GRAPH_ERRORS.labels(str(result.error_code or "network")).inc()
        if result.retryable:
            # Leave it queued; the job fails and procrastinate retries the whole turn later.
            raise GraphUnavailable(f"WhatsApp send failed temporarily (code {result.error_code})")
        else:
            log.warning("WhatsApp refused message %s: code %s", message["id"], result.error_code)
            conversations.mark_send_failed(message["id"], result.error_code, result.error_title)


def _record_sent(message_id: int, wamid: str | None) -> None:
    """Record an accepted send, retrying a failed write a few times.

    WhatsApp already has the message: a reply left `queued` would be sent again by the job's
    retry. One broken pooled connection (e.g. after a database restart) fails one attempt and
    is discarded, so the next attempt normally succeeds.
    """
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            conversations.mark_sent(message_id, wamid)
            return
        except psycopg.OperationalError as exc:
            if attempt == RECORD_ATTEMPTS:
                raise
            log.warning("recording sent message %s failed (%s); retrying", message_id, exc)
            time.sleep(min(0.1 * 2**attempt, 2.0))


def _mark_read(business: dict, customer: dict, last: dict) -> None:
    if current_app.config["MOCK_MODE"] or customer.get("sandbox") or not last.get("wamid"):
        return
    graph_client().mark_read(business["phone_number_id"], access_token(business), last["wamid"])


def graph_client() -> GraphClient:
    """The process's Graph API client (one HTTP session, reused)."""
    ext = current_app.extensions
    if "graph_client" not in ext:
        cfg = current_app.config
        ext["graph_client"] = GraphClient(
            cfg["WHATSAPP_API_BASE_URL"],
            cfg["VERSION"],
            timeout=cfg["GRAPH_TIMEOUT"],
            max_attempts=cfg["GRAPH_MAX_ATTEMPTS"],
            backoff_base=cfg["GRAPH_BACKOFF_BASE"],
        )
    return ext["graph_client"]


def access_token(business: dict) -> str:
    """The business's own token, or the default ACCESS_TOKEN."""
    own = decrypt(business.get("access_token") or "", current_app.config["SECRET_KEY"])
    return own or current_app.config["ACCESS_TOKEN"]


def load_business(business_id: int) -> dict | None:
    """The business config, cached until its `updated_at` changes (console edits apply at once)."""
    stamp = db.fetch_one("SELECT updated_at FROM businesses WHERE id = %s", (business_id,))
    if stamp is None:
        return None
    key = (db.pool().conninfo, business_id)
    with _cache_lock:
        cached = _business_cache.get(key)
    if cached and cached["updated_at"] == stamp["updated_at"]:
        return cached
    business = businesses.get_business(business_id)
    with _cache_lock:
        _business_cache[key] = business
    return business


def _is_text(msg_type: str) -> bool:
    return msg_type in {"text", "interactive", "button"}
