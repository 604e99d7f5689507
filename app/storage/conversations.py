"""Customers, messages and turns: the conversation log."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg.types.json import Jsonb

from app.storage.db import connection, execute, fetch_all, fetch_one

# Delivery statuses only move forward; `failed` may replace queued/sent but nothing replaces it.
STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "played": 4}


@dataclass(frozen=True)
class CustomerJob:
    """A job `store_inbound` queues for the message's customer; `app.jobs` says what it is.

    Its lock is `lock_prefix` followed by the customer's id, and `customer_id` joins `args`:
    the customer is known only inside the statement.
    """

    task_name: str
    queue: str
    lock_prefix: str
    args: dict
    priority: int = 0


# One statement stores a delivery: the customer, the message and its turn job commit together,
# and a wamid seen before touches nothing (Meta redelivers for days). The job row is the one
# the job queue's own `defer` writes, through its versioned SQL function.
STORE_INBOUND = """
WITH fresh AS (
    SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM messages WHERE wamid = %(wamid)s)
), cust AS (
    INSERT INTO customers (business_id, wa_id, profile_name)
    SELECT %(business_id)s, %(wa_id)s, %(profile_name)s FROM fresh
    ON CONFLICT (business_id, wa_id) DO UPDATE SET last_seen_at = now(),
        profile_name = CASE WHEN EXCLUDED.profile_name <> '' THEN EXCLUDED.profile_name
                            ELSE customers.profile_name END
    RETURNING id
), msg AS (
    INSERT INTO messages (business_id, customer_id, direction, type, body, payload, wamid,
                          status, request_id)
    SELECT %(business_id)s, cust.id, 'in', %(type)s, %(body)s, %(payload)s, %(wamid)s,
           %(status)s, %(request_id)s FROM cust
    ON CONFLICT (wamid) DO NOTHING
    RETURNING id, customer_id
), job AS (
    SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(
        %(job_queue)s, %(job_task)s, %(job_priority)s,
        %(job_lock_prefix)s || msg.customer_id, NULL,
        %(job_args)s::jsonb || jsonb_build_object('customer_id', msg.customer_id),
        NULL)::procrastinate_job_to_defer_v1]) AS job_ids
    FROM msg WHERE %(defer)s
)
SELECT msg.id, msg.customer_id, job.job_ids FROM msg LEFT JOIN job ON true
"""


def store_inbound(
    conn,
    business_id: int,
    wa_id: str,
    profile_name: str,
    wamid: str,
    msg_type: str,
    body: str,
    payload: dict,
    needs_turn: bool,
    request_id: str | None = None,
    turn_job: CustomerJob | None = None,
) -> dict | None:
    """Store a delivery once and, when it needs an answer and `turn_job` is given, queue it.

    Without `turn_job` a message that needs an answer is stored unanswered and no job is
    queued (the caller runs the turn itself).

    Returns {id, customer_id, job_ids} for a new message, None for a duplicate.
    """
    job = turn_job if needs_turn else None
    return conn.execute(
        STORE_INBOUND,
        {
            "business_id": business_id,
            "wa_id": wa_id,
            "profile_name": profile_name,
            "wamid": wamid,
            "type": msg_type,
            "body": body,
            "payload": Jsonb(payload),
            "status": "received" if needs_turn else "ignored",
            "request_id": request_id,
            "defer": job is not None,
            "job_queue": job and job.queue,
            "job_task": job and job.task_name,
            "job_priority": job and job.priority,
            "job_lock_prefix": job and job.lock_prefix,
            "job_args": job and Jsonb(job.args),
        },
    ).fetchone()


def get_customer(customer_id: int) -> dict | None:
    """One customer row."""
    return fetch_one("SELECT * FROM customers WHERE id = %s", (customer_id,))


def set_bot_paused(conn, business_id: int, customer_id: int, paused: bool) -> None:
    """Stop (or let) the bot answer a customer of the business."""
    conn.execute(
        "UPDATE customers SET bot_paused = %s WHERE id = %s AND business_id = %s",
        (paused, customer_id, business_id),
    )


def add_sandbox_customer(business_id: int, wa_id: str, profile_name: str) -> None:
    """Create the test customer `wa_id` of an admin, unless it exists."""
    execute(
        "INSERT INTO customers (business_id, wa_id, profile_name, sandbox)"
        " VALUES (%s, %s, %s, true) ON CONFLICT (business_id, wa_id) DO NOTHING",
        (business_id, wa_id, profile_name),
    )


def sandbox_customer(business_id: int, wa_id: str) -> dict | None:
    """The test customer `wa_id` of the business (id, wa_id, profile_name), or None."""
    return fetch_one(
        "SELECT id, wa_id, profile_name FROM customers"
        " WHERE business_id = %s AND wa_id = %s AND sandbox",
        (business_id, wa_id),
    )


def delete_history(conn, customer_id: int) -> None:
    """Delete a customer's messages and turns (the customer row stays)."""
    conn.execute("DELETE FROM messages WHERE customer_id = %s", (customer_id,))
    conn.execute("DELETE FROM turns WHERE customer_id = %s", (customer_id,))


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


