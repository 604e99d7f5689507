"""GET /businesses/{id}/calendar: the calendar's health as the business's members see it."""

from __future__ import annotations

import json

import pytest
from psycopg.types.json import Jsonb

from app.storage import appointments, businesses
from app.storage.db import execute, fetch_one
from tests.fixtures_admin import make_appointment

SETTINGS = {
    "calendar_id": "salon@group.calendar.google.com",
    "kind": "oauth_user",
    "account": "owner@example.com",
    "credentials": "gAAAAA-encrypted-refresh-token",
}


def on_google(business_id: int, settings: dict | None = None) -> None:
    execute(
        "UPDATE businesses SET calendar_backend = 'google', calendar_settings = %s WHERE id = %s",
        (Jsonb(settings or SETTINGS), business_id),
    )


def set_sync(appointment_id: int, state: str, minutes_ago: int = 0) -> None:
    execute(
        "UPDATE appointments SET calendar_sync = %s,"
        " updated_at = now() - make_interval(mins => %s) WHERE id = %s",
        (state, minutes_ago, appointment_id),
    )


def health(api, world, actor: str = "staff") -> dict:
    resp = api("GET", f"/businesses/{world.business_id}/calendar", actor)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_a_local_calendar_is_healthy(api, world):
    assert health(api, world) == {
        "calendar_backend": "local",
        "calendar_error": None,
        "calendar_error_at": None,
        "upcoming_pending_late": 0,
        "upcoming_failed": 0,
        "late_after_minutes": businesses.SYNC_LATE_AFTER_MINUTES,
        "last_synced_at": None,
    }


def test_a_healthy_google_calendar_has_no_error_nor_backlog(api, world):
    on_google(world.business_id)
    set_sync(world.appointment_id, "synced")
    execute(
        "UPDATE appointments SET calendar_event_updated = '2030-01-02T03:04:05Z' WHERE id = %s",
        (world.appointment_id,),
    )
    body = health(api, world)
    assert body["calendar_backend"] == "google"
    assert (body["calendar_error"], body["upcoming_pending_late"], body["upcoming_failed"]) == (
        None,
        0,
        0,
    )
    assert body["last_synced_at"] == "2030-01-02T03:04:05+00:00"


@pytest.mark.parametrize("actor", ["staff", "owner", "superadmin"])
def test_every_member_reads_the_recorded_error(api, world, actor):
    on_google(world.business_id)
    message = "Google Calendar refused access (invalid_grant). Run setup_calendar_auth.py again."
    businesses.record_calendar_error(world.business_id, message)
    body = health(api, world, actor)
    assert body["calendar_error"] == message
    assert body["calendar_error_at"] is not None
    row = fetch_one("SELECT calendar_error_at FROM businesses WHERE id = %s", (world.business_id,))
    assert body["calendar_error_at"] == row["calendar_error_at"].isoformat()


def test_counts_upcoming_bookings_late_or_failed_in_google(api, world):
    on_google(world.business_id)
    b, c = world.business_id, world.customer_id
    late = make_appointment(b, c, days_ahead=4)
    set_sync(late, "pending", minutes_ago=businesses.SYNC_LATE_AFTER_MINUTES + 5)
    fresh = make_appointment(b, c, days_ahead=5)
    set_sync(fresh, "pending", minutes_ago=1)  # its job is still running: not late yet
    failed = make_appointment(b, c, days_ahead=6)
    set_sync(failed, "failed", minutes_ago=90)
    cancelled_failed = make_appointment(b, c, days_ahead=7)
    execute("UPDATE appointments SET status = 'cancelled' WHERE id = %s", (cancelled_failed,))
    set_sync(cancelled_failed, "failed")  # its event could not be deleted: Google shows it
    for past in (make_appointment(b, c, days_ahead=-2), make_appointment(b, c, days_ahead=-3)):
        set_sync(past, "failed", minutes_ago=600)  # over: nothing left to fix
    old_pending = make_appointment(b, c, days_ahead=-4)
    set_sync(old_pending, "pending", minutes_ago=600)
    body = health(api, world)
    assert (body["upcoming_pending_late"], body["upcoming_failed"]) == (1, 2)


