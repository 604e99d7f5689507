"""Messenger Send API errors in the outbox's terms (codes from Meta's Messenger error tables)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from app.channels.base import SendError

# (#10) "This message is sent outside of allowed window" (2018278; 2018065 for subscription
# messages; 2534022 in newer responses).
WINDOW_SUBCODES = frozenset({2018278, 2018065, 2534022})
# 551 "This person isn't available right now" (also as 200/1545041); 10/2018108 "This person
# isn't receiving messages from you right now"; 100/2018001 "No matching user found".
UNREACHABLE_CODES = frozenset({551})
UNREACHABLE_SUBCODES = frozenset({1545041, 2018108, 2018001})
# 4 application limit (4/2018022: too many sends), 17 user, 32 page, 613 "Calls to this API
# have exceeded the rate limit", 80006 the Messenger business-use-case limit.
RATE_CODES = frozenset({4, 17, 32, 613, 80006})
# 1200 "Temporary send message failure. Please try again later"; 2 "An unexpected error has
# occurred. Please retry your request later"; 1 "An unknown error occurred".
TEMPORARY_CODES = frozenset({1, 2, 1200})
# 190 token invalid or expired; 102 session key invalid; 10 (without a window subcode) and
# 200-299 missing permissions: only an admin reconnecting the page can fix these.
CREDENTIAL_CODES = frozenset({102, 190})
MAX_RETRY_AFTER = 24 * 3600.0


def classify(http_status: int, code: int | None, subcode: int | None) -> SendError:
    """Return how the outbox should treat a failed send."""
    if code == 10 and subcode in WINDOW_SUBCODES:
        return SendError.WINDOW_CLOSED
    if code in UNREACHABLE_CODES or subcode in UNREACHABLE_SUBCODES:
        return SendError.UNREACHABLE
    if code in RATE_CODES or (code is None and http_status == 429):
        return SendError.RATE_LIMITED
    if code in TEMPORARY_CODES:
        return SendError.RETRY_LATER
    if code in CREDENTIAL_CODES or code == 10 or (code is not None and 200 <= code <= 299):
        return SendError.BAD_CREDENTIALS
    if code is None and http_status == 401:
        return SendError.BAD_CREDENTIALS
    if code == 100:  # invalid parameter: the same request fails the same way
        return SendError.NEVER_RETRY
    if http_status >= 500:
        return SendError.RETRY_LATER
    return SendError.NEVER_RETRY  # every other refusal of the request itself


def error_fields(body: Mapping[str, Any]) -> tuple[int | None, int | None, str]:
    """Return (code, subcode, message) from a Graph API error body of any shape."""
    error = body.get("error")
    error = error if isinstance(error, Mapping) else {}
    message = error.get("message") or error.get("type") or ""
    return _code(error.get("code")), _code(error.get("error_subcode")), str(message)[:200]


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the wait in seconds the response asked for, if it said.

    `Retry-After` (seconds) first; else the business-use-case usage header, whose
    `estimated_time_to_regain_access` is in minutes.
    """
    seconds = _seconds(headers.get("Retry-After"))
    if seconds is not None:
        return seconds
    raw = headers.get("X-Business-Use-Case-Usage")
    try:
        usage = json.loads(raw) if raw and len(raw) < 10_000 else None
    except ValueError:
        return None
    waits = [
        _seconds(item.get("estimated_time_to_regain_access"), scale=60)
        for items in (usage.values() if isinstance(usage, dict) else ())
        if isinstance(items, list)
        for item in items
        if isinstance(item, dict)
    ]
    waits = [w for w in waits if w]
    return max(waits) if waits else None


def _seconds(value: object, scale: float = 1) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value) * scale
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER)


def _code(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        return int(value)
    return None
