"""Businesses and their services."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from psycopg import sql
from psycopg.types.json import Jsonb

from app.storage import bookings
from app.storage.db import execute, fetch_all, fetch_one, transaction
from app.storage.knowledge import current_content

DEMO_WHATSAPP_NUMBER_ID = "123456123"

DEMO_HOURS = {
    "mon": {"open": "09:00", "close": "18:00", "breaks": [["13:00", "14:00"]]},
    "tue": {"open": "09:00", "close": "18:00", "breaks": [["13:00", "14:00"]]},
    "wed": {"open": "09:00", "close": "18:00", "breaks": [["13:00", "14:00"]]},
    "thu": {"open": "09:00", "close": "18:00", "breaks": [["13:00", "14:00"]]},
    "fri": {"open": "09:00", "close": "18:00", "breaks": [["13:00", "14:00"]]},
    "sat": {"open": "10:00", "close": "14:00", "breaks": []},
    "sun": None,
}
DEMO_SERVICES = [
    ("Haircut", 30, Decimal("25.00")),
    ("Beard trim", 15, Decimal("12.00")),
    ("Hair coloring", 90, Decimal("60.00")),
]


def get_business(business_id: int, document: bool = True) -> dict | None:
    """A business with its active services and (unless `document` is False) its reference
    document text, or None."""
    row = fetch_one("SELECT * FROM businesses WHERE id = %s", (business_id,))
    return _with_services(row, document)


def get_business_by_account(account_column: str, account_id: str) -> dict | None:
    """The active business whose account on a channel (`account_column`) is `account_id`."""
    query = sql.SQL("SELECT * FROM businesses WHERE {} = %s AND active")
    row = fetch_one(query.format(sql.Identifier(account_column)), (account_id,))
    return _with_services(row)


def get_row(business_id: int) -> dict | None:
    """A business's own row (settings and channel accounts, no services), or None."""
    return fetch_one("SELECT * FROM businesses WHERE id = %s", (business_id,))


def business_exists(business_id: int) -> bool:
    """Whether a business with this id exists (active or not)."""
    return fetch_one("SELECT 1 FROM businesses WHERE id = %s", (business_id,)) is not None


def updated_at(business_id: int) -> datetime | None:
    """When the business's settings last changed; None when there is no such business."""
    row = fetch_one("SELECT updated_at FROM businesses WHERE id = %s", (business_id,))
    return row["updated_at"] if row else None


def business_id_for_account(
    account_column: str, account_id: str, active_only: bool = True
) -> int | None:
    """Just the id of the (active, unless `active_only` is False) business with this channel
    account (the webhook's lookup)."""
    active = sql.SQL(" AND active" if active_only else "")
    query = sql.SQL("SELECT id FROM businesses WHERE {} = %s{}")
    row = fetch_one(query.format(sql.Identifier(account_column), active), (account_id,))
    return row["id"] if row else None


def list_services(business_id: int) -> list[dict]:
    """Active services of a business in display order."""
    return fetch_all(
        "SELECT id, name, duration_minutes, price, currency FROM services"
        " WHERE business_id = %s AND active ORDER BY position, id",
        (business_id,),
    )


def create_business(fields: dict, services: list[dict] | None = None) -> int:
    """Insert a business (and its services); return its id."""
    fields = dict(fields)
    json_keys = ("opening_hours", "calendar_settings", "reminder_quiet_hours", "reminder_template")
    for key in (*json_keys, "staff_reply_template"):
        if key in fields and fields[key] is not None:
            fields[key] = Jsonb(fields[key])
    cols = list(fields)
    sql = "INSERT INTO businesses ({}) VALUES ({}) RETURNING id".format(  # noqa: S608 - fixed names
        ", ".join(cols), ", ".join(f"%({c})s" for c in cols)
    )
    with transaction() as conn:
        business_id = conn.execute(sql, fields).fetchone()["id"]
        for pos, svc in enumerate(services or []):
            conn.execute(
                "INSERT INTO services (business_id, name, duration_minutes, price, currency,"
                " position) VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    business_id,
                    svc["name"],
                    svc["duration_minutes"],
                    svc.get("price", 0),
                    svc.get("currency", "EUR"),
                    pos,
                ),
            )
    return business_id


def seed_demo(
    whatsapp_number_id: str = DEMO_WHATSAPP_NUMBER_ID,
    messenger_page_id: str | None = None,
    page_access_token: str = "",
) -> tuple[int, bool]:
    """Create the demo business "Demo Salon" unless it exists; return (id, created).

    With `messenger_page_id`, the demo business also answers on that Facebook Page (with
    `page_access_token`, already encrypted): an existing demo business without a Page gets it,
    unless another business has that Page.
    """
    with transaction() as conn:
        # Serialise concurrent seeders so exactly one creates the business.
        conn.execute("SELECT pg_advisory_xact_lock(7240002)")
        row = conn.execute(
            "SELECT id FROM businesses WHERE whatsapp_number_id = %s", (whatsapp_number_id,)
        ).fetchone()
        if row:
            if messenger_page_id:
                conn.execute(
                    "UPDATE businesses SET messenger_page_id = %s, page_access_token ="
                    " CASE WHEN page_access_token = '' THEN %s ELSE page_access_token END,"
                    " updated_at = clock_timestamp() WHERE id = %s AND messenger_page_id IS NULL"
                    " AND NOT EXISTS (SELECT 1 FROM businesses WHERE messenger_page_id = %s)",
                    (messenger_page_id, page_access_token, row["id"], messenger_page_id),
                )
            return row["id"], False
        page = {"messenger_page_id": messenger_page_id, "page_access_token": page_access_token}
        business_id = create_business(
            {
                "name": "Demo Salon",
                "whatsapp_number_id": whatsapp_number_id,
                **(page if messenger_page_id else {}),
                "display_phone_number": "+34 600 000 000",
                "timezone": "Europe/Madrid",
                "language": "English",
                "personality": "Warm, concise and professional.",
                "instructions": "Cancellations are free up to 2 hours before the appointment.",
                "opening_hours": DEMO_HOURS,
                "max_concurrent": 2,
                "slot_step_minutes": 15,
                "buffer_minutes": 0,
                "min_notice_minutes": 60,
                "horizon_days": 60,
                "calendar_backend": "local",
            },
            [
                {"name": n, "duration_minutes": d, "price": p, "currency": "EUR"}
                for n, d, p in DEMO_SERVICES
            ],
        )
        return business_id, True


