"""What every tool shares: the turn it acts for, its declaration, and how results are written."""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from langchain_core.tools import StructuredTool
from langchain_core.tools.base import create_schema_from_function

from app.agent.tools.grounding import Claim
from app.booking.hours import wall_exists
from app.flow import dates


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


@dataclass(frozen=True)
class Tool:
    """One tool, declared once: what the model sees (name, description, argument schema), the
    function behind it, and what its success lets a reply claim.

    `also_permits`: other claims its success permits (a move books the new time and frees the
    old one). `reads_back`: its result lists existing bookings, which a reply may then call
    booked when it lists one. `confirmed_by`: refusal codes that confirm the claimed state all
    the same ("already cancelled" lets a reply say cancelled).
    """

    name: str
    description: str
    schema: type
    run: Callable[..., str]  # run(ctx, **arguments)
    claim: Claim | None = None
    also_permits: tuple[Claim, ...] = ()
    reads_back: bool = False
    confirmed_by: frozenset[str] = frozenset()

    def bind(self, ctx: ToolContext) -> StructuredTool:
        """The tool acting for one turn (its metadata names the turn: see `context_of`)."""
        return StructuredTool(
            name=self.name,
            description=self.description,
            args_schema=self.schema,
            func=functools.partial(self.run, ctx),
            metadata={CONTEXT: ctx},
        )


CONTEXT = "turn_context"


def context_of(bound: list) -> ToolContext | None:
    """The turn a list of bound tools acts for (the model-free flow acts for the same)."""
    for item in bound:
        ctx = (getattr(item, "metadata", None) or {}).get(CONTEXT)
        if isinstance(ctx, ToolContext):
            return ctx
    return None


def tool(
    claim: Claim | None = None,
    also_permits: tuple[Claim, ...] = (),
    reads_back: bool = False,
    confirmed_by: tuple[str, ...] = (),
) -> Callable[[Callable[..., str]], Tool]:
    """Declare `func(ctx, ...)` a tool: its name and docstring are the model's; `ctx` is not."""

    def declare(func: Callable[..., str]) -> Tool:
        return Tool(
            name=func.__name__,
            description=inspect.cleandoc(func.__doc__ or ""),
            # Built once: a pydantic schema costs milliseconds and never changes.
            schema=create_schema_from_function(func.__name__, func, filter_args=["ctx"]),
            run=func,
            claim=claim,
            also_permits=also_permits,
            reads_back=reads_back,
            confirmed_by=frozenset(confirmed_by),
        )

    return declare


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


def resolve_start(ctx: ToolContext, day: str, at: str) -> tuple[datetime | None, str | None]:
    """A UTC start from the customer's words, or (None, error JSON)."""
    when = dates.parse_date(day, ctx.today)
    if when is None:
        return None, error(
            "invalid_date",
            f"I could not understand the date {day!r}; ask for a day like "
            "'tomorrow', 'next Tuesday' or '2026-11-24'.",
        )
    clock = dates.parse_time(at)
    if clock is None:
        return None, error(
            "invalid_time", f"I could not understand the time {at!r}; ask for a time like 17:00."
        )
    if not wall_exists(ctx.tz, when, clock.hour * 60 + clock.minute):
        # Read as is, the time would be booked an hour later than the customer said.
        return None, error(
            "invalid_time",
            f"{clock:%H:%M} does not exist on {when.isoformat()} here: the clocks go forward"
            " then. Ask for another time, or list that day's free times.",
        )
    local = datetime.combine(when, clock, tzinfo=ctx.tz)
    return local.astimezone(ZoneInfo("UTC")), None


def dump(result: dict) -> str:
    """A tool result as the model reads it."""
    return json.dumps(result, default=str)


def error(code: str, message: str, **extra) -> str:
    """A refused tool call: its code and a sentence the model can relay."""
    return dump({"ok": False, "error": code, "message": message, **extra})


def unknown_service(name: str, business: dict) -> str:
    """The refusal for a service the business does not offer, naming those it does."""
    offered = ", ".join(s["name"] for s in business["services"])
    return error("unknown_service", f"We don't offer {name!r}. Services: {offered}.")
