"""Calendar backends behind one port; `get_calendar` picks a business's backend."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from app.calendars import google_state
from app.calendars.base import Calendar, CalendarUnavailable, blocking, event_id
from app.calendars.local import LocalCalendar

__all__ = [
    "Calendar",
    "CalendarUnavailable",
    "LocalCalendar",
    "blocking",
    "event_id",
    "get_calendar",
    "init_app",
    "register_backend",
]

_BACKENDS: dict[str, Callable[[Mapping], Calendar]] = {"local": lambda business: LocalCalendar()}


def init_app(app, queue_sync: google_state.QueueSync | None = None) -> None:
    """Give the app what remote backends need: its key and `queue_sync`, which queues a sync job.

    Args:
        queue_sync: (business_id, appointment_id) -> bool; defers the job in the caller's
            transaction. Without it the Google backend is unavailable.
    """
    google_state.init_app(app, queue_sync)


def register_backend(name: str, factory: Callable[[Mapping], Calendar]) -> None:
    """Make backend `name` available; `factory(business)` builds it for one business."""
    _BACKENDS[name] = factory


def get_calendar(business: Mapping) -> Calendar:
    """The calendar backend configured for `business`."""
    name = business.get("calendar_backend") or "local"
    factory = _BACKENDS.get(name)
    if factory is None:
        # Falling back to local would ignore the busy time kept in that calendar and could
        # double-book, so refuse loudly instead.
        raise CalendarUnavailable(f"calendar backend {name!r} is not available")
    return factory(business)


def _google(business: Mapping) -> Calendar:
    """The Google Calendar backend (its libraries load on first use)."""
    from app.calendars.google import GoogleCalendar

    return GoogleCalendar(business, google_state.current())


register_backend("google", _google)
