"""Circuit-breaker state of the model providers, shared by every process through PostgreSQL.

Each function runs on a pooled connection of its own (autocommit), never inside the caller's
transaction: a breaker records what happened to a call whatever becomes of the turn.
"""

from __future__ import annotations

from datetime import datetime

from app.storage.db import pool


def get(provider: str) -> dict | None:
    """The provider's breaker row (None: it never failed, so it is closed)."""
    with pool().connection() as conn:
        return conn.execute(
            "SELECT provider, state, failures, opened_at, trial_at FROM llm_breakers"
            " WHERE provider = %s",
            (provider,),
        ).fetchone()


def all_rows() -> list[dict]:
    """Every provider's breaker row."""
    with pool().connection() as conn:
        return conn.execute(
            "SELECT provider, state, failures, opened_at, trial_at FROM llm_breakers"
            " ORDER BY provider"
        ).fetchall()


def record_failure(provider: str, threshold: int, now: datetime) -> dict:
    """Count a failed call in one statement; open at `threshold` in a row, or on a failed trial.

    An open breaker keeps its `opened_at` (late failures of calls already under way do not
    push its half-open time back).
    """
    with pool().connection() as conn:
        return conn.execute(
            "INSERT INTO llm_breakers AS b (provider, state, failures, opened_at, updated_at)"
            " VALUES (%(p)s, CASE WHEN %(n)s <= 1 THEN 'open' ELSE 'closed' END, 1,"
            "         CASE WHEN %(n)s <= 1 THEN %(now)s::timestamptz END, %(now)s)"
            " ON CONFLICT (provider) DO UPDATE SET"
            "  failures = b.failures + 1,"
            "  state = CASE WHEN b.state = 'half_open' OR b.failures + 1 >= %(n)s"
            "          THEN 'open' ELSE b.state END,"
            "  opened_at = CASE WHEN b.state = 'half_open'"
            "                OR (b.state = 'closed' AND b.failures + 1 >= %(n)s)"
            "              THEN %(now)s ELSE b.opened_at END,"
            "  trial_at = CASE WHEN b.state = 'half_open' THEN NULL ELSE b.trial_at END,"
            "  updated_at = %(now)s"
            " RETURNING provider, state, failures, opened_at, trial_at",
            {"p": provider, "n": threshold, "now": now},
        ).fetchone()


def record_success(provider: str, now: datetime) -> None:
    """Close the breaker and clear its count (a no-op when it is closed with none)."""
    with pool().connection() as conn:
        conn.execute(
            "UPDATE llm_breakers SET state = 'closed', failures = 0, opened_at = NULL,"
            " trial_at = NULL, updated_at = %(now)s"
            " WHERE provider = %(p)s AND (failures > 0 OR state <> 'closed')",
            {"p": provider, "now": now},
        )


def claim_trial(provider: str, now: datetime, reset_seconds: float) -> bool:
    """Take the one half-open trial call: open for `reset_seconds`, or a trial left that long.

    One UPDATE, so of many processes asking at once exactly one gets it.
    """
    with pool().connection() as conn:
        row = conn.execute(
            "UPDATE llm_breakers SET state = 'half_open', trial_at = %(now)s,"
            " updated_at = %(now)s"
            " WHERE provider = %(p)s AND ("
            "   (state = 'open' AND opened_at <= %(now)s - make_interval(secs => %(reset)s))"
            "   OR (state = 'half_open'"
            "       AND trial_at <= %(now)s - make_interval(secs => %(reset)s)))"
            " RETURNING provider",
            {"p": provider, "now": now, "reset": reset_seconds},
        ).fetchone()
    return row is not None
