"""Conversation endpoints: the inbox, one thread, taking over from the bot (pause/resume) and
answering the customer as a staff member."""

from __future__ import annotations

from datetime import UTC, datetime

from app import channels, handoff
from app.admin import access
from app.admin.blueprint import bp
from app.admin.wire import (
    ApiError,
    check_id,
    invalid,
    json_body,
    like_pattern,
    ok,
    page_params,
    query_int,
    query_text,
)
from app.channels.base import Outbound
from app.storage import audit, console, conversations
from app.storage.db import transaction

MAX_THREAD = 500


@bp.get("/businesses/<int:business_id>/conversations")
def list_conversations(business_id: int):
    """Customers with their last message and unread count, those waiting for a person first
    (longest waiting first); `q` searches name or number."""
    access.require_business(business_id)
    q = query_text("q").strip()
    page, per_page = page_params()
    digits = "".join(ch for ch in q if ch.isascii() and ch.isdigit())
    rows, total = console.list_conversations(
        business_id,
        like_pattern(q) if q else None,
        f"%{digits}%" if digits else "",
        per_page,
        (page - 1) * per_page,
    )
    return ok({"conversations": rows, "total": total, "page": page, "per_page": per_page})


@bp.get("/businesses/<int:business_id>/conversations/<int:customer_id>")
def get_conversation(business_id: int, customer_id: int):
    """One customer's thread, oldest first, with each reply's turn and tool calls."""
    access.require_business(business_id)
    customer = _customer(business_id, customer_id)
    limit = query_int("limit", 100, 1, MAX_THREAD)
    before = query_int("before", 0, 1, 2**63 - 1) or None
    messages = [shown(m) for m in console.thread(customer_id, before, limit + 1)]
    has_more = len(messages) > limit
    return ok({"customer": customer, "messages": messages[-limit:], "has_more": has_more})


def shown(message: dict) -> dict:
    """A thread message with what a reply offered to tap, as the customer saw it: `options`
    (buttons, quick replies or list rows, each `{title, description, section}`) and, for a list,
    `list_button`, the label that opened it. `tapped` marks a customer's tap on one of them."""
    extras = message.pop("extras", None)
    sent = Outbound.from_stored(message["body"], extras)
    options = [{"title": b.title, "description": "", "section": ""} for b in sent.buttons]
    options += [{"title": b.title, "description": "", "section": ""} for b in sent.quick_replies]
    options += [
        {"title": r.title, "description": r.description, "section": s.title}
        for s in sent.sections
        for r in s.rows
    ]
    return {**message, "options": options, "list_button": sent.list_button or None}


@bp.post("/businesses/<int:business_id>/conversations/<int:customer_id>/pause")
def pause_conversation(business_id: int, customer_id: int):
    """Stop the bot answering this customer (a person takes over); messages are still stored."""
    return _set_paused(business_id, customer_id, True)


@bp.post("/businesses/<int:business_id>/conversations/<int:customer_id>/resume")
def resume_conversation(business_id: int, customer_id: int):
    """Let the bot answer this customer again."""
    return _set_paused(business_id, customer_id, False)


@bp.post("/businesses/<int:business_id>/conversations/<int:customer_id>/messages")
def send_staff_message(business_id: int, customer_id: int):
    """Answer the customer as the calling staff member, through the outbox on their channel.

    201 when queued (the bot stays paused for the business's quiet time); 409 when the channel
    would not deliver it now (outside the customer-service window without a way through). A
    refusal's `reason` code names why, for the console to say in the reader's language.
    """
    access.require_business(business_id)
    customer = _customer(business_id, customer_id)
    if customer["channel"] not in channels.REGISTRY:  # a walk-in booked at the front desk
        raise ApiError(
            409, "not sent: this customer has no channel to reach them on", reason="no_channel"
        )
    text = _reply_text(json_body(), customer["channel"])
    try:
        sent = handoff.staff_reply(business_id, customer_id, access.user_id(), text, _now())
    except handoff.Refused as exc:
        raise ApiError(409, f"not sent: {exc}", reason=exc.reason) from None
    message = shown(console.message(customer_id, sent["message_id"]))
    return ok({"message": message, "customer": console.customer(business_id, customer_id)}, 201)


def _reply_text(body: dict, channel: str) -> str:
    limit = channels.get(channel).limits.text_chars
    text = body.get("text")
    unknown = sorted(set(body) - {"text"})
    if unknown:
        raise invalid({k: "unknown field" for k in unknown})
    if not isinstance(text, str) or not text.strip():
        raise invalid({"text": "is required: the reply's text"}, reason="reply_empty")
    if len(text.strip()) > limit:
        raise invalid({"text": f"at most {limit} characters on {channel}"}, reason="reply_too_long")
    return text.strip()


def _now() -> datetime:
    return datetime.now(UTC)


def _set_paused(business_id: int, customer_id: int, paused: bool):
    access.require_business(business_id)
    before = _customer(business_id, customer_id)
    if not paused:
        with transaction() as conn:
            handoff.resume(conn, business_id, customer_id, access.user_id(), "staff")
        return ok(console.customer(business_id, customer_id))
    with transaction() as conn:
        conversations.set_bot_paused(conn, business_id, customer_id, paused)
        audit.record(
            conn,
            user_id=access.user_id(),
            business_id=business_id,
            action="pause" if paused else "resume",
            entity="customer",
            entity_id=customer_id,
            before={"bot_paused": before["bot_paused"]},
            after={"bot_paused": paused},
        )
    return ok(console.customer(business_id, customer_id))


def _customer(business_id: int, customer_id: int) -> dict:
    customer = console.customer(business_id, check_id(customer_id))
    if customer is None:
        raise ApiError(404, "no such conversation")
    return customer
