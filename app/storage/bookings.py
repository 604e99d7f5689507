"""The booking service's SQL: the per-business lock, capacity reads, bookings, holds, moves and
cancels.

Every function runs on the caller's connection (the booking transaction).
"""

from __future__ import annotations

from datetime import datetime

import psycopg

# Separate from the single-key locks used elsewhere (the two-int form is its own key space).
_LOCK_NAMESPACE = 7_240_100

SELECT_APPOINTMENT = """
SELECT a.id, a.business_id, a.customer_id, a.service_id, s.name AS service_name,
       a.starts_at, a.ends_at, a.status, a.calendar_event_id, a.rescheduled_from,
       a.hold_expires_at, a.created_by
  FROM appointments a JOIN services s ON s.id = a.service_id
"""


def lock_business(
    conn: psycopg.Connection, business_id: int, customer_id: int | None = None
) -> None:
    """Serialise every booking change of one business until the transaction ends.

    A change for a customer first takes a key-share lock on the customer's row, which storing
    a message for them (a notice) takes anyway: an erasure locks that row, then this lock, so
    a change that took this lock first and then waited for the row would deadlock with it.
    Taken first, the change waits for the erasure to end, then finds the customer erased."""
    if customer_id is not None:
        conn.execute("SELECT 1 FROM customers WHERE id = %s FOR KEY SHARE", (customer_id,))
    # Folding a huge id onto another business's key only serialises more, never less.
    conn.execute(
        "SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_NAMESPACE, business_id & 0x7FFFFFFF)
    )


def customer_exists(conn: psycopg.Connection, business_id: int, customer_id: int) -> bool:
    """Whether the customer belongs to the business and was not erased (an erasure holds the
    booking lock, so under it this is settled)."""
    row = conn.execute(
        "SELECT 1 FROM customers WHERE id = %s AND business_id = %s AND erased_at IS NULL",
        (customer_id, business_id),
    ).fetchone()
    return row is not None


def service(conn: psycopg.Connection, business_id: int, service_id: int) -> dict | None:
    """A service of the business by id, active or not (a booked one may have been retired)."""
    return conn.execute(
        "SELECT id, name, duration_minutes FROM services WHERE id = %s AND business_id = %s",
        (service_id, business_id),
    ).fetchone()


def owned(
    conn: psycopg.Connection, business_id: int, customer_id: int, appointment_id: int
) -> dict | None:
    """The appointment row if it belongs to this customer of this business, else None."""
    return conn.execute(
        SELECT_APPOINTMENT + " WHERE a.id = %s AND a.business_id = %s AND a.customer_id = %s",
        (appointment_id, business_id, customer_id),
    ).fetchone()


def by_key(conn: psycopg.Connection, business_id: int, key: str) -> dict | None:
    """The booked appointment row with this idempotency key, if any."""
    return conn.execute(
        SELECT_APPOINTMENT
        + " WHERE a.business_id = %s AND a.idempotency_key = %s AND a.status = 'booked'",
        (business_id, key),
    ).fetchone()


def occupying(
    conn: psycopg.Connection,
    business_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    exclude_id: int | None = None,
    holder: int | None = None,
) -> list[dict]:
    """(starts_at, ends_at) of what takes a seat in [start, end): bookings, no-shows and
    unexpired holds.

    A no-show keeps its seat until it ends (SPEC §5 counts every appointment not cancelled;
    its event stays on the staff's calendar). A hold counts only while `hold_expires_at` is
    after `now`, so expiry needs no clean-up; the holds of `holder` (a customer replacing or
    confirming their own) are left out.
    """
    # One OR arm per status, not IN: each arm is read from its own partial index (0001, 0012,
    # 0042); an IN matches none of them and scans every business's appointments.
    return conn.execute(
        "SELECT starts_at, ends_at FROM appointments"
        " WHERE business_id = %(b)s AND starts_at < %(end)s AND ends_at > %(start)s"
        " AND (status = 'booked' OR status = 'no_show'"
        "      OR (status = 'held' AND hold_expires_at > %(now)s"
        "      AND customer_id IS DISTINCT FROM %(holder)s))"
        " AND id IS DISTINCT FROM %(exclude)s",
        {
            "b": business_id,
            "start": start,
            "end": end,
            "now": now,
            "holder": holder,
            "exclude": exclude_id,
        },
    ).fetchall()


def blocked(
    conn: psycopg.Connection, business_id: int, start: datetime, end: datetime
) -> list[dict]:
    """(starts_at, ends_at) of the business's blocked times overlapping [start, end)."""
    return conn.execute(
        "SELECT starts_at, ends_at FROM blocked_times"
        " WHERE business_id = %s AND starts_at < %s AND ends_at > %s",
        (business_id, end, start),
    ).fetchall()


def insert(
    conn: psycopg.Connection,
    *,
    business_id: int,
    customer_id: int,
    service_id: int,
    starts_at: datetime,
    ends_at: datetime,
    key: str,
    turn_id: int | None,
    hold_expires_at: datetime | None = None,
    staff_user: int | None = None,
) -> int:
    """Insert a booked appointment (or a hold, when it has an expiry); return its id.

    `staff_user` is the member of staff who booked it from the console (None: the bot).
    """
    row = conn.execute(
        "INSERT INTO appointments (business_id, customer_id, service_id, starts_at, ends_at,"
        " idempotency_key, turn_id, status, hold_expires_at, created_by, created_by_user)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (
            business_id,
            customer_id,
            service_id,
            starts_at,
            ends_at,
            key,
            turn_id,
            "booked" if hold_expires_at is None else "held",
            hold_expires_at,
            "bot" if staff_user is None else "staff",
            staff_user,
        ),
    ).fetchone()
    return row["id"]


