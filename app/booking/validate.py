"""Input checks of the booking service: nothing a caller passes is trusted."""

from __future__ import annotations

from datetime import UTC, datetime

from app.booking.models import INVALID, BookingResult, refusal


def service_of(business: dict, ref: int | str) -> dict | None:
    """An active service of the business by id or (case-insensitive) name."""
    if isinstance(ref, bool):
        return None
    for svc in business["services"]:
        if isinstance(ref, int) and svc["id"] == ref:
            return svc
        if isinstance(ref, str) and svc["name"].casefold() == ref.strip().casefold():
            return svc
    return None


def bad_ids(*ids: object) -> BookingResult | None:
    """An `invalid` refusal unless every id is a positive 64-bit integer."""
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            return refusal(INVALID, f"not a valid id: {value!r}")
    return None


def bad_start(value: object) -> BookingResult | None:
    """An `invalid` refusal unless `value` is a timezone-aware datetime."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        return refusal(INVALID, "the start must be a date and time with a timezone")
    return None


def bad_turn(turn_id: object) -> BookingResult | None:
    """An `invalid` refusal unless the turn id is None or a valid id."""
    return None if turn_id is None else bad_ids(turn_id)


def utc_now(now: datetime | None) -> datetime:
    """`now` in UTC (the real clock when None); naive datetimes are a programming error."""
    if now is None:
        return datetime.now(UTC)
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)
