"""Reminder endpoints: an appointment with its reminders' status, and turning reminders off for
one appointment or for one customer (staff may do both). Turning them off withdraws those
waiting in the outbox, in the transaction that writes the setting and its audit row."""

from __future__ import annotations

from app.admin import access
from app.admin.blueprint import bp
from app.admin.front_desk import appointment_detail
from app.admin.wire import ApiError, check_id, invalid, json_body, ok
from app.booking import reminders as plans
from app.storage import audit
from app.storage import reminders as store
from app.storage.db import transaction


@bp.get("/businesses/<int:business_id>/appointments/<int:appointment_id>")
def get_appointment(business_id: int, appointment_id: int):
    """One appointment with its reminders (offset, due time, status and Meta's error code), its
    moves and what staff did to it."""
    access.require_business(business_id)
    found = appointment_detail(business_id, check_id(appointment_id))
    if found is None:
        raise ApiError(404, "no such appointment")
    return ok({"appointment": {**found, "reminders": _reminders(appointment_id)}})


@bp.put("/businesses/<int:business_id>/appointments/<int:appointment_id>/reminders")
def set_appointment_reminders(business_id: int, appointment_id: int):
    """Turn this appointment's reminders on or off: {"enabled": bool}."""
    access.require_business(business_id)
    enabled = _enabled(json_body())
    found = store.appointment(business_id, check_id(appointment_id))
    if found is None:
        raise ApiError(404, "no such appointment")
    with transaction() as conn:
        # The appointment's row, then its reminders (`withdraw_queued`): a cancel's order.
        store.set_appointment_off(conn, business_id, appointment_id, not enabled)
        if not enabled:
            store.withdraw_queued(conn, appointment_id, plans.TURNED_OFF)
        _audit(conn, business_id, "appointment", appointment_id, found["reminders_off"], enabled)
    changed = store.appointment(business_id, appointment_id)
    return ok({"appointment": {**changed, "reminders": _reminders(appointment_id)}})


@bp.put("/businesses/<int:business_id>/customers/<int:customer_id>/reminders")
def set_customer_reminders(business_id: int, customer_id: int):
    """Turn every reminder of this customer on or off: {"enabled": bool}."""
    access.require_business(business_id)
    enabled = _enabled(json_body())
    was_off = store.customer_off(business_id, check_id(customer_id))
    if was_off is None:
        raise ApiError(404, "no such customer")
    with transaction() as conn:
        # The customer's row, then their reminders: an erasure's order.
        store.set_customer_off(conn, business_id, customer_id, not enabled)
        if not enabled:
            store.withdraw_customer_queued(conn, business_id, customer_id, plans.TURNED_OFF)
        _audit(conn, business_id, "customer", customer_id, was_off, enabled)
    return ok({"customer_id": customer_id, "reminders_enabled": enabled})


def _enabled(body: dict) -> bool:
    errors = {key: "unknown field" for key in body if key != "enabled"}
    if not isinstance(body.get("enabled"), bool):
        errors["enabled"] = "must be true or false"
    if errors:
        raise invalid(errors)
    return body["enabled"]


def _reminders(appointment_id: int) -> list[dict]:
    return [
        {k: r[k] for k in ("offset_minutes", "due_at", "status", "error_code", "send_error")}
        for r in store.statuses(appointment_id)
    ]


def _audit(conn, business_id: int, entity: str, entity_id: int, was_off: bool, enabled: bool):
    audit.record(
        conn,
        user_id=access.user_id(),
        business_id=business_id,
        action="reminders_on" if enabled else "reminders_off",
        entity=entity,
        entity_id=entity_id,
        before={"reminders_enabled": not was_off},
        after={"reminders_enabled": enabled},
    )
