"""Agent tools: thin adapters over the booking service, each declared once (`base.Tool`).

A tool's declaration is its name, description and argument schema (what the model sees) and the
claim its success permits; grounding, metrics and the offline model read the declarations in
`TOOLS`, so adding a tool means adding it here and nowhere else.
"""

from __future__ import annotations

from langchain_core.tools import StructuredTool

from app.agent.tools import booking, grounding, handoff, info
from app.agent.tools.base import (
    Tool,
    ToolContext,
    context_of,
    find_service,
    fmt_local,
    resolve_start,
)
from app.agent.tools.grounding import BOOKED, CANCELLED, MOVED, Claim
from app.flow import CLAIMS as FLOW_CLAIMS
from app.flow import OWN_ACTIONS as FLOW_ACTIONS

TOOLS: tuple[Tool, ...] = (*info.TOOLS, *booking.TOOLS, *handoff.TOOLS)
BY_NAME = {t.name: t for t in TOOLS}

__all__ = [
    "BOOKED",
    "BY_NAME",
    "CANCELLED",
    "MOVED",
    "TOOLS",
    "Claim",
    "Tool",
    "ToolContext",
    "check_grounded",
    "claim_of",
    "context_of",
    "find_service",
    "fmt_local",
    "is_ours",
    "make_tools",
    "resolve_start",
]


def make_tools(ctx: ToolContext) -> list[StructuredTool]:
    """Every tool, acting for one turn."""
    return [t.bind(ctx) for t in TOOLS]


def check_grounded(reply: str, records: list[dict]) -> str | None:
    """A correction for the model when its reply claims what no tool did (see `grounding`)."""
    return grounding.check_grounded(reply, records, TOOLS)


def is_ours(name: str) -> bool:
    """Whether `name` is one of our tools or model-free flow actions, not one a model made up."""
    return name in BY_NAME or name in FLOW_ACTIONS


def claim_of(name: str) -> Claim | None:
    """The claim the tool (or model-free flow action) `name` permits when it succeeds (None for
    reading tools and unknowns)."""
    tool = BY_NAME.get(name)
    if tool is not None:
        return tool.claim
    word = FLOW_CLAIMS.get(name)
    return next((c for c in (BOOKED, MOVED, CANCELLED) if c.word == word), None)
