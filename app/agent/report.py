"""What a turn's booking tools did, in the flow's words: a turn the model did not finish still
tells the customer what it booked, moved or cancelled (the appointment exists either way)."""

from __future__ import annotations

from datetime import datetime

from app.agent.tools import ToolContext, claim_of
from app.booking.models import EXISTS
from app.flow import lang, words


def acted(records: list[dict]) -> list[dict]:
    """The turn's calls that booked, moved or cancelled: a tool (or flow action) that declares
    a claim, which succeeded and says what it did to which appointment."""
    return [r for r in records if r.get("ok") and claim_of(r.get("name") or "") and _said(r)]


def told(records: list[dict], ctx: ToolContext) -> str:
    """One line per booking, move or cancellation of the turn, in the customer's language."""
    speaks = lang.of_customer(ctx.business, ctx.customer)
    lines = []
    for code, shown in _last_of_each(acted(records)).values():
        starts = datetime.fromisoformat(shown["starts_at"])
        lines.append(words.done(speaks, code, shown["service"], starts, ctx.tz, shown["id"]))
    return "\n".join(lines)


def _last_of_each(records: list[dict]) -> dict[int, tuple[str, dict]]:
    """Each appointment the turn acted on, once, as the last call left it (booked then moved
    is told moved); booking it again in the same turn (`exists`) is no news after `booked`."""
    found: dict[int, tuple[str, dict]] = {}
    for record in records:
        code, shown = record["result"]["status"], record["result"]["appointment"]
        if code == EXISTS and shown["id"] in found:
            continue
        found[shown["id"]] = (code, shown)
    return found


def unfinished(records: list[dict], ctx: ToolContext | None, fallback: str) -> str:
    """The reply of a turn the model did not finish: what its tools did, and an apology for
    whatever else the customer asked; `fallback` when they did nothing."""
    done = told(records, ctx) if ctx is not None else ""
    if not done:
        return fallback
    speaks = lang.of_customer(ctx.business, ctx.customer)
    return f"{done}\n\n{words.say(speaks, 'rest_unanswered')}"


def _said(record: dict) -> bool:
    """Whether the record's result names what was done and to which appointment."""
    result = record.get("result") or {}
    shown = result.get("appointment") or {}
    return result.get("status") in words.DONE and {"id", "service", "starts_at"} <= shown.keys()
