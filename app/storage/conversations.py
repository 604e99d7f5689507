"""Customers, messages and turns: the conversation log."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from app.storage.db import connection, fetch_all, fetch_one

# Delivery statuses only move forward; `failed` may replace queued/sent but nothing replaces it.
STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "played": 4}


def upsert_customer(conn, business_id: int, wa_id: str, profile_name: str) -> int:
    """Create or refresh a customer; return its id."""
    row = conn.execute(
        "INSERT INTO customers (business_id, wa_id, profile_name) VALUES (%s, %s, %s)"
        " ON CONFLICT (business_id, wa_id) DO UPDATE SET last_seen_at = now(),"
        " profile_name = CASE WHEN EXCLUDED.profile_name <> '' THEN EXCLUDED.profile_name"
        " ELSE customers.profile_name END"
        " RETURNING id",
        (business_id, wa_id, profile_name),
    ).fetchone()
    return row["id"]


def insert_inbound(
    conn,
    business_id: int,
    customer_id: int,
    wamid: str,
    msg_type: str,
    body: str,
    payload: dict,
    status: str = "received",
    request_id: str | None = None,
) -> int | None:
    """Store an inbound message once; return its id, or None when the wamid was seen before."""
    row = conn.execute(
        "INSERT INTO messages (business_id, customer_id, direction, type, body, payload, wamid,"
        " status, request_id) VALUES (%s, %s, 'in', %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (wamid) DO NOTHING RETURNING id",
        (business_id, customer_id, msg_type, body, Jsonb(payload), wamid, status, request_id),
    ).fetchone()
    return row["id"] if row else None


def get_customer(customer_id: int) -> dict | None:
    """One customer row."""
    return fetch_one("SELECT * FROM customers WHERE id = %s", (customer_id,))


def pending_inbound(customer_id: int) -> list[dict]:
    """Inbound messages of a customer not yet answered, oldest first."""
    return fetch_all(
        "SELECT * FROM messages WHERE customer_id = %s AND direction = 'in'"
        " AND status = 'received' ORDER BY id",
        (customer_id,),
    )


def queued_outbound(customer_id: int) -> list[dict]:
    """Replies stored but not yet handed to WhatsApp, oldest first."""
    return fetch_all(
        "SELECT * FROM messages WHERE customer_id = %s AND direction = 'out'"
        " AND status = 'queued' ORDER BY id",
        (customer_id,),
    )


def history(customer_id: int, limit: int, before_id: int | None = None) -> list[dict]:
    """The last `limit` answered messages of a customer (both directions), oldest first."""
    rows = fetch_all(
        "SELECT id, direction, type, body, created_at FROM messages"
        " WHERE customer_id = %s AND status NOT IN ('received', 'ignored')"
        " AND (%s::bigint IS NULL OR id < %s) ORDER BY id DESC LIMIT %s",
        (customer_id, before_id, before_id, limit),
    )
    return list(reversed(rows))


def start_turn(business_id: int, customer_id: int, request_id: str | None) -> int:
    """Open a turn record; return its id."""
    row = fetch_one(
        "INSERT INTO turns (business_id, customer_id, request_id) VALUES (%s, %s, %s) RETURNING id",
        (business_id, customer_id, request_id),
    )
    return row["id"]


def finish_turn(
    conn, turn_id: int, status: str, tool_calls: list, error: str | None = None
) -> None:
    """Close a turn with its outcome and tool calls."""
    conn.execute(
        "UPDATE turns SET status = %s, tool_calls = %s, error = %s, finished_at = now()"
        " WHERE id = %s",
        (status, Jsonb(tool_calls), error, turn_id),
    )


def queue_replies(
    conn, business_id: int, customer_id: int, chunks: list[str], in_reply_to: int | None,
    turn_id: int | None,
) -> list[int]:
    """Store outgoing chunks as `queued` (sent later, in order); return their ids."""
    ids = []
    for chunk in chunks:
        row = conn.execute(
            "INSERT INTO messages (business_id, customer_id, direction, type, body, status,"
            " in_reply_to, turn_id) VALUES (%s, %s, 'out', 'text', %s, 'queued', %s, %s)"
            " RETURNING id",
            (business_id, customer_id, chunk, in_reply_to, turn_id),
        ).fetchone()
        ids.append(row["id"])
    return ids


def mark_inbound(conn, message_ids: list[int], status: str, turn_id: int | None) -> None:
    """Set the status (processed/failed/ignored) of answered inbound messages."""
    conn.execute(
        "UPDATE messages SET status = %s, turn_id = %s, updated_at = now()"
        " WHERE id = ANY(%s) AND status = 'received'",
        (status, turn_id, message_ids),
    )


def mark_sent(message_id: int, wamid: str) -> None:
    """Record that WhatsApp accepted an outgoing message."""
    with connection() as conn:
        conn.execute(
            "UPDATE messages SET status = 'sent', wamid = %s, updated_at = now()"
            " WHERE id = %s AND status = 'queued'",
            (wamid, message_id),
        )


def mark_send_failed(message_id: int, code: int | None, title: str) -> None:
    """Record that WhatsApp refused an outgoing message, keeping the error."""
    with connection() as conn:
        conn.execute(
            "UPDATE messages SET status = 'failed', error_code = %s, error_title = %s,"
            " updated_at = now() WHERE id = %s AND status = 'queued'",
            (code, title[:500], message_id),
        )


def apply_status(wamid: str, status: str, code: int | None = None, title: str = "") -> bool:
    """Move an outbound message's delivery status forward; return whether it changed."""
    if status == "failed":
        sql = (
            "UPDATE messages SET status = 'failed', error_code = %s, error_title = %s,"
            " updated_at = now() WHERE wamid = %s AND direction = 'out'"
            " AND status IN ('queued', 'sent')"
        )
        params: tuple = (code, title[:500], wamid)
    elif status in STATUS_RANK:
        lower = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
        sql = (
            "UPDATE messages SET status = %s, updated_at = now()"
            " WHERE wamid = %s AND direction = 'out' AND status = ANY(%s)"
        )
        params = (status, wamid, lower)
    else:
        return False
    with connection() as conn:
        return conn.execute(sql, params).rowcount > 0
