"""GET/POST /webhook: verify, parse, store, enqueue, answer 200. Nothing slow happens here.

POST /webhook is the one request that arrives hundreds of times a second, so it is served by
`Endpoint`, a plain WSGI handler in front of Flask: it reads the body and two headers straight
from the WSGI environ and answers with the headers every Flask response carries (request id,
nosniff), without building Flask's request context, URL adapter, request and response objects
(docs/PERFORMANCE.md §8). Everything else, GET /webhook included, is routed by Flask, and a
POST that only Flask's router matches (`//webhook`) is answered by the same `answer`.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable

from cachetools import TTLCache
from flask import Blueprint, Flask, current_app, g, request
from psycopg import errors as pg_errors
from werkzeug.exceptions import ClientDisconnected, HTTPException
from werkzeug.wsgi import get_content_length, get_input_stream

from app import SECURITY_HEADERS, channels, errors, jobs, metrics, privacy
from app import outbox as sending
from app.channels import meta
from app.channels.base import DeliveryStatus, Inbound, InboundKind, StatusUpdate
from app.errors import error_response
from app.logs import new_request_id, request_id_var, valid_request_id
from app.storage import businesses, conversations, outbox
from app.storage.group_commit import CommitWaitTimeout, GroupCommit

bp = Blueprint("webhook", __name__)
log = logging.getLogger(__name__)
PATH = "/webhook"
_OK = (200, b"ok", "text/plain")
_REQUESTS = metrics.ByLabel(metrics.WEBHOOK_REQUESTS)
_MESSAGES = metrics.ByLabel(metrics.WEBHOOK_MESSAGES)
_STATUSES = metrics.ByLabel(metrics.WEBHOOK_STATUSES)


@bp.get(PATH)
def verify_subscription():
    """Answer Meta's verification handshake."""
    mode = request.args.get("hub.mode")
    token = request.args.get("hub.verify_token", "")
    challenge = request.args.get("hub.challenge", "")
    expected = current_app.config["VERIFY_TOKEN"]
    if mode == "subscribe" and expected and hmac.compare_digest(token.encode(), expected.encode()):
        return challenge, 200, {"Content-Type": "text/plain"}
    return error_response(403, "verification failed")


class Endpoint:
    """WSGI middleware: POST /webhook is answered here, every other request by Flask."""

    def __init__(self, app: Flask, flask_wsgi: Callable):
        self.app = app
        self.flask_wsgi = flask_wsgi

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.flask_wsgi(environ, start_response)
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if valid_request_id(incoming) else new_request_id()
        token = request_id_var.set(request_id)
        try:
            with self.app.app_context():
                status, body, content_type = answer(environ, request_id)
        finally:
            request_id_var.reset(token)
        start_response(
            f"{status} {errors.reason(status)}",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("X-Request-ID", request_id),
                *SECURITY_HEADERS,
            ],
        )
        return [body]


@bp.post(PATH)
def receive_update():
    """POST /webhook on a path only Flask's router matches (`//webhook` behind some proxies)."""
    status, body, content_type = answer(request.environ, g.request_id)
    return body, status, {"Content-Type": content_type}


def answer(environ: dict, request_id: str) -> tuple[int, bytes, str]:
    """(status, body, content type) for one POST, counted in the webhook's metrics."""
    started = time.perf_counter()
    outcome = "error"
    try:
        (status, body, content_type), outcome = receive(environ, request_id)
    except HTTPException as exc:  # the body is over MAX_CONTENT_LENGTH, or the client left
        status, body, content_type = _failure(exc.code or 500, exc.description or "")
        outcome = "too_large" if status == 413 else "error"
    except CommitWaitTimeout as exc:  # the database is slow or away; Meta delivers it again
        current_app.logger.warning("webhook delivery not stored: %s", exc)
        status, body, content_type = _failure(500, "internal error")
    except Exception:
        current_app.logger.exception("unhandled error")
        status, body, content_type = _failure(500, "internal error")
    finally:
        _REQUESTS[outcome].inc()
        metrics.WEBHOOK_ACK.observe(time.perf_counter() - started)
    return status, body, content_type


def _failure(status: int, message: str) -> tuple[int, bytes, str]:
    """An error answer in the one error shape, as the bytes Flask's jsonify writes."""
    body = json.dumps(errors.error_body(status, message), separators=(",", ":")).encode() + b"\n"
    return status, body, "application/json"


