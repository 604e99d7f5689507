"""Customers, messages and turns: the conversation log."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
import psycopg
from psycopg.types.json import Jsonb

from app.storage.db import execute, fetch_all, fetch_one, storable


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


def _compact(statement: str) -> str:
    """A statement as it is sent: without its comments and indentation. psycopg parses a
    statement's placeholders once and caches the result only for statements up to 4 KB
    (`MAX_CACHED_STATEMENT_LENGTH`); a longer one is parsed again on every execution."""
    lines = (line.split("--", 1)[0].strip() for line in statement.splitlines())
    return "\n".join(line for line in lines if line)


# One statement stores deliveries, one or a batch of them: their customers, messages and turn
# jobs commit together, and an external id seen before on the channel touches nothing (Meta
# redelivers for days). The deliveries arrive as one JSON array (`rows`), so a batch costs
# one parameter to send, not twenty per delivery. The job rows are the ones the job queue's
# own `defer` writes, through its versioned SQL function, in one call for the batch; `quiet`
# says, for the rest of the transaction, whether writing them notifies the workers. A customer
# whose job (same task and lock) is queued and has never run gets none: their message joins
# it (the job row is read here for that alone; what the job is, `app.jobs` says).
#
# Written for a batch: a customer with several deliveries is upserted once (the latest
# non-empty name, the latest window opening), customers are locked in (business, channel,
# address) order, a redelivery inside the batch is stored once (its first row; the others
# touch nothing, as a statement each would have found it stored), and the lookups are scalar
# subqueries, so each row probes its index whatever the planner believes of the table's size
# (as an anti-join over the whole table, a generic plan scanned every message). The job ids
# come back in the order the jobs were given: they are drawn from one sequence as the rows
# are inserted.
STORE_INBOUND = _compact("""
WITH g AS (
    -- `ord`: each row's place in the batch (a customer's messages are stored in their order).
    SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) AS g(
        business_id bigint, channel text, given text, profile_name text, external_id text,
        kind text, type text, body text, payload jsonb, choice text, sent_at timestamptz,
        address_hash text, opens_window boolean, status text, request_id text, job jsonb,
        user_id text, user_hash text, dir text, purpose text, ord int)
     -- A batch's lock timeout, for the statement alone (it is its own transaction).
     WHERE (SELECT %(lock_timeout)s::text IS NULL
                   OR set_config('lock_timeout', %(lock_timeout)s, true) IS NOT NULL)
), d AS (
    -- The customer's address: the one already stored for their channel user id (a BSUID) when
    -- there is one, else the first given for it in the batch, else the address given. So a
    -- customer first known by their number stays one customer once they hide it.
    SELECT g.*, CASE WHEN g.user_id IS NULL THEN g.given ELSE COALESCE(
               (SELECT c.address FROM customers c WHERE (c.business_id, c.channel, c.user_id)
                       = (g.business_id, g.channel, g.user_id) LIMIT 1),
               first_value(g.given) OVER (PARTITION BY g.business_id, g.channel, g.user_id
                                          ORDER BY g.ord)) END AS address
      FROM g
), fresh AS (
    -- A redelivery within the batch is the first of its rows: the others touch nothing.
    SELECT DISTINCT ON (d.channel, d.external_id) d.* FROM d
     WHERE (SELECT true FROM messages m
             WHERE (m.channel, m.external_id) = (d.channel, d.external_id) LIMIT 1) IS NULL
       -- A message written before its sender erased their data is an old one redelivered
       -- (known by their address, or by their BSUID when it carries one): a probe of each
       -- tombstone's index (one condition with OR would read every customer of the business).
       AND (SELECT true FROM customers c
             WHERE (c.business_id, c.channel, c.erased_address)
                   = (d.business_id, d.channel, d.address_hash)
               AND c.erased_at >= COALESCE(d.sent_at, now()) LIMIT 1) IS NULL
       AND (d.user_hash IS NULL OR (SELECT true FROM customers c
             WHERE (c.business_id, c.channel, c.erased_user)
                   = (d.business_id, d.channel, d.user_hash)
               AND c.erased_at >= COALESCE(d.sent_at, now()) LIMIT 1) IS NULL)
     ORDER BY d.channel, d.external_id, d.ord
), cust AS (
    INSERT INTO customers (business_id, channel, address, profile_name, last_inbound_at,
                           user_id)
    SELECT business_id, channel, address,
           COALESCE((array_agg(profile_name ORDER BY ord DESC)
                     FILTER (WHERE profile_name <> ''))[1], ''),
           max(CASE WHEN opens_window THEN LEAST(COALESCE(sent_at, now()), now()) END),
           max(user_id)
      FROM fresh
     GROUP BY business_id, channel, address
     ORDER BY business_id, channel, address
    ON CONFLICT (business_id, channel, address) DO UPDATE SET last_seen_at = now(),
        user_id = COALESCE(EXCLUDED.user_id, customers.user_id),
        profile_name = CASE WHEN EXCLUDED.profile_name <> '' THEN EXCLUDED.profile_name
                            ELSE customers.profile_name END,
        last_inbound_at = GREATEST(customers.last_inbound_at, EXCLUDED.last_inbound_at)
    -- `added`: inserted, not found (an updated row's xmax is the updating transaction).
    RETURNING id, business_id, channel, address, xmax = 0 AS added
), msg AS (
    -- `dir`: the direction, 'out' for a person's answer on the channel itself (a staff reply,
    -- already sent, see `Delivery.from_business`).
    INSERT INTO messages (business_id, customer_id, channel, direction, kind, type, body,
                          payload, choice, external_id, status, request_id, purpose)
    SELECT f.business_id, cust.id, f.channel, f.dir, f.kind, f.type, f.body, f.payload,
           f.choice, f.external_id, f.status, f.request_id, f.purpose
      FROM fresh f JOIN cust USING (business_id, channel, address)
     -- A new customer's sender may have been erased after this statement's snapshot, while
     -- it waited for their row (migrations/0039): read the tombstones again.
     WHERE NOT cust.added OR inbound_sender_unerased(to_jsonb(f))
     ORDER BY f.ord
    ON CONFLICT (channel, external_id) DO NOTHING
    RETURNING id, customer_id, channel, external_id
), queued AS (
    SELECT msg.id, msg.customer_id, f.job, (f.job->>'lock_prefix') || msg.customer_id AS lock
      FROM msg JOIN fresh f USING (channel, external_id)
     WHERE f.job IS NOT NULL
), waiting AS (
    -- A customer's turn queued and never started answers every message of theirs it finds
    -- when it starts: their new messages join it. The share lock keeps a worker from starting
    -- it (the queue's fetch skips locked jobs) until these messages are committed. A turn a
    -- worker has started is `doing`, or `todo` again with attempts > 0 (a retry, or a stalled
    -- job handed to another worker, while the first may still finish and delete it): a new
    -- one is queued behind it, with retries of its own.
    SELECT j.lock, j.id FROM (SELECT DISTINCT lock, job->>'task' AS task FROM queued) q,
           LATERAL (SELECT j.lock, j.id FROM procrastinate_jobs j
                     -- 'todo' said as `<= 'todo'` (the first status) so that only the index
                     -- made for this lookup can serve it, probed by lock: in a generic plan
                     -- made over an empty queue, procrastinate's indexes of queued jobs could
                     -- look as cheap to read whole (migrations/0032, tests/test_store_inbound).
                     WHERE j.lock = q.lock AND j.status <= 'todo' AND j.attempts = 0
                       AND j.task_name = q.task
                       FOR SHARE OF j) j
), new AS (
    -- Each other customer's first message of the batch queues their turn.
    SELECT DISTINCT ON (q.lock) q.* FROM queued q
     WHERE NOT EXISTS (SELECT FROM waiting w WHERE w.lock = q.lock)
     ORDER BY q.lock, q.id
), job AS (
    SELECT ARRAY(SELECT unnest(procrastinate_defer_jobs_v1(array_agg(ROW(
               n.job->>'queue', n.job->>'task', (n.job->>'priority')::integer, n.lock, NULL,
               (n.job->'args') || jsonb_build_object('customer_id', n.customer_id), NULL
           )::procrastinate_job_to_defer_v1 ORDER BY n.id))) ORDER BY 1) AS ids,
           array_agg(n.lock ORDER BY n.id) AS locks
      FROM new n, (SELECT set_config('app.defer_quietly', %(quiet)s, true)) AS quiet
    HAVING count(*) > 0
)
-- msg.*: id, customer_id, channel, external_id (the statement must stay under 4 KB).
SELECT msg.*,
       COALESCE(job.ids[array_position(job.locks, q.lock)],
                (SELECT min(w.id) FROM waiting w WHERE w.lock = q.lock)) AS job_id,
       job.ids[array_position(job.locks, q.lock)] IS NOT NULL AS new_job
  FROM msg LEFT JOIN queued q ON q.id = msg.id LEFT JOIN job ON true
""")


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
    # The channel's second id of the sender (a WhatsApp BSUID, see channels.base.Inbound), and
    # its privacy.address_hash: an erased sender known by it is recognised by it.
    user_id: str = ""
    user_hash: str = ""
    # Written by a person at the business on the channel itself (see channels.base.Inbound):
    # stored as their outbound staff reply, already sent, and its job (`Inbound.turn_job`)
    # is the one that pauses the bot.
    from_business: bool = False


@dataclass(frozen=True)
class Inbound:
    """A delivery to store for a business, with the turn job to queue if it needs an answer."""

    business_id: int
    delivery: Delivery
    request_id: str | None = None
    turn_job: CustomerJob | None = None  # the job to queue with it (a turn, or a pause)
    request_size: int = 0  # bytes of the request that carried it: sizes its JSON (`_dumps`)

    @property
    def job(self) -> CustomerJob | None:
        """The job to queue with it: its turn job, if it needs an answer; the pause of a
        person's answer on the channel."""
        needs_job = self.delivery.needs_turn or self.delivery.from_business
        return self.turn_job if needs_job else None

    def row(self, ord: int = 0) -> dict:
        """The delivery as one element of STORE_INBOUND's `rows`, `ord`th in its batch."""
        d, job = self.delivery, self.job
        return {
            "ord": ord,
            "business_id": self.business_id,
            "channel": d.channel,
            "given": d.address,
            "profile_name": d.profile_name,
            "external_id": d.external_id,
            "kind": d.kind,
            "type": d.type,
            "body": d.body,
            "payload": d.payload,
            "choice": d.choice[:MAX_CHOICE] or None,
            "sent_at": d.sent_at.isoformat() if d.sent_at else None,
            "address_hash": d.address_hash or None,
            "user_id": d.user_id or None,
            "user_hash": d.user_hash or None,
            "opens_window": d.opens_window,
            "status": "sent" if d.from_business else "received" if d.needs_turn else "ignored",
            "dir": "out" if d.from_business else "in",
            "purpose": "staff" if d.from_business else "reply",
            "request_id": self.request_id,
            "job": job
            and {
                "queue": job.queue,
                "task": job.task_name,
                "priority": job.priority,
                "lock_prefix": job.lock_prefix,
                "args": job.args,
            },
        }


def store_inbound(
    conn,
    business_id: int,
    delivery: Delivery,
    request_id: str | None = None,
    turn_job: CustomerJob | None = None,
) -> dict | None:
    """Store a delivery once and, when it needs an answer and `turn_job` is given, queue it
    (or let it join the customer's turn queued and never run).

    Without `turn_job` a message that needs an answer is stored unanswered and no job is
    queued (the caller runs the turn itself).
    Returns {id, customer_id, job_ids, new_job} for a new message, None for a duplicate;
    `job_ids` holds the turn that will answer it, `new_job` whether this call queued that turn
    (else the message joined it, and the workers were woken for it when it was queued).
    """
    (receive,) = send_inbound(conn, [[Inbound(business_id, delivery, request_id, turn_job)]])
    return receive()[0]


def send_inbound(
    conn, groups: Sequence[Sequence[Inbound]], lock_timeout: str | None = None
) -> list[Callable[[], list]]:
    """Store groups of deliveries in one statement, for a pipeline or a group commit: send it
    now and return, for each group, the function that reads its results once it has run: for
    each delivery {id, customer_id, job_ids, new_job}, or None for a duplicate (one seen
    before, or an earlier one of this call). A customer gets one turn job: the one queued and
    never run when there is one, else a new one for their first message of the call
    (`new_job`). `lock_timeout`, when given, is the statement's own (SET LOCAL's): sent
    autocommitted, a batch waits at most that long for a row lock."""
    writes = [write for group in groups for write in group]
    cursor = conn.execute(
        STORE_INBOUND,
        {
            "rows": Jsonb(
                [write.row(ord) for ord, write in enumerate(writes, 1)], dumps=_dumps(writes)
            ),
            "quiet": "on" if _all_quiet(writes) else "off",
            "lock_timeout": lock_timeout,
        },
    )
    results: list = []

    def read() -> list:
        if not results:
            stored = {(r["channel"], r["external_id"]): r for r in cursor.fetchall()}
            for write in writes:
                row = stored.pop((write.delivery.channel, write.delivery.external_id), None)
                results.append(
                    row
                    and {
                        "id": row["id"],
                        "customer_id": row["customer_id"],
                        "job_ids": row["job_id"] and [row["job_id"]],
                        "new_job": row["new_job"],
                    }
                )
        return results

    def receiver(start: int, end: int) -> Callable[[], list]:
        return lambda: read()[start:end]

    receivers, start = [], 0
    for group in groups:
        receivers.append(receiver(start, start + len(group)))
        start += len(group)
    return receivers


# Up to this many bytes of requests in a batch, orjson writes its rows (each request counted
# once per delivery it carries).
FAST_JSON_BYTES = 256 * 1024


def _dumps(writes: Sequence[Inbound]) -> Callable[[list], bytes | str]:
    """What writes the rows of `writes` as JSON. orjson takes a tenth of json.dumps's time (the
    envelope's payload is most of the parameter), but its buffer peaks at five times its
    output: a batch with a large request (a body near MAX_CONTENT_LENGTH) is written by
    json.dumps, as is what orjson refuses (an integer beyond 64 bits, which a payload may
    carry)."""
    if sum(write.request_size for write in writes) > FAST_JSON_BYTES:
        return json.dumps

    def fast(rows: list) -> bytes | str:
        try:
            return orjson.dumps(rows)
        except TypeError:  # orjson.JSONEncodeError is one
            return json.dumps(rows)

    return fast


def _all_quiet(writes: Sequence[Inbound]) -> bool:
    """Whether the statement writes jobs and none of them asks to wake the workers (one that
    does wakes them for all). With no job it leaves the transaction's setting alone."""
    jobs = [w.job for w in writes if w.job]
    return bool(jobs) and not any(job.notify for job in jobs)


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
        "UPDATE customers SET profile_name = %s WHERE id = %s AND profile_name = ''"
        " AND erased_at IS NULL",
        (name, customer_id),
    )


