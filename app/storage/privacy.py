"""Customers' data: erasing one customer, exporting one, and purging old message texts."""

from __future__ import annotations

from datetime import datetime

from app.storage.db import connection, fetch_all, fetch_one

ERASED_PREFIX = "erased:"


def lock_customer(conn, business_id: int, customer_id: int) -> dict | None:
    """The customer row, locked for the caller's transaction (None: not this business's)."""
    return conn.execute(
        "SELECT * FROM customers WHERE id = %s AND business_id = %s FOR UPDATE",
        (customer_id, business_id),
    ).fetchone()


def held_appointments(conn, customer_id: int) -> list[int]:
    """Ids of the customer's held (not yet confirmed) times."""
    rows = conn.execute(
        "SELECT id FROM appointments WHERE customer_id = %s AND status = 'held'", (customer_id,)
    ).fetchall()
    return [r["id"] for r in rows]


def kept_appointments(conn, customer_id: int) -> list[int]:
    """Ids of the customer's booked appointments left after the future ones were cancelled
    (they stay, anonymous, for the business's records; their calendar events lose the name)."""
    rows = conn.execute(
        "SELECT id FROM appointments WHERE customer_id = %s AND status = 'booked'", (customer_id,)
    ).fetchall()
    return [r["id"] for r in rows]


def erase_customer(conn, customer_id: int, address_hash: str, user_hash: str | None = None) -> dict:
    """Remove everything naming the customer, in the caller's transaction; what was removed.

    Messages (texts, payloads, channel ids), what the flow remembered and the language they
    wrote in go; turns keep their outcome but lose their tool calls; held times are let go; the
    row keeps only a keyed hash of the address and when it was erased.
    """
    # Staff notices of their handoffs (on the staff number's conversation) name them and quote
    # them: each points at the customer's message it was about.
    conn.execute(
        "DELETE FROM messages WHERE in_reply_to IN (SELECT id FROM messages WHERE customer_id = %s)"
        " AND customer_id <> %s",
        (customer_id, customer_id),
    )
    messages = conn.execute(
        "WITH gone AS (DELETE FROM messages WHERE customer_id = %s"
        " RETURNING business_id, channel, external_id)"
        " , backlog AS (DELETE FROM status_backlog b USING gone"
        " WHERE b.business_id = gone.business_id AND b.channel = gone.channel"
        " AND b.external_id = gone.external_id)"
        " SELECT count(*) AS n FROM gone",
        (customer_id,),
    ).fetchone()["n"]
    conn.execute(
        "UPDATE turns SET tool_calls = '[]'::jsonb, error = NULL WHERE customer_id = %s",
        (customer_id,),
    )
    conn.execute("DELETE FROM conversation_state WHERE customer_id = %s", (customer_id,))
    # Front-desk bookings recorded before the audit log kept only the customer's id also kept
    # the name staff typed.
    conn.execute(
        "UPDATE audit_log SET after = after - 'customer_name'"
        " WHERE entity = 'appointment' AND after ? 'customer_name'"
        " AND after ->> 'customer_id' = %s::text",
        (customer_id,),
    )
    # A handoff's audit entry keeps why the bot stepped aside, in the model's words about them.
    conn.execute(
        "UPDATE audit_log SET after = after - 'reason'"
        " WHERE entity = 'customer' AND action = 'handoff' AND entity_id = %s::text"
        " AND after ? 'reason'",
        (customer_id,),
    )
    conn.execute(
        "DELETE FROM appointments WHERE customer_id = %s AND status = 'held'", (customer_id,)
    )
    conn.execute(
        "UPDATE customers SET address = %s || id, erased_address = %s, erased_user = %s,"
        " erased_at = now(),"
        " profile_name = '', language = NULL, user_id = NULL, last_inbound_at = NULL,"
        " last_seen_at = now(),"
        " bot_paused = false,"
        # The handoff's summary is the customer's own words.
        " needs_attention = false, handoff_reason = NULL, handoff_summary = NULL,"
        " handoff_at = NULL, paused_until = NULL"
        " WHERE id = %s",
        (ERASED_PREFIX, address_hash, user_hash, customer_id),
    )
    return {"messages": messages}


