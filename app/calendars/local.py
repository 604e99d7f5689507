"""The local calendar: Postgres alone, so nothing extra is busy and nothing is pushed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # The booking service imports this package; keep the cycle type-only.
    from app.booking.availability import Busy
    from app.booking.models import Appointment
from app.calendars.base import SyncAction


class LocalCalendar:
    """The zero-setup backend: appointments in Postgres are the whole calendar."""

    name = "local"

    def busy(self, business: Mapping, start: datetime, end: datetime) -> list[Busy]:
        """Nothing beyond the appointments already in Postgres."""
        return []

    def sync(self, appointment: Appointment, action: SyncAction) -> None:
        """Nothing to push: Postgres already holds the change."""
