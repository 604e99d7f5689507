"""Where the reference document disagrees with the configured prices and opening hours.

The configuration wins (the prompt says so); these are flagged in the console so the owner can
fix one or the other. Lines are read conservatively: a line naming two services, or hours that
do not parse, is not compared at all, so a conflict shown is one the document really states.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from app.booking.hours import DAYS, clock

# English and Spanish, the languages the bot speaks: "Mon–Fri 9am–6pm", "Saturday: closed",
# "de lunes a viernes, de 9:00 a 18:00", "sábados: cerrado".
_DAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)s?"
    r"|lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bados?|domingos?"
)
_ES_DAYS = dict(lun="mon", mar="tue", mie="wed", jue="thu", vie="fri", sab="sat", dom="sun")
_UNTIL = r"-|–|—|to|through|thru|until|a|al|hasta"
_DAY_SEP = rf"\s*(?:{_UNTIL}|,|&|and|y)\s*"
_TIME = r"\d{1,2}(?:[:.h]\d{2})?\s*(?:[ap]\.?m\.?)?"
_TO = r"-|–|—|to|until|till|a|hasta"
_RANGE = rf"{_TIME}\s*(?:{_TO})\s*{_TIME}"
_HOURS = re.compile(
    rf"\b(?P<days>(?:{_DAY})(?:{_DAY_SEP}(?:{_DAY}))*)\b\s*[:=,]?\s*(?:(?:from|de|desde)\s+)?"
    rf"(?P<value>{_RANGE}(?:\s*(?:,|&|and|/|y)\s*(?:de\s+)?{_RANGE})*|closed|cerrados?)",
    re.I,
)
_ONE_DAY = re.compile(rf"\b(?:{_DAY})\b", re.I)
_ONE_RANGE = re.compile(rf"({_TIME})\s*(?:{_TO})\s*({_TIME})", re.I)
_CLOCK = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?\s*(?:([ap])\.?m\.?)?", re.I)
# An amount with thousands grouped ("1.200", "1,200.50", "1 200,00") or without ("15", "15,5").
_AMOUNT = r"(?:(?<!\d)\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d{1,2})?)"
_PRICE = re.compile(
    rf"(?:(?:€|\$|£|\b(?:eur|usd|gbp|mxn)\b)\s*({_AMOUNT})"
    rf"|({_AMOUNT})\s*(?:€|\$|£|(?:eur|euros?|usd|dollars?|d[oó]lares|gbp|pounds?|libras?"
    r"|mxn|pesos?)\b))",
    re.I,
)
_CENTS = re.compile(r"[.,](\d{1,2})$")
MAX_TEXT = 200


def find_conflicts(business: dict, document: str) -> list[dict]:
    """Each statement of the document that contradicts a configured price or opening time."""
    found: dict[tuple, dict] = {}
    for line in (raw.strip(" -•*#\t") for raw in document.splitlines()):
        if not line:
            continue
        for conflict in _price_conflicts(business.get("services") or [], line) + _hours_conflicts(
            business.get("opening_hours") or {}, line
        ):
            found.setdefault((conflict["field"], conflict["document"]), conflict)
    return list(found.values())


def _price_conflicts(services: list[dict], line: str) -> list[dict]:
    named = [s for s in services if _names(s["name"]).search(line)]
    # A service whose name holds another's ("Hair coloring" and "Hair") counts once.
    named = [s for s in named if not any(o is not s and _holds(o, s) for o in named)]
    prices = [_amount(m[1] or m[2]) for m in _PRICE.finditer(line)]
    prices = [p for p in prices if p is not None]
    if len(named) != 1 or not prices:
        return []
    service = named[0]
    configured = Decimal(str(service["price"]))
    if configured in prices:
        return []
    return [
        {
            "field": f"services.{service['name']}.price",
            "configured": f"{configured:.2f} {service.get('currency', '')}".strip(),
            "document": f"{prices[0]:.2f}",
            "text": line[:MAX_TEXT],
        }
    ]


def _names(name: str) -> re.Pattern:
    words = [re.escape(w) for w in name.split()]
    return re.compile(r"\b" + r"\s+".join(words) + r"(?:e?s)?\b", re.I)


def _holds(longer: dict, shorter: dict) -> bool:
    return len(longer["name"]) > len(shorter["name"]) and bool(
        _names(shorter["name"]).search(longer["name"])
    )


def _amount(text: str) -> Decimal | None:
    """15 of "15", 15.5 of "15,5", 1200 of "1.200" and "1,200": after the last separator, one
    or two digits are cents, three a thousands group."""
    cents = _CENTS.search(text)
    whole = re.sub(r"\D", "", text[: cents.start()] if cents else text)
    try:
        return Decimal(whole + ("." + cents[1] if cents else ""))
    except InvalidOperation:
        return None


def _hours_conflicts(opening_hours: dict, line: str) -> list[dict]:
    conflicts = []
    for match in _HOURS.finditer(line):
        days = _days(match["days"])
        stated = _span(match["value"])
        if not days or stated is False:
            continue
        for day in days:
            configured = opening_hours.get(day)
            mine = (configured["open"], configured["close"]) if configured else None
            if mine != stated:
                conflicts.append(
                    {
                        "field": f"opening_hours.{day}",
                        "configured": "–".join(mine) if mine else "closed",
                        "document": "–".join(stated) if stated else "closed",
                        "text": line[:MAX_TEXT],
                    }
                )
    return conflicts


def _days(spec: str) -> list[str]:
    """Day keys of "Monday to Friday", "Sat & Sun", "Mon, Wed, Fri"."""
    tokens = list(_ONE_DAY.finditer(spec))
    keys = [DAYS.index(_day(t[0])) for t in tokens]
    days: set[int] = set()
    for i, key in enumerate(keys):
        days.add(key)
        if i + 1 < len(keys):
            between = spec[tokens[i].end() : tokens[i + 1].start()].strip().lower()
            if re.fullmatch(_UNTIL, between):
                j = key
                while j != keys[i + 1]:
                    j = (j + 1) % 7
                    days.add(j)
    return [DAYS[d] for d in sorted(days)]


def _day(word: str) -> str:
    """The day key of "Monday", "tues", "miércoles", "sábados"."""
    start = unicodedata.normalize("NFKD", word.lower()).encode("ascii", "ignore").decode()[:3]
    return _ES_DAYS.get(start, start)


def _span(value: str) -> tuple[str, str] | None | bool:
    """("09:00", "18:00") from the first opening to the last closing, None for closed, False
    when the times do not read as one day's hours."""
    if value.strip().lower() in {"closed", "cerrado", "cerrados"}:
        return None
    minutes = []
    for start, end in _ONE_RANGE.findall(value):
        a, b = _minutes(start), _minutes(end)
        if a is None or b is None or b <= a:
            return False
        minutes += [a, b]
    if not minutes:
        return False
    return clock(min(minutes)), clock(max(minutes))


def _minutes(text: str) -> int | None:
    m = _CLOCK.fullmatch(text.strip())
    if not m:
        return None
    hours, minutes, half = int(m[1]), int(m[2] or 0), (m[3] or "").lower()
    if half:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if half == "p" else 0)
    elif m[2] is None:
        return None  # a bare "9" is not a time
    if hours > 24 or minutes > 59 or hours * 60 + minutes > 1440:
        return None
    return hours * 60 + minutes