def test_other_tenants_rows_are_not_counted(api, world):
    on_google(world.business_id)
    on_google(world.other_business_id)
    foreign_customer = fetch_one(
        "INSERT INTO customers (business_id, address) VALUES (%s, '4411') RETURNING id",
        (world.other_business_id,),
    )["id"]
    foreign = fetch_one(
        "INSERT INTO appointments (business_id, customer_id, service_id, starts_at, ends_at,"
        " idempotency_key, calendar_sync) SELECT %s, %s, s.id, now() + interval '1 day',"
        " now() + interval '25 hours', 'k', 'failed' FROM services s WHERE s.business_id = %s"
        " RETURNING id",
        (world.other_business_id, foreign_customer, world.other_business_id),
    )["id"]
    assert foreign
    businesses.record_calendar_error(world.other_business_id, "Other Studio's problem")
    body = health(api, world, "owner")
    assert (body["calendar_error"], body["upcoming_failed"]) == (None, 0)
    other = api("GET", f"/businesses/{world.other_business_id}/calendar", "other_owner")
    assert other.get_json()["upcoming_failed"] == 1


@pytest.mark.parametrize(("actor", "status"), [("other_owner", 404), ("anonymous", 401)])
def test_another_tenant_or_nobody_reads_nothing(api, world, actor, status):
    on_google(world.business_id)
    businesses.record_calendar_error(world.business_id, "Google Calendar refused access")
    assert "refused access" in health(api, world, "owner")["calendar_error"]
    resp = api("GET", f"/businesses/{world.business_id}/calendar", actor)
    assert resp.status_code == status
    assert "refused access" not in resp.get_data(as_text=True)


def test_no_setting_or_credential_is_answered(api, world):
    on_google(world.business_id)
    text = json.dumps(health(api, world, "owner"))
    for value in SETTINGS.values():
        assert value not in text


def test_last_synced_is_the_later_of_a_write_and_a_read_back(api, world):
    on_google(world.business_id)
    execute(
        "UPDATE appointments SET calendar_event_updated = '2030-01-02T03:04:05Z' WHERE id = %s",
        (world.appointment_id,),
    )
    execute(
        "INSERT INTO google_event_sync (business_id, calendar_id, synced_at)"
        " VALUES (%s, %s, '2030-01-03T00:00:00Z')",
        (world.business_id, SETTINGS["calendar_id"]),
    )
    assert health(api, world)["last_synced_at"] == "2030-01-03T00:00:00+00:00"
    # A read of a calendar the business has left is not a sync of its calendar.
    on_google(world.business_id, {**SETTINGS, "calendar_id": "another@group.calendar.google.com"})
    assert health(api, world)["last_synced_at"] == "2030-01-02T03:04:05+00:00"


def test_pending_again_starts_the_wait_again(api, world):
    on_google(world.business_id)
    set_sync(world.appointment_id, "synced", minutes_ago=600)
    appointments.mark_sync_pending(world.appointment_id)
    assert health(api, world)["upcoming_pending_late"] == 0
    set_sync(world.appointment_id, "pending", minutes_ago=600)
    assert health(api, world)["upcoming_pending_late"] == 1


def test_reconnecting_to_another_calendar_is_not_late_at_once(api, world):
    on_google(world.business_id)
    set_sync(world.appointment_id, "synced", minutes_ago=600)
    moved = {**SETTINGS, "calendar_id": "new@group.calendar.google.com"}
    assert businesses.save_google_calendar(world.business_id, moved) == 1
    body = health(api, world)
    assert (body["upcoming_pending_late"], body["calendar_error"]) == (0, None)


def test_the_status_command_reads_the_same_numbers(world):
    from app.calendars import google_settings

    on_google(world.business_id)
    set_sync(world.appointment_id, "failed")
    status = google_settings.status(world.business_id)
    assert status["upcoming_failed"] == 1 and status["failed"] == 1
    assert status["configured"] is True and status["kind"] == "oauth_user"
    assert "credentials" not in json.dumps(status, default=str)
