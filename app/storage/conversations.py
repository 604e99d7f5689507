"""Customers, messages and turns: the conversation log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from psycopg.types.json import Jsonb

from app.storage.db import execute, fetch_all, fetch_one


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
    # False: the job is written without waking the workers (no NOTIFY in the statement's
    # transaction); the caller wakes them once it has committed.
    notify: bool = True


# One statement stores a delivery: the customer, the message and its turn job commit together,
# and an external id seen before on the channel touches nothing (Meta redelivers for days). The
# job row is the one the job queue's own `defer` writes, through its versioned SQL function;
# `quiet` says, for the rest of the transaction, whether writing it notifies the workers.
STORE_INBOUND = """
WITH fresh AS (
    SELECT 1 WHERE NOT EXISTS (
        SELECT 1 FROM messages WHERE channel = %(channel)s AND external_id = %(external_id)s)
    -- A message written before its sender erased their data is an old one redelivered.
    AND NOT EXISTS (
        SELECT 1 FROM customers WHERE business_id = %(business_id)s AND channel = %(channel)s
           AND erased_address = %(address_hash)s
           AND erased_at >= COALESCE(%(sent_at)s::timestamptz, now()))
), cust AS (
    INSERT INTO customers (business_id, channel, address, profile_name, last_inbound_at)
    SELECT %(business_id)s, %(channel)s, %(address)s, %(profile_name)s,
           CASE WHEN %(opens_window)s
                THEN LEAST(COALESCE(%(sent_at)s::timestamptz, now()), now()) END
      FROM fresh
    ON CONFLICT (business_id, channel, address) DO UPDATE SET last_seen_at = now(),
        profile_name = CASE WHEN EXCLUDED.profile_name <> '' THEN EXCLUDED.profile_name
                            ELSE customers.profile_name END,
        last_inbound_at = GREATEST(customers.last_inbound_at, EXCLUDED.last_inbound_at)
    RETURNING id
), msg AS (
    INSERT INTO messages (business_id, customer_id, channel, direction, kind, type, body,
                          payload, choice, external_id, status, request_id)
    SELECT %(business_id)s, cust.id, %(channel)s, 'in', %(kind)s, %(type)s, %(body)s,
           %(payload)s, %(choice)s, %(external_id)s, %(status)s, %(request_id)s FROM cust
    ON CONFLICT (channel, external_id) DO NOTHING
    RETURNING id, customer_id
), job AS (
    SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(
        %(job_queue)s, %(job_task)s, %(job_priority)s,
        %(job_lock_prefix)s || msg.customer_id, NULL,
        %(job_args)s::jsonb || jsonb_build_object('customer_id', msg.customer_id),
        NULL)::procrastinate_job_to_defer_v1]) AS job_ids
    FROM msg, (SELECT set_config('app.defer_quietly', %(job_quiet)s, true)) AS quiet
    WHERE %(defer)s
)
SELECT msg.id, msg.customer_id, job.job_ids FROM msg LEFT JOIN job ON true
"""


MAX_CHOICE = 1000  # Messenger's longest payload; our own ids are far shorter


@dataclass(frozen=True)
class Delivery:
    """One inbound message as the webhook stores it (channel-neutral)."""

    channel: str
    address: str  # the customer's address on the channel
    profile_name: str
    external_id: str  # the channel's message id: the dedup key
    kind: str  # text, choice, media, ... (see channels.base.InboundKind)
    type: str  # the channel's own name for the message type
    body: str
    payload: dict
    sent_at: datetime | None  # the channel's timestamp
    needs_turn: bool
    opens_window: bool = True  # whether it counts as the customer writing (not a system notice)
    choice: str = ""  # a tap: the id we put on what was tapped (see channels.base.Inbound)
    address_hash: str = ""  # privacy.address_hash of the address: an erased sender's tombstone


def store_inbound(
    conn,
    business_id: int,
    delivery: Delivery,
    request_id: str | None = None,
    turn_job: CustomerJob | None = None,
) -> dict | None:
    """Store a delivery once and, when it needs an answer and `turn_job` is given, queue it.

    Without `turn_job` a message that needs an answer is stored unanswered and no job is
    queued (the caller runs the turn itself).

    Returns {id, customer_id, job_ids} for a new message, None for a duplicate.
    """
    return send_inbound(conn, business_id, delivery, request_id, turn_job)()


def send_inbound(
    conn,
    business_id: int,
    delivery: Delivery,
    request_id: str | None = None,
    turn_job: CustomerJob | None = None,
) -> Callable[[], dict | None]:
    """`store_inbound` in two steps, for a pipeline: send the statement now, and return the
    function that reads its result once it has run."""
    job = turn_job if delivery.needs_turn else None
    return conn.execute(
        STORE_INBOUND,
        {
            "business_id": business_id,
            "channel": delivery.channel,
            "address": delivery.address,
            "profile_name": delivery.profile_name,
            "external_id": delivery.external_id,
            "kind": delivery.kind,
            "type": delivery.type,
            "body": delivery.body,
            "payload": Jsonb(delivery.payload),
            "choice": delivery.choice[:MAX_CHOICE] or None,
            "sent_at": delivery.sent_at,
            "address_hash": delivery.address_hash or None,
            "opens_window": delivery.opens_window,
            "status": "received" if delivery.needs_turn else "ignored",
            "request_id": request_id,
            "defer": job is not None,
            "job_queue": job and job.queue,
            "job_task": job and job.task_name,
            "job_priority": job and job.priority,
            "job_lock_prefix": job and job.lock_prefix,
            "job_args": job and Jsonb(job.args),
            "job_quiet": "off" if job is None or job.notify else "on",
        },
    ).fetchone


def get_customer(customer_id: int) -> dict | None:
    """One customer row."""
    return fetch_one("SELECT * FROM customers WHERE id = %s", (customer_id,))


def claim_name_lookup(customer_id: int) -> bool:
    """Whether the customer's name may be asked of the channel now (and note that it is): once,
    then at most once a day while it stays unknown."""
    row = fetch_one(
        "UPDATE customers SET name_lookup_at = now() WHERE id = %s AND profile_name = ''"
        " AND (name_lookup_at IS NULL OR name_lookup_at < now() - interval '1 day')"
        " RETURNING id",
        (customer_id,),
    )
    return row is not None


def set_profile_name(customer_id: int, name: str) -> None:
    """Keep the name the channel gave for a customer whose webhook named nobody."""
    execute(
        "UPDATE customers SET profile_name = %s WHERE id = %s AND profile_name = ''",
        (name, customer_id),
    )


def set_bot_paused(conn, business_id: int, customer_id: int, paused: bool) -> None:
    """Stop (or let) the bot answer a customer of the business."""
    conn.execute(
        "UPDATE customers SET bot_paused = %s WHERE id = %s AND business_id = %s",
        (paused, customer_id, business_id),
    )


def add_sandbox_customer(business_id: int, channel: str, address: str, profile_name: str) -> None:
    """Create the test customer `address` of an admin, unless it exists."""
    execute(
        "INSERT INTO customers (business_id, channel, address, profile_name, sandbox,"
        " last_inbound_at) VALUES (%s, %s, %s, %s, true, now())"
        " ON CONFLICT (business_id, channel, address) DO NOTHING",
        (business_id, channel, address, profile_name),
    )


def sandbox_customer(business_id: int, address: str) -> dict | None:
    """The test customer `address` of the business (id, channel, address, profile_name), or None."""
    return fetch_one(
        "SELECT id, channel, address, profile_name FROM customers"
        " WHERE business_id = %s AND address = %s AND sandbox",
        (business_id, address),
    )


def delete_history(conn, customer_id: int) -> None:
    """Delete a customer's messages, turns and what the booking flow remembered of them (the
    customer row stays)."""
    conn.execute("DELETE FROM messages WHERE customer_id = %s", (customer_id,))
    conn.execute("DELETE FROM turns WHERE customer_id = %s", (customer_id,))
    conn.execute("DELETE FROM conversation_state WHERE customer_id = %s", (customer_id,))


def pending_inbound(customer_id: int) -> list[dict]:
    """Inbound messages of a customer not yet answered, oldest first."""
    return fetch_all(
        "SELECT * FROM messages WHERE customer_id = %s AND direction = 'in'"
        " AND status = 'received' ORDER BY id",
        (customer_id,),
    )


def history(customer_id: int, limit: int) -> list[dict]:
    """The last `limit` answered messages of a customer (both directions), oldest first;
    `extras` holds an outbound message's buttons, list or quick replies (None for the rest),
    `staff` the name of the staff member who wrote it (None for the bot's and the customer's)."""
    rows = fetch_all(
        "SELECT m.id, m.direction, m.type, m.body, m.created_at,"
        " CASE WHEN m.direction = 'out' THEN m.payload END AS extras,"
        " CASE WHEN m.purpose = 'staff' THEN COALESCE(NULLIF(u.name, ''), u.email, '') END"
        " AS staff FROM messages m LEFT JOIN users u ON u.id = m.sent_by"
        " WHERE m.customer_id = %s AND m.status NOT IN ('received', 'ignored')"
        " ORDER BY m.id DESC LIMIT %s",
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


def mark_inbound(conn, message_ids: list[int], status: str, turn_id: int | None) -> int:
    """Set the status (processed/failed/ignored) of answered inbound messages; return how many
    were still unanswered (and are now marked)."""
    return conn.execute(
        "UPDATE messages SET status = %s, turn_id = %s, updated_at = now()"
        " WHERE id = ANY(%s) AND status = 'received'",
        (status, turn_id, message_ids),
    ).rowcount
