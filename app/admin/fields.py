"""Field validators shared by the admin endpoints: each names its field when it rejects a value."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from zoneinfo import available_timezones

# Patterns are used with fullmatch and re.ASCII, as the contract's (JavaScript) patterns read:
# `$` alone also matches before a final newline, and `\d` a digit of any script.
_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PHONE = re.compile(r"^[0-9]{6,20}$")
BAD = object()  # a validator's "rejected" result (None is a valid value for some fields)

Errors = dict[str, str]
Validator = Callable[[object, str, Errors], object]


def text(low: int, high: int) -> Validator:
    """A string of `low`..`high` characters (surrounding blanks removed)."""

    def check(value, name, errors):
        if not isinstance(value, str):
            errors[name] = "must be a string"
            return BAD
        value = value.strip()
        if not low <= len(value) <= high:
            errors[name] = (
                f"must be {low} to {high} characters" if low else f"at most {high} characters"
            )
            return BAD
        return value

    return check


def integer(low: int, high: int) -> Validator:
    """An integer in [low, high] (booleans and floats are refused)."""

    def check(value, name, errors):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[name] = f"must be an integer from {low} to {high}"
            return BAD
        return value

    return check


def nullable(check: Validator) -> Validator:
    """null, or a value `check` accepts."""

    def check_or_null(value, name, errors):
        return None if value is None else check(value, name, errors)

    return check_or_null


def boolean(value, name, errors):
    """true or false."""
    if not isinstance(value, bool):
        errors[name] = "must be true or false"
        return BAD
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone(value, name, errors):
    """An IANA timezone name known to zoneinfo."""
    if not isinstance(value, str) or value not in _zones():
        errors[name] = "must be an IANA timezone such as Europe/Madrid"
        return BAD
    return value


def account_id(value, name, errors):
    """A business's id on a channel (a WhatsApp number's id): letters, digits, - and _ (1..64)."""
    if not isinstance(value, str) or not _ACCOUNT_ID.fullmatch(value):
        errors[name] = "must be 1 to 64 letters, digits, '-' or '_'"
        return BAD
    return value


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$", re.ASCII)
_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_TEMPLATE_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
MIN_OFFSET, MAX_OFFSET, MAX_OFFSETS = 15, 10_080, 5


def reminder_offsets(value, name, errors):
    """1 to 5 different whole minutes before the appointment, each 15 min to 7 days."""
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= MAX_OFFSETS
        or any(isinstance(v, bool) or not isinstance(v, int) for v in value)
        or not all(MIN_OFFSET <= v <= MAX_OFFSET for v in value)
        or len(set(value)) != len(value)
    ):
        errors[name] = (
            f"must be 1 to {MAX_OFFSETS} different integers from {MIN_OFFSET} to {MAX_OFFSET}"
            " (minutes before the appointment)"
        )
        return BAD
    return sorted(value, reverse=True)


def quiet_hours(value, name, errors):
    """null (none), or {"start": "HH:MM", "end": "HH:MM"} with start and end apart."""
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or set(value) != {"start", "end"}
        or not all(isinstance(value[k], str) and _HHMM.fullmatch(value[k]) for k in value)
        or value["start"] == value["end"]
    ):
        errors[name] = 'must be null or {"start": "HH:MM", "end": "HH:MM"} with start != end'
        return BAD
    return {"start": value["start"], "end": value["end"]}


def whatsapp_template(value, name, errors):
    """null, or {"name": the approved template's name, "language": its code, e.g. en_US}."""
    if value is None:
        return None
    ok = (
        isinstance(value, dict)
        and set(value) == {"name", "language"}
        and isinstance(value["name"], str)
        and _TEMPLATE_NAME.fullmatch(value["name"])
        and isinstance(value["language"], str)
        and _TEMPLATE_LANGUAGE.fullmatch(value["language"])
    )
    if not ok:
        errors[name] = (
            'must be null or {"name": lower-case letters, digits and _, "language": a code'
            " such as en or en_US}"
        )
        return BAD
    return {"name": value["name"], "language": value["language"]}


def phone_number(value, name, errors):
    """A WhatsApp number in international form, digits only (an optional leading + is dropped)."""
    digits = value.strip().removeprefix("+").replace(" ", "") if isinstance(value, str) else None
    if digits is None or not _PHONE.fullmatch(digits):
        errors[name] = "must be a phone number with country code, 6 to 20 digits"
        return BAD
    return digits
