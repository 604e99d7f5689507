"""Grounding: a reply may say booked, moved or cancelled only after a tool did it this turn.

Each tool declares the claim its success permits (`Tool.claim`); this module reads those
declarations, so a new tool with a claim is grounded without touching it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.agent.tools.base import Tool


@dataclass(frozen=True)
class Claim:
    """Something a reply can say was done: its past-tense word and the words that say it."""

    word: str
    pattern: re.Pattern

    def made_in(self, reply: str) -> bool:
        """Whether the reply says it (not "not booked yet", not "fully booked")."""
        return any(not NOT_A_CLAIM.search(reply[: m.start()]) for m in self.pattern.finditer(reply))


BOOKED = Claim(
    "booked",
    re.compile(r"\b(booked|confirmed|reserved|scheduled|you'?re all set|see you on)\b", re.I),
)
MOVED = Claim("moved", re.compile(r"\b(moved|rescheduled)\b", re.I))
CANCELLED = Claim("cancelled", re.compile(r"\b(cancelled|canceled)\b", re.I))
# Words just before a claim word that make it a statement of what is NOT done ("not booked
# yet", "haven't cancelled it") or of a slot's state ("fully booked"), not a claim of an action.
NOT_A_CLAIM = re.compile(r"(\b(not|never|no|nothing)|n't)\s+(\w+\s+)?$|\bfully\s+$", re.I)


def permitted(records: list[dict], declared: Iterable[Tool]) -> set[Claim]:
    """The claims this turn's tool calls permit."""
    by_name = {t.name: t for t in declared}
    claims: set[Claim] = set()
    for record in records:
        tool = by_name.get(record.get("name"))
        if tool is None:
            continue
        code = (record.get("result") or {}).get("error")
        if tool.claim and (record.get("ok") or code in tool.confirmed_by):
            claims.add(tool.claim)
        if tool.reads_back and record.get("ok"):
            claims.add(BOOKED)  # it read back existing (or just moved) bookings
    return claims


def check_grounded(reply: str, records: list[dict], declared: Iterable[Tool]) -> str | None:
    """A correction for the model when its reply claims an action no tool performed, else None."""
    declared = list(declared)
    allowed = permitted(records, declared)
    claims = dict.fromkeys(t.claim for t in declared if t.claim)  # in declaration order
    for claim in claims:
        if claim in allowed or not claim.made_in(reply):
            continue
        names = " or ".join(t.name for t in declared if t.claim == claim)
        return (
            f"SYSTEM CHECK: your reply says an appointment was {claim.word}, but no "
            f"{names} call succeeded in this turn. "
            "Call the tool first, or tell the customer it has not been done yet."
        )
    return None
