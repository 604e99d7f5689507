"""Agent tools: thin adapters over the booking service; their docstrings are their descriptions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from langchain_core.tools import StructuredTool

from app.agent import dates
from app.agent.prompts import format_hours


@dataclass(frozen=True)
class ToolContext:
    """Who the tools act for: one business, one customer, one turn, one clock."""

    business: dict
    customer: dict
    turn_id: int | None
    now: datetime

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.business["timezone"])

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()


def fmt_local(moment: datetime, tz: ZoneInfo) -> str:
    """ "Tuesday 24 November 2026 at 17:00" in the business timezone."""
    local = moment.astimezone(tz)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def find_service(business: dict, name: str) -> dict | None:
    """The service `name` refers to (case-insensitive, tolerant of plurals and partial names)."""
    wanted = _norm(name)
    if not wanted:
        return None
    services = business["services"]
    for svc in services:
        if _norm(svc["name"]) == wanted:
            return svc
    matches = [s for s in services if wanted in _norm(s["name"]) or _norm(s["name"]) in wanted]
    return matches[0] if len(matches) == 1 else None


def _norm(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", (text or "").lower())
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words)


# Argument schema and description per tool function, built once: a tool is a closure over one
# turn, but building its pydantic schema costs milliseconds and never changes.
_SPECS: dict[str, tuple[type, str]] = {}


def as_tool(func) -> StructuredTool:
    """A tool calling `func`, with the schema and description of its signature and docstring."""
    key = f"{func.__module__}.{func.__qualname__}"
    spec = _SPECS.get(key)
    if spec is None:
        proto = StructuredTool.from_function(func)
        spec = _SPECS.setdefault(key, (proto.args_schema, proto.description))
    schema, description = spec
    return StructuredTool(
        name=func.__name__, description=description, args_schema=schema, func=func
    )


def _dump(result: dict) -> str:
    return json.dumps(result, default=str)


def _error(code: str, message: str, **extra) -> str:
    return _dump({"ok": False, "error": code, "message": message, **extra})


def make_info_tools(ctx: ToolContext) -> list[StructuredTool]:
    """Tools that read the business configuration."""

    def list_services() -> str:
        """List the services the business offers, with duration and price."""
        return _dump(
            {
                "ok": True,
                "services": [
                    {
                        "name": s["name"],
                        "duration_minutes": s["duration_minutes"],
                        "price": f"{s['price']:.2f}",
                        "currency": s["currency"],
                    }
                    for s in ctx.business["services"]
                ],
            }
        )

    def get_business_info() -> str:
        """Get the opening hours, closed dates, policies and current local time."""
        b = ctx.business
        return _dump(
            {
                "ok": True,
                "name": b["name"],
                "opening_hours": format_hours(b["opening_hours"]),
                "closed_dates": [d.isoformat() for d in b.get("closed_dates") or []],
                "policies": b.get("instructions") or "",
                "now": fmt_local(ctx.now, ctx.tz),
            }
        )

    return [as_tool(f) for f in (list_services, get_business_info)]


def resolve_start(ctx: ToolContext, day: str, at: str) -> tuple[datetime | None, str | None]:
    """A UTC start from the customer's words, or (None, error JSON)."""
    when = dates.parse_date(day, ctx.today)
    if when is None:
        return None, _error(
            "invalid_date",
            f"I could not understand the date {day!r}; ask for a day like "
            "'tomorrow', 'next Tuesday' or '2026-11-24'.",
        )
    clock = dates.parse_time(at)
    if clock is None:
        return None, _error(
            "invalid_time", f"I could not understand the time {at!r}; ask for a time like 17:00."
        )
    local = datetime.combine(when, clock, tzinfo=ctx.tz)
    return local.astimezone(ZoneInfo("UTC")), None


def make_tools(ctx: ToolContext) -> list[StructuredTool]:
    """Every tool of a turn: business information and booking."""
    from app.agent.booking_tools import make_booking_tools

    return make_info_tools(ctx) + make_booking_tools(ctx)


def check_grounded(reply: str, records: list[dict]) -> str | None:
    """See `booking_tools.check_grounded`."""
    from app.agent.booking_tools import check_grounded as check

    return check(reply, records)
