"""Send pacing per channel account, shared by every worker process (one row per account).

`take` is one statement on the account's row, so concurrent senders in any number of processes
are serialised by PostgreSQL's row lock: each one gets its own slot, 1/rate seconds apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.storage.db import connection, pool

# Take the next slot when it is at most `max_wait` away (`granted`); otherwise leave the slots
# to senders that can use them now and hand out a later turn, so a waiting sender can step
# aside (its job runs again at that turn) instead of holding a worker.
TAKE_SQL = """
WITH cur AS (
    SELECT next_at, queued_until, clock_timestamp() AS t FROM send_pacing
     WHERE channel = %(channel)s AND account_id = %(account)s FOR UPDATE
), pick AS (
    SELECT greatest(next_at, t) AS slot, greatest(queued_until, next_at, t) AS turn, t,
           greatest(next_at, t) <= t + %(max_wait)s * interval '1 second' AS granted
      FROM cur
)
UPDATE send_pacing p SET
       next_at = CASE WHEN pick.granted THEN pick.slot + %(gap)s * interval '1 second'
                      ELSE p.next_at END,
       queued_until = CASE WHEN pick.granted THEN p.queued_until
                           ELSE pick.turn + %(gap)s * interval '1 second' END
  FROM pick
 WHERE p.channel = %(channel)s AND p.account_id = %(account)s
RETURNING pick.granted,
          extract(epoch FROM (CASE WHEN pick.granted THEN pick.slot ELSE pick.turn END)
                             - pick.t)::float8 AS wait
"""


# Put `span` seconds of sends at the end of the account's line; how long until their turn.
LINE_UP_SQL = """
INSERT INTO send_pacing AS p (channel, account_id, next_at, queued_until)
VALUES (%(channel)s, %(account)s, clock_timestamp(),
        clock_timestamp() + %(span)s * interval '1 second')
ON CONFLICT (channel, account_id) DO UPDATE
   SET queued_until = greatest(p.queued_until, p.next_at, clock_timestamp())
                      + %(span)s * interval '1 second'
RETURNING extract(epoch FROM p.queued_until - clock_timestamp())::float8 - %(span)s AS wait
"""


@dataclass(frozen=True)
class Slot:
    """A send's place in its account's pace: go after `wait` seconds, or step aside for it."""

    granted: bool
    wait: float


def take(channel: str, account_id: str, gap: float, max_wait: float) -> Slot:
    """Take the account's next send slot (`gap` = 1/rate seconds) if it is near enough."""
    params = {"channel": channel, "account": account_id, "gap": gap, "max_wait": max_wait}
    with connection() as conn:
        row = conn.execute(TAKE_SQL, params).fetchone()
        if row is None:  # the account's first send: create its row, then take
            conn.execute(
                "INSERT INTO send_pacing (channel, account_id, next_at, queued_until)"
                " VALUES (%s, %s, clock_timestamp(), clock_timestamp()) ON CONFLICT DO NOTHING",
                (channel, account_id),
            )
            row = conn.execute(TAKE_SQL, params).fetchone()
    return Slot(row["granted"], max(row["wait"], 0.0))


def line_up(channel: str, account_id: str, span: float) -> float:
    """Seconds until sends taking `span` seconds of the account's pace may start (0 when idle).

    Runs on a connection of its own, outside the caller's transaction, so no transaction holds
    the account's row: a rolled-back caller leaves only a short gap in the line.
    """
    with pool().connection() as conn:
        row = conn.execute(
            LINE_UP_SQL, {"channel": channel, "account": account_id, "span": span}
        ).fetchone()
    return max(row["wait"], 0.0)


def pause(channel: str, account_id: str, seconds: float) -> None:
    """Send nothing more on the account for `seconds` (the channel said: too fast)."""
    with connection() as conn:
        conn.execute(
            "UPDATE send_pacing SET"
            " next_at = greatest(next_at, clock_timestamp() + %(s)s * interval '1 second'),"
            " queued_until = greatest(queued_until,"
            "                         clock_timestamp() + %(s)s * interval '1 second')"
            " WHERE channel = %(channel)s AND account_id = %(account)s",
            {"s": seconds, "channel": channel, "account": account_id},
        )
