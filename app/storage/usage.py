"""Model usage: tokens per turn (or website import) and model, and their sums per month."""

from __future__ import annotations

from datetime import datetime

from app.storage.db import fetch_all, fetch_one, transaction


def record(
    business_id: int, turn_id: int | None, purpose: str, rows: list[tuple[str, int, int]]
) -> None:
    """Store (model, prompt_tokens, completion_tokens) rows of one turn or import."""
    if not rows:
        return
    with transaction() as conn:
        for model, prompt, completion in rows:
            conn.execute(
                "INSERT INTO model_usage"
                " (business_id, turn_id, purpose, model, prompt_tokens, completion_tokens)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (business_id, turn_id, purpose, model, prompt, completion),
            )


def tokens_since(business_id: int, since: datetime) -> int:
    """Prompt plus completion tokens the business used since `since` (an index-only scan)."""
    row = fetch_one(
        "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) AS n FROM model_usage"
        " WHERE business_id = %s AND created_at >= %s",
        (business_id, since),
    )
    return int(row["n"])


def monthly(business_id: int, timezone: str, since: datetime) -> list[dict]:
    """Tokens per month (in `timezone`) and model since `since`, newest month first."""
    return fetch_all(
        "SELECT to_char(created_at AT TIME ZONE %(tz)s, 'YYYY-MM') AS month, model,"
        " sum(prompt_tokens)::bigint AS prompt_tokens,"
        " sum(completion_tokens)::bigint AS completion_tokens"
        " FROM model_usage WHERE business_id = %(b)s AND created_at >= %(since)s"
        " GROUP BY 1, 2 ORDER BY 1 DESC, 2",
        {"tz": timezone, "b": business_id, "since": since},
    )


def turn_usage(turn_id: int) -> list[dict]:
    """The usage rows of one turn (model, prompt and completion tokens), by model."""
    return fetch_all(
        "SELECT model, prompt_tokens, completion_tokens FROM model_usage WHERE turn_id = %s"
        " ORDER BY model",
        (turn_id,),
    )
