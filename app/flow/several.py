"""Several requests in one message ("a haircut Tuesday at 10 and a beard trim Thursday at 11"):
the flow answers one request a turn, so the first is answered and the rest named back to the
customer to send again, never dropped in silence nor booked on the first one's day. Likewise a
request for several people ("for me and my son"): an appointment is one person's, so the
customer is told to book the others one by one (`for_several`)."""

from __future__ import annotations

import re
from datetime import date
from itertools import islice

from app.flow import words
from app.flow.dates import fold
from app.flow.understand import Request, read

# Where a second request may begin: "and", "y", "&", "plus", "also", "también" (after a comma
# too), or a comma alone when what follows names a service ("..., beard trim Thursday at 11").
_JOIN = re.compile(
    r"\s*,?\s*\b(?:and|y|plus|also|as well as|tambien|también)\b\s*|\s*&\s*|\s*,\s*", re.IGNORECASE
)
# The places a second request is looked for: the first few "and"s and commas. Each reads the
# whole text before it, so a long message of commas ("a,a,a,...", 4,000 characters) read at
# every one cost half a minute of a worker's time; a real second request comes early.
MAX_PLACES = 10

# Requests whose verb a part after them shares when it has none of its own ("cancel Friday at
# 10 and Saturday at 11"): that part is given back with the verb (`words` "again_<intent>"),
# since "Saturday at 11" sent again alone asks to book it.
SHARED_VERBS = ("cancel", "move", "cant_make")

# A second choice for the request before it, not a request of its own ("and if that's taken
# Saturday at 11", "or Saturday", "y si no el sábado"); the text is folded (`Request.text`).
_ALTERNATIVE = re.compile(
    r"\W*(?:if\b|or\b|otherwise\b|else\b|failing that\b|si\b|o\b|sino\b|u\b"
    r"|de lo contrario\b|en su defecto\b)"
)
# The part after it offered as another choice ("and Saturday at 11 would also work", "y el
# sábado a las 11 también me va bien"), not asked for too; folded text.
_OTHER_CHOICE = re.compile(
    r"\b(?:works|would (?:also )?work|would (?:also )?do|(?:is|are|be) (?:fine|ok|okay|good)"
    r"|fine too|ok too"
    r"|me (?:va|viene) bien|me vale|me sirve|tambien vale|tambien sirve)\b"
)

# A request for more than one person: "for me and my son", "my wife and I", "for both of us",
# "for two people", "for the kids"; "para mí y mi hija", "mi hijo y yo", "para los dos",
# "para nosotras", "para 3 personas", "para mis hijos". One other person ("for my son") is one
# appointment, and so is "for 2 pm"; "para las dos" and "para las tres" are times (14:00,
# 15:00), "how much for both?" asks about two services, and "my booking and I..." or "mi cita
# y yo..." name no one: only a person beside "me" or "I" makes several.
_PERSON = (
    r"(?:wife|husband|partner|son|daughter|kids?|child|children|boy|girl|boyfriend|girlfriend"
    r"|fianc[eé]e?|friend|mum|mom|mother|dad|father|brother|sister|baby|grandson"
    r"|granddaughter|grandma|grandmother|grandpa|grandfather|niece|nephew|colleague|mate"
    r"|flatmate|roommate|twin)s?"
)
_PERSONA = (
    r"(?:hij[oa]|niñ[oa]|marido|mujer|espos[oa]|pareja|novi[oa]|prometid[oa]|amig[oa]"
    r"|madre|padre|mam[aá]|pap[aá]|herman[oa]|abuel[oa]|niet[oa]|sobrin[oa]|compañer[oa]"
    r"|prim[oa]|bebé|bebe|chic[oa]|peque|gemel[oa])s?"
)
_SEVERAL = re.compile(
    r"\b(?:for|with)\s+(?:me\s+and\b|us\b|the\s+(?:two|three|four)\s+of\s+us\b"
    r"|(?:two|three|four|five|[2-9])\s+(?:people|persons|of\s+us|adults|kids|children)\b"
    r"|(?:two|three|four|five|[2-9])\s*(?:[?.!,]|$)"
    r"|(?:my|the)\s+(?:kids|children|boys|girls|family|sons|daughters|friends)\b)"
    rf"|\bme\s+and\s+my\s+{_PERSON}\b|\bmy\s+{_PERSON}\s+and\s+(?:i|me|myself)\b"
    r"|\bboth\s+of\s+us\b|\bus\s+both\b"
    r"|\bpara\s+(?:m[ií]\s+y\b|los\s+(?:dos|tres)\b(?!\s+(?:servicios|tratamientos|citas))"
    r"|nosotr[oa]s\b"
    r"|(?:dos|tres|cuatro|cinco|[2-9])\s+personas\b"
    r"|mis\s+(?:hij[oa]s|niñ[oa]s|amig[oa]s)\b)"
    rf"|\b(?:yo|m[ií])\s+y\s+mi\s+{_PERSONA}(?!\w)|\bmi\s+{_PERSONA}\s+y\s+yo\b",
    re.IGNORECASE,
)


