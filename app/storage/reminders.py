"""Reminder rows (one per appointment and offset), opt-outs and what the console shows of them."""

from __future__ import annotations

from datetime import datetime

from app.storage.db import connection, fetch_all, fetch_one

# What a firing reminder needs, read in one statement once the reminder is locked (`for_firing`):
# the reminder, its appointment (as it is now), the customer and the business.
FIRE_SQL = """
SELECT r.appointment_id, r.offset_minutes, r.due_at, r.state,
       a.business_id, a.customer_id, a.starts_at, a.status, a.reminders_off AS appointment_off,
       s.name AS service_name, c.channel, c.sandbox, c.profile_name, c.opted_out,
       c.reminders_off AS customer_off
  FROM appointment_reminders r
  JOIN appointments a ON a.id = r.appointment_id
  JOIN services s ON s.id = a.service_id
  JOIN customers c ON c.id = a.customer_id
 WHERE r.appointment_id = %s AND r.offset_minutes = %s
"""

# A reminder's status as the console shows it: its own state until its message exists, then
# the message's delivery status; `confirmed` once the customer confirmed after it went. One
# waiting for its time shows `off` while reminders are off for its business (or it is
# deactivated), appointment or customer (what it records if it fires so; `pending` again once
# they are back on).
STATUS_SQL = """
SELECT r.appointment_id, r.offset_minutes, r.due_at,
       CASE WHEN r.state = 'pending' AND (NOT b.reminders_enabled OR NOT b.active
                 OR a.reminders_off OR c.reminders_off OR c.opted_out) THEN 'off'
            WHEN r.state <> 'queued' THEN r.state
            WHEN m.id IS NULL THEN 'sent'
            WHEN m.status = 'failed' THEN 'failed'
            WHEN a.confirmed_at IS NOT NULL AND a.confirmed_at >= r.fired_at THEN 'confirmed'
            ELSE m.status END AS status,
       m.error_code, m.send_error, m.sent_as
  FROM appointment_reminders r
  JOIN appointments a ON a.id = r.appointment_id
  JOIN customers c ON c.id = a.customer_id
  JOIN businesses b ON b.id = a.business_id
  LEFT JOIN messages m ON m.id = r.message_id
 WHERE r.appointment_id = ANY(%s)
 ORDER BY r.appointment_id, r.offset_minutes DESC
"""


def put(conn, appointment_id: int, offset: int, due_at: datetime, state: str) -> None:
    """Set an offset's reminder to a new due time and state (a new plan: nothing sent yet)."""
    conn.execute(
        "INSERT INTO appointment_reminders (appointment_id, offset_minutes, due_at, state)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (appointment_id, offset_minutes) DO UPDATE"
        " SET due_at = EXCLUDED.due_at, state = EXCLUDED.state, message_id = NULL,"
        " fired_at = NULL, updated_at = now()",
        (appointment_id, offset, due_at, state),
    )


def set_state(conn, appointment_id: int, offset: int, state: str) -> None:
    """Record what became of a reminder that had not gone yet."""
    conn.execute(
        "UPDATE appointment_reminders SET state = %s, updated_at = now()"
        " WHERE appointment_id = %s AND offset_minutes = %s AND state = 'pending'",
        (state, appointment_id, offset),
    )


# Reminder messages still waiting in the outbox (a retry, the number's pace), of the
# appointments the `{}` condition picks, are not to be sent: `failed`, send_error `withdrawn`.
_WITHDRAW = (
    "UPDATE messages SET status = 'failed', send_error = 'withdrawn', error_title = %s,"
    " not_before = NULL, updated_at = now()"
    " WHERE id IN (SELECT r.message_id FROM appointment_reminders r"
    " JOIN appointments a ON a.id = r.appointment_id WHERE {} AND r.message_id IS NOT NULL)"
    " AND status = 'queued' AND external_id IS NULL"
)
# The same appointments' reminders a job may be firing right now (still `pending`), locked in
# one order (by appointment and offset) whoever takes them. A firing job holds its row until it
# commits, so a change waits here and its withdrawal then finds the message that job queued; a
# job that comes after waits for the change to commit and reads it (`for_firing`). Without this
# a withdrawal running before the firing transaction commits finds nothing, and the reminder
# goes for a time the appointment no longer has.
_LOCK_PENDING = (
    "SELECT 1 FROM appointment_reminders r JOIN appointments a ON a.id = r.appointment_id"
    " WHERE {} AND r.state = 'pending' ORDER BY r.appointment_id, r.offset_minutes"
    " FOR UPDATE OF r"
)


