"""What a turn's booking tools did, in the flow's words: a turn the model did not finish still
tells the customer what it booked, moved or cancelled (the appointment exists either way)."""

from __future__ import annotations

from datetime import datetime

from app.agent.tools import ToolContext, claim_of
from app.flow import lang, words


def acted(records: list[dict]) -> list[dict]:
    """The turn's calls that booked, moved or cancelled: a tool (or flow action) that declares
    a claim, which succeeded and says what it did to which appointment."""
    return [r for r in records if r.get("ok") and claim_of(r.get("name") or "") and _said(r)]


def told(records: list[dict], ctx: ToolContext) -> str:
    """One line per booking, move or cancellation of the turn, in the customer's language."""
    speaks = ctx.customer.get("language") or lang.of_business(ctx.business)
    lines = []
    for record in acted(records):
        code, shown = record["result"]["status"], record["result"]["appointment"]
        starts = datetime.fromisoformat(shown["starts_at"])
        lines.append(words.done(speaks, code, shown["service"], starts, ctx.tz, shown["id"]))
    return "\n".join(dict.fromkeys(lines))  # the same booking made twice is told once


def unfinished(records: list[dict], ctx: ToolContext | None, fallback: str) -> str:
    """The reply of a turn the model did not finish: what its tools did, and an apology for
    whatever else the customer asked; `fallback` when they did nothing."""
    done = told(records, ctx) if ctx is not None else ""
    if not done:
        return fallback
    speaks = ctx.customer.get("language") or lang.of_business(ctx.business)
    return f"{done}\n\n{words.say(speaks, 'rest_unanswered')}"


def _said(record: dict) -> bool:
    """Whether the record's result names what was done and to which appointment."""
    result = record.get("result") or {}
    shown = result.get("appointment") or {}
    return result.get("status") in words.DONE and {"id", "service", "starts_at"} <= shown.keys()
