"""What the admin console reads: conversation lists, threads and appointment lists."""

from __future__ import annotations

from datetime import datetime

from psycopg import sql

from app.storage.db import fetch_all, fetch_one, transaction

CUSTOMER = sql.SQL(
    "c.id, c.channel, c.address, c.profile_name, c.bot_paused, c.opted_out, c.sandbox,"
    " c.reminders_off, c.first_seen_at, c.last_seen_at, c.last_inbound_at, c.erased_at,"
    " c.needs_attention, c.handoff_reason, c.handoff_summary, c.handoff_at, c.paused_until"
)
# Customers of a business matching the search (escaped ILIKE patterns; digits for numbers).
_FILTER = sql.SQL("""
 WHERE c.business_id = %(business_id)s
   AND (NOT %(search)s
        OR c.profile_name ILIKE %(pattern)s ESCAPE '\\'
        OR c.address ILIKE %(pattern)s ESCAPE '\\'
        OR (%(digits)s <> '' AND c.address LIKE %(digits)s))
""")
_LIST = sql.SQL(
    "SELECT {customer}, last.body AS last_body, last.direction AS last_direction,"
    " last.created_at AS last_at,"
    # Unread: what the customer wrote since the last answer, the bot's or staff's (a reminder
    # or a notice answers nothing).
    " (SELECT count(*) FROM messages i WHERE i.customer_id = c.id AND i.direction = 'in'"
    "   AND i.id > COALESCE((SELECT max(o.id) FROM messages o WHERE o.customer_id = c.id"
    "                         AND o.direction = 'out' AND o.purpose IN ('reply', 'staff')), 0))"
    " AS unread"
    " FROM customers c LEFT JOIN LATERAL (SELECT body, direction, created_at FROM messages m"
    "   WHERE m.customer_id = c.id ORDER BY m.id DESC LIMIT 1) last ON true {filter}"
    # Waiting for a person first, longest waiting first; then newest activity.
    " ORDER BY c.needs_attention DESC, CASE WHEN c.needs_attention THEN c.handoff_at END,"
    " last.created_at DESC NULLS LAST, c.id DESC LIMIT %(limit)s OFFSET %(offset)s"
).format(customer=CUSTOMER, filter=_FILTER)
_COUNT = sql.SQL("SELECT count(*) AS n FROM customers c {}").format(_FILTER)


def list_conversations(
    business_id: int, pattern: str | None, digits: str, limit: int, offset: int
) -> tuple[list[dict], int]:
    """Customers with their last message and unread count, newest activity first; and the total."""
    params = {
        "business_id": business_id,
        "search": pattern is not None,
        "pattern": pattern or "",
        "digits": digits,
        "limit": limit,
        "offset": offset,
    }
    rows = fetch_all(_LIST, params)
    total = fetch_one(_COUNT, params)["n"]
    conversations = []
    for row in rows:
        last_keys = ("last_body", "last_direction", "last_at")
        last = None
        if row["last_at"] is not None:
            last = {"body": row["last_body"], "direction": row["last_direction"]}
            last["created_at"] = row["last_at"]
        item = {k: v for k, v in row.items() if k not in last_keys}
        conversations.append({**item, "last_message": last})
    return conversations, total


def customer(business_id: int, customer_id: int) -> dict | None:
    """A customer of the business, or None."""
    query = sql.SQL("SELECT {} FROM customers c WHERE c.id = %s AND c.business_id = %s")
    return fetch_one(query.format(CUSTOMER), (customer_id, business_id))


def customer_id_by_address(
    account_column: str, account_id: str, channel: str, address: str
) -> int | None:
    """The id of customer `address` on `channel` of the business with this account, or None."""
    query = sql.SQL(
        "SELECT c.id FROM customers c JOIN businesses b ON b.id = c.business_id"
        " WHERE b.{} = %s AND c.channel = %s AND c.address = %s"
    ).format(sql.Identifier(account_column))
    row = fetch_one(query, (account_id, channel, address))
    return row["id"] if row else None


def messages_after(customer_id: int, after_id: int) -> tuple[list[dict], int]:
    """A customer's messages with an id above `after_id`, oldest first, and how many of their
    inbound messages still await a turn (mock mode's reader).

    Both are read in one snapshot: a turn commits its reply and its claim on the inbound
    messages together, and a reader that saw the messages before that commit and the count
    after it would take "nothing pending, no reply" for the bot's answer.
    """
    with transaction() as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        rows = conn.execute(
            "SELECT id, direction, type, body, status, error_code, send_error, external_id"
            " FROM messages"
            " WHERE customer_id = %s AND id > %s ORDER BY id",
            (customer_id, after_id),
        ).fetchall()
        pending = conn.execute(
            "SELECT count(*) AS n FROM messages WHERE customer_id = %s AND direction = 'in'"
            " AND status = 'received'",
            (customer_id,),
        ).fetchone()["n"]
    return rows, pending


