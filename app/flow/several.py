"""Several requests in one message ("a haircut Tuesday at 10 and a beard trim Thursday at 11"):
the flow answers one request a turn, so the first is answered and the rest named back to the
customer to send again, never dropped in silence nor booked on the first one's day."""

from __future__ import annotations

import re
from datetime import date

from app.flow.understand import Request, read

# Where a second request may begin: "and", "y", "&", "plus", "also", "también" (after a comma
# too), or a comma alone when what follows names a service ("..., beard trim Thursday at 11").
_JOIN = re.compile(
    r"\s*,?\s*\b(?:and|y|plus|also|as well as|tambien|también)\b\s*|\s*&\s*|\s*,\s*", re.IGNORECASE
)


def split(text: str, business: dict, today: date) -> tuple[str, str]:
    """The message's first request and the text of the ones after it ("" when it holds one).
    A part begins a new request only when it and the text before it each ask for a time on
    their own: a day and a time, or either with a service ("haircut at 10", "Thursday at 11");
    so "between 3 and 5", "a las 5 y media", "a haircut and a beard trim on Friday at 10" and
    "not Tuesday, Thursday at 11" stay one request."""
    for join in _JOIN.finditer(text):
        before, after = text[: join.start()], _next_part(text, join.end())
        if not before.strip() or not _asks(read(before, business, today)):
            continue
        rest = read(after, business, today)
        if _asks(rest) and (rest.service is not None or join[0].strip() != ","):
            return before, text[join.end() :].strip()
    return text, ""


def _next_part(text: str, begin: int) -> str:
    """The text from `begin` to the next place a request may begin (or the end)."""
    nxt = _JOIN.search(text, begin)
    return text[begin : nxt.start() if nxt else len(text)]


def _asks(req: Request) -> bool:
    """Whether the request asks for a time on its own (see `split`)."""
    day, clock = req.day is not None, req.time is not None
    return (day and clock) or ((day or clock) and req.service is not None)
