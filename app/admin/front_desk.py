"""The front desk: staff book for phone and walk-in customers, move bookings, mark no-shows.

Every change goes through the booking service (the same availability function and per-business
lock as the bot) and is written to the audit log in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import phonenumbers

from app import outbox
from app.admin import access, request_keys
from app.admin.blueprint import bp
from app.admin.wire import (
    MAX_YEAR,
    MIN_YEAR,
    ApiError,
    check_id,
    invalid,
    json_body,
    now,
    ok,
    query_text,
    reject_unknown,
)
from app.booking import attendance
from app.booking import service as booking
from app.booking.models import (
    INVALID,
    NOT_FOUND,
    UNKNOWN_SERVICE,
    BookingResult,
)
from app.booking.setup import CALENDAR_UNAVAILABLE
from app.channels import REGISTRY
from app.flow.notices import notice
from app.storage import audit, businesses, console, front_desk
from app.storage.db import transaction

BOOKING_FIELDS = frozenset({"service", "starts_at", "customer_name", "customer_phone"})
# A phone number as staff type it: digits with spaces, dots, dashes, brackets and a leading +.
PHONE_PUNCTUATION = str.maketrans("", "", " .-()/")


@bp.post("/businesses/<int:business_id>/appointments")
def create_appointment(business_id: int):
    """Book a service for a phone or walk-in customer (201), or 409 with why and alternatives.

    With an `Idempotency-Key` header, the request sent again answers 200 with the appointment
    the first one booked, and the key with another booking is 422.
    """
    access.require_business(business_id)
    body = json_body()
    reject_unknown(body, BOOKING_FIELDS)
    service, starts_at = _service(body), instant(body, "starts_at")
    name, phone = _customer_fields(body)
    key = request_keys.from_header()
    asked = {"service": service, "at": starts_at.astimezone(UTC), "name": name, "phone": phone}
    with transaction() as conn:
        earlier = request_keys.earlier_booking(conn, business_id, key, asked) if key else None
        if earlier is not None:
            appointment_id, created = earlier, False
        else:
            appointment_id, created = _book(conn, business_id, service, starts_at, name, phone)
            if key:
                front_desk.settle_request(conn, business_id, key, appointment_id)
    detail = appointment_detail(business_id, appointment_id)
    return ok({"appointment": detail, "created": created}, 201 if created else 200)


def _book(
    conn, business_id: int, service, starts_at, name: str, phone: str | None
) -> tuple[int, bool]:
    """Book for the customer `phone` (a new walk-in without one) and audit it: the appointment's
    id and whether it is new; an ApiError for a refusal."""
    # A phone number is the customer's WhatsApp address (its digits), so a caller who also
    # writes to the bot is one customer with one history.
    channel = "whatsapp" if phone else front_desk.WALK_IN
    customer_id = front_desk.staff_customer(conn, business_id, channel, phone, name)
    result = booking.book(
        business_id, customer_id, service, starts_at, now(), staff_user=access.user_id()
    )
    _raise_refusal(result, "service")  # rolls back the new customer with the booking
    appointment = result.appointment
    if result.created:
        audit.record(
            conn,
            user_id=access.user_id(),
            business_id=business_id,
            action="book",
            entity="appointment",
            entity_id=appointment.id,
            after={
                "service": appointment.service_name,
                "starts_at": appointment.starts_at,
                # The customer's name stays on the customer's row, which an erasure
                # empties; the audit log keeps only the id.
                "customer_id": customer_id,
            },
        )
    return appointment.id, result.created


@bp.patch("/businesses/<int:business_id>/appointments/<int:appointment_id>")
def move_appointment(business_id: int, appointment_id: int):
    """Move an appointment to `starts_at` under the booking rules; it keeps its id."""
    access.require_business(business_id)
    found = _found(business_id, appointment_id)
    body = json_body()
    reject_unknown(body, {"starts_at", "notify"})
    starts_at = instant(body, "starts_at")
    notify = body.get("notify", True)
    if not isinstance(notify, bool):
        raise invalid({"notify": "must be true or false"})
    moment = now()
    with transaction() as conn:
        result = booking.reschedule(
            business_id, found["customer_id"], appointment_id, starts_at, moment, by_staff=True
        )
        _raise_refusal(result, "starts_at")
        moved = result.appointment
        changed = moved.starts_at != found["starts_at"]
        notify = notify and changed and _reachable(found)
        if notify:
            business = businesses.get_business(business_id, document=False)
            customer, service = found["customer_id"], found["service_name"]
            text = notice(business, "moved", customer, service, moved.starts_at, moment)
            outbox.queue(conn, business, _recipient(found), [text], "notice")
        if changed:
            audit.record(
                conn,
                user_id=access.user_id(),
                business_id=business_id,
                action="move",
                entity="appointment",
                entity_id=appointment_id,
                before={"starts_at": found["starts_at"]},
                after={"starts_at": moved.starts_at, "notified": notify},
            )
    detail = appointment_detail(business_id, appointment_id)
    return ok({"appointment": detail, "notified": notify})


@bp.post("/businesses/<int:business_id>/appointments/<int:appointment_id>/no-show")
def mark_no_show(business_id: int, appointment_id: int):
    """Record that the customer did not come (only once the appointment has started)."""
    access.require_business(business_id)
    found = _found(business_id, appointment_id)
    with transaction() as conn:
        result = attendance.mark_no_show(business_id, found["customer_id"], appointment_id)
        if not result.ok:
            if result.code == NOT_FOUND:
                raise ApiError(404, result.message, code=result.code)
            raise ApiError(409, result.message, code=result.code, reason=result.code)
        if found["status"] != result.appointment.status:
            audit.record(
                conn,
                user_id=access.user_id(),
                business_id=business_id,
                action="no_show",
                entity="appointment",
                entity_id=appointment_id,
                before={"status": found["status"]},
                after={"status": result.appointment.status},
            )
    return ok({"appointment": appointment_detail(business_id, appointment_id)})


def appointment_detail(business_id: int, appointment_id: int) -> dict | None:
    """One appointment with its customer, its moves and what staff did to it, or None."""
    detail = front_desk.appointment(business_id, appointment_id)
    if detail is None:
        return None
    moves = console.appointment_moves([appointment_id]).get(appointment_id, [])
    history = front_desk.appointment_history(business_id, appointment_id)
    return {**detail, "moves": moves, "history": history}


@bp.get("/businesses/<int:business_id>/slots")
def list_slots(business_id: int):
    """Free starts of `service` on the local `date` that staff may book: the bot's availability
    function under the staff rule (no minimum notice)."""
    access.require_business(business_id)
    service, raw = query_text("service", 200).strip(), query_text("date", 10)
    errors = {} if service else {"service": "required: a service name or id"}
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors["date"] = "must be a date, YYYY-MM-DD"
    if errors:
        raise invalid(errors)
    ref: int | str = int(service) if service.isascii() and service.isdigit() else service
    result = booking.find_slots(business_id, ref, day, day, now(), by_staff=True)
    if result.code == UNKNOWN_SERVICE:
        raise invalid({"service": result.message})
    # A past or too distant day has no free times (the refusal says why).
    reason = None if result.ok else result.code
    return ok({"date": day, "slots": list(result.slots), "reason": reason})


def instant(body: dict, name: str) -> datetime:
    """An ISO 8601 date-time with its UTC offset from the body; 400 naming the field."""
    raw = body.get(name)
    try:
        moment = datetime.fromisoformat(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise invalid({name: "must be an ISO 8601 date and time with its UTC offset"})
    if not MIN_YEAR <= moment.year <= MAX_YEAR:  # its UTC time and zone shifts stay in range
        raise invalid({name: f"must be between the years {MIN_YEAR} and {MAX_YEAR}"})
    return moment


def _service(body: dict) -> int | str:
    value = body.get("service")
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise invalid({"service": "must be a service name or id"})
    return value


def _customer_fields(body: dict) -> tuple[str, str | None]:
    errors = {}
    name = body.get("customer_name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        errors["customer_name"] = "must be 1 to 100 characters"
    phone = body.get("customer_phone")
    digits = None
    if phone not in (None, ""):
        digits = phone.translate(PHONE_PUNCTUATION) if isinstance(phone, str) else ""
        # "+34 …" or "0034 …" (00 dials abroad from most of the world)
        digits = digits[1:] if digits.startswith("+") else digits.removeprefix("00")
        if not _international(digits):
            errors["customer_phone"] = (
                "must be a phone number with its country code, such as +34 600 11 22 33"
            )
    if errors:
        raise invalid(errors)
    return name.strip(), digits


def _international(digits: str) -> bool:
    """Whether `digits` are a number that exists, read with its country code first ("600 11 22
    33", a Spanish number without +34, would be read as Malaysian and is not one): reminders
    and notices go to it on WhatsApp, and the customer writing from it is the same customer."""
    if not (digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 15):
        return False
    try:
        return any(
            phonenumbers.is_valid_number(phonenumbers.parse("+" + form))
            for form in _as_numbered_today(digits)
        )
    except phonenumbers.NumberParseException:
        return False


def _as_numbered_today(digits: str) -> list[str]:
    """The number, and what it is today where WhatsApp still shows it as it used to be: a
    Mexican mobile keeps its old 1 after 52 (521 55 …), an older Brazilian account lacks the
    ninth digit of its mobile (55 11 8765 4321)."""
    forms = [digits]
    if digits.startswith("521") and len(digits) == 13:
        forms.append("52" + digits[3:])
    if digits.startswith("55") and len(digits) == 12 and digits[4] in "6789":
        forms.append(digits[:4] + "9" + digits[4:])
    return forms


def _raise_refusal(result: BookingResult, field: str) -> None:
    """ApiError for a refused booking change: 400 for bad input, 404, or 409 with alternatives."""
    if result.ok:
        return
    if result.code in (INVALID, UNKNOWN_SERVICE):
        raise invalid({field: result.message})
    if result.code == NOT_FOUND:
        raise ApiError(404, "no such appointment")
    status = 503 if result.code == CALENDAR_UNAVAILABLE else 409
    raise ApiError(
        status,
        result.message,
        code=result.code,
        reason=result.code,
        alternatives=[moment.isoformat() for moment in result.alternatives],
    )


def _found(business_id: int, appointment_id: int) -> dict:
    found = console.appointment_owner(business_id, check_id(appointment_id))
    if found is None:
        raise ApiError(404, "no such appointment")
    return found


def _reachable(found: dict) -> bool:
    """Whether the customer can be sent a notice (on a messaging channel, not opted out)."""
    return found["channel"] in REGISTRY and not found["opted_out"]


def _recipient(found: dict) -> dict:
    return {"id": found["customer_id"], "channel": found["channel"], "sandbox": found["sandbox"]}
