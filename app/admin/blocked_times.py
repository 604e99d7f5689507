"""Blocked time (holidays, a staff absence): nobody can book it, the bot included."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from app.admin import access
from app.admin.appointments import query_instant
from app.admin.blueprint import bp
from app.admin.front_desk import instant
from app.admin.wire import ApiError, check_id, invalid, json_body, no_content, ok, reject_unknown
from app.booking.store import lock_business
from app.storage import audit, businesses, front_desk
from app.storage.db import transaction

MAX_BLOCK = timedelta(days=366)


@bp.get("/businesses/<int:business_id>/blocked-times")
def list_blocked_times(business_id: int):
    """Blocked times overlapping [from, to) (local dates or ISO date-times)."""
    access.require_business(business_id)
    tz = ZoneInfo(businesses.get_business(business_id, document=False)["timezone"])
    start = query_instant("from", tz, end_of_day=False)
    end = query_instant("to", tz, end_of_day=True)
    return ok({"blocked_times": front_desk.blocks(business_id, start, end)})


@bp.post("/businesses/<int:business_id>/blocked-times")
def create_blocked_time(business_id: int):
    """Block [starts_at, ends_at): no new booking or move may overlap it (201)."""
    access.require_business(business_id)
    body = json_body()
    reject_unknown(body, {"starts_at", "ends_at", "reason"})
    starts_at, ends_at = instant(body, "starts_at"), instant(body, "ends_at")
    reason = body.get("reason", "")
    errors = {}
    if not ends_at > starts_at:
        errors["ends_at"] = "must be after starts_at"
    elif ends_at - starts_at > MAX_BLOCK:
        errors["ends_at"] = "a block may last at most 366 days"
    if not isinstance(reason, str) or len(reason) > 200:
        errors["reason"] = "must be text of at most 200 characters"
    if errors:
        raise invalid(errors)
    with transaction() as conn:
        # Under the booking lock: a booking being checked either sees the block or came first.
        lock_business(conn, business_id)
        block = front_desk.add_block(
            conn, business_id, starts_at, ends_at, reason.strip(), access.user_id()
        )
        overlapping = front_desk.booked_between(conn, business_id, starts_at, ends_at)
        audit.record(
            conn,
            user_id=access.user_id(),
            business_id=business_id,
            action="create",
            entity="blocked_time",
            entity_id=block["id"],
            after=block,
        )
    # Bookings already there stay: staff see how many to move or cancel.
    return ok({"blocked_time": block, "overlapping_appointments": overlapping}, 201)


@bp.delete("/businesses/<int:business_id>/blocked-times/<int:block_id>")
def delete_blocked_time(business_id: int, block_id: int):
    """Unblock a blocked time (its slots become bookable again)."""
    access.require_business(business_id)
    with transaction() as conn:
        block = front_desk.delete_block(conn, business_id, check_id(block_id))
        if block is None:
            raise ApiError(404, "no such blocked time")
        audit.record(
            conn,
            user_id=access.user_id(),
            business_id=business_id,
            action="delete",
            entity="blocked_time",
            entity_id=block_id,
            before=block,
        )
    return no_content()
