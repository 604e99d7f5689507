"""The Calendar port: busy time that lives outside Postgres, and pushing bookings out.

Postgres is the source of truth; a calendar backend only adds busy time and mirrors bookings.
A remote backend (Google) is expected to:
- `busy`: list the events in [start, end) (events.list with singleEvents, not free/busy, which
  cannot tell events apart) and leave out its own events (id from `event_id`), because those
  appointments are already counted from Postgres. Timed events weigh 1; all-day and
  out-of-office events close the business for their whole local days: use `blocking`.
- `sync`: called inside the booking transaction; mark the appointment's `calendar_sync` pending
  and defer a retried job (the deferral joins the transaction, so it commits with the change and
  nothing slow happens under the booking lock). The job
  re-reads the appointment from Postgres and writes or deletes the event with the deterministic
  id `event_id(appointment.id)`, so a retried, duplicated or late job converges on the truth, and
  one that finds no committed row does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:  # The booking service imports this package; keep the cycle type-only.
    from app.booking.availability import Busy
    from app.booking.models import Appointment

SyncAction = Literal["booked", "rescheduled", "cancelled"]
SYNC_ACTIONS: tuple[SyncAction, ...] = ("booked", "rescheduled", "cancelled")


class CalendarUnavailable(NotImplementedError):
    """The business's calendar backend is unknown or not available in this build."""


@runtime_checkable
class Calendar(Protocol):
    """Where extra busy time comes from and where committed bookings are mirrored."""

    name: str

    def busy(self, business: Mapping, start: datetime, end: datetime) -> list[Busy]:
        """Busy intervals overlapping [start, end) that Postgres does not already hold."""
        ...

    def sync(self, appointment: Appointment, action: SyncAction) -> None:
        """Queue mirroring of a change (inside its transaction); never call a remote API here."""
        ...


def blocking(business: Mapping, start: datetime, end: datetime) -> Busy:
    """A busy interval that fills every seat of the business (e.g. an all-day event)."""
    return (start, end, int(business.get("max_concurrent") or 1))


def event_id(appointment_id: int) -> str:
    """The deterministic calendar event id of an appointment (Google's base32hex alphabet)."""
    # Only a-v and 0-9 are allowed, 5 to 1024 characters.
    return f"appt{int(appointment_id):08d}"
