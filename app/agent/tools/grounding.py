"""Grounding: a reply may say booked, moved or cancelled only after a tool did it this turn.

Each tool declares the claims its success permits (`Tool.claim`, `Tool.also_permits`); this
module reads those declarations, so a new tool with a claim is grounded without touching it.
The words are English and Spanish, the languages the bot speaks (`app.flow.lang`).

A claim word is not a claim when it is negated ("not booked yet", "no la he cancelado"), states
a slot's state or a policy ("fully booked", "appointments cancelled less than 24 h before…"),
is a condition ("if cancelled…", "once booked…", "if you want it moved…"), quotes someone
("you wrote “I already booked it”") or a question ("Would you like it booked?":
the `?` ends the clause holding the word, with no comma, dash or emoji between). Once the turn
has booked, moved or cancelled, "booked" may also describe the appointment or time it was
about: "your haircut that was booked for Tuesday", "your haircut scheduled for Tuesday is now
cancelled". After a refused attempt only a taken time may be "already booked" ("16:00 is
already booked"), never the customer ("you're already booked").
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

    def made_in(self, reply: str, allowed: Iterable[Claim] = (), acted: str = "") -> bool:
        """Whether the reply says it; `allowed`: the claims the turn's calls permit, `acted`:
        DONE when a call that books, moves or cancels succeeded, TRIED when one only was
        refused, "" without one (see the module)."""
        reply = unicodedata.normalize("NFC", reply)
        others = [c.pattern for c in allowed if c is not self]
        return any(_claims(self, reply, m, others, acted) for m in self.pattern.finditer(reply))


def _words(*alternatives: str) -> re.Pattern:
    return re.compile(r"\b(" + "|".join(alternatives) + r")\b", re.I)


BOOKED = Claim(
    "booked",
    _words(
        r"(re)?booked|confirmed|reserved|scheduled|you['’]?re all set|see you on|put you down",
        r"made (your|you an?|the) (booking|reservation|appointment)|pencil+ed you in",
        r"reservad[oa]s?|confirmad[oa]s?|agendad[oa]s?|programad[oa]s?|apuntad[oa]s?",
        r"reservé|confirmé|agendé|apunté|nos vemos el",
        r"anotad[oa]s?|anoté|he hecho (tu|la|una) (reserva|cita)|te esperamos el",
    ),
)
MOVED = Claim(
    "moved",
    _words(
        r"moved|re-?scheduled|changed (it|your \w+) to",
        r"cambiad[oa]s?|movid[oa]s?|reprogramad[oa]s?|trasladad[oa]s?|cambié|moví|reprogramé",
        r"reagendad[oa]s?|reagendé",
    ),
)
CANCELLED = Claim(
    "cancelled",
    _words(
        r"cancell?ed|cancelad[oa]s?|anulad[oa]s?|cancelé|anulé",
        r"(removed|deleted|called off) (your|the|that) ([\w:]+ ){0,2}"
        r"(appointment|booking|reservation)",
        r"eliminé|borré|he (eliminado|borrado)|(ha sido|fue|queda|quedó|está) (eliminada|borrada)",
    ),
)

_WORD = r"[\w'’]+\s+"
# "No worries", "don't worry": a negator that reassures and negates no verb.
REASSURING = r"(worr(y|ies)|problems?|probs?|doubt|fear|fret|stress|hassle|bother)\b"
# Words just before a claim word that make it something other than a claim of an action.
NOT_A_CLAIM = re.compile(
    rf"(\b(not|never|no|nothing|nunca|nada)|n['’]t)\s+(?!{REASSURING})({_WORD}){{0,2}}$"
    r"|\b(fully|completely|completamente|totalmente)\s+$"  # a slot's state: "fully booked"
    r"|\b(appointments|bookings|reservations|citas|reservas)\s+$"  # a policy
    # a condition: "if cancelled", "if you want it moved", "once booked", "una vez reservada"
    rf"|\b(if|unless|when|once|as soon as|si|cuando|una vez|en cuanto)\s+({_WORD}){{0,3}}$",
    re.I,
)
# Someone's words quoted ("you wrote “I already booked it”"): double quotes after a verb of
# saying; quotes alone may only stress the reply's own claim ('your haircut is "booked"').
QUOTE = re.compile(r'"[^"\n]*"|“[^”\n]*”|«[^»\n]*»')
SAID = re.compile(
    r"\b(said|say|says|wrote|write|writes|mentioned|asked|told (me|us)|dijiste|dices|escribiste"
    r"|pusiste|comentaste|mencionaste|preguntaste)\b[^.!?\n\"“«]{0,15}$",
    re.I,
)
# Words before "booked" that describe a booking or a taken time ("already booked", "was
# booked for", "ya está reservada"), once the turn has acted on one.
DESCRIBED = re.compile(
    r"\b(already|was|were|estaba|estaban|ya(\s+est[aá]n?|\s+estaba)?)\s+(been\s+)?$", re.I
)
# After a refused attempt only a taken time is described, never the customer.
ALREADY = re.compile(r"\b(already|ya(\s+est[aá]n?|\s+estaba)?)\s+(been\s+)?$", re.I)
CUSTOMER = re.compile(r"\b(you|your|yours|you['’]re|tu|tus|te|usted|ustedes)\b", re.I)
SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")
# Emoji (pictographs, dingbats, flags) end a clause as a full stop would: "cancelled 👍 Anything
# else?" is a claim, then a question.
EMOJI = "\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff"
# A spaced dash ends one too; "10:00–10:30" is a range.
CLAUSE_END = re.compile(rf"[.!?,;](?=\s|$)|\n|[—{EMOJI}]|\s[–-]\s")
DONE, TRIED = "done", "tried"


def _claims(claim: Claim, reply: str, m: re.Match, others: list[re.Pattern], acted: str) -> bool:
    """Whether the claim word at `m` claims the action (see the module's rules)."""
    if any(q.start() < m.start() < q.end() and _quotes(reply, q) for q in QUOTE.finditer(reply)):
        return False
    sentence = _after_last(SENTENCE_END, reply[: m.start()])
    if NOT_A_CLAIM.search(sentence) or _asks(sentence, reply[m.end() :]):
        return False
    if claim is not BOOKED or not acted:
        return True
    if acted == TRIED:  # nothing was booked: "16:00 is already booked", not "you're…"
        clause = _after_last(CLAUSE_END, sentence)
        return not ALREADY.search(clause) or bool(CUSTOMER.search(clause))
    rest = reply[m.end() :]
    rest = rest[: next((e.start() for e in SENTENCE_END.finditer(rest)), len(rest))]
    # "your haircut scheduled for Tuesday is now cancelled": it names what the turn acted on.
    return not (DESCRIBED.search(sentence) or any(p.search(rest) for p in others))


def _quotes(reply: str, quote: re.Match) -> bool:
    """Whether the quoted text is someone's words: a verb of saying shortly before it."""
    return bool(SAID.search(reply[: quote.start()]))


def _after_last(pattern: re.Pattern, text: str) -> str:
    """`text` after the last match of `pattern` (all of it without one)."""
    return text[max((e.end() for e in pattern.finditer(text)), default=0) :]


def _asks(before: str, after: str) -> bool:
    """Whether the clause around a word is a question ("Would you like it booked?", "¿…?"):
    its first clause end after the word is a `?` (a dash or emoji first ends a statement)."""
    end = CLAUSE_END.search(after)
    return (end is not None and end.group() == "?") or "¿" in before


def acted_on(records: list[dict], declared: Iterable[Tool]) -> str:
    """DONE when a call that books, moves or cancels succeeded (or its refusal confirms the
    state, as "already cancelled" does), TRIED when such calls were only refused, else ""."""
    by_name = {t.name: t for t in declared if t.claim}
    calls = [(by_name[r["name"]], r) for r in records if r.get("name") in by_name]
    if any(r.get("ok") or _confirms(tool, r) for tool, r in calls):
        return DONE
    return TRIED if calls else ""


def _confirms(tool: Tool, record: dict) -> bool:
    return (record.get("result") or {}).get("error") in tool.confirmed_by


def permitted(records: list[dict], declared: Iterable[Tool]) -> set[Claim]:
    """The claims this turn's tool calls permit."""
    by_name = {t.name: t for t in declared}
    claims: set[Claim] = set()
    for record in records:
        tool = by_name.get(record.get("name"))
        if tool is None:
            continue
        result = record.get("result") or {}
        if tool.claim and (record.get("ok") or _confirms(tool, record)):
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
    acted = acted_on(records, declared)
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
