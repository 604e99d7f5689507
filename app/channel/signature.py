"""Sign and verify webhook bodies with Meta's X-Hub-Signature-256 scheme."""

from __future__ import annotations

import hashlib
import hmac

_PREFIX = "sha256="
_HEX_LEN = 64
_HEX_DIGITS = frozenset("0123456789abcdef")


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
