"""Grounding: a reply may say booked, moved or cancelled only after a tool did it this turn.

Each tool declares the claims its success permits (`Tool.claim`, `Tool.also_permits`); this
module reads those declarations, so a new tool with a claim is grounded without touching it.
The words are English and Spanish, the languages the bot speaks (`app.flow.lang`).

A claim word is not a claim when it is negated ("not booked yet", "no la he cancelado"), states
a slot's state or a policy ("fully booked", "appointments cancelled less than 24 h before…"),
is a condition ("if cancelled…") or a question ("Would you like it booked?"). Once the turn has
booked, moved or cancelled (or tried to), "booked" may also describe the appointment or time
it was about: "16:00 is already booked", "your haircut that was booked for Tuesday", "your
haircut scheduled for Tuesday is now cancelled".
"""

from __future__ import annotations

import re
import unicodedata
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

    def made_in(self, reply: str, allowed: Iterable[Claim] = (), acted: bool = False) -> bool:
        """Whether the reply says it; `allowed`: the claims the turn's calls permit, `acted`:
        whether it called a tool that books, moves or cancels (see the module)."""
        reply = unicodedata.normalize("NFC", reply)
        others = [c.pattern for c in allowed if c is not self]
        return any(_claims(self, reply, m, others, acted) for m in self.pattern.finditer(reply))


def _words(*alternatives: str) -> re.Pattern:
    return re.compile(r"\b(" + "|".join(alternatives) + r")\b", re.I)


BOOKED = Claim(
    "booked",
    _words(
        r"booked|confirmed|reserved|scheduled|you['’]?re all set|see you on|put you down",
        r"made (your|you an?|the) (booking|reservation|appointment)|pencil+ed you in",
        r"reservad[oa]s?|confirmad[oa]s?|agendad[oa]s?|programad[oa]s?|apuntad[oa]s?",
        r"reservé|confirmé|agendé|apunté|nos vemos el",
    ),
)
MOVED = Claim(
    "moved",
    _words(
        r"moved|rescheduled|changed (it|your \w+) to",
        r"cambiad[oa]s?|movid[oa]s?|reprogramad[oa]s?|trasladad[oa]s?|cambié|moví|reprogramé",
    ),
)
CANCELLED = Claim("cancelled", _words(r"cancell?ed|cancelad[oa]s?|anulad[oa]s?|cancelé|anulé"))

_WORD = r"[\w'’]+\s+"
# Words just before a claim word that make it something other than a claim of an action.
NOT_A_CLAIM = re.compile(
    rf"(\b(not|never|no|nothing|nunca|nada)|n['’]t)\s+({_WORD}){{0,2}}$"  # "not booked yet"
    r"|\b(fully|completely|completamente|totalmente)\s+$"  # a slot's state: "fully booked"
    r"|\b(appointments|bookings|reservations|citas|reservas)\s+$"  # a policy
    rf"|\b(if|unless|when|si|cuando)\s+({_WORD}){{0,2}}$",  # a condition: "if cancelled"
    re.I,
)
# Words before "booked" that describe a booking or a taken time ("already booked", "was
# booked for", "ya está reservada"), once the turn has acted on one.
DESCRIBED = re.compile(
    r"\b(already|was|were|estaba|estaban|ya(\s+est[aá]n?|\s+estaba)?)\s+(been\s+)?$", re.I
)
SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")
CLAUSE_END = re.compile(r"[.!?,;](?=\s|$)|\n")


def _claims(claim: Claim, reply: str, m: re.Match, others: list[re.Pattern], acted: bool) -> bool:
    """Whether the claim word at `m` claims the action (see the module's rules)."""
    sentence = reply[: m.start()]
    sentence = sentence[max((e.end() for e in SENTENCE_END.finditer(sentence)), default=0) :]
    if NOT_A_CLAIM.search(sentence) or _asks(sentence, reply[m.end() :]):
        return False
    if claim is not BOOKED or not acted:
        return True
    rest = reply[m.end() :]
    rest = rest[: next((e.start() for e in SENTENCE_END.finditer(rest)), len(rest))]
    # "your haircut scheduled for Tuesday is now cancelled": it names what the turn acted on.
    return not (DESCRIBED.search(sentence) or any(p.search(rest) for p in others))


def _asks(before: str, after: str) -> bool:
    """Whether the clause around a word is a question ("Would you like it booked?", "¿…?")."""
    end = CLAUSE_END.search(after)
    return (end is not None and end.group() == "?") or "¿" in before


def permitted(records: list[dict], declared: Iterable[Tool]) -> set[Claim]:
    """The claims this turn's tool calls permit."""
    by_name = {t.name: t for t in declared}
    claims: set[Claim] = set()
    for record in records:
        tool = by_name.get(record.get("name"))
        if tool is None:
            continue
        result = record.get("result") or {}
        if tool.claim and (record.get("ok") or result.get("error") in tool.confirmed_by):
            claims.add(tool.claim)
        if record.get("ok"):
            claims.update(tool.also_permits)
        if tool.reads_back and record.get("ok") and result.get("appointments"):
            claims.add(BOOKED)  # it read back existing bookings: at least one
    return claims


def check_grounded(reply: str, records: list[dict], declared: Iterable[Tool]) -> str | None:
    """A correction for the model when its reply claims an action no tool performed, else None."""
    declared = list(declared)
    allowed = permitted(records, declared)
    acting = {t.name for t in declared if t.claim}
    acted = any(r.get("name") in acting for r in records)
    claims = dict.fromkeys(t.claim for t in declared if t.claim)  # in declaration order
    for claim in claims:
        if claim in allowed or not claim.made_in(reply, allowed, acted):
            continue
        names = " or ".join(t.name for t in declared if t.claim == claim)
        return (
            f"SYSTEM CHECK: your reply says an appointment was {claim.word}, but no "
            f"{names} call succeeded in this turn. "
            "Call the tool first, or tell the customer it has not been done yet."
        )
    return None