def for_several(text: str) -> bool:
    """Whether the request is for more than one person (see `_SEVERAL`)."""
    return _SEVERAL.search(text) is not None


def split(text: str, business: dict, today: date, lang: str | None = None) -> tuple[str, str]:
    """The message's first request and the text of the ones after it, to send again ("" when
    it holds one). A part begins a new request only when it and the text before it each ask
    for a time on their own: a day and a time, or either with a service ("haircut at 10",
    "Thursday at 11"); so "between 3 and 5", "a las 5 y media", "a haircut and a beard trim on
    Friday at 10" and "not Tuesday, Thursday at 11" stay one request. Nor is a part that speaks
    of the one before it a new request: a move of it ("I have a haircut Friday at 10 and I'd
    like to move it to Saturday at 11", "... y quiero cambiarla al sábado a las 11") or a
    second choice ("... and if that's taken Saturday at 11", "... y si no el sábado a las 11",
    "... and Saturday at 11 would also work", "... y el sábado a las 11 también me va bien").
    A part with no verb of its own after a cancel, a move or "I can't make it" shares it, and
    is given back with it: "cancel Friday at 10 and Saturday at 11" gives back "cancel Saturday
    at 11" (`lang`: the conversation's, when the text before it shows none)."""
    for join in islice(_JOIN.finditer(text), MAX_PLACES):
        before, after = text[: join.start()], _next_part(text, join.end())
        if not before.strip():
            continue
        rest = read(after, business, today)  # the short part first: the text before is long
        if rest.service is None and join[0].strip() == ",":
            continue
        if _of_the_one_before(rest) or _other_choice(rest, text[join.end() :]):
            continue
        first, again = None, text[join.end() :].strip()
        if rest.intent == "unknown" and (rest.day or rest.time):  # "... and Saturday at 11"
            first = read(before, business, today)
            if first.intent in SHARED_VERBS:
                say = first.lang or lang
                again = words.say(say, f"again_{first.intent}", rest=again)
                rest = read(words.say(say, f"again_{first.intent}", rest=after), business, today)
        if not _asks(rest):
            continue
        if _asks(first or read(before, business, today)):
            return before, again
    return text, ""


def _next_part(text: str, begin: int) -> str:
    """The text from `begin` to the next place a request may begin (or the end)."""
    nxt = _JOIN.search(text, begin)
    return text[begin : nxt.start() if nxt else len(text)]


def _of_the_one_before(req: Request) -> bool:
    """Whether the part speaks of the request before it: moves it (naming no service of its
    own) or offers a second choice for it (see `split`)."""
    moves_it = req.intent in ("move", "instead", "cant_make") and req.service is None
    return moves_it or _ALTERNATIVE.match(req.text) is not None


def _other_choice(req: Request, rest: str) -> bool:
    """Whether the part, naming no service of its own, is offered as another time for the one
    before it ("and Saturday at 11 would also work"); "and a beard trim Saturday at 11, if that
    works" is a second request."""
    return req.service is None and _OTHER_CHOICE.search(fold(rest)) is not None


def _asks(req: Request) -> bool:
    """Whether the request asks for a time on its own (see `split`)."""
    day, clock = (req.day or req.of_day) is not None, req.time is not None
    return (day and clock) or ((day or clock) and req.service is not None)
