"""The audit log: who changed what, with the state before and after."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from psycopg.types.json import Jsonb

from app.storage.db import fetch_all, fetch_one

# Credentials never enter the log, whatever a caller passes.
SECRET_KEYS = frozenset({"password", "password_hash", "access_token", "token", "token_hash"})


def scrub(value):
    """A JSON-ready copy of `value` without secret keys (dates and decimals as strings)."""
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record(
    conn,
    *,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: object = None,
    business_id: int | None = None,
    before: object = None,
    after: object = None,
) -> None:
    """Write one audit row on the caller's connection (so it commits with the change)."""
    conn.execute(
        "INSERT INTO audit_log (business_id, user_id, action, entity, entity_id, before, after)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (
            business_id,
            user_id,
            action,
            entity,
            None if entity_id is None else str(entity_id),
            None if before is None else Jsonb(scrub(before)),
            None if after is None else Jsonb(scrub(after)),
        ),
    )


def list_entries(business_id: int | None, limit: int, offset: int) -> tuple[list[dict], int]:
    """Audit rows newest first (one business's, or all when None) and their total count."""
    params = {"b": business_id, "limit": limit, "offset": offset}
    rows = fetch_all(
        "SELECT a.id, a.business_id, a.user_id, u.email AS user_email, a.action, a.entity,"
        " a.entity_id, a.before, a.after, a.created_at"
        " FROM audit_log a LEFT JOIN users u ON u.id = a.user_id"
        " WHERE %(b)s::bigint IS NULL OR a.business_id = %(b)s"
        " ORDER BY a.id DESC LIMIT %(limit)s OFFSET %(offset)s",
        params,
    )
    total = fetch_one(
        "SELECT count(*) AS n FROM audit_log a"
        " WHERE %(b)s::bigint IS NULL OR a.business_id = %(b)s",
        params,
    )["n"]
    return rows, total
