"""Meta's webhooks, whichever channel they carry: the X-Hub-Signature-256 scheme, safe decoding
and reading envelopes without raising.

WhatsApp and Messenger deliveries are signed with the same Meta app secret; both bodies are JSON
that must be checked before anything stores it, then read field by field (see `ParseNotes`).
How both channels send (the Graph API) is in `app.channels.graph`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import orjson

_PREFIX = "sha256="
_HEX_LEN = 64
_HEX_DIGITS = frozenset("0123456789abcdef")
# Meta's envelopes nest about ten levels; anything far deeper is not from Meta.
MAX_DEPTH = 100
# Characters JSON can carry (as \u0000 or a lone \udXXX escape) but PostgreSQL text cannot.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# The escapes that can decode to one of those (a surrogate pair is walked too, to be sure).
_RISKY_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
# orjson decodes bodies up to this size, where it reads them as json.loads does (_fast_decode).
FAST_DECODE_BYTES = 64 * 1024  # Meta's deliveries are a few KB
_UNDECIDED = object()
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * 19  # 19 digits in a row, once every digit reads as 0


def sign(body: bytes, secret: str) -> str:
    """Return the X-Hub-Signature-256 header value for body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify(body: bytes, header: str | None, secret: str) -> bool:
    """Return True when header is a valid signature of the raw body bytes."""
    if not header or not secret:
        return False
    header = header.strip()
    if header[: len(_PREFIX)].lower() != _PREFIX:
        return False
    given = header[len(_PREFIX) :].lower()
    # Reject malformed values early; the comparison below stays constant-time for well-formed ones.
    if len(given) != _HEX_LEN or not _HEX_DIGITS.issuperset(given):
        return False
    expected = sign(body, secret)[len(_PREFIX) :]
    return hmac.compare_digest(expected, given)


def decode_body(body: bytes) -> object:
    """Decode a webhook body; raise ValueError unless it is JSON that PostgreSQL can store.

    NaN/Infinity (not JSON) and nesting deeper than MAX_DEPTH are refused; numbers too large
    for a float are kept as their text; NUL characters and lone surrogates in strings become
    U+FFFD, so a hostile or broken delivery is answered 200/400 instead of failing in the
    database (a 5xx would make Meta redeliver it for days).
    """
    data = _fast_decode(body)
    if data is _UNDECIDED:
        try:
            data = json.loads(body, parse_constant=_not_json, parse_float=_finite_float)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc
    if _clean(body):
        return data
    return _storable(data)


def _fast_decode(body: bytes) -> object:
    """`body` decoded by orjson (a quarter of json.loads's time), or _UNDECIDED for json.loads.

    Where orjson's answer could differ from json.loads's, json.loads decides: orjson refuses
    what it will not read alike (NaN, a number beyond a double, a BOM, UTF-16, a surrogate,
    nesting past 1,024) and silently turns an integer beyond 64 bits into a float, so a body
    with 19 digits in a row (a 64-bit integer has at most 20; Meta's ids and timestamps have
    at most 17) goes to json.loads too, as does a body over FAST_DECODE_BYTES (the check
    copies it). What both accept, they decode alike: the same correctly rounded floats, the
    last of duplicate keys (tests/test_hostile_input.py)."""
    if len(body) > FAST_DECODE_BYTES or _LONG_DIGITS in body.translate(_DIGITS_AS_ZERO):
        return _UNDECIDED
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return _UNDECIDED


def _clean(body: bytes) -> bool:
    """Whether the decoded `body` surely needs no cleaning (the common case, checked on bytes).

    An unstorable character comes either as an escape (\\u0000, \\udXXX) or, since
    json.loads decodes with "surrogatepass", as a UTF-8-encoded surrogate (lead byte 0xED).
    NUL bytes mean UTF-16/32 (JSON in UTF-8 has none). At most MAX_DEPTH brackets cannot
    nest deeper than MAX_DEPTH. Whatever fails a check is walked by `_storable`.
    """
    return (
        b"\x00" not in body
        and b"\xed" not in body
        and _RISKY_ESCAPE.search(body) is None
        and body.count(b"{") + body.count(b"[") <= MAX_DEPTH
    )


