"""The outbox's rows: outbound messages from queued to sent (or why not), and delivery statuses."""

from __future__ import annotations

import logging
from datetime import datetime

from psycopg.errors import UniqueViolation
from psycopg.types.json import Jsonb

from app.storage.db import connection, execute, fetch_one

log = logging.getLogger(__name__)

# Delivery statuses only move forward; `failed` may replace queued/sent but nothing replaces it.
STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "played": 4}
MAX_TITLE = 500
FORGET_STATUSES = "DELETE FROM status_backlog WHERE received_at < now() - interval '7 days'"

# The customer's channel comes from their row; chunks keep their order (ids ascend with it).
QUEUE_SQL = """
INSERT INTO messages (business_id, customer_id, channel, direction, type, body, payload, status,
                      purpose, in_reply_to, turn_id, expires_at, not_before, sent_at, sent_as)
SELECT c.business_id, c.id, c.channel, 'out',
       CASE WHEN chunk.extras IS NULL THEN 'text' ELSE 'interactive' END, chunk.body, chunk.extras,
       CASE WHEN %(recorded)s THEN 'sent' ELSE 'queued' END, %(purpose)s, %(in_reply_to)s,
       %(turn_id)s, coalesce(%(expires_at)s::timestamptz, now() + %(ttl)s * interval '1 second'),
       %(not_before)s,
       CASE WHEN %(recorded)s THEN now() END, CASE WHEN %(recorded)s THEN 'sandbox' END
  FROM customers c, unnest(%(bodies)s::text[], %(extras)s::jsonb[])
       WITH ORDINALITY AS chunk(body, extras, n)
 WHERE c.id = %(customer_id)s AND c.business_id = %(business_id)s
 ORDER BY chunk.n
RETURNING id
"""


def queue_messages(
    conn,
    business_id: int,
    customer_id: int,
    bodies: list[str],
    purpose: str,
    in_reply_to: int | None,
    turn_id: int | None,
    ttl_seconds: float,
    recorded: bool = False,
    not_before: datetime | None = None,
    extras: list[dict | None] | None = None,
    expires_at: datetime | None = None,
) -> list[int]:
    """Store messages for a customer as `queued` (or, with `recorded`, as never to be sent:
    the console's test customers); return their ids in order.

    `not_before`: their turn in the account's line, when they must wait for it. `extras`: each
    message's buttons, list or quick replies (JSON, kept in `payload`), or None.
    """
    rows = conn.execute(
        QUEUE_SQL,
        {
            "business_id": business_id,
            "customer_id": customer_id,
            "bodies": bodies,
            "extras": [Jsonb(e) if e else None for e in extras or [None] * len(bodies)],
            "purpose": purpose,
            "in_reply_to": in_reply_to,
            "turn_id": turn_id,
            "ttl": ttl_seconds,
            "recorded": recorded,
            "not_before": not_before,
            "expires_at": expires_at,
        },
    ).fetchall()
    return sorted(r["id"] for r in rows)


def bring_forward_job(conn, task_name: str, lock: str, at: datetime) -> bool:
    """The first queued `task_name` job of `lock` runs at `at` at the latest (a job due
    earlier stays as it is); whether there was one. Which task and which lock, the job queue
    says (`app.jobs`)."""
    return (
        conn.execute(
            "UPDATE procrastinate_jobs SET scheduled_at = CASE WHEN scheduled_at > %(at)s"
            " THEN %(at)s ELSE scheduled_at END"
            " WHERE id = (SELECT min(id) FROM procrastinate_jobs WHERE lock = %(lock)s"
            " AND status = 'todo' AND task_name = %(task)s) RETURNING id",
            {"at": at, "lock": lock, "task": task_name},
        ).fetchone()
        is not None
    )


def next_queued(customer_id: int, after: int = 0) -> dict | None:
    """The customer's oldest message stored but not yet handed to the channel, after the
    message `after`; read just before it is sent, so a message withdrawn (or erased) while
    the one before it was sending is not sent."""
    return fetch_one(
        "SELECT id, body, payload, purpose, attempts, not_before, expires_at, error_code,"
        " error_title, send_error, created_at, updated_at"
        " FROM messages WHERE customer_id = %s AND direction = 'out' AND status = 'queued'"
        " AND external_id IS NULL AND id > %s ORDER BY id LIMIT 1",
        (customer_id, after),
    )