def hold_of(conn: psycopg.Connection, business_id: int, customer_id: int) -> dict | None:
    """The customer's hold row (expired or not), if they have one."""
    return conn.execute(
        SELECT_APPOINTMENT
        + " WHERE a.business_id = %s AND a.customer_id = %s AND a.status = 'held'",
        (business_id, customer_id),
    ).fetchone()


def extend_hold(
    conn: psycopg.Connection, appointment_id: int, expires_at: datetime, turn_id: int | None
) -> None:
    """Give a hold a new expiry, renewed by turn `turn_id` (the one whose reply asks about it)."""
    conn.execute(
        "UPDATE appointments SET hold_expires_at = %s, turn_id = COALESCE(%s, turn_id),"
        " updated_at = now() WHERE id = %s AND status = 'held'",
        (expires_at, turn_id, appointment_id),
    )


def delete_hold(conn: psycopg.Connection, appointment_id: int) -> None:
    """Forget a hold (released, replaced, or its time gone); a booking is never deleted."""
    conn.execute("DELETE FROM appointments WHERE id = %s AND status = 'held'", (appointment_id,))


def confirm_hold(
    conn: psycopg.Connection, appointment_id: int, key: str, turn_id: int | None
) -> None:
    """Turn a hold into a booking (same row, same id)."""
    conn.execute(
        "UPDATE appointments SET status = 'booked', hold_expires_at = NULL,"
        " idempotency_key = %s, turn_id = coalesce(%s, turn_id), updated_at = now()"
        " WHERE id = %s AND status = 'held'",
        (key, turn_id, appointment_id),
    )


def move(
    conn: psycopg.Connection,
    appointment_id: int,
    was: tuple[datetime, datetime],
    to: tuple[datetime, datetime],
    key: str,
    turn_id: int | None,
) -> None:
    """Move a booked appointment (same row, same id) from `was` to `to` (start, end); record it.

    A confirmation was for the old time: the customer confirms the new one afresh.
    """
    conn.execute(
        "INSERT INTO appointment_moves (appointment_id, from_starts_at, from_ends_at,"
        " to_starts_at, to_ends_at, turn_id) VALUES (%s, %s, %s, %s, %s, %s)",
        (appointment_id, *was, *to, turn_id),
    )
    conn.execute(
        "UPDATE appointments SET starts_at = %s, ends_at = %s, idempotency_key = %s,"
        " confirmed_at = NULL, updated_at = now() WHERE id = %s AND status = 'booked'",
        (*to, key, appointment_id),
    )


def last_move_to(conn: psycopg.Connection, appointment_id: int) -> datetime | None:
    """Where the appointment's latest move took it, or None if it was never moved."""
    row = conn.execute(
        "SELECT to_starts_at FROM appointment_moves WHERE appointment_id = %s"
        " ORDER BY id DESC LIMIT 1",
        (appointment_id,),
    ).fetchone()
    return row["to_starts_at"] if row else None


def get(conn: psycopg.Connection, appointment_id: int) -> dict:
    """An appointment row by id (it must exist)."""
    return conn.execute(SELECT_APPOINTMENT + " WHERE a.id = %s", (appointment_id,)).fetchone()


def mark_cancelled(conn: psycopg.Connection, appointment_id: int) -> None:
    """Cancel a booked appointment."""
    conn.execute(
        "UPDATE appointments SET status = 'cancelled', cancelled_at = now(), updated_at = now()"
        " WHERE id = %s AND status = 'booked'",
        (appointment_id,),
    )


def for_customer(
    conn: psycopg.Connection,
    business_id: int,
    customer_id: int,
    ending_after: datetime | None,
    statuses: tuple[str, ...] = ("booked",),
) -> list[dict]:
    """Appointment rows of a customer in `statuses` (booked ones by default), oldest first,
    optionally only those not yet over."""
    return conn.execute(
        SELECT_APPOINTMENT + " WHERE a.business_id = %s AND a.customer_id = %s"
        " AND a.status = ANY(%s) AND (%s::timestamptz IS NULL OR a.ends_at > %s)"
        " ORDER BY a.starts_at, a.id",
        (business_id, customer_id, list(statuses), ending_after, ending_after),
    ).fetchall()


def confirm_attendance(conn: psycopg.Connection, appointment_id: int) -> None:
    """Record that the customer confirmed they will come (the first confirmation counts)."""
    conn.execute(
        "UPDATE appointments SET confirmed_at = coalesce(confirmed_at, now()), updated_at = now()"
        " WHERE id = %s AND status = 'booked'",
        (appointment_id,),
    )


def mark_no_show(conn: psycopg.Connection, appointment_id: int) -> None:
    """Record that the customer of a booked appointment did not come."""
    conn.execute(
        "UPDATE appointments SET status = 'no_show', no_show_at = now(), updated_at = now()"
        " WHERE id = %s AND status = 'booked'",
        (appointment_id,),
    )
