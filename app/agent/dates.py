"""Resolve the dates and times customers write ("tomorrow", "next tuesday", "5pm")."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_SHORT_DAYS = {d[:3]: i for i, d in enumerate(WEEKDAYS)} | {"tues": 1, "thur": 3, "thurs": 3}
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTHS = {m: i + 1 for i, m in enumerate(MONTHS)} | {m[:3]: i + 1 for i, m in enumerate(MONTHS)}
_MONTHS["sept"] = 9
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DMY = re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+([a-z]{3,9})\b")
_MONTH_DAY = re.compile(r"\b([a-z]{3,9})\s+(\d{1,2})(?:st|nd|rd|th)?\b")
_TIME = re.compile(
    r"\b(?:at\s+|after\s+|before\s+|from\s+|until\s+|by\s+)?(\d{1,2})(?:[:.h](\d{2}))?\s*"
    r"(am|pm|a\.m\.|p\.m\.|h)?(?!\w)"  # not \b: "a.m." ends in a non-word character
)


def parse_date(text: str, today: date) -> date | None:
    """The calendar date `text` names, relative to `today`; None when it names none."""
    s = text.strip().lower()
    if not s:
        return None
    if m := _ISO.search(s):
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    if re.search(r"\bday after tomorrow\b", s):
        return today + timedelta(days=2)
    if re.search(r"\b(today|tonight|this (morning|afternoon|evening))\b", s):
        return today
    if re.search(r"\b(tomorrow|tmrw|tmr)\b", s):
        return today + timedelta(days=1)
    if m := re.search(r"\bin (\d{1,3}) days?\b", s):
        return today + timedelta(days=int(m[1]))
    if m := re.search(
        r"\b(next|this|on)?\s*(" + "|".join(_SHORT_DAYS | {d: 0 for d in WEEKDAYS}) + r")\b", s
    ):
        word = m[2]
        target = WEEKDAYS.index(word) if word in WEEKDAYS else _SHORT_DAYS[word]
        ahead = (target - today.weekday()) % 7
        if m[1] == "next" and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead)
    if m := _DAY_MONTH.search(s):
        if m[2] in _MONTHS:
            return _upcoming(today, _MONTHS[m[2]], int(m[1]))
    if m := _MONTH_DAY.search(s):
        if m[1] in _MONTHS:
            return _upcoming(today, _MONTHS[m[1]], int(m[2]))
    if m := _DMY.search(s):
        day, month = int(m[1]), int(m[2])
        if m[3]:
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return _safe_date(year, month, day)
        return _upcoming(today, month, day)
    return None


def parse_time(text: str) -> time | None:
    """The clock time `text` names ("17:00", "5pm", "5.30 pm", "noon"); None when none."""
    s = text.strip().lower()
    if re.search(r"\bnoon|midday\b", s):
        return time(12, 0)
    for m in _TIME.finditer(s):
        hour, minute, suffix = int(m[1]), int(m[2] or 0), (m[3] or "").replace(".", "")
        has_marker = (
            bool(m[2])
            or suffix in {"am", "pm", "h"}
            or m[0].startswith(("at", "after", "before", "from", "until", "by"))
        )
        if not has_marker or minute > 59:
            continue
        if not suffix and 1 <= hour <= 7 and not m[1].startswith("0"):
            # Nobody books a salon at 5 a.m.: a bare "5" means 17:00 ("05:00" stays 05:00).
            hour += 12
        elif suffix == "pm" and hour < 12:
            hour += 12
        elif suffix == "am" and hour == 12:
            hour = 0
        if hour > 23:
            continue
        return time(hour, minute)
    return None


def time_window(text: str) -> tuple[time | None, time | None]:
    """A (from, to) window: "after 5" → (17:00, None) style bounds, "morning" → (00:00, 12:00)."""
    s = text.lower()
    if "morning" in s:
        return time(0, 0), time(12, 0)
    if "afternoon" in s:
        return time(12, 0), time(18, 0)
    if "evening" in s:
        return time(17, 0), None
    t = parse_time(s)
    if t is None:
        return None, None
    if re.search(r"\b(after|from|later than)\b", s):
        return t, None  # parse_time already reads "after 5" as 17:00 and "after 7am" as 07:00
    if re.search(r"\b(before|until|by)\b", s):
        return None, t
    return t, None


def day_words(day: date, today: date) -> str:
    """The shortest words that `parse_date` reads back as `day`: "tomorrow", "Friday", "24 June"."""
    weekday, month = WEEKDAYS[day.weekday()], MONTHS[day.month - 1]
    for words in ("today", "tomorrow", weekday.capitalize(), f"{day.day} {month.capitalize()}"):
        if parse_date(words, today) == day:
            return words
    return day.isoformat()


def _upcoming(today: date, month: int, day: int) -> date | None:
    candidate = _safe_date(today.year, month, day)
    if candidate is None or candidate < today:  # past, or 29 February of a common year
        candidate = _safe_date(today.year + 1, month, day)
    return candidate


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