def _withdraw(conn, condition: str, params: tuple, title: str) -> int:
    """Wait for the reminders of `condition` being fired, keep those that have not fired from
    firing until commit, and withdraw their messages waiting in the outbox; how many."""
    conn.execute(_LOCK_PENDING.format(condition), params)
    return conn.execute(_WITHDRAW.format(condition), (title, *params)).rowcount


def withdraw_queued(conn, appointment_id: int, title: str) -> int:
    """Withdraw the appointment's reminder messages waiting in the outbox (`_WITHDRAW`), in
    the caller's transaction; how many. The caller has changed the appointment (or holds its
    row) before: the appointment's row, then its reminders, is the order every change takes."""
    return _withdraw(conn, "a.id = %s", (appointment_id,), title)


def withdraw_customer_queued(conn, business_id: int, customer_id: int, title: str) -> int:
    """`withdraw_queued` for every appointment of a customer (their reminders were turned off),
    in the caller's transaction, after the customer's row was changed."""
    return _withdraw(
        conn, "a.customer_id = %s AND a.business_id = %s", (customer_id, business_id), title
    )


def withdraw_business_queued(conn, business_id: int, title: str) -> int:
    """`withdraw_queued` for every appointment of a business (its reminders were turned off),
    in the caller's transaction, under the business's booking lock: an erasure cancels a
    customer's appointments one by one under that lock, in no particular order of their rows."""
    return _withdraw(conn, "a.business_id = %s", (business_id,), title)


def pending_offsets(conn, appointment_id: int) -> list[int]:
    """Offsets of the appointment's reminders still waiting for their time."""
    rows = conn.execute(
        "SELECT offset_minutes FROM appointment_reminders"
        " WHERE appointment_id = %s AND state = 'pending' ORDER BY offset_minutes DESC",
        (appointment_id,),
    ).fetchall()
    return [r["offset_minutes"] for r in rows]


def for_firing(conn, appointment_id: int, offset: int) -> dict | None:
    """The reminder with its appointment, customer and business facts, locked until commit.

    The locks first, then the read: a statement that waited for a row lock returns the row's
    new version joined with the other tables' rows as they were when it began, so a reminder
    whose cancel or move committed meanwhile would be read beside the old appointment. The
    customer's row comes first (a key-share lock, which storing the reminder's message takes
    anyway), then the reminder's: the order of an erasure, which locks the customer's row and
    then cancels their appointments. Taken the other way round, the reminder's message would
    wait for the erasure's customer row while the erasure waits for the reminder's row.
    """
    conn.execute(
        "SELECT 1 FROM customers WHERE id = (SELECT customer_id FROM appointments WHERE id = %s)"
        " FOR KEY SHARE",
        (appointment_id,),
    )
    locked = conn.execute(
        "SELECT 1 FROM appointment_reminders WHERE appointment_id = %s AND offset_minutes = %s"
        " FOR UPDATE",
        (appointment_id, offset),
    ).fetchone()
    return None if locked is None else conn.execute(FIRE_SQL, (appointment_id, offset)).fetchone()


def mark_fired(conn, appointment_id: int, offset: int, state: str, message_id: int | None) -> None:
    """Record that a reminder went to the outbox (`queued`) or why it did not."""
    conn.execute(
        "UPDATE appointment_reminders SET state = %s, message_id = %s, fired_at = now(),"
        " updated_at = now() WHERE appointment_id = %s AND offset_minutes = %s",
        (state, message_id, appointment_id, offset),
    )


def mark_failed(conn, appointment_id: int, offset: int, due_at: datetime) -> bool:
    """Record that a reminder's job gave up (`failed`); whether it did. Only a reminder still
    pending for `due_at`, the time the job was queued for: one a move planned again since has a
    job of its own."""
    return (
        conn.execute(
            "UPDATE appointment_reminders SET state = 'failed', fired_at = now(),"
            " updated_at = now() WHERE appointment_id = %s AND offset_minutes = %s"
            " AND state = 'pending' AND due_at = %s",
            (appointment_id, offset, due_at),
        ).rowcount
        > 0
    )