def change_identity(
    business_id: int,
    channel: str,
    notice_id: str,
    old: str,
    new: str,
    old_user: str = "",
    new_user: str = "",
) -> int | None:
    """Move a customer to the address and second id their channel's notice `notice_id`
    reported as new (a changed phone number, a changed WhatsApp BSUID).

    The customer is the one known by `old_user`, else the one at the address `old` (unless
    that one is known by another id: someone else, or a notice overtaken by a later one). Their
    address becomes `new` if it was `old` or `old_user` (an id the change makes dead); their id
    becomes `new_user` if given (unless theirs is already another than `old_user`). Returns the
    id of the customer moved; None when there was none, when the notice was seen before (Meta
    redelivers: the customer may have moved on since, or their old number been given to
    someone else), or when the new address or id belongs to another customer (the two are not
    merged)."""
    try:
        row = fetch_one(
            "UPDATE customers t SET"
            " address = CASE WHEN t.address IN (%(old)s, %(old_user)s) THEN %(new)s"
            " ELSE t.address END,"
            " user_id = CASE WHEN %(new_user)s::text IS NULL THEN t.user_id"
            " WHEN %(old_user)s::text IS NULL OR t.user_id IS NULL OR t.user_id = %(old_user)s"
            " THEN %(new_user)s ELSE t.user_id END"
            " WHERE t.id = COALESCE("
            "  (SELECT c.id FROM customers c WHERE (c.business_id, c.channel, c.user_id)"
            "   = (%(business)s, %(channel)s, %(old_user)s) AND c.erased_at IS NULL),"
            "  (SELECT c.id FROM customers c WHERE (c.business_id, c.channel, c.address)"
            "   = (%(business)s, %(channel)s, %(old)s) AND c.erased_at IS NULL"
            "   AND (%(old_user)s::text IS NULL OR c.user_id IS NULL"
            "        OR c.user_id = %(old_user)s)))"
            " AND NOT EXISTS (SELECT FROM messages m"
            "  WHERE (m.channel, m.external_id) = (%(channel)s, %(notice)s))"
            " AND NOT EXISTS (SELECT FROM customers c WHERE (c.business_id, c.channel, c.address)"
            "  = (%(business)s, %(channel)s, %(new)s) AND c.id <> t.id)"
            " AND NOT EXISTS (SELECT FROM customers c WHERE (c.business_id, c.channel, c.user_id)"
            "  = (%(business)s, %(channel)s, %(new_user)s) AND c.id <> t.id)"
            " RETURNING t.id",
            {
                "business": business_id,
                "channel": channel,
                "notice": notice_id,
                "old": old,
                "new": new,
                "old_user": old_user or None,
                "new_user": new_user or None,
            },
        )
    except psycopg.errors.UniqueViolation:  # the new address's customer came meanwhile
        return None
    return row and row["id"]


