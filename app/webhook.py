"""GET/POST /webhook: verify, parse, store, enqueue, answer 200. Nothing slow happens here."""

from __future__ import annotations

import hmac
import logging
import time

from cachetools import TTLCache
from flask import Blueprint, current_app, g, request

from app import jobs, metrics
from app.channel import payloads, signature
from app.errors import error_response
from app.storage import businesses, conversations, db

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
        header = request.headers.get("X-Hub-Signature-256")
        if not signature.verify(body, header, secret):
            return error_response(403, "invalid signature"), "bad_signature"
    try:
        data = payloads.decode_body(body)
    except ValueError:  # UnicodeDecodeError is one
        return error_response(400, "body is not valid JSON"), "bad_json"
    envelope = payloads.parse_envelope(data)
    if envelope.ignored:
        log.info("webhook ignored parts: %s", "; ".join(envelope.ignored[:5]))
    for err in envelope.errors:
        log.warning("webhook error for %s: %s", err.phone_number_id, _codes(err.errors))
    _store_messages(envelope.messages)
    for status in envelope.statuses:
        _apply_status(status)
    return ("ok", 200, {"Content-Type": "text/plain"}), "ok"


def _store_messages(messages) -> None:
    if not messages:
        return
    # A single delivery is one autocommitted statement; several share one transaction.
    with db.transaction() if len(messages) > 1 else db.connection() as conn:
        for msg in messages:
            business_id = _business_id(msg.phone_number_id)
            if business_id is None:
                log.warning("message for unknown phone_number_id %s dropped", msg.phone_number_id)
                metrics.WEBHOOK_MESSAGES.labels("unknown_business").inc()
                continue
            if not msg.sender:
                log.warning("message %s has no sender; dropped", msg.wamid)
                metrics.WEBHOOK_MESSAGES.labels("no_sender").inc()
                continue
            stored = conversations.store_inbound(
                conn,
                business_id,
                msg.sender,
                msg.profile_name,
                msg.wamid,
                msg.raw_type or msg.type.value,
                msg.text,
                dict(msg.raw),
                needs_turn=msg.expects_reply,
                request_id=g.get("request_id"),
                turn_job=jobs.turn_job(business_id, g.get("request_id")),
            )
            metrics.WEBHOOK_MESSAGES.labels("stored" if stored else "duplicate").inc()


def _apply_status(status) -> None:
    metrics.WEBHOOK_STATUSES.labels(status.status.value).inc()
    first = status.errors[0] if status.errors else None
    changed = conversations.apply_status(
        status.wamid,
        status.status.value,
        first.code if first else None,
        (first.title or first.message) if first else "",
    )
    if not changed:
        log.debug("status %s for %s changed nothing", status.status.value, status.wamid)


def _business_id(phone_number_id: str) -> int | None:
    cache: TTLCache = current_app.extensions["business_ids"]
    try:
        return cache[phone_number_id]
    except KeyError:
        pass
    business_id = businesses.business_id_for_phone_number_id(phone_number_id)
    if business_id is not None:
        # Misses are not cached: a business created or reactivated is answered at once.
        cache[phone_number_id] = business_id
    return business_id


def _codes(errors) -> str:
    return ", ".join(str(e.code) for e in errors) or "no code"


def init_app(app) -> None:
    """Give the app its own phone_number_id → business cache."""
    app.extensions["business_ids"] = TTLCache(maxsize=10_000, ttl=app.config["BUSINESS_CACHE_TTL"])