RECORD_SENT = (
    "UPDATE messages m SET external_id = %(id)s, sent_at = s.at, sent_as = %(as)s,"
    " status = COALESCE((SELECT CASE WHEN c.read_until >= s.at THEN 'read'"
    " WHEN c.delivered_until >= s.at THEN 'delivered' END FROM customers c"
    " WHERE c.id = m.customer_id FOR SHARE), 'sent'),"
    " error_code = NULL, error_title = NULL, not_before = NULL, updated_at = now(),"
    " send_error = CASE WHEN m.status = 'queued' THEN NULL ELSE m.send_error END"
    " FROM (SELECT COALESCE(%(at)s::timestamptz, now()) AS at) s"
    " WHERE m.id = %(message)s AND (m.status = 'queued' OR (m.status = 'failed'"
    " AND m.send_error = 'withdrawn' AND m.external_id IS NULL))"
)
# A person's answer the webhook stored from an echo (conversations.Delivery.from_business):
# outbound, staff, never handed to the channel by us, nobody of the console its author.
FORGET_ECHO = (
    "DELETE FROM messages WHERE channel = %(channel)s AND external_id = %(id)s"
    " AND direction = 'out' AND purpose = 'staff' AND sent_as IS NULL AND sent_by IS NULL"
)


def mark_sent(
    message_id: int,
    channel: str,
    external_id: str | None,
    sent_as: str,
    sent_at: datetime | None = None,
) -> int | None:
    """Record that the channel accepted a message, sent at `sent_at` (when the send started,
    before the channel stamped it: a Messenger read receipt's watermark is that stamp; now when
    not given), then apply the statuses that beat us here, those that came for the message's
    own business. Each parked status is forgotten only once applied, so a failure on the way
    leaves the rest for the next try.

    A parked `failed` status is not applied here: what it means for the message (sent again,
    as its template, or failed as it stands) is the outbox's to decide, as for one that comes
    after the record. It stays parked; the id of its business is returned (None when there is
    none), for the caller to take it (`take_parked_failure`).

    A reminder withdrawn while its send was at the channel (`_WITHDRAW` in storage.reminders takes
    only queued messages, and a send claims nothing) went all the same: it is recorded sent, with
    its id, so its delivery statuses find it; its `send_error` stays `withdrawn`, the note that
    the withdrawal came too late (the console shows a reason only for a failed message)."""
    with connection() as conn:
        # A watermark that came while the send was in flight (Messenger's, kept with the
        # customer by apply_watermark) covers it now. The customer's row is read locked, so a
        # watermark being kept meanwhile is read once committed, and one kept after waits for
        # this record before it looks for the messages it covers.
        record = {"id": external_id, "at": sent_at, "as": sent_as, "message": message_id}
        try:
            conn.execute(RECORD_SENT, record)
        except UniqueViolation:
            # Its echo came first and, without the metadata that marks the bot's sends, was
            # stored as a person's answer on the channel (docs/HANDOFF.md): it is this message.
            # (Sent autocommitted: the failed statement left no transaction to roll back.)
            if not conn.execute(FORGET_ECHO, {"channel": channel, "id": external_id}).rowcount:
                raise
            log.warning("message %s: its echo was stored as a person's answer", message_id)
            conn.execute(RECORD_SENT, record)
        early = []
        if external_id:
            early = conn.execute(
                "SELECT b.business_id, b.status, b.error_code, b.error_title"
                " FROM status_backlog b JOIN messages m ON m.business_id = b.business_id"
                " WHERE m.id = %s AND b.channel = %s AND b.external_id = %s",
                (message_id, channel, external_id),
            ).fetchall()
    failed = None
    for row in sorted(early, key=lambda r: STATUS_RANK.get(r["status"], 9)):
        business_id = row["business_id"]
        if row["status"] == "failed":
            failed = business_id
            continue
        apply_status(
            business_id, channel, external_id, row["status"], row["error_code"], row["error_title"]
        )
        execute(
            "DELETE FROM status_backlog WHERE business_id = %s AND channel = %s"
            " AND external_id = %s AND status = %s",
            (business_id, channel, external_id, row["status"]),
        )
    return failed


