"""Reference documents: each business's versions, the newest one current."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from app.storage.db import fetch_all, fetch_one

_VERSION_COLUMNS = (
    "SELECT d.version, d.source, d.source_url, d.created_at, length(d.content) AS chars,"
    " u.email AS created_by"
)


def current_content(business_id: int) -> str:
    """The text of the business's newest reference document ("" when it has none)."""
    row = fetch_one(
        "SELECT content FROM reference_documents WHERE business_id = %s"
        " ORDER BY version DESC LIMIT 1",
        (business_id,),
    )
    return row["content"] if row else ""


def get_version(business_id: int, version: int | None = None) -> dict | None:
    """One version of the business's document (the newest when `version` is None), or None."""
    return fetch_one(
        _VERSION_COLUMNS + ", d.content, d.report FROM reference_documents d"
        " LEFT JOIN users u ON u.id = d.created_by"
        " WHERE d.business_id = %(b)s AND (%(v)s::integer IS NULL OR d.version = %(v)s)"
        " ORDER BY d.version DESC LIMIT 1",
        {"b": business_id, "v": version},
    )


def list_versions(business_id: int, limit: int = 100) -> list[dict]:
    """The business's versions, newest first, without their text."""
    return fetch_all(
        _VERSION_COLUMNS + " FROM reference_documents d LEFT JOIN users u ON u.id = d.created_by"
        " WHERE d.business_id = %s ORDER BY d.version DESC LIMIT %s",
        (business_id, limit),
    )


def add_version(
    conn,
    business_id: int,
    content: str,
    source: str,
    *,
    source_url: str | None = None,
    report: dict | None = None,
    user_id: int | None = None,
) -> int:
    """Store `content` as the business's next version (inside `conn`'s transaction); its number.

    The business's `updated_at` moves too, so the bot's next turn reloads the document.
    """
    # Updating the business row first locks it: concurrent writers number versions in turn.
    conn.execute(
        "UPDATE businesses SET updated_at = clock_timestamp() WHERE id = %s", (business_id,)
    )
    return conn.execute(
        "INSERT INTO reference_documents"
        " (business_id, version, content, source, source_url, report, created_by)"
        " SELECT %(b)s, coalesce(max(version), 0) + 1, %(content)s, %(source)s, %(url)s,"
        " %(report)s, %(user)s FROM reference_documents WHERE business_id = %(b)s"
        " RETURNING version",
        {
            "b": business_id,
            "content": content,
            "source": source,
            "url": source_url,
            "report": Jsonb(report) if report is not None else None,
            "user": user_id,
        },
    ).fetchone()["version"]
