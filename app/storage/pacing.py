"""Send pacing per channel account, shared by every worker process (one row per account).

`take` is one statement on the account's row, so concurrent senders in any number of processes
are serialised by PostgreSQL's row lock: each one gets its own slot, 1/rate seconds apart.

Slots spread sends evenly, but a sender can reach its slot late (descheduled on a busy machine,
a slow connection) and arrive at the channel together with the senders of the next slots. So
right before sending, `begin` checks the last second as the channel counts it: a send may start
only while fewer than `rate` sends are under way or were answered within the `window`. Every
send that could arrive in the same second as this one is either still under way or was answered
after that second began, so no second at the channel holds more than `rate` arrivals, however
late a sender wakes. `end` records the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
RETURNING extract(epoch FROM p.queued_until - clock_timestamp())::float8 - %(span)s AS wait,
          p.queued_until - %(span)s * interval '1 second' AS start_at
"""


# A send may start when fewer than `rate` sends are under way or were answered within the last
# `window` seconds; otherwise `wait` says when the oldest of those leaves the window. A send under
# way for longer than `stale` seconds (its sender died) no longer counts.
BEGIN_SQL = """
WITH cur AS (
    SELECT in_flight, ended, clock_timestamp() AS t FROM send_pacing
     WHERE channel = %(channel)s AND account_id = %(account)s FOR UPDATE
), live AS (
    SELECT t,
           ARRAY(SELECT e FROM unnest(ended) AS e
                  WHERE e > t - %(window)s * interval '1 second' ORDER BY e) AS ended,
           ARRAY(SELECT s FROM unnest(in_flight) AS s
                  WHERE s > t - %(stale)s * interval '1 second' ORDER BY s) AS in_flight
      FROM cur
), pick AS (
    SELECT live.*, cardinality(ended) + cardinality(in_flight) < %(rate)s AS granted FROM live
)
UPDATE send_pacing p SET
       ended = pick.ended,
       in_flight = CASE WHEN pick.granted THEN pick.in_flight || pick.t ELSE pick.in_flight END
  FROM pick
 WHERE p.channel = %(channel)s AND p.account_id = %(account)s
RETURNING pick.granted, pick.t AS started,
          CASE WHEN pick.granted THEN 0.0
               WHEN cardinality(pick.ended) > 0
               THEN extract(epoch FROM pick.ended[1] - pick.t)::float8 + %(window)s
               ELSE %(poll)s END AS wait
"""

END_SQL = """
UPDATE send_pacing SET in_flight = array_remove(in_flight, %(started)s),
                       ended = ended || clock_timestamp()
 WHERE channel = %(channel)s AND account_id = %(account)s
"""


@dataclass(frozen=True)
class Slot:
    """A send's place in its account's pace: go after `wait` seconds, or step aside for it."""

    granted: bool
    wait: float


@dataclass(frozen=True)
class Start:
    """A send started at `started` (pass it to `end`), or None: try again after `wait` s."""

    started: datetime | None
    wait: float


def take(channel: str, account_id: str, gap: float, max_wait: float) -> Slot:
    """Take the account's next send slot (`gap` = 1/rate seconds) if it is near enough."""
    params = {"channel": channel, "account": account_id, "gap": gap, "max_wait": max_wait}
    row = _on_row(TAKE_SQL, params)
    return Slot(row["granted"], max(row["wait"], 0.0))


def _on_row(sql: str, params: dict) -> dict:
    """Run a statement on the account's row, creating the row first if it has none yet."""
    with connection() as conn:
        row = conn.execute(sql, params).fetchone()
        if row is None:  # the account's first send: create its row, then run it
            conn.execute(
                "INSERT INTO send_pacing (channel, account_id, next_at, queued_until)"
                " VALUES (%s, %s, clock_timestamp(), clock_timestamp()) ON CONFLICT DO NOTHING",
                (params["channel"], params["account"]),
            )
            row = conn.execute(sql, params).fetchone()
    return row


def begin(channel: str, account_id: str, rate: int, window: float, stale: float = 60.0) -> Start:
    """Start a send on the account if fewer than `rate` are under way or were answered within
    the last `window` seconds; otherwise say how long until one leaves the window."""
    params = {
        "channel": channel,
        "account": account_id,
        "rate": rate,
        "window": window,
        "stale": stale,
        "poll": window / max(rate, 1),
    }
    row = _on_row(BEGIN_SQL, params)
    return Start(row["started"] if row["granted"] else None, max(row["wait"], 0.0))


def end(channel: str, account_id: str, started: datetime) -> None:
    """The send that `begin` started has been answered (or has failed)."""
    with connection() as conn:
        conn.execute(END_SQL, {"channel": channel, "account": account_id, "started": started})


@dataclass(frozen=True)
class Turn:
    """Sends lined up on an account: they may start `wait` seconds from now, at `start_at`."""

    wait: float
    start_at: datetime


def line_up(channel: str, account_id: str, span: float) -> Turn:
    """When sends taking `span` seconds of the account's pace may start (now when idle).

    Runs on a connection of its own, outside the caller's transaction, so no transaction holds
    the account's row: a rolled-back caller leaves only a short gap in the line.
    """
    with pool().connection() as conn:
        row = conn.execute(
            LINE_UP_SQL, {"channel": channel, "account": account_id, "span": span}
        ).fetchone()
    return Turn(max(row["wait"], 0.0), row["start_at"])


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
