"""What the console reads and writes of a business: its public settings and its services."""

from __future__ import annotations

from psycopg import sql
from psycopg.types.json import Jsonb

from app.storage.db import fetch_all, fetch_one

# What the console sees of a business; the access tokens and calendar settings stay inside.
PUBLIC_COLUMNS = sql.SQL(
    "id, name, whatsapp_number_id, messenger_page_id, display_phone_number, timezone, language,"
    " personality,"
    " instructions, opening_hours, closed_dates, max_concurrent, slot_step_minutes,"
    " buffer_minutes, min_notice_minutes, horizon_days, message_retention_days,"
    " calendar_backend, calendar_error, calendar_error_at, active, monthly_token_budget,"
    " reminders_enabled, reminder_offsets_minutes, reminder_quiet_hours, reminder_template,"
    " created_at, updated_at,"
    " access_token <> '' AS has_access_token, page_access_token <> '' AS has_page_access_token,"
    " handoff_quiet_minutes, staff_notify_number, staff_reply_template"
)
# Columns an update may set (the names come from here, never from the request).
WRITABLE = (
    "name", "display_phone_number", "access_token", "timezone", "language", "personality",
    "instructions", "opening_hours", "closed_dates", "max_concurrent", "slot_step_minutes",
    "buffer_minutes", "min_notice_minutes", "horizon_days", "whatsapp_number_id", "active",
    "monthly_token_budget", "messenger_page_id", "page_access_token", "reminders_enabled",
    "reminder_offsets_minutes", "reminder_quiet_hours", "reminder_template",
    "message_retention_days",
    "handoff_quiet_minutes", "staff_notify_number", "staff_reply_template",
)  # fmt: skip
# Columns naming a business's account on a channel: each unique across businesses.
ACCOUNT_COLUMNS = frozenset({"whatsapp_number_id", "messenger_page_id"})
# The unique constraint of each: a write that lost a race for the account fails on it.
ACCOUNT_CONSTRAINTS = {
    "businesses_whatsapp_number_id_key": "whatsapp_number_id",
    "businesses_messenger_page_id_key": "messenger_page_id",
}
JSON_COLUMNS = (
    "opening_hours", "reminder_quiet_hours", "reminder_template", "staff_reply_template",
)  # fmt: skip


def get(conn, business_id: int) -> dict | None:
    """A business as the console sees it, with its active services."""
    query = sql.SQL("SELECT {} FROM businesses WHERE id = %s").format(PUBLIC_COLUMNS)
    row = conn.execute(query, (business_id,)).fetchone()
    if row is None:
        return None
    return {**row, "services": active_services(conn, business_id)}


def active_services(conn, business_id: int) -> list[dict]:
    """The business's active services in display order."""
    return conn.execute(
        "SELECT id, name, duration_minutes, price, currency FROM services"
        " WHERE business_id = %s AND active ORDER BY position, id",
        (business_id,),
    ).fetchall()


def list_visible(user_id: int, superadmin: bool) -> list[dict]:
    """Businesses the user may see, with the user's role in each."""
    if superadmin:
        return fetch_all(
            "SELECT id, name, whatsapp_number_id, messenger_page_id, display_phone_number,"
            " timezone, active, 'superadmin' AS role FROM businesses ORDER BY id"
        )
    return fetch_all(
        "SELECT b.id, b.name, b.whatsapp_number_id, b.messenger_page_id, b.display_phone_number,"
        " b.timezone, b.active, m.role FROM businesses b"
        " JOIN memberships m ON m.business_id = b.id"
        " WHERE m.user_id = %s ORDER BY b.id",
        (user_id,),
    )


def account_taken(column: str, account_id: str, except_id: int | None = None) -> bool:
    """Whether another business already answers on this channel account (`column`, one of
    ACCOUNT_COLUMNS: its WhatsApp number or its Facebook Page)."""
    if column not in ACCOUNT_COLUMNS:
        raise ValueError(f"not a channel account column: {column}")
    query = sql.SQL("SELECT 1 FROM businesses WHERE {} = %s AND id IS DISTINCT FROM %s")
    row = fetch_one(query.format(sql.Identifier(column)), (account_id, except_id))
    return row is not None


def update(conn, business_id: int, fields: dict) -> None:
    """Set the given settings and bump updated_at, so the bot's next turn reloads them."""
    cols = [c for c in WRITABLE if c in fields]
    params = {
        c: Jsonb(fields[c]) if c in JSON_COLUMNS and fields[c] is not None else fields[c]
        for c in cols
    }
    assignments = [sql.SQL("{} = {}, ").format(sql.Identifier(c), sql.Placeholder(c)) for c in cols]
    # clock_timestamp, not now(): two edits in one transaction must still differ.
    query = sql.SQL(
        "UPDATE businesses SET {}updated_at = clock_timestamp() WHERE id = %(id)s"
    ).format(sql.Composed(assignments))
    conn.execute(query, {**params, "id": business_id})


def replace_services(conn, business_id: int, items: list[dict]) -> dict[str, str]:
    """Make `items` the active services, in order; retire the rest (appointments keep them).

    Returns the fields naming ids of no service of the business; then nothing is changed.
    """
    rows = conn.execute(
        "SELECT id, name, active FROM services WHERE business_id = %s"
        " ORDER BY active DESC, id DESC FOR UPDATE",
        (business_id,),
    ).fetchall()
    by_id = {r["id"]: r for r in rows}
    by_name: dict[str, int] = {}
    # Folded as the validation and the booking service fold names: SQL lower() keeps ß and ς,
    # which casefold() turns into ss and σ, and would miss a row named with them.
    for r in rows:  # active rows first, then the newest retired one of each name
        by_name.setdefault(r["name"].casefold(), r["id"])
    missing = {
        f"services.{i}.id": "no such service"
        for i, item in enumerate(items)
        if item["id"] is not None and item["id"] not in by_id
    }
    if missing:
        return missing
    # Retire everything first so renames and swaps never collide in the unique name index.
    conn.execute("UPDATE services SET active = false WHERE business_id = %s", (business_id,))
    used: set[int] = set()
    for position, item in enumerate(items):
        row_id = item["id"] or by_name.get(item["name"].casefold())
        params = {**item, "position": position, "business_id": business_id}
        if row_id is not None and row_id not in used:
            used.add(row_id)
            conn.execute(
                "UPDATE services SET name = %(name)s, duration_minutes = %(duration_minutes)s,"
                " price = %(price)s, currency = %(currency)s, position = %(position)s,"
                " active = true WHERE id = %(id)s",
                {**params, "id": row_id},
            )
        else:
            conn.execute(
                "INSERT INTO services (business_id, name, duration_minutes, price, currency,"
                " position) VALUES (%(business_id)s, %(name)s, %(duration_minutes)s, %(price)s,"
                " %(currency)s, %(position)s)",
                params,
            )
    conn.execute(
        "UPDATE businesses SET updated_at = clock_timestamp() WHERE id = %s", (business_id,)
    )
    return {}