def receive(environ: dict, request_id: str):
    """Answer one POST: ((status, body bytes, content type), outcome for the metrics)."""
    app = current_app._get_current_object()
    cfg = app.config
    limit = cfg["MAX_CONTENT_LENGTH"]
    body = _read_body(environ, limit)
    if body is None:
        return _failure(413, "body too large"), "too_large"
    secret = cfg["APP_SECRET"]
    if secret or not cfg["MOCK_MODE"]:
        # WhatsApp and Messenger deliveries are signed alike, with the Meta app's secret.
        if not meta.verify(body, environ.get("HTTP_X_HUB_SIGNATURE_256"), secret):
            return _failure(403, "invalid signature"), "bad_signature"
    try:
        data = meta.decode_body(body)
    except ValueError:  # UnicodeDecodeError is one
        return _failure(400, "body is not valid JSON"), "bad_json"
    channel = channels.for_body(data)
    if channel is None:
        log.info("webhook ignored parts: %s", _unknown_object(data))
        return _OK, "ok"
    parsed = channel.parse(data)
    if parsed.ignored:
        log.info("webhook ignored parts: %s", "; ".join(parsed.ignored[:5]))
    for problem in parsed.errors:
        log.warning("webhook %s %s", channel.name, problem)
    _store_messages(app, channel.name, parsed.messages, request_id, len(body))
    for status in parsed.statuses:
        _apply_status(app, status)
    return _OK, "ok"


def _read_body(environ: dict, limit: int | None) -> bytes | None:
    """The request's body; None for a chunked one that reaches `limit` (it is cut there).

    A body with a Content-Length within the limit, every delivery Meta sends, is read straight
    from the server's stream; anything else through werkzeug's reader, which answers 413 when
    Content-Length is over the limit and cuts a chunked body at the limit."""
    length = environ.get("CONTENT_LENGTH") or ""
    if (
        length.isdigit()
        and length.isascii()
        and len(length) <= 18  # int() refuses thousands of digits; werkzeug reads those as 0
        and "HTTP_TRANSFER_ENCODING" not in environ
        and (limit is None or int(length) <= limit)
    ):
        size = int(length)
        body = environ["wsgi.input"].read(size) if size else b""
        if len(body) != size:
            raise ClientDisconnected()  # the client left before sending it all, as werkzeug says
        return body
    body = get_input_stream(environ, max_content_length=limit).read()
    if limit and get_content_length(environ) is None and len(body) >= limit:
        return None
    return body


def _store_messages(app: Flask, channel: str, messages, request_id: str, size: int) -> None:
    if not messages:
        return
    writes = []
    key = app.config["SECRET_KEY"]
    for msg in messages:
        business_id = _business_id(app, channel, msg.account_id)
        if business_id is None:
            log.warning("message for unknown %s account %s dropped", channel, msg.account_id)
            _MESSAGES["unknown_business"].inc()
            continue
        if not msg.sender:
            log.warning("message %s has no sender; dropped", msg.external_id)
            _MESSAGES["no_sender"].inc()
            continue
        if msg.new_sender not in ("", msg.sender) or msg.new_user_id:
            # Rare: the messages before the notice (written from the old number or BSUID, or a
            # new customer's first) are stored first, so that it moves them with their customer;
            # those after it, from the new one, find the customer there.
            _store_writes(app, writes)
            writes = []
            moved = conversations.change_identity(
                business_id,
                msg.channel,
                msg.external_id,
                msg.sender,
                msg.new_sender or msg.sender,
                msg.user_id,
                msg.new_user_id,
            )
            log.info("business %s: identity change moved customer %s", business_id, moved)
            if moved is None:
                # Seen before, overtaken, someone else's, or an erased customer's: stored, it
                # would make a customer of the ids it names, or give one an id they left.
                _MESSAGES["identity_change_unmatched"].inc()
                continue
        # Its NOTIFY would make each delivery's commit wait for the one before it. A person's
        # answer on the channel (the Page inbox, the WhatsApp Business app) queues the bot's
        # pause, not a turn.
        job = (jobs.pause_job if msg.from_business else jobs.turn_job)(
            business_id, request_id, notify=False
        )
        delivery = _delivery(msg, key)
        writes.append(conversations.Inbound(business_id, delivery, request_id, job, size))
    _store_writes(app, writes)


def _store_writes(app: Flask, writes: list[conversations.Inbound]) -> None:
    if not writes:
        return
    # Row locks in (business, channel, customer) order, as every batch takes them; the sort is
    # stable, so one customer's messages keep their order.
    writes.sort(key=_lock_order)
    # The request's deliveries commit together, in one statement shared with the other
    # requests this process is storing at the moment (app/storage/group_commit.py); the
    # answer to Meta waits for that commit.
    writer: GroupCommit = app.extensions["webhook_commits"]
    try:
        stored = writer.run(writes, order=_lock_order(writes[0]), one_statement=True)
    except (pg_errors.UniqueViolation, pg_errors.SerializationFailure):
        # Another process committed a new customer's BSUID meanwhile (their number and their
        # BSUID alone, in two requests at once), or an erasure of the sender (migrations/0039):
        # stored again, the statement now finds the one, or drops the message for the other.
        stored = writer.run(writes, order=_lock_order(writes[0]), one_statement=True)
    for row in stored:
        _MESSAGES["stored" if row else "duplicate"].inc()
    if any(row and row["new_job"] for row in stored):
        # Committed: the workers will find the jobs. A message that joined its customer's
        # queued turn asks for none: the workers were woken when that turn was queued. (A
        # worker whose fetch ran while this statement held that job skipped it, and finds it
        # at its next poll, WORKER_POLL_INTERVAL: later, never lost.)
        jobs.wake_workers()


