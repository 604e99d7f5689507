"""GET /businesses/{id}/calendar: whether the business's calendar (Google's) is up to date."""

from __future__ import annotations

from app.admin import access
from app.admin.blueprint import bp
from app.admin.wire import ApiError, ok
from app.storage import businesses

# What a member of the business may read of its calendar status: no settings, no credentials.
FIELDS = (
    "calendar_backend",
    "calendar_error",
    "calendar_error_at",
    "upcoming_pending_late",
    "upcoming_failed",
    "last_synced_at",
)


@bp.get("/businesses/<int:business_id>/calendar")
def get_calendar_health(business_id: int):
    """The calendar backend, the last problem recorded with it (and when), how many bookings not
    over yet are pending in Google for too long or could not be written, and when Google last
    answered; the same numbers `setup_calendar_auth.py --status` prints."""
    access.require_business(business_id)
    row = businesses.calendar_status(business_id)
    if row is None:  # deleted since the check
        raise ApiError(404, "no such business")
    return ok(
        {
            **{key: row[key] for key in FIELDS},
            "late_after_minutes": businesses.SYNC_LATE_AFTER_MINUTES,
        }
    )