def take_parked_failure(conn, business_id: int, channel: str, external_id: str) -> dict | None:
    """Forget, in the caller's transaction, the `failed` status parked for the business's
    message `external_id`, and return its error code and title (None when none is parked, or
    another caller took it)."""
    return conn.execute(
        "DELETE FROM status_backlog WHERE business_id = %s AND channel = %s"
        " AND external_id = %s AND status = 'failed' RETURNING error_code, error_title",
        (business_id, channel, external_id),
    ).fetchone()


def mark_unsent(message_id: int, reason: str, code: int | None, title: str) -> None:
    """Record that a message will not be sent, why (`reason`) and the channel's code if any."""
    with connection() as conn:
        conn.execute(
            "UPDATE messages SET status = 'failed', send_error = %s, error_code = %s,"
            " error_title = %s, not_before = NULL, updated_at = now()"
            " WHERE id = %s AND status = 'queued'",
            (reason, code, (title or "")[:MAX_TITLE], message_id),
        )


def schedule_retry(
    message_id: int, attempts: int, not_before: datetime, code: int | None, title: str
) -> None:
    """Keep a message queued for another attempt at `not_before`, noting the last error."""
    with connection() as conn:
        conn.execute(
            "UPDATE messages SET attempts = %s, not_before = %s, error_code = %s,"
            " error_title = %s, updated_at = now() WHERE id = %s AND status = 'queued'",
            (attempts, not_before, code, (title or "")[:MAX_TITLE], message_id),
        )


def sent_to_send_again(conn, business_id: int, channel: str, external_id: str) -> dict | None:
    """The business's message the channel accepted as `external_id` and has not reported on
    since, locked for the caller's transaction (None when there is none). A reminder withdrawn
    while its send was at the channel (see `mark_sent`) is not one: it was not to go at all."""
    return conn.execute(
        "SELECT id, customer_id, body, payload, purpose, attempts, expires_at, sent_as"
        " FROM messages WHERE business_id = %s AND channel = %s AND external_id = %s"
        " AND direction = 'out' AND status = 'sent'"
        " AND send_error IS DISTINCT FROM 'withdrawn' FOR UPDATE",
        (business_id, channel, external_id),
    ).fetchone()


def send_again(
    conn,
    message_id: int,
    attempts: int,
    not_before: datetime,
    code: int | None,
    title: str,
    send_error: str | None = None,
) -> None:
    """Queue a message the channel accepted and then failed to deliver for another attempt at
    `not_before`, noting the error (`send_error`: what the failure says of the next attempt,
    e.g. that the window has closed): it gets a new id when it is sent."""
    conn.execute(
        "UPDATE messages SET status = 'queued', external_id = NULL, sent_at = NULL,"
        " sent_as = NULL, attempts = %s, not_before = %s, error_code = %s, error_title = %s,"
        " send_error = %s, updated_at = now() WHERE id = %s",
        (attempts, not_before, code, (title or "")[:MAX_TITLE], send_error, message_id),
    )


def refused_after_sending(conn, message_id: int, reason: str, code: int | None, title: str) -> None:
    """Record that a message the channel accepted then failed will not be sent, and why, as
    `mark_unsent` records a refused one."""
    conn.execute(
        "UPDATE messages SET status = 'failed', send_error = %s, error_code = %s,"
        " error_title = %s, not_before = NULL, updated_at = now()"
        " WHERE id = %s AND status = 'sent'",
        (reason, code, (title or "")[:MAX_TITLE], message_id),
    )


def wait_turn(message_id: int, not_before: datetime) -> None:
    """Keep a message queued until its turn to send comes (the account's pace)."""
    with connection() as conn:
        conn.execute(
            "UPDATE messages SET not_before = %s WHERE id = %s AND status = 'queued'",
            (not_before, message_id),
        )