def export_customer(business_id: int, customer_id: int) -> dict | None:
    """Everything stored about one customer of the business (None: no such customer)."""
    customer = fetch_one(
        "SELECT * FROM customers WHERE id = %s AND business_id = %s", (customer_id, business_id)
    )
    if customer is None:
        return None
    params = {"c": customer_id, "b": business_id}
    return {
        "customer": customer,
        "messages": fetch_all(
            "SELECT id, channel, direction, kind, type, body, payload, choice, external_id,"
            " status, purpose, error_code, error_title, in_reply_to, turn_id, sent_at,"
            " created_at, updated_at FROM messages"
            " WHERE customer_id = %(c)s AND business_id = %(b)s ORDER BY id",
            params,
        ),
        "appointments": fetch_all(
            "SELECT a.id, s.name AS service, a.starts_at, a.ends_at, a.status, a.created_at,"
            " a.updated_at, a.cancelled_at, a.hold_expires_at, a.rescheduled_from,"
            " COALESCE((SELECT json_agg(json_build_object('from_starts_at', m.from_starts_at,"
            " 'to_starts_at', m.to_starts_at, 'moved_at', m.moved_at) ORDER BY m.id)"
            " FROM appointment_moves m WHERE m.appointment_id = a.id), '[]') AS moves"
            " FROM appointments a JOIN services s ON s.id = a.service_id"
            " WHERE a.customer_id = %(c)s AND a.business_id = %(b)s ORDER BY a.id",
            params,
        ),
        "turns": fetch_all(
            "SELECT id, status, tool_calls, error, started_at, finished_at FROM turns"
            " WHERE customer_id = %(c)s AND business_id = %(b)s ORDER BY id",
            params,
        ),
        "conversation_state": fetch_one(
            "SELECT state, updated_at, expires_at FROM conversation_state"
            " WHERE customer_id = %(c)s AND business_id = %(b)s",
            params,
        ),
        "audit": fetch_all(
            "SELECT id, action, entity, entity_id, created_at FROM audit_log"
            " WHERE business_id = %(b)s AND entity IN ('customer', 'sandbox')"
            " AND entity_id = %(c)s::text ORDER BY id",
            params,
        ),
    }


def retention_days() -> list[dict]:
    """Every business's id and message retention (days)."""
    return fetch_all("SELECT id, message_retention_days FROM businesses ORDER BY id")


def purge_messages_batch(business_id: int, before: datetime, limit: int) -> int:
    """Delete up to `limit` of the business's messages created before `before`; how many.

    One short statement of its own: rows another transaction holds are skipped (the next run
    takes them), so a turn never waits on the purge, nor the purge on a turn. A message still
    waiting to be sent (a reminder queued days ahead, a send retried for hours) is kept until
    it goes or expires: deleting it would lose it unsaid.
    """
    with connection() as conn:
        return conn.execute(
            "DELETE FROM messages WHERE id IN (SELECT id FROM messages"
            " WHERE business_id = %s AND created_at < %s"
            " AND NOT (status = 'queued' AND direction = 'out' AND expires_at > now())"
            " ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED)",
            (business_id, before, limit),
        ).rowcount


def purge_turn_details_batch(business_id: int, before: datetime, limit: int) -> int:
    """Empty the tool calls and error of up to `limit` of the business's turns started before
    `before` (they quote the customer, as the purged messages did); how many. Rows another
    transaction holds are skipped, as for messages."""
    with connection() as conn:
        return conn.execute(
            "UPDATE turns SET tool_calls = '[]', error = NULL WHERE id IN (SELECT id FROM turns"
            " WHERE business_id = %s AND started_at < %s"
            " AND (tool_calls <> '[]' OR error IS NOT NULL)"
            " ORDER BY started_at LIMIT %s FOR UPDATE SKIP LOCKED)",
            (business_id, before, limit),
        ).rowcount


def purge_handoff_summaries(business_id: int, before: datetime) -> int:
    """Forget the summaries (the customer's last words, quoted) and reasons (the model's
    words about what they wanted) of the business's handoffs made before `before`, as their
    messages are; how many."""
    with connection() as conn:
        return conn.execute(
            "UPDATE customers SET handoff_summary = NULL, handoff_reason = NULL"
            " WHERE business_id = %s AND handoff_at < %s"
            " AND (handoff_summary IS NOT NULL OR handoff_reason IS NOT NULL)",
            (business_id, before),
        ).rowcount
