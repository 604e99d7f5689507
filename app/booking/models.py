"""What the booking service hands back: appointments, results and their codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time

from app.booking import availability as av

BOOKED = "booked"
EXISTS = "exists"
RESCHEDULED = "rescheduled"
CANCELLED = "cancelled"
CONFIRMED = "confirmed"
NOT_FOUND = "not_found"
UNKNOWN_SERVICE = "unknown_service"
ALREADY_CANCELLED = "already_cancelled"
INVALID = "invalid"
HELD = "held"
TAKEN = "taken"
RELEASED = "released"
AVAILABLE = "available"
NONE_FREE = "none_free"
NO_SHOW = "no_show"
NOT_STARTED = "not_started"
MOVED_SINCE = "moved_since"

# Plain sentences a tool can relay; times are left to the caller, who knows the timezone.
MESSAGES = {
    BOOKED: "The appointment is booked.",
    EXISTS: "This appointment was already booked.",
    RESCHEDULED: "The appointment has been moved.",
    CANCELLED: "The appointment has been cancelled.",
    CONFIRMED: "The appointment is confirmed.",
    NOT_FOUND: "No such appointment.",
    UNKNOWN_SERVICE: "No such service.",
    ALREADY_CANCELLED: "That appointment is already cancelled.",
    INVALID: "The request is not valid.",
    HELD: "The time is held for you; confirm it to book it.",
    TAKEN: "Sorry, that time was just taken.",
    RELEASED: "The held time has been let go.",
    AVAILABLE: "These times are free.",
    NONE_FREE: "There are no free times then.",
    NO_SHOW: "The appointment is marked as a no-show.",
    NOT_STARTED: "That appointment has not started yet.",
    MOVED_SINCE: "That appointment has moved since; it is at another time now.",
    av.PAST: "That time is in the past.",
    av.TOO_SOON: "That time is too soon; more notice is needed.",
    av.BEYOND_HORIZON: "That date is too far ahead to book.",
    av.CLOSED_DAY: "The business is closed that day.",
    av.OUTSIDE_HOURS: "That time is outside opening hours.",
    av.NOT_ON_STEP: "Appointments can only start at the listed slot times.",
    av.FULL: "That time is fully booked.",
}
# A move to the time the appointment already has, that no earlier try made: nothing moved.
ALREADY_THERE = "It is already at that time."
# An invalid move the customer can act on (the flow words every other invalid request alike).
ALREADY_HAS_IT = "You already have this service booked at that time."
# Refusals where a few nearby free slots help the customer pick again.
SUGGEST_ALTERNATIVES = frozenset(
    {av.FULL, TAKEN, av.NOT_ON_STEP, av.OUTSIDE_HOURS, av.CLOSED_DAY, av.TOO_SOON}
)


@dataclass(frozen=True)
class Appointment:
    """One appointment; times are aware UTC datetimes."""

    id: int
    business_id: int
    customer_id: int
    service_id: int
    service_name: str
    starts_at: datetime
    ends_at: datetime
    status: str
    calendar_event_id: str | None = None
    rescheduled_from: int | None = None
    hold_expires_at: datetime | None = None  # set while the appointment is only held
    created_by: str = "bot"  # or "staff": booked from the console

    @classmethod
    def from_row(cls, row: Mapping) -> Appointment:
        """Build from a row of `storage.bookings.SELECT_APPOINTMENT`."""
        fields = {name: row[name] for name in cls.__dataclass_fields__ if name in row}
        # psycopg answers in the session's TimeZone; callers are promised UTC.
        for name in ("starts_at", "ends_at", "hold_expires_at"):
            if fields.get(name) is not None:
                fields[name] = fields[name].astimezone(UTC)
        return cls(**fields)


@dataclass(frozen=True)
class BookingResult:
    """The outcome of a booking operation; `ok` is False for every refusal.

    `find_slots` answers in the same shape: `slots` it found (between the local times `after`
    and `before` when given) and, when none, the next free times as `alternatives`.
    `closes_at`, on an `outside_hours` refusal of a time within opening hours: the end of that
    period (a break or the day's close), which the service would run past.
    """

    ok: bool
    code: str
    message: str
    appointment: Appointment | None = None
    created: bool = False
    alternatives: tuple[datetime, ...] = ()
    slots: tuple[datetime, ...] = ()
    after: time | None = None
    before: time | None = None
    closes_at: datetime | None = None


def runs_past_message(service: str, minutes: int, closes: str) -> str:
    """The `outside_hours` refusal of a time the service would run past a close from."""
    return (
        f"That time is outside opening hours: {service} takes {minutes} minutes and would run"
        f" past {closes}, when we close."
    )


def refusal(code: str, message: str = "", appointment: Appointment | None = None) -> BookingResult:
    """A failed `BookingResult` with the standard message for `code` unless one is given."""
    return BookingResult(False, code, message or MESSAGES[code], appointment)