def history(customer_id: int, limit: int) -> list[dict]:
    """The last `limit` answered messages of a customer (both directions), oldest first."""
    rows = fetch_all(
        "SELECT id, direction, type, body, created_at FROM messages"
        " WHERE customer_id = %s AND status NOT IN ('received', 'ignored')"
        " ORDER BY id DESC LIMIT %s",
        (customer_id, limit),
    )
    return list(reversed(rows))


def start_turn(business_id: int, customer_id: int, request_id: str | None) -> int:
    """Open a turn record; return its id (a turn left running by a dead worker is closed)."""
    # One customer's turns never overlap, so a "running" one here was interrupted.
    execute(
        "UPDATE turns SET status = 'failed', error = 'interrupted', finished_at = now()"
        " WHERE customer_id = %s AND status = 'running'",
        (customer_id,),
    )
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
    conn,
    business_id: int,
    customer_id: int,
    chunks: list[str],
    in_reply_to: int | None,
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


def mark_inbound(conn, message_ids: list[int], status: str, turn_id: int | None) -> int:
    """Set the status (processed/failed/ignored) of answered inbound messages; return how many
    were still unanswered (and are now marked)."""
    return conn.execute(
        "UPDATE messages SET status = %s, turn_id = %s, updated_at = now()"
        " WHERE id = ANY(%s) AND status = 'received'",
        (status, turn_id, message_ids),
    ).rowcount


def mark_sent(message_id: int, wamid: str) -> None:
    """Record that WhatsApp accepted an outgoing message, then apply statuses that beat us here."""
    with connection() as conn:
        conn.execute(
            "UPDATE messages SET status = 'sent', wamid = %s, updated_at = now()"
            " WHERE id = %s AND status = 'queued'",
            (wamid, message_id),
        )
        early = conn.execute(
            "DELETE FROM status_backlog WHERE wamid = %s RETURNING status, error_code, error_title",
            (wamid,),
        ).fetchall()
    for row in sorted(early, key=lambda r: STATUS_RANK.get(r["status"], 9)):
        apply_status(wamid, row["status"], row["error_code"], row["error_title"] or "")


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
        if conn.execute(sql, params).rowcount > 0:
            return True
        _keep_early_status(conn, wamid, status, code, title)
        # mark_sent may have recorded the wamid just now, after our update and before our
        # insert (then its backlog read missed us): one more try covers that gap. Each statement
        # commits on its own, so whichever order the two interleave in, the status lands.
        return conn.execute(sql, params).rowcount > 0


def _keep_early_status(conn, wamid: str, status: str, code: int | None, title: str) -> None:
    """Park a status whose wamid no message has yet (mark_sent applies it when it does)."""
    conn.execute(
        "INSERT INTO status_backlog (wamid, status, error_code, error_title)"
        " SELECT %s, %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM messages WHERE wamid = %s)"
        " ON CONFLICT DO NOTHING",
        (wamid, status, code, title[:500], wamid),
    )
    # Statuses of messages sent by other systems never find their message: forget them.
    conn.execute("DELETE FROM status_backlog WHERE received_at < now() - interval '7 days'")