def statuses(appointment_id: int) -> list[dict]:
    """Each reminder of an appointment: offset, due time, status and Meta's code if it failed."""
    return statuses_for([appointment_id])[appointment_id]


def statuses_for(appointment_ids: list[int]) -> dict[int, list[dict]]:
    """`statuses` of many appointments at once, by appointment id."""
    rows = fetch_all(STATUS_SQL, (list(appointment_ids),))
    found: dict[int, list[dict]] = {i: [] for i in appointment_ids}
    for row in rows:
        found[row.pop("appointment_id")].append(row)
    return found


def appointment(business_id: int, appointment_id: int) -> dict | None:
    """One appointment of the business as the console shows it beside its reminders."""
    return fetch_one(
        "SELECT a.id, a.customer_id, c.profile_name AS customer_name, c.channel,"
        " s.name AS service_name, a.starts_at, a.ends_at, a.status, a.confirmed_at,"
        " a.reminders_off, c.reminders_off AS customer_reminders_off"
        " FROM appointments a JOIN services s ON s.id = a.service_id"
        " JOIN customers c ON c.id = a.customer_id"
        " WHERE a.id = %s AND a.business_id = %s AND a.status <> 'held'",
        (appointment_id, business_id),
    )


def set_customer_off(conn, business_id: int, customer_id: int, off: bool) -> bool:
    """Turn a customer's reminders off (or on again), in the caller's transaction; whether the
    customer exists."""
    return (
        conn.execute(
            "UPDATE customers SET reminders_off = %s WHERE id = %s AND business_id = %s",
            (off, customer_id, business_id),
        ).rowcount
        > 0
    )


def set_appointment_off(conn, business_id: int, appointment_id: int, off: bool) -> bool:
    """Turn one appointment's reminders off (or on again), in the caller's transaction; whether
    the appointment exists."""
    return (
        conn.execute(
            "UPDATE appointments SET reminders_off = %s, updated_at = now()"
            " WHERE id = %s AND business_id = %s",
            (off, appointment_id, business_id),
        ).rowcount
        > 0
    )


def customer_off(business_id: int, customer_id: int) -> bool | None:
    """Whether the business's customer has reminders off (None: no such customer)."""
    row = fetch_one(
        "SELECT reminders_off FROM customers WHERE id = %s AND business_id = %s",
        (customer_id, business_id),
    )
    return None if row is None else row["reminders_off"]


def promote_due_jobs(task_name: str, priority: int) -> int:
    """The queue's `task_name` jobs waiting behind the others (a negative priority) whose time
    has come get `priority`; how many. Which task and which priority, the job queue says
    (`app.jobs`); migration 0033's index of those jobs by time finds the due ones."""
    with connection() as conn:
        # Rows another worker holds (promoting them too, or fetching one) are left to it: no
        # waiting, and two workers promoting at once cannot deadlock.
        return conn.execute(
            "UPDATE procrastinate_jobs SET priority = %s WHERE id IN ("
            " SELECT id FROM procrastinate_jobs"
            "  WHERE status = 'todo' AND priority < 0 AND task_name = %s"
            "  AND scheduled_at <= now() FOR UPDATE SKIP LOCKED)",
            (priority, task_name),
        ).rowcount


def last_reminded(business_id: int, customer_id: int) -> int | None:
    """The appointment the customer's last message from us reminded them of, when that last
    message is a reminder (nothing was said to them since): what "1" or "yes" answers. Only a
    message that reached the channel counts: a reminder withdrawn, refused or never sent was
    not seen, so it is not what they answer."""
    row = fetch_one(
        "SELECT r.appointment_id FROM appointment_reminders r"
        " WHERE r.message_id = (SELECT max(id) FROM messages"
        " WHERE customer_id = %s AND business_id = %s AND direction = 'out'"
        " AND status IN ('sent', 'delivered', 'read'))",
        (customer_id, business_id),
    )
    return row["appointment_id"] if row else None
