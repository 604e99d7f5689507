"""The booking flow's memory of a conversation: one row per customer, with an expiry; and the
language the customer last wrote in, which outlives it."""

from __future__ import annotations

from datetime import datetime

from psycopg.types.json import Jsonb

from app.storage.db import execute, fetch_one


def load(business_id: int, customer_id: int, now: datetime) -> dict | None:
    """The customer's state, or None when there is none or it expired before `now`."""
    row = fetch_one(
        "SELECT state FROM conversation_state"
        " WHERE customer_id = %s AND business_id = %s AND expires_at > %s",
        (customer_id, business_id, now),
    )
    return row["state"] if row else None


def language(business_id: int, customer_id: int) -> str | None:
    """The language the customer last wrote in (kept on the customer), else the one of their
    last state, expired or not (a language is no stale offer, and a customer who last wrote
    before it was kept on customers has it only there); None when neither is known."""
    row = fetch_one(
        "SELECT COALESCE(c.language, s.state ->> 'lang') AS language FROM customers c"
        " LEFT JOIN conversation_state s ON s.customer_id = c.id"
        " AND s.business_id = c.business_id"
        " WHERE c.id = %s AND c.business_id = %s",
        (customer_id, business_id),
    )
    return row["language"] if row else None


def save(business_id: int, customer_id: int, state: dict, expires_at: datetime) -> None:
    """Replace the customer's state."""
    execute(
        "INSERT INTO conversation_state (customer_id, business_id, state, expires_at)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (customer_id) DO UPDATE"
        " SET state = EXCLUDED.state, expires_at = EXCLUDED.expires_at, updated_at = now()"
        " WHERE conversation_state.business_id = EXCLUDED.business_id",
        (customer_id, business_id, Jsonb(state), expires_at),
    )


def clear(business_id: int, customer_id: int) -> None:
    """Forget the customer's state."""
    execute(
        "DELETE FROM conversation_state WHERE customer_id = %s AND business_id = %s",
        (customer_id, business_id),
    )


def offered_hold(business_id: int, customer_id: int) -> dict | None:
    """The customer's held time (expired or not: id, service_id, starts_at) when our last
    message to them is its question, "Shall I book it?" (nothing was said to them since): what
    "yes" answers after the flow has forgotten the talk. The question is the reply of the turn
    that made or renewed the hold."""
    return fetch_one(
        "SELECT a.id, a.service_id, a.starts_at FROM appointments a, messages m"
        " WHERE m.id = (SELECT max(id) FROM messages"
        "               WHERE customer_id = %(customer)s AND business_id = %(business)s"
        "                 AND direction = 'out')"
        " AND a.business_id = %(business)s AND a.customer_id = %(customer)s"
        " AND a.status = 'held' AND a.turn_id = m.turn_id",
        {"business": business_id, "customer": customer_id},
    )


def last_reply_recorded(business_id: int, customer_id: int, call: str) -> bool:
    """Whether our last message to the customer is the reply of a turn that recorded `call`
    (nothing was said to them since, so what they write now answers that reply)."""
    row = fetch_one(
        "SELECT 1 AS found FROM messages m JOIN turns t ON t.id = m.turn_id"
        " WHERE m.id = (SELECT max(id) FROM messages"
        "               WHERE customer_id = %s AND business_id = %s AND direction = 'out')"
        " AND t.tool_calls @> %s",
        (customer_id, business_id, Jsonb([{"name": call}])),
    )
    return row is not None