def apply_status(
    business_id: int,
    channel: str,
    external_id: str,
    status: str,
    code: int | None = None,
    title: str = "",
) -> bool:
    """Move an outbound message's delivery status forward; return whether it changed. Only a
    message of `business_id` (the business whose number or Page the status came on) moves; a
    status that finds none is parked for it until its message's id is recorded."""
    if status == "failed":
        sql = (
            "UPDATE messages SET status = 'failed', error_code = %s, error_title = %s,"
            " updated_at = now() WHERE business_id = %s AND channel = %s AND external_id = %s"
            " AND direction = 'out' AND status IN ('queued', 'sent')"
        )
        params: tuple = (code, (title or "")[:MAX_TITLE], business_id, channel, external_id)
    elif status in STATUS_RANK:
        lower = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
        sql = (
            "UPDATE messages SET status = %s, updated_at = now() WHERE business_id = %s"
            " AND channel = %s AND external_id = %s AND direction = 'out' AND status = ANY(%s)"
        )
        params = (status, business_id, channel, external_id, lower)
    else:
        return False
    with connection() as conn:
        if conn.execute(sql, params).rowcount > 0:
            return True
        _keep_early_status(conn, business_id, channel, external_id, status, code, title)
        # mark_sent may have recorded the id just now, after our update and before our insert
        # (then its backlog read missed us): one more try covers that gap. Each statement
        # commits on its own, so whichever order the two interleave in, the status lands.
        return conn.execute(sql, params).rowcount > 0


def apply_watermark(
    business_id: int, channel: str, recipient: str, status: str, watermark: datetime
) -> int:
    """Move forward every message sent to `recipient` at or before `watermark`; how many.
    The customer keeps their latest delivered and read watermarks, for a send recorded after
    (mark_sent)."""
    if status not in STATUS_RANK:
        return 0
    lower = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    with connection() as conn:
        # Kept first, then applied in a statement of its own, whose snapshot comes after: a
        # send recorded meanwhile (mark_sent holds the customer's row) is then either seen
        # sent here, or read this watermark when it was recorded.
        customer = conn.execute(
            "UPDATE customers SET"
            " delivered_until = CASE WHEN %(status)s = 'delivered'"
            " THEN GREATEST(delivered_until, %(at)s) ELSE delivered_until END,"
            " read_until = CASE WHEN %(status)s = 'read'"
            " THEN GREATEST(read_until, %(at)s) ELSE read_until END"
            " WHERE business_id = %(business)s AND channel = %(channel)s"
            " AND address = %(recipient)s RETURNING id",
            {
                "status": status,
                "at": watermark,
                "business": business_id,
                "channel": channel,
                "recipient": recipient,
            },
        ).fetchone()
        if customer is None:
            return 0
        return conn.execute(
            "UPDATE messages SET status = %s, updated_at = now()"
            " WHERE customer_id = %s AND direction = 'out' AND status = ANY(%s)"
            " AND sent_at <= %s",
            (status, customer["id"], lower, watermark),
        ).rowcount


def _keep_early_status(
    conn,
    business_id: int,
    channel: str,
    external_id: str,
    status: str,
    code: int | None,
    title: str,
) -> None:
    """Park a status whose id no message of its business has yet (mark_sent applies it when
    one does)."""
    conn.execute(
        "INSERT INTO status_backlog"
        " (business_id, channel, external_id, status, error_code, error_title)"
        " SELECT %s, %s, %s, %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM messages"
        " WHERE business_id = %s AND channel = %s AND external_id = %s)"
        " ON CONFLICT DO NOTHING",
        (
            business_id,
            channel,
            external_id,
            status,
            code,
            (title or "")[:MAX_TITLE],
            business_id,
            channel,
            external_id,
        ),
    )
    # Statuses of messages sent by other systems never find their message: forget them.
    conn.execute(FORGET_STATUSES)


def forget_old_statuses() -> int:
    """Forget parked statuses older than 7 days, as each park does, for the retention purge:
    after a quiet week no park comes, and their message ids encode phone numbers; how many."""
    with connection() as conn:
        return conn.execute(FORGET_STATUSES).rowcount