def save_google_calendar(business_id: int, settings: dict) -> int:
    """Switch the business to its Google calendar with these settings; forget the last error.

    When the calendar changes (another one, or the first), the bookings not over yet are
    marked pending without their event's id and write time: those name events of the calendar
    left behind, so the requeue that follows (re)connecting writes them into this one (past
    ones stay where they were written). How many bookings were marked.
    """
    with transaction() as conn:
        # The booking lock first, as every booking change takes it before an appointment's
        # row; and the business's row without blocking the key-share locks that storing a
        # message or an audit row for the business takes.
        bookings.lock_business(conn, business_id)
        before = conn.execute(
            "SELECT calendar_backend, calendar_settings->>'calendar_id' AS calendar_id"
            " FROM businesses WHERE id = %s FOR NO KEY UPDATE",
            (business_id,),
        ).fetchone()
        conn.execute(
            "UPDATE businesses SET calendar_backend = 'google', calendar_settings = %s,"
            " calendar_error = NULL, calendar_error_at = NULL, updated_at = now() WHERE id = %s",
            (Jsonb(settings), business_id),
        )
        if before is None or (
            before["calendar_backend"] == "google"
            and before["calendar_id"] == settings.get("calendar_id")
        ):
            return 0
        return conn.execute(
            "UPDATE appointments SET calendar_sync = 'pending', calendar_event_id = NULL,"
            " calendar_event_updated = NULL, updated_at = now()"
            " WHERE business_id = %s AND status IN ('booked', 'no_show') AND ends_at > now()",
            (business_id,),
        ).rowcount


def record_calendar_error(business_id: int, message: str) -> None:
    """Keep the calendar problem an admin must fix (at most 500 characters)."""
    execute(
        "UPDATE businesses SET calendar_error = %s, calendar_error_at = now() WHERE id = %s",
        (message[:500], business_id),
    )


def clear_calendar_error(business_id: int) -> None:
    """Forget the recorded calendar problem, if any."""
    execute(
        "UPDATE businesses SET calendar_error = NULL, calendar_error_at = NULL"
        " WHERE id = %s AND calendar_error IS NOT NULL",
        (business_id,),
    )


# A booking still pending in Google this long after its last change is late: its job has been
# retried for a while (its row's `updated_at` moves when a change makes it pending again).
SYNC_LATE_AFTER_MINUTES = 10
# Settings without the credentials; the sync backlog (all pending/failed rows, through the
# partial index of migration 0006), and of it what is not over yet: pending for longer than
# SYNC_LATE_AFTER_MINUTES, and failed; the last time Google confirmed a write of ours or
# answered a read of the calendar's changes (whichever is later; NULL if never).
CALENDAR_STATUS_SQL = """
SELECT b.calendar_backend, b.calendar_settings - 'credentials' AS calendar_settings,
       coalesce(b.calendar_settings ? 'credentials', false) AS configured,
       b.calendar_error, b.calendar_error_at,
       u.pending, u.failed, u.upcoming_pending_late, u.upcoming_failed,
       greatest(
           (SELECT max(w.calendar_event_updated) FROM appointments w WHERE w.business_id = b.id),
           (SELECT g.synced_at FROM google_event_sync g
             WHERE g.business_id = b.id
               AND g.calendar_id = b.calendar_settings->>'calendar_id')
       ) AS last_synced_at
  FROM businesses b
  CROSS JOIN LATERAL (
      SELECT count(*) FILTER (WHERE a.calendar_sync = 'pending') AS pending,
             count(*) FILTER (WHERE a.calendar_sync = 'failed') AS failed,
             count(*) FILTER (WHERE a.calendar_sync = 'pending' AND a.ends_at > now()
                              AND a.updated_at < now() - make_interval(mins => %(late)s))
                 AS upcoming_pending_late,
             count(*) FILTER (WHERE a.calendar_sync = 'failed' AND a.ends_at > now())
                 AS upcoming_failed
        FROM appointments a
       WHERE a.business_id = b.id AND a.calendar_sync IN ('pending', 'failed')
  ) u
 WHERE b.id = %(id)s
"""


def calendar_status(business_id: int) -> dict | None:
    """Calendar backend, settings (without credentials), last error and sync backlog of a
    business: every pending and failed booking, and of those not over yet the ones pending
    for more than SYNC_LATE_AFTER_MINUTES and the failed ones; `last_synced_at`."""
    return fetch_one(CALENDAR_STATUS_SQL, {"id": business_id, "late": SYNC_LATE_AFTER_MINUTES})


def _with_services(row: dict | None, document: bool = True) -> dict | None:
    if row is None:
        return None
    business = dict(row)
    business["services"] = list_services(business["id"])
    if document:
        business["reference_document"] = current_content(business["id"])
    return business
