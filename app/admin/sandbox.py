""" "Try the bot": a test customer per admin whose turns run the real pipeline, never sent out."""

from __future__ import annotations

import uuid

from flask import g

from app import booking, bot
from app.admin import access
from app.admin.blueprint import bp
from app.admin.conversations import shown
from app.admin.wire import ApiError, json_body, ok, reject_unknown
from app.storage import audit, console, conversations
from app.storage.db import session_lock, transaction

MAX_TEXT = 4096
SANDBOX_LOCK = 7240300  # advisory lock class of sandbox turns (the key is the customer id)
THREAD_LIMIT = 200
SANDBOX_CHANNEL = "whatsapp"


@bp.get("/businesses/<int:business_id>/sandbox/messages")
def get_sandbox(business_id: int):
    """The caller's sandbox conversation with this business, oldest first."""
    access.require_business(business_id)
    customer = _sandbox_customer(business_id)
    return ok({"messages": _thread(customer["id"]) if customer else []})


@bp.post("/businesses/<int:business_id>/sandbox/messages")
def post_sandbox_message(business_id: int):
    """Send a message as the caller's test customer and wait for the bot's turn to finish."""
    access.require_business(business_id)
    data = json_body()
    reject_unknown(data, {"text"})
    text = data.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise ApiError(400, "text is required", fields={"text": f"1 to {MAX_TEXT} characters"})
    with transaction() as conn:
        customer = _sandbox_customer(business_id, create=True)
        delivery = conversations.Delivery(
            channel=customer["channel"],
            address=customer["address"],
            profile_name=customer["profile_name"],
            external_id=f"sandbox.{uuid.uuid4().hex}",
            kind="text",
            type="text",
            body=text.strip(),
            payload={"sandbox": True},
            sent_at=None,
            needs_turn=True,
        )
        stored = conversations.store_inbound(
            conn, business_id, delivery, request_id=g.get("request_id")
        )
        # With the message it records, as every write's audit row is (the turn is the bot's).
        audit.record(
            conn,
            user_id=access.user_id(),
            business_id=business_id,
            action="message",
            entity="sandbox",
            entity_id=customer["id"],
            after={"message_id": stored["id"]},
        )
    _run_turn(business_id, stored["customer_id"])
    return ok({"messages": _thread(customer["id"])})


@bp.delete("/businesses/<int:business_id>/sandbox")
def reset_sandbox(business_id: int):
    """Start the caller's test conversation afresh; its test bookings are cancelled, not lost."""
    access.require_business(business_id)
    customer = _sandbox_customer(business_id)
    with transaction() as conn:
        cancelled = []
        if customer:
            for appointment in booking.list_for_customer(business_id, customer["id"]):
                # Through the booking service, so a calendar backend removes its event too.
                if booking.cancel(business_id, customer["id"], appointment.id).ok:
                    cancelled.append(appointment.id)
            conversations.delete_history(conn, customer["id"])
        audit.record(
            conn,
            user_id=access.user_id(),
            business_id=business_id,
            action="reset",
            entity="sandbox",
            entity_id=customer["id"] if customer else None,
            after={"cancelled_appointments": cancelled},
        )
    return "", 204


def _sandbox_customer(business_id: int, create: bool = False) -> dict | None:
    user = access.current_user()
    address = f"sandbox:{user['id']}"
    if create:
        # The upsert happens in store_inbound; mark the customer a sandbox one first. Its
        # replies are shaped as for WhatsApp and recorded, never sent.
        name = user.get("name") or "Test customer"
        conversations.add_sandbox_customer(business_id, SANDBOX_CHANNEL, address, name)
    return conversations.sandbox_customer(business_id, address)


def _run_turn(business_id: int, customer_id: int) -> None:
    """Run the real turn here and now, one at a time per sandbox customer."""
    # Two tabs of one admin must not run overlapping turns for the same test customer.
    with session_lock(SANDBOX_LOCK, customer_id):
        bot.run_turn(business_id, customer_id, request_id=g.get("request_id"))


def _thread(customer_id: int) -> list[dict]:
    """The thread as the console's conversations show it (what each reply offered to tap), with
    each turn's tool calls."""
    messages = [shown(m) for m in console.thread(customer_id, None, THREAD_LIMIT)]
    for m in messages:
        m["tool_calls"] = (m.get("turn") or {}).get("tool_calls") or []
    return messages
