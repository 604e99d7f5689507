"""GET /businesses/{id}/overview: this week against last week, in the business's own weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.admin import access
from app.admin.blueprint import bp
from app.admin.wire import MAX_YEAR, MIN_YEAR, invalid, ok, query_text
from app.booking.hours import wall_to_utc
from app.storage import businesses, overview

CHANNELS = ("whatsapp", "messenger", "walk_in")
SOURCES = ("bot", "staff")


@bp.get("/businesses/<int:business_id>/overview")
def get_overview(business_id: int):
    """Bookings (by channel and by bot/staff), cancellations, no-shows and conversations the bot
    finished without staff, for the Monday-to-Sunday week holding `date` and the week before."""
    access.require_business(business_id)
    tz = ZoneInfo(businesses.get_business(business_id, document=False)["timezone"])
    raw = query_text("date", 10)
    try:
        day = date.fromisoformat(raw) if raw else datetime.now(UTC).astimezone(tz).date()
    except ValueError:
        raise invalid({"date": "must be a date, YYYY-MM-DD"}) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:  # its weeks, in UTC, stay in range
        raise invalid({"date": f"must be between the years {MIN_YEAR} and {MAX_YEAR}"})
    monday = day - timedelta(days=day.weekday())
    weeks = {
        "this_week": week(business_id, tz, monday),
        "last_week": week(business_id, tz, monday - timedelta(days=7)),
    }
    return ok({"timezone": str(tz), "week_start": monday, **weeks})


def week(business_id: int, tz: ZoneInfo, monday: date) -> dict:
    """The numbers of the local week starting on `monday`."""
    start, end = wall_to_utc(tz, monday, 0), wall_to_utc(tz, monday + timedelta(days=7), 0)
    by_channel = dict.fromkeys(CHANNELS, 0)
    by_source = dict.fromkeys(SOURCES, 0)
    for row in overview.bookings_by(business_id, start, end):
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["n"]
        by_source[row["created_by"]] += row["n"]
    return {
        "start": monday,
        "bookings": sum(by_source.values()),
        "by_channel": by_channel,
        "by_source": by_source,
        **overview.outcomes(business_id, start, end),
        "conversations": overview.conversations(business_id, start, end),
    }
