"""Appointment endpoints: list with filters, and cancel with a notice to the customer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app import outbox
from app.admin import access, wire
from app.admin.blueprint import bp
from app.admin.wire import ApiError, check_id, invalid, json_body, ok, page_params, query_text
from app.booking import service as booking
from app.booking.models import NOT_FOUND
from app.channels import REGISTRY
from app.flow.notices import notice
from app.storage import audit, businesses, console
from app.storage.db import transaction

STATUSES = ("booked", "cancelled", "no_show")


@bp.get("/businesses/<int:business_id>/appointments")
def list_appointments(business_id: int):
    """Appointments starting in [from, to) (dates are local days), optionally by status."""
    access.require_business(business_id)
    tz = ZoneInfo(businesses.get_business(business_id)["timezone"])
    start = query_instant("from", tz, end_of_day=False)
    end = query_instant("to", tz, end_of_day=True)
    status = query_text("status", 20) or None
    if status is not None and status not in STATUSES:
        raise invalid({"status": "must be booked, cancelled or no_show"})
    page, per_page = page_params(50)
    rows, total = console.list_appointments(
        business_id, start, end, status, per_page, (page - 1) * per_page
    )
    return ok({"appointments": rows, "total": total, "page": page, "per_page": per_page})


@bp.post("/businesses/<int:business_id>/appointments/<int:appointment_id>/cancel")
def cancel_appointment(business_id: int, appointment_id: int):
    """Cancel an upcoming appointment and (unless notify is false) tell the customer."""
    access.require_business(business_id)
    found = console.appointment_owner(business_id, check_id(appointment_id))
    if found is None:
        raise ApiError(404, "no such appointment")
    notify, text = _cancel_options(json_body(optional=True))
    # A customer who opted out gets no messages; a walk-in has no channel to get them on.
    notify = notify and not found["opted_out"] and found["channel"] in REGISTRY
    # One transaction: the cancellation, the customer's notice and the audit row stand or fall
    # together (the booking service joins it).
    moment = wire.now()
    with transaction() as conn:
        result = booking.cancel(business_id, found["customer_id"], appointment_id, moment)
        if not result.ok:
            code = 404 if result.code == NOT_FOUND else 409
            raise ApiError(code, result.message, code=result.code, reason=result.code)
        business = businesses.get_business(business_id)
        text = text or notice(
            business,
            "cancelled",
            found["customer_id"],
            found["service_name"],
            found["starts_at"],
            moment,
        )
        if notify:
            # Through the outbox: after anything already queued for the customer, no turn.
            customer = {"id": found["customer_id"], **{k: found[k] for k in ("channel", "sandbox")}}
            outbox.queue(conn, business, customer, [text], "notice")
        audit.record(
            conn,
            user_id=access.user_id(),
            business_id=business_id,
            action="cancel",
            entity="appointment",
            entity_id=appointment_id,
            before={"status": found["status"], "starts_at": found["starts_at"]},
            after={"status": result.appointment.status, "notified": notify},
        )
    return ok({"appointment": _summary(result.appointment), "notified": notify})


def _cancel_options(body: dict) -> tuple[bool, str | None]:
    errors = {key: "unknown field" for key in body if key not in ("notify", "message")}
    notify = body.get("notify", True)
    if not isinstance(notify, bool):
        errors["notify"] = "must be true or false"
    message = body.get("message")
    # An empty or blank message is none of staff's own: the customer gets the usual words.
    if message is not None and (not isinstance(message, str) or len(message) > 1000):
        errors["message"] = "must be text of at most 1000 characters"
    if errors:
        raise invalid(errors)
    return notify, message.strip() if message else None


def query_instant(name: str, tz: ZoneInfo, end_of_day: bool) -> datetime | None:
    """A from/to query value: a local date (the day's start, or the next day's for `to`), or a
    date-time (local when it has no offset)."""
    raw = query_text(name, 40)
    if not raw:
        return None
    try:
        # Any spelling of a date is a whole day (20260301 as 2026-03-01), not the instant it
        # starts: a date-time always has its time.
        day = _iso_date(raw)
        if day is not None:
            day += timedelta(days=1 if end_of_day else 0)
            return datetime.combine(day, time(), tzinfo=tz)
        moment = datetime.fromisoformat(raw)
    except (ValueError, OverflowError):
        raise invalid({name: "must be an ISO date or date-time"}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _iso_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _summary(appointment) -> dict:
    return {
        "id": appointment.id,
        "customer_id": appointment.customer_id,
        "service_name": appointment.service_name,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "status": appointment.status,
    }
