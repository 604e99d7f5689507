"""Handoff state of a conversation: needs attention (why, what the customer wants), the bot's
pause and when it ends by itself, and who on the staff wrote a reply."""

from __future__ import annotations

from datetime import datetime

from app.storage.db import fetch_all, fetch_one


def state(conn, business_id: int, customer_id: int) -> dict | None:
    """The handoff columns of a customer of the business (and when their data was erased, if
    it was), locked for the caller's transaction."""
    return conn.execute(
        "SELECT bot_paused, needs_attention, handoff_reason, handoff_summary, handoff_at,"
        " paused_until, erased_at FROM customers WHERE id = %s AND business_id = %s FOR UPDATE",
        (customer_id, business_id),
    ).fetchone()


def take_over(
    conn, business_id: int, customer_id: int, reason: str, summary: str, now: datetime
) -> None:
    """Pause the bot for the customer and mark the conversation as needing a person."""
    conn.execute(
        "UPDATE customers SET bot_paused = true, needs_attention = true, handoff_reason = %s,"
        " handoff_summary = %s, handoff_at = COALESCE(CASE WHEN needs_attention"
        " THEN handoff_at END, %s), paused_until = NULL"
        " WHERE id = %s AND business_id = %s",
        (reason, summary, now, customer_id, business_id),
    )


def answered(
    conn,
    business_id: int,
    customer_id: int,
    message_ids: list[int],
    user_id: int | None,
    paused_until: datetime | None,
) -> None:
    """Record a staff reply: its author (None: written outside the console), and the bot paused
    until `paused_until` (None: until someone resumes it). The conversation no longer waits for
    a first answer."""
    conn.execute(
        "UPDATE messages SET sent_by = %s WHERE id = ANY(%s) AND customer_id = %s",
        (user_id, message_ids, customer_id),
    )
    conn.execute(
        "UPDATE customers SET bot_paused = true, needs_attention = false, paused_until = %s"
        " WHERE id = %s AND business_id = %s",
        (paused_until, customer_id, business_id),
    )


def resume(conn, business_id: int, customer_id: int) -> None:
    """Let the bot answer the customer again; the conversation no longer needs attention."""
    conn.execute(
        "UPDATE customers SET bot_paused = false, needs_attention = false, paused_until = NULL"
        " WHERE id = %s AND business_id = %s",
        (customer_id, business_id),
    )


def due_resumes(now: datetime, limit: int = 500) -> list[dict]:
    """Paused conversations whose quiet time has passed: (business_id, customer_id)."""
    return fetch_all(
        "SELECT business_id, id AS customer_id, paused_until FROM customers"
        " WHERE paused_until IS NOT NULL AND paused_until <= %s AND bot_paused"
        " ORDER BY paused_until LIMIT %s",
        (now, limit),
    )


def recent_inbound(customer_id: int, limit: int = 3) -> list[str]:
    """The customer's last few typed messages, oldest first (what a summary is made of)."""
    rows = fetch_all(
        "SELECT body FROM messages WHERE customer_id = %s AND direction = 'in' AND body <> ''"
        " ORDER BY id DESC LIMIT %s",
        (customer_id, limit),
    )
    return [r["body"] for r in reversed(rows)]


def answers_since(customer_id: int, since: datetime, scan: int) -> int:
    """How many times the bot has answered the customer since `since`: its replies counted by
    the message they answer (a long answer sent in parts is one; staff replies, notices and
    reminders are not answers). Only the latest `scan` replies are read, backwards along the
    customer's messages, so it costs the same however long their history."""
    row = fetch_one(
        "SELECT count(DISTINCT in_reply_to) AS n FROM (SELECT in_reply_to, created_at"
        " FROM messages WHERE customer_id = %s AND direction = 'out' AND purpose = 'reply'"
        " ORDER BY id DESC LIMIT %s) m WHERE created_at >= %s",
        (customer_id, scan, since),
    )
    return row["n"]


def previous_turn_error(customer_id: int) -> str | None:
    """The error of the customer's last finished turn (None when it did not fail)."""
    row = fetch_one(
        "SELECT status, error FROM turns WHERE customer_id = %s AND status <> 'running'"
        " ORDER BY id DESC LIMIT 1",
        (customer_id,),
    )
    return row["error"] if row and row["status"] == "failed" else None


def staff_contact(conn, business_id: int, address: str) -> dict:
    """The WhatsApp 'customer' row of the business's staff notice number (created once)."""
    conn.execute(
        "INSERT INTO customers (business_id, channel, address, profile_name)"
        " VALUES (%s, 'whatsapp', %s, 'Staff notices')"
        " ON CONFLICT (business_id, channel, address) DO NOTHING",
        (business_id, address),
    )
    return conn.execute(
        "SELECT * FROM customers WHERE business_id = %s AND channel = 'whatsapp' AND address = %s",
        (business_id, address),
    ).fetchone()


def told_since_notice(conn, customer_id: int) -> bool:
    """Whether the last message to the staff notice number's row is the bot's answer to it
    (none of its notices since)."""
    row = conn.execute(
        "SELECT purpose FROM messages WHERE customer_id = %s AND direction = 'out'"
        " ORDER BY id DESC LIMIT 1",
        (customer_id,),
    ).fetchone()
    return row is not None and row["purpose"] == "reply"


def author_names(user_ids: list[int]) -> dict[int, str]:
    """Display names (or emails) of staff users by id."""
    rows = fetch_all(
        "SELECT id, COALESCE(NULLIF(name, ''), email) AS name FROM users WHERE id = ANY(%s)",
        (user_ids,),
    )
    return {r["id"]: r["name"] for r in rows}


def user_name(user_id: int) -> str:
    """One staff user's display name (or email)."""
    row = fetch_one(
        "SELECT COALESCE(NULLIF(name, ''), email) AS name FROM users WHERE id = %s", (user_id,)
    )
    return row["name"] if row else ""