def _lock_order(write: conversations.Inbound) -> tuple:
    return write.business_id, write.delivery.channel, write.delivery.address


def _delivery(msg: Inbound, key: str) -> conversations.Delivery:
    # A notice of a changed number or BSUID is the customer's, now at the new one (moved just
    # before).
    address = msg.new_sender or msg.sender
    user_id = msg.new_user_id or msg.user_id
    return conversations.Delivery(
        channel=msg.channel,
        address=address,
        profile_name=msg.profile_name,
        external_id=msg.external_id,
        kind=msg.kind.value,
        type=msg.raw_type or msg.kind.value,
        body=msg.text,
        payload=dict(msg.raw),
        sent_at=msg.sent_at,
        needs_turn=msg.expects_reply,
        # The customer writing opens the window; a notice, or the business writing, does not.
        opens_window=msg.kind is not InboundKind.SYSTEM and not msg.from_business,
        choice=msg.payload if msg.kind is InboundKind.CHOICE else "",
        address_hash=privacy.address_hash(key, msg.channel, address),
        user_id=user_id,
        user_hash=user_id and privacy.address_hash(key, msg.channel, user_id),
        from_business=msg.from_business,
    )


def _apply_status(app: Flask, status: StatusUpdate) -> None:
    _STATUSES[status.status.value].inc()
    # A business deactivated since it sent still learns what became of its messages.
    business_id = _business_id(app, status.channel, status.account_id, active_only=False)
    if business_id is None:
        # A number or Page no business here owns (another app on the same Meta account):
        # nothing is processed, as for its messages, and nothing is parked for later.
        log.debug("status for unknown %s account %s ignored", status.channel, status.account_id)
        changed = False
    elif status.watermark is not None:
        changed = outbox.apply_watermark(
            business_id, status.channel, status.recipient, status.status.value, status.watermark
        )
    elif status.status is DeliveryStatus.FAILED:
        changed = sending.apply_failure(business_id, status)
    else:
        changed = outbox.apply_status(
            business_id,
            status.channel,
            status.external_id,
            status.status.value,
            status.error_code,
            status.error_title,
        )
    if not changed:
        log.debug("status %s for %s changed nothing", status.status.value, status.external_id)


class BusinessIds:
    """(channel, account id) → business id, kept for a while. A web process's threads share it,
    and cachetools caches are not thread-safe (reads reorder and expire entries too), so every
    access holds the lock."""

    def __init__(self, ttl: float) -> None:
        self._cache: TTLCache = TTLCache(maxsize=10_000, ttl=ttl)
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> int | None:
        with self._lock:
            return self._cache.get(key)

    def put(self, key: tuple[str, str], business_id: int) -> None:
        with self._lock:
            self._cache[key] = business_id


def _business_id(app: Flask, channel: str, account_id: str, active_only: bool = True) -> int | None:
    """The business with this channel account: an active one (cached), else, unless
    `active_only`, a deactivated one (not cached)."""
    cache: BusinessIds = app.extensions["business_ids"]
    key = (channel, account_id)
    business_id = cache.get(key)
    if business_id is not None:
        return business_id
    column = channels.registration(channel).account_column
    business_id = businesses.business_id_for_account(column, account_id)
    if business_id is not None:
        # Misses are not cached: a business created or reactivated is answered at once.
        cache.put(key, business_id)
    elif not active_only:
        business_id = businesses.business_id_for_account(column, account_id, active_only=False)
    return business_id


def _unknown_object(data: object) -> str:
    if not isinstance(data, dict):
        return f"body is {type(data).__name__}, not an object"
    obj = data.get("object")
    return f"object={obj[:40]}" if isinstance(obj, str) else "object missing"


def init_app(app: Flask) -> None:
    """Give the app its own (channel, account id) → business cache and group commit; answer
    POST /webhook."""
    app.extensions["business_ids"] = BusinessIds(app.config["BUSINESS_CACHE_TTL"])
    # A delivery whose commit has not started after two pool timeouts (its leader's checkout,
    # then its own batch's) is answered 500 and never stored: Meta delivers it again.
    app.extensions["webhook_commits"] = GroupCommit(
        app.config["WEBHOOK_COMMIT_BATCH"],
        wait=2 * app.config["DB_POOL_TIMEOUT"],
        on_commit=metrics.WEBHOOK_COMMITS.observe,
        send_together=conversations.send_inbound,
    )
    app.wsgi_app = Endpoint(app, app.wsgi_app)
