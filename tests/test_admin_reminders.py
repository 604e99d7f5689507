"""Reminder settings on the business resource, each appointment's reminder status (with Meta's
code when one failed) and staff turning reminders off per appointment or per customer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import reminders
from app.booking import service as booking
from app.storage import db
from tests import envelopes
from tests.test_agent_conversations import at, upcoming

DEFAULTS = {
    "reminders_enabled": True,
    "reminder_offsets_minutes": [1440, 120],
    "reminder_quiet_hours": {"start": "21:00", "end": "09:00"},
    "reminder_template": None,
}


def test_a_business_carries_its_reminder_settings_with_their_defaults(api, world):
    data = api("GET", f"/businesses/{world.business_id}", "staff").get_json()
    assert {k: data[k] for k in DEFAULTS} == DEFAULTS


def test_an_owner_changes_the_reminder_settings(api, world):
    change = {
        "reminders_enabled": False,
        "reminder_offsets_minutes": [60, 2880],
        "reminder_quiet_hours": None,
        "reminder_template": {"name": "appointment_reminder", "language": "es"},
    }
    resp = api("PATCH", f"/businesses/{world.business_id}", "owner", json=change)
    assert resp.status_code == 200, resp.get_json()
    assert {k: resp.get_json()[k] for k in change} == change | {
        "reminder_offsets_minutes": [2880, 60]
    }
    assert api("PATCH", f"/businesses/{world.business_id}", "staff", json=change).status_code == 403


@pytest.mark.parametrize(
    "field, value",
    [
        ("reminder_offsets_minutes", []),
        ("reminder_offsets_minutes", [120, 120]),
        ("reminder_offsets_minutes", [5]),
        ("reminder_offsets_minutes", [60, 120, 180, 240, 300, 360]),
        ("reminder_offsets_minutes", ["1440"]),
        ("reminder_offsets_minutes", [True]),
        ("reminder_quiet_hours", {"start": "21:00"}),
        ("reminder_quiet_hours", {"start": "25:00", "end": "09:00"}),
        ("reminder_quiet_hours", {"start": "09:00", "end": "09:00"}),
        ("reminder_template", {"name": "Bad Name", "language": "en"}),
        ("reminder_template", {"name": "ok", "language": "english"}),
        ("reminder_template", {"name": "ok"}),
        ("reminders_enabled", "yes"),
    ],
)
def test_bad_reminder_settings_are_refused_naming_the_field(api, world, field, value):
    resp = api("PATCH", f"/businesses/{world.business_id}", "owner", json={field: value})
    assert resp.status_code == 400
    assert list(resp.get_json()["fields"]) == [field]


def _booked_and_reminded(app, world) -> int:
    """An appointment of the fixture customer whose 24-hour reminder went to the outbox."""
    day = upcoming(2)
    result = booking.book(world.business_id, world.customer_id, "Haircut", at(day, "12:00"))
    assert result.ok
    with app.app_context():
        due = result.appointment.starts_at - timedelta(hours=24)
        assert reminders.fire(result.appointment.id, 1440, now=due) == "queued"
    return result.appointment.id


def test_the_appointment_shows_each_reminder_and_a_failure_with_metas_code(
    app, api, world, drain, post_webhook
):
    appointment_id = _booked_and_reminded(app, world)
    drain()
    path = f"/businesses/{world.business_id}/appointments/{appointment_id}"
    shown = api("GET", path, "staff").get_json()["appointment"]["reminders"]
    assert [(r["offset_minutes"], r["status"]) for r in shown] == [(1440, "sent"), (120, "pending")]

    sent = db.fetch_one(
        "SELECT external_id FROM messages WHERE purpose = 'reminder' AND customer_id = %s",
        (world.customer_id,),
    )
    failed = envelopes.status(
        sent["external_id"],
        "failed",
        recipient="34600111222",
        errors=[{"code": 131049, "title": "This message was not delivered to maintain healthy"
                 " ecosystem engagement."}],
    )  # fmt: skip
    assert post_webhook(failed).status_code == 200
    first = api("GET", path, "staff").get_json()["appointment"]["reminders"][0]
    assert (first["status"], first["error_code"]) == ("failed", 131049)
    assert api("GET", path, "other_owner").status_code == 404


def test_a_read_reminder_then_confirmed_shows_confirmed(app, api, world, drain, post_webhook):
    appointment_id = _booked_and_reminded(app, world)
    drain()
    path = f"/businesses/{world.business_id}/appointments/{appointment_id}"
    sent = db.fetch_one(
        "SELECT external_id FROM messages WHERE purpose = 'reminder' AND customer_id = %s",
        (world.customer_id,),
    )
    assert post_webhook(envelopes.status(sent["external_id"], "read")).status_code == 200
    assert api("GET", path, "staff").get_json()["appointment"]["reminders"][0]["status"] == "read"
    assert booking.confirm_attendance(world.business_id, world.customer_id, appointment_id).ok
    data = api("GET", path, "staff").get_json()["appointment"]
    assert data["confirmed_at"] is not None and data["reminders"][0]["status"] == "confirmed"


def test_staff_turn_reminders_off_for_an_appointment_and_for_a_customer(app, api, world):
    day = upcoming(3)
    result = booking.book(world.business_id, world.customer_id, "Haircut", at(day, "12:00"))
    appointment_id = result.appointment.id
    base = f"/businesses/{world.business_id}"
    resp = api("PUT", f"{base}/appointments/{appointment_id}/reminders", "staff",
               json={"enabled": False})  # fmt: skip
    assert resp.status_code == 200 and resp.get_json()["appointment"]["reminders_off"] is True
    with app.app_context():
        due = result.appointment.starts_at - timedelta(hours=24)
        assert reminders.fire(appointment_id, 1440, now=due) == "off"

    resp = api("PUT", f"{base}/customers/{world.customer_id}/reminders", "staff",
               json={"enabled": False})  # fmt: skip
    assert resp.get_json() == {"customer_id": world.customer_id, "reminders_enabled": False}
    thread = api("GET", f"{base}/conversations/{world.customer_id}", "staff").get_json()
    assert thread["customer"]["reminders_off"] is True
    assert api("PUT", f"{base}/customers/{world.customer_id}/reminders", "staff",
               json={"enabled": "no"}).status_code == 400  # fmt: skip
    other = f"/businesses/{world.other_business_id}/customers/{world.customer_id}/reminders"
    assert api("PUT", other, "other_owner", json={"enabled": True}).status_code == 404


@pytest.mark.parametrize("how", ["appointment", "customer", "business", "deactivated"])
def test_turning_reminders_off_withdraws_one_waiting_in_the_outbox(
    app, api, world, drain, fake_graph, how
):
    """The reminder went to the outbox and waits for a retry (Meta's hiccup) when staff turn
    reminders off for the appointment or the customer, the owner for the business, or a
    superadmin deactivates the business: it never goes, the console says why, and the setting's
    audit row is written with it."""
    from app import outbox

    appointment_id = _booked_and_reminded(app, world)
    fake_graph.fail_next(131000, http_status=500)
    with app.app_context(), pytest.raises(outbox.SendLater):
        outbox.send_pending(world.business_id, world.customer_id)

    base = f"/businesses/{world.business_id}"
    if how == "business":
        resp = api("PATCH", base, "owner", json={"reminders_enabled": False})
        action, entity = "update", "business"
    elif how == "deactivated":
        resp = api("PATCH", base, "superadmin", json={"active": False})
        action, entity = "update", "business"
    else:
        which = f"appointments/{appointment_id}"
        if how == "customer":
            which = f"customers/{world.customer_id}"
        resp = api("PUT", f"{base}/{which}/reminders", "staff", json={"enabled": False})
        action, entity = "reminders_off", how
    assert resp.status_code == 200, resp.get_json()
    audited = db.fetch_one("SELECT action, entity FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (audited["action"], audited["entity"]) == (action, entity)
    drain()

    sent = [
        s["interactive"]["body"]["text"]
        for s in fake_graph.messages_sent()
        if s.get("type") == "interactive" and "Reminder" in s["interactive"]["body"]["text"]
    ]
    assert sent == [], f"turned off for the {how}, still sent"
    path = f"{base}/appointments/{appointment_id}"
    first = api("GET", path, "staff").get_json()["appointment"]["reminders"][0]
    assert (first["status"], first["send_error"]) == ("failed", "withdrawn")


def test_reminders_planned_while_the_business_has_them_off_show_off_then_pending(api, world):
    """Booked while the owner has reminders off, an appointment still gets its reminders
    planned: the console shows them `off` (what they record if they fire so), and `pending`
    again once reminders are back on."""
    base = f"/businesses/{world.business_id}"
    assert api("PATCH", base, "owner", json={"reminders_enabled": False}).status_code == 200
    result = booking.book(world.business_id, world.customer_id, "Haircut", at(upcoming(3), "12:00"))
    assert result.ok
    path = f"{base}/appointments/{result.appointment.id}"

    def shown() -> list[tuple[int, str]]:
        reminders = api("GET", path, "staff").get_json()["appointment"]["reminders"]
        return [(r["offset_minutes"], r["status"]) for r in reminders]

    assert shown() == [(1440, "off"), (120, "off")]
    assert api("PATCH", base, "owner", json={"reminders_enabled": True}).status_code == 200
    assert shown() == [(1440, "pending"), (120, "pending")]
