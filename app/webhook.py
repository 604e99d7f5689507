"""GET/POST /webhook: verify, parse, store, enqueue, answer 200. Nothing slow happens here."""

from __future__ import annotations

import hmac
import logging
import time

from cachetools import TTLCache
from flask import Blueprint, current_app, g, request

from app import channels, jobs, metrics, privacy
from app.channels import meta
from app.channels.base import Inbound, InboundKind, StatusUpdate
from app.errors import error_response
from app.storage import businesses, conversations, db, outbox

bp = Blueprint("webhook", __name__)
log = logging.getLogger(__name__)


@bp.get("/webhook")
def verify_subscription():
    """Answer Meta's verification handshake."""
    mode = request.args.get("hub.mode")
    token = request.args.get("hub.verify_token", "")
    challenge = request.args.get("hub.challenge", "")
    expected = current_app.config["VERIFY_TOKEN"]
    if mode == "subscribe" and expected and hmac.compare_digest(token.encode(), expected.encode()):
        return challenge, 200, {"Content-Type": "text/plain"}
    return error_response(403, "verification failed")


@bp.post("/webhook")
def receive_update():
    """Store every inbound message once and queue a turn per customer."""
    started = time.perf_counter()
    outcome = "error"
    try:
        response, outcome = _receive()
        return response
    finally:
        metrics.WEBHOOK_REQUESTS.labels(outcome).inc()
        metrics.WEBHOOK_ACK.observe(time.perf_counter() - started)


def _receive():
    body = request.get_data(cache=False)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit and request.content_length is None and len(body) >= limit:
        # A chunked body (no Content-Length) is cut at the limit, not refused: refuse it here.
        return error_response(413, "body too large"), "too_large"
    secret = current_app.config["APP_SECRET"]
    if secret or not current_app.config["MOCK_MODE"]:
        # WhatsApp and Messenger deliveries are signed alike, with the Meta app's secret.
        header = request.headers.get("X-Hub-Signature-256")
        if not meta.verify(body, header, secret):
            return error_response(403, "invalid signature"), "bad_signature"
    try:
        data = meta.decode_body(body)
    except ValueError:  # UnicodeDecodeError is one
        return error_response(400, "body is not valid JSON"), "bad_json"
    channel = channels.for_body(data)
    if channel is None:
        log.info("webhook ignored parts: %s", _unknown_object(data))
        return ("ok", 200, {"Content-Type": "text/plain"}), "ok"
    parsed = channel.parse(data)
    if parsed.ignored:
        log.info("webhook ignored parts: %s", "; ".join(parsed.ignored[:5]))
    for problem in parsed.errors:
        log.warning("webhook %s %s", channel.name, problem)
    _store_messages(channel.name, parsed.messages)
    for status in parsed.statuses:
        _apply_status(status)
    return ("ok", 200, {"Content-Type": "text/plain"}), "ok"


def _store_messages(channel: str, messages) -> None:
    if not messages:
        return
    # A single delivery is one autocommitted statement; several share one transaction.
    queued = False
    with db.transaction() if len(messages) > 1 else db.connection() as conn:
        for msg in messages:
            business_id = _business_id(channel, msg.account_id)
            if business_id is None:
                log.warning("message for unknown %s account %s dropped", channel, msg.account_id)
                metrics.WEBHOOK_MESSAGES.labels("unknown_business").inc()
                continue
            if not msg.sender:
                log.warning("message %s has no sender; dropped", msg.external_id)
                metrics.WEBHOOK_MESSAGES.labels("no_sender").inc()
                continue
            stored = conversations.store_inbound(
                conn,
                business_id,
                _delivery(msg),
                request_id=g.get("request_id"),
                # Its NOTIFY would make each delivery's commit wait for the one before it.
                turn_job=jobs.turn_job(business_id, g.get("request_id"), notify=False),
            )
            queued = queued or bool(stored and stored["job_ids"])
            metrics.WEBHOOK_MESSAGES.labels("stored" if stored else "duplicate").inc()
    if queued:
        jobs.wake_workers()  # committed: the workers will find the jobs


def _delivery(msg: Inbound) -> conversations.Delivery:
    return conversations.Delivery(
        channel=msg.channel,
        address=msg.sender,
        profile_name=msg.profile_name,
        external_id=msg.external_id,
        kind=msg.kind.value,
        type=msg.raw_type or msg.kind.value,
        body=msg.text,
        payload=dict(msg.raw),
        sent_at=msg.sent_at,
        needs_turn=msg.expects_reply,
        opens_window=msg.kind is not InboundKind.SYSTEM,
        choice=msg.payload if msg.kind is InboundKind.CHOICE else "",
        address_hash=privacy.address_hash(
            current_app.config["SECRET_KEY"], msg.channel, msg.sender
        ),
    )


def _apply_status(status: StatusUpdate) -> None:
    metrics.WEBHOOK_STATUSES.labels(status.status.value).inc()
    if status.watermark is not None:
        business_id = _business_id(status.channel, status.account_id)
        changed = business_id is not None and outbox.apply_watermark(
            business_id, status.channel, status.recipient, status.status.value, status.watermark
        )
    else:
        changed = outbox.apply_status(
            status.channel,
            status.external_id,
            status.status.value,
            status.error_code,
            status.error_title,
        )
    if not changed:
        log.debug("status %s for %s changed nothing", status.status.value, status.external_id)


def _business_id(channel: str, account_id: str) -> int | None:
    cache: TTLCache = current_app.extensions["business_ids"]
    key = (channel, account_id)
    try:
        return cache[key]
    except KeyError:
        pass
    column = channels.registration(channel).account_column
    business_id = businesses.business_id_for_account(column, account_id)
    if business_id is not None:
        # Misses are not cached: a business created or reactivated is answered at once.
        cache[key] = business_id
    return business_id


def _unknown_object(data: object) -> str:
    if not isinstance(data, dict):
        return f"body is {type(data).__name__}, not an object"
    obj = data.get("object")
    return f"object={obj[:40]}" if isinstance(obj, str) else "object missing"


def init_app(app) -> None:
    """Give the app its own (channel, account id) → business cache."""
    app.extensions["business_ids"] = TTLCache(maxsize=10_000, ttl=app.config["BUSINESS_CACHE_TTL"])