def set_language(customer_id: int, language: str) -> None:
    """Keep the language the customer last wrote in ("en" or "es")."""
    execute(
        "UPDATE customers SET language = %s WHERE id = %s AND language IS DISTINCT FROM %s"
        " AND erased_at IS NULL",
        (language, customer_id, language),
    )


def set_bot_paused(conn, business_id: int, customer_id: int, paused: bool) -> None:
    """Stop (or let) the bot answer a customer of the business: until someone resumes it, so
    the quiet time a staff reply set no longer resumes it."""
    conn.execute(
        "UPDATE customers SET bot_paused = %s, paused_until = NULL"
        " WHERE id = %s AND business_id = %s",
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
    """Delete a customer's messages, turns and what the booking flow remembered of them, and
    forget the language they wrote in and any handoff (the customer row stays, the bot answers)."""
    conn.execute("DELETE FROM messages WHERE customer_id = %s", (customer_id,))
    conn.execute("DELETE FROM turns WHERE customer_id = %s", (customer_id,))
    conn.execute("DELETE FROM conversation_state WHERE customer_id = %s", (customer_id,))
    conn.execute(
        "UPDATE customers SET language = NULL, bot_paused = false, needs_attention = false,"
        " handoff_reason = NULL, handoff_summary = NULL, handoff_at = NULL, paused_until = NULL"
        " WHERE id = %s",
        (customer_id,),
    )


def pending_inbound(customer_id: int) -> list[dict]:
    """Inbound messages of a customer not yet answered, oldest first."""
    return fetch_all(
        "SELECT * FROM messages WHERE customer_id = %s AND direction = 'in'"
        " AND status = 'received' ORDER BY id",
        (customer_id,),
    )


def history(customer_id: int, limit: int) -> list[dict]:
    """The last `limit` answered messages of a customer (both directions), oldest first, but
    what never reached them (an outbound message that failed: a staff reply refused outside
    the window, a send Meta rejected); `extras` holds an outbound message's buttons, list or
    quick replies (None for the rest), `staff` the name of the staff member who wrote it (None
    for the bot's and the customer's)."""
    rows = fetch_all(
        "SELECT m.id, m.direction, m.type, m.body, m.created_at,"
        " CASE WHEN m.direction = 'out' THEN m.payload END AS extras,"
        " CASE WHEN m.purpose = 'staff' THEN COALESCE(NULLIF(u.name, ''), u.email, '') END"
        " AS staff FROM messages m LEFT JOIN users u ON u.id = m.sent_by"
        " WHERE m.customer_id = %s AND m.status NOT IN ('received', 'ignored')"
        " AND NOT (m.direction = 'out' AND m.status = 'failed')"
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
    """Close a turn with its outcome and tool calls; those of a customer erased while it ran
    are not kept (the erasure emptied their turns: its arguments quote them)."""
    # What a model or a tool wrote may hold a NUL or a lone surrogate, which jsonb and text
    # refuse: the turn would fail, and its job run (and call the model) again, for ever.
    conn.execute(
        "UPDATE turns t SET status = %s, finished_at = now(),"
        " tool_calls = CASE WHEN c.erased_at IS NULL THEN %s ELSE '[]' END,"
        " error = CASE WHEN c.erased_at IS NULL THEN %s END"
        " FROM customers c WHERE c.id = t.customer_id AND t.id = %s",
        (status, Jsonb(storable(tool_calls)), storable(error), turn_id),
    )


def mark_inbound(conn, message_ids: list[int], status: str, turn_id: int | None) -> int:
    """Set the status (processed/failed/ignored) of answered inbound messages; return how many
    were still unanswered (and are now marked)."""
    return conn.execute(
        "UPDATE messages SET status = %s, turn_id = %s, updated_at = now()"
        " WHERE id = ANY(%s) AND status = 'received'",
        (status, turn_id, message_ids),
    ).rowcount
