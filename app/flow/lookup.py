"""How the flow answers a question: by quoting the lines of the business's own texts
(its policies and reference document) that share the question's words. It never writes a fact
of its own; when nothing matches, the caller says it does not know.
"""

from __future__ import annotations

import re

MAX_LINES = 3
QUESTION_START = re.compile(
    r"^\s*(do|does|did|is|are|was|were|can|could|will|would|should|have|has|what|what's|whats"
    r"|where|when|which|who|whom|whose|why|how|may|any)\b",
    re.I,
)
STOPWORDS = frozenset(
    """a about above after again all also am an and any anything are as at be been before being
    but by can could did do does doing for from get got had has have having here how i if in into
    is it its just know let like me mine more most much my need no not now of off on once only or
    other our ours out over please really same say says see she should so some tell than thank
    thanks that the their them then there these they this those to too under up us very want was
    we were what whats when where which while who whom why will with would yes you your yours
    hello hi hey salon business place shop
    el la los las un una unos unas de del que hay teneis tienes tiene para por con se es son
    donde cual como cuando mi tu su sus hola gracias puedo podeis esta este""".split()
)


def asks(text: str) -> bool:
    """Whether the text is a question (a question mark, or it starts like one)."""
    return "?" in text or bool(QUESTION_START.match(text))


def answer(question: str, sources: list[str]) -> list[str]:
    """The lines of `sources` that answer `question` ([] when none does).

    A line answers when it (with its section heading) holds at least half of the question's
    words; the lines holding the most are quoted, at most MAX_LINES of them.
    """
    wanted = keywords(question)
    if not wanted:
        return []
    needed = (len(wanted) + 1) // 2
    scored: list[tuple[int, int, str]] = []
    for source in sources:
        heading: set[str] = set()
        listing_sources = False
        for raw in source.splitlines():
            line = raw.strip()
            if line.startswith("#") or line == "Sources:":
                heading, listing_sources = keywords(line), line == "Sources:"
                continue
            text = re.sub(r"^([-*•]|\d+\.)\s+", "", line)
            if not text or listing_sources or text.startswith(("Reference document of ", "(")):
                continue
            hits = _hits(wanted, keywords(text) | heading)
            if hits >= needed:
                scored.append((hits, len(scored), text))
    if not scored:
        return []
    best = max(hits for hits, _, _ in scored)
    lines = [text for hits, _, text in scored if hits == best]
    return list(dict.fromkeys(lines))[:MAX_LINES]


def _hits(wanted: set[str], words: set[str]) -> int:
    """How many wanted words the line has ("cancel" counts in "cancellations")."""
    return sum(1 for w in wanted if any(_same(w, k) for k in words))


def _same(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return a == b or (len(short) >= 5 and long.startswith(short))


def keywords(text: str) -> set[str]:
    """The text's meaningful words, lightly stemmed ("parking" and "park" are one)."""
    words = re.findall(r"[a-z0-9áéíóúñü]+", text.lower().replace("'", ""))
    return {_stem(w) for w in words if len(w) > 2 and w not in STOPWORDS}


def _stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ing") and len(word) > 5:
        return word[:-3]
    if word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word
