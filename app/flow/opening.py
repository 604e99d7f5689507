"""Opening hours in words: the week, or one day ("what time do you close on Saturday?")."""

from __future__ import annotations

from datetime import date

from app.booking.hours import DAYS
from app.flow import words
from app.flow.dates import WEEKDAYS


def week_hours(business: dict, lang: str) -> str:
    """Every weekday's hours, and the closed dates, as a short list."""
    lines = [words.say(lang, "hours")]
    for index, key in enumerate(DAYS):
        name = words.WEEKDAYS_ES[index] if lang == "es" else WEEKDAYS[index].capitalize()
        lines.append(f"• {name}: {_spec(business, key, lang)}")
    closed = business.get("closed_dates") or []
    if closed:
        lines.append(
            words.say(lang, "closed_dates", dates=", ".join(d.isoformat() for d in closed))
        )
    return "\n".join(lines)


def day_hours(business: dict, day: date, today: date, lang: str) -> str:
    """When the business opens and closes on `day` (or that it is closed)."""
    named = words.day_long(day, lang)
    spec = (business.get("opening_hours") or {}).get(DAYS[day.weekday()])
    if not spec or day in (business.get("closed_dates") or []):
        return words.say(lang, "day_closed", day=named)
    return words.say(lang, "day_hours", day=named, hours=_range(spec, lang))


def _spec(business: dict, key: str, lang: str) -> str:
    spec = (business.get("opening_hours") or {}).get(key)
    if not spec:
        return "cerrado" if lang == "es" else "closed"
    if lang == "es":
        return _range(spec, lang).removeprefix("de ")
    return _range(spec, lang)


def _range(spec: dict, lang: str) -> str:
    """ "09:00–18:00 (break 13:00–14:00)" / "de 09:00 a 18:00 (descanso de 13:00 a 14:00)"."""
    breaks = spec.get("breaks") or []
    if lang == "es":
        text = f"de {spec['open']} a {spec['close']}"
        if breaks:
            text += " (descanso " + ", ".join(f"de {a} a {b}" for a, b in breaks) + ")"
        return text
    text = f"{spec['open']}–{spec['close']}"
    if breaks:
        text += " (break " + ", ".join(f"{a}–{b}" for a, b in breaks) + ")"
    return text
