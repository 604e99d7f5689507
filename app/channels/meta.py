"""Meta's webhooks, whichever channel they carry: the X-Hub-Signature-256 scheme and safe decoding.

WhatsApp and Messenger deliveries are signed with the same Meta app secret; both bodies are JSON
that must be checked before anything stores it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re

_PREFIX = "sha256="
_HEX_LEN = 64
_HEX_DIGITS = frozenset("0123456789abcdef")
# Meta's envelopes nest about ten levels; anything far deeper is not from Meta.
MAX_DEPTH = 100
# Characters JSON can carry (as \u0000 or a lone \udXXX escape) but PostgreSQL text cannot.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


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
    try:
        data = json.loads(body, parse_constant=_not_json, parse_float=_finite_float)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc
    return _storable(data)


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
