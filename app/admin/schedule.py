"""Validation of weekly opening hours (with breaks) and closed dates."""

from __future__ import annotations

import re
from datetime import date

from app.admin.fields import BAD, Errors
from app.booking.hours import DAYS

# fullmatch and ASCII digits only (see app.admin.fields).
_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$", re.ASCII)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
MAX_CLOSED_DATES = 1000


def closed_dates(value, name, errors):
    """A list of ISO dates (YYYY-MM-DD), returned sorted without duplicates."""
    if not isinstance(value, list) or len(value) > MAX_CLOSED_DATES:
        errors[name] = f"must be a list of at most {MAX_CLOSED_DATES} ISO dates"
        return BAD
    before, days = len(errors), set()
    for i, item in enumerate(value):
        try:
            if not isinstance(item, str) or not _ISO_DATE.fullmatch(item):
                raise ValueError
            days.add(date.fromisoformat(item))
        except ValueError:
            errors[f"{name}.{i}"] = "must be an ISO date (YYYY-MM-DD)"
    return BAD if len(errors) > before else sorted(days)


def _minutes(value, name, errors, allow_midnight_end: bool = False) -> int | None:
    if isinstance(value, str) and (
        _HHMM.fullmatch(value) or (allow_midnight_end and value == "24:00")
    ):
        hours, minutes = value.split(":")
        return int(hours) * 60 + int(minutes)
    errors[name] = "must be HH:MM"
    return None


def _day(spec, name: str, errors: Errors):
    """One weekday: null (closed) or {open, close, breaks}."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        errors[name] = "must be null or an object with open, close and breaks"
        return BAD
    before = len(errors)
    for key in spec:
        if key not in ("open", "close", "breaks"):
            errors[f"{name}.{key}"] = "unknown field"
    opens = _minutes(spec.get("open"), f"{name}.open", errors)
    closes = _minutes(spec.get("close"), f"{name}.close", errors, allow_midnight_end=True)
    if opens is not None and closes is not None and closes <= opens:
        errors[f"{name}.close"] = "must be after open"
    breaks = _breaks(spec.get("breaks", []), f"{name}.breaks", errors, opens, closes)
    if len(errors) > before:
        return BAD
    return {"open": spec["open"], "close": spec["close"], "breaks": breaks}


def _breaks(value, name: str, errors: Errors, opens, closes) -> list:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 20:
        errors[name] = "must be a list of at most 20 [start, end] pairs"
        return []
    spans = []
    for i, pair in enumerate(value):
        key = f"{name}.{i}"
        if not isinstance(pair, list) or len(pair) != 2:
            errors[key] = "must be a [start, end] pair of HH:MM times"
            continue
        start = _minutes(pair[0], key, errors)
        end = _minutes(pair[1], key, errors, allow_midnight_end=True)
        if start is None or end is None:
            continue
        if end <= start:
            errors[key] = "must end after it starts"
        elif opens is not None and closes is not None and not opens <= start < end <= closes:
            errors[key] = "must lie inside the opening hours"
        else:
            spans.append((start, end, i, pair))
    spans.sort()
    for (_, prev_end, _, _), (start, _, i, _) in zip(spans, spans[1:], strict=False):
        if start < prev_end:
            errors[f"{name}.{i}"] = "must not overlap another break"
    return [pair for _, _, _, pair in spans]


def opening_hours(value, name, errors):
    """{mon..sun: null | {open, close, breaks}}; a missing day is closed."""
    if not isinstance(value, dict):
        errors[name] = "must be an object with keys mon..sun"
        return BAD
    before = len(errors)
    for key in value:
        if key not in DAYS:
            errors[f"{name}.{key}"] = "unknown day (use mon..sun)"
    hours = {day: _day(value.get(day), f"{name}.{day}", errors) for day in DAYS}
    return BAD if len(errors) > before else hours