def _not_json(constant: str) -> object:
    raise ValueError(f"{constant} is not JSON")


def _finite_float(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else text


def _storable(data: object) -> object:
    """`data` with every string made storable, checking the depth (iteratively: no recursion)."""
    root = [data]
    stack: list[tuple[list | dict, int]] = [(root, 0)]
    while stack:
        container, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_DEPTH}")
        if isinstance(container, dict):
            for key in list(container):
                value = container[key]
                if isinstance(key, str) and _UNSTORABLE.search(key):
                    del container[key]
                    key = _UNSTORABLE.sub("\ufffd", key)
                    container[key] = value
                if isinstance(value, str):
                    if _UNSTORABLE.search(value):
                        container[key] = _UNSTORABLE.sub("\ufffd", value)
                elif isinstance(value, dict | list):
                    stack.append((value, depth + 1))
        else:
            for index, value in enumerate(container):
                if isinstance(value, str):
                    if _UNSTORABLE.search(value):
                        container[index] = _UNSTORABLE.sub("\ufffd", value)
                elif isinstance(value, dict | list):
                    stack.append((value, depth + 1))
    return root[0]


# Reading envelopes: Meta's JSON is read field by field, a wrong type counting as missing.


def as_str(value: object) -> str:
    """Return value as a string when it is one (or an integer id), else ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def as_dict(value: object) -> Mapping[str, Any]:
    """Return value when it is an object, else an empty one."""
    return value if is_object(value) else {}


def is_object(value: object) -> bool:
    """Whether value is a JSON object: a dict (checked first: every decoded body's objects are,
    and an ABC's isinstance costs ten times more) or another Mapping."""
    return type(value) is dict or isinstance(value, Mapping)


def as_int(value: object) -> int | None:
    """Return an int from an int, a finite float or a digit string (Meta sends both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        return int(value)
    return None


def error_code(value: object) -> int | None:
    """An error code Meta gives (a number or a digit string), or None: one that does not fit
    the 32-bit column it is kept in is not a code of theirs, and stored it would refuse the
    whole write (a delivery's other statuses, a send's record)."""
    code = as_int(value)
    return code if code is not None and -(2**31) <= code < 2**31 else None


class ParseNotes:
    """What a parser of one body skipped and why, counted by reason, and its update budget."""

    MAX_REASONS = 50

    def __init__(self, max_updates: int) -> None:
        self.reasons: dict[str, int] = {}
        self.max_updates = max_updates
        self.updates = 0
        self.dropped = 0

    def ignore(self, reason: str, times: int = 1) -> None:
        """Note `times` things skipped for `reason` (past MAX_REASONS reasons, as "other")."""
        if reason not in self.reasons and len(self.reasons) >= self.MAX_REASONS:
            reason = "other"
        self.reasons[reason] = self.reasons.get(reason, 0) + times

    def items(self, value: object, what: str, limit: int) -> list[Mapping]:
        """Return the object items of a list (at most `limit`), noting everything else."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.ignore(f"{what} list is {type(value).__name__}")
            return []
        if len(value) > limit:
            self.ignore(f"{what} list over {limit}: {len(value) - limit} ignored")
        good = [item for item in value[:limit] if is_object(item)]
        if len(good) < min(len(value), limit):
            self.ignore(f"{what} not an object", min(len(value), limit) - len(good))
        return good

    def ignored(self) -> tuple[str, ...]:
        """Every reason noted, "reason (xN)" when it happened N times."""
        if self.dropped:
            self.ignore(f"update limit {self.max_updates}: {self.dropped} ignored")
        return tuple(r if n == 1 else f"{r} (x{n})" for r, n in self.reasons.items())
