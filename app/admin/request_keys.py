"""Idempotency keys of the admin API's booking requests: a request sent again (a network blip,
a proxy or the console retrying) carries the same `Idempotency-Key` and gets the first one's
appointment instead of a second booking (a walk-in has no address to tell the two apart)."""

from __future__ import annotations

import hmac
import re

from flask import current_app, request

from app import privacy
from app.admin.wire import ApiError, invalid
from app.storage import front_desk

HEADER = "Idempotency-Key"
# Visible ASCII, as HTTP header values are safely; a UUID (what the console sends) is 36.
KEY = re.compile(r"[\x21-\x7e]{1,255}")
REUSED = "idempotency_key_reused"


def from_header() -> str | None:
    """The request's `Idempotency-Key` (None without one); 400 unless 1 to 255 visible ASCII
    characters."""
    key = request.headers.get(HEADER)
    if key is not None and not KEY.fullmatch(key):
        raise invalid({HEADER: "must be 1 to 255 visible ASCII characters"})
    return key


def earlier_booking(conn, business_id: int, key: str, asked: dict) -> int | None:
    """The appointment an earlier request of the business with `key` booked; None when there
    was none, and `key` is now this request's (claimed in `conn`'s transaction: settle it with
    `front_desk.settle_request`). 422 when the earlier request asked for something else."""
    secret = current_app.config.get("SECRET_KEY") or ""
    fingerprint = privacy.request_fingerprint(secret, asked)
    earlier = front_desk.claim_request(conn, business_id, key, fingerprint)
    if earlier is None:
        return None
    if not hmac.compare_digest(earlier["fingerprint"], fingerprint):
        raise ApiError(
            422,
            f"this {HEADER} came with another booking; send a new key",
            code=REUSED,
            reason=REUSED,
        )
    return earlier["appointment_id"]