def message(customer_id: int, message_id: int) -> dict | None:
    """One message of a customer as the thread shows it."""
    rows = thread(customer_id, message_id + 1, 1)
    return rows[0] if rows and rows[0]["id"] == message_id else None


def thread(customer_id: int, before_id: int | None, limit: int) -> list[dict]:
    """Up to `limit` messages of a customer older than `before_id`, oldest first, with turns."""
    rows = fetch_all(
        "SELECT m.id, m.direction, m.type, m.body, m.status, m.error_code, m.error_title,"
        " m.send_error, m.purpose, m.sent_as, m.attempts, m.created_at, m.updated_at,"
        " m.sent_at, m.turn_id, m.choice IS NOT NULL AS tapped,"
        " CASE WHEN m.direction = 'out' THEN m.payload END AS extras, t.status AS turn_status,"
        " t.tool_calls AS turn_tool_calls, t.error AS turn_error,"
        " m.sent_by, COALESCE(NULLIF(u.name, ''), u.email) AS sent_by_name"
        " FROM messages m LEFT JOIN turns t ON t.id = m.turn_id AND m.direction = 'out'"
        " LEFT JOIN users u ON u.id = m.sent_by"
        " WHERE m.customer_id = %s AND (%s::bigint IS NULL OR m.id < %s)"
        " ORDER BY m.id DESC LIMIT %s",
        (customer_id, before_id, before_id, limit),
    )
    messages = []
    for row in reversed(rows):
        turn = None
        if row["direction"] == "out" and row["turn_status"] is not None:
            turn = {
                "id": row["turn_id"],
                "status": row["turn_status"],
                "tool_calls": row["turn_tool_calls"],
                "error": row["turn_error"],
            }
        item = {k: v for k, v in row.items() if not k.startswith("turn_")}
        messages.append({**item, "turn_id": row["turn_id"], "turn": turn})
    return messages


_APPOINTMENTS = sql.SQL(
    "SELECT a.id, a.starts_at, a.ends_at, a.status, a.service_id, s.name AS service_name,"
    " a.customer_id, c.profile_name AS customer_name, c.channel AS customer_channel,"
    " c.address AS customer_address,"
    " a.calendar_sync, a.rescheduled_from, a.created_by, a.created_at, a.cancelled_at"
    " FROM appointments a JOIN services s ON s.id = a.service_id"
    " JOIN customers c ON c.id = a.customer_id {}"
    " ORDER BY a.starts_at, a.id LIMIT %(limit)s OFFSET %(offset)s"
)
# Holds are times a customer is still confirming, not appointments yet.
_APPOINTMENT_FILTER = sql.SQL(
    " WHERE a.business_id = %(b)s AND a.status <> 'held'"
    " AND (%(start)s::timestamptz IS NULL OR a.starts_at >= %(start)s)"
    " AND (%(end)s::timestamptz IS NULL OR a.starts_at < %(end)s)"
    " AND (%(status)s::text IS NULL OR a.status = %(status)s)"
)


def list_appointments(
    business_id: int,
    start: datetime | None,
    end: datetime | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict], int]:
    """Appointments of a business starting in [start, end), soonest first; and the total."""
    params = {
        "b": business_id,
        "start": start,
        "end": end,
        "status": status,
        "limit": limit,
        "offset": offset,
    }
    rows = fetch_all(_APPOINTMENTS.format(_APPOINTMENT_FILTER), params)
    moves = appointment_moves([r["id"] for r in rows])
    rows = [{**r, "moves": moves.get(r["id"], [])} for r in rows]
    count = sql.SQL("SELECT count(*) AS n FROM appointments a {}").format(_APPOINTMENT_FILTER)
    total = fetch_one(count, params)["n"]
    return rows, total


def appointment_moves(appointment_ids: list[int]) -> dict[int, list[dict]]:
    """The moves of each of these appointments, oldest first, by appointment id."""
    rows = fetch_all(
        "SELECT appointment_id, from_starts_at, from_ends_at, to_starts_at, to_ends_at, moved_at"
        " FROM appointment_moves WHERE appointment_id = ANY(%s) ORDER BY appointment_id, id",
        (appointment_ids,),
    )
    moves: dict[int, list[dict]] = {}
    for row in rows:
        moves.setdefault(row.pop("appointment_id"), []).append(row)
    return moves


def appointment_owner(business_id: int, appointment_id: int) -> dict | None:
    """The customer and state of one appointment of the business, or None."""
    return fetch_one(
        "SELECT a.id, a.customer_id, a.status, a.starts_at, s.name AS service_name,"
        " c.opted_out, c.channel, c.sandbox FROM appointments a"
        " JOIN services s ON s.id = a.service_id"
        " JOIN customers c ON c.id = a.customer_id WHERE a.id = %s AND a.business_id = %s",
        (appointment_id, business_id),
    )
