"""Field validators shared by the admin endpoints: each names its field when it rejects a value."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from zoneinfo import available_timezones

_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
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
    if not isinstance(value, str) or not _ACCOUNT_ID.match(value):
        errors[name] = "must be 1 to 64 letters, digits, '-' or '_'"
        return BAD
    return value
