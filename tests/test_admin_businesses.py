"""Business settings and services: validation (every bad field named, nothing saved), writes."""

from __future__ import annotations

import pytest

from app.secrets import decrypt
from app.storage import business_settings, db
from tests.conftest import SECRET_KEY

WEEKDAY = {"open": "09:00", "close": "18:00", "breaks": [["13:00", "14:00"]]}


def snapshot(business_id: int) -> dict:
    """Everything stored about a business and its services."""
    row = db.fetch_one("SELECT * FROM businesses WHERE id = %s", (business_id,))
    services = db.fetch_all(
        "SELECT * FROM services WHERE business_id = %s ORDER BY id", (business_id,)
    )
    return {"business": row, "services": services}


BAD_SETTINGS = [
    ("timezone", "Mars/Olympus", "timezone"),
    ("timezone", "../../etc/passwd", "timezone"),
    ("timezone", 5, "timezone"),
    ("name", "", "name"),
    ("name", "   ", "name"),
    ("name", "x" * 201, "name"),
    ("name", None, "name"),
    ("language", "x" * 51, "language"),
    ("personality", "x" * 2001, "personality"),
    ("instructions", "x" * 8001, "instructions"),
    ("max_concurrent", 0, "max_concurrent"),
    ("max_concurrent", "2", "max_concurrent"),
    ("max_concurrent", True, "max_concurrent"),
    ("max_concurrent", 1.5, "max_concurrent"),
    ("max_concurrent", 10**30, "max_concurrent"),
    ("slot_step_minutes", 4, "slot_step_minutes"),
    ("slot_step_minutes", 241, "slot_step_minutes"),
    ("buffer_minutes", -1, "buffer_minutes"),
    ("min_notice_minutes", -5, "min_notice_minutes"),
    ("horizon_days", 0, "horizon_days"),
    ("horizon_days", 366, "horizon_days"),
    ("closed_dates", "2026-12-25", "closed_dates"),
    ("closed_dates", ["2026-02-30"], "closed_dates.0"),
    ("closed_dates", ["2026-12-25", "tomorrow"], "closed_dates.1"),
    ("closed_dates", [20261225], "closed_dates.0"),
    ("opening_hours", [], "opening_hours"),
    ("opening_hours", {"monday": None}, "opening_hours.monday"),
    ("opening_hours", {"mon": "09-18"}, "opening_hours.mon"),
    ("opening_hours", {"mon": {"open": "9:00", "close": "18:00"}}, "opening_hours.mon.open"),
    ("opening_hours", {"mon": {"open": "09:00", "close": "25:00"}}, "opening_hours.mon.close"),
    ("opening_hours", {"mon": {"open": "18:00", "close": "09:00"}}, "opening_hours.mon.close"),
    ("opening_hours", {"mon": {"open": "09:00"}}, "opening_hours.mon.close"),
    (
        "opening_hours",
        {"mon": {"open": "09:00", "close": "18:00", "lunch": 1}},
        "opening_hours.mon.lunch",
    ),
    ("opening_hours", {"mon": {**WEEKDAY, "breaks": "13-14"}}, "opening_hours.mon.breaks"),
    ("opening_hours", {"mon": {**WEEKDAY, "breaks": [["13:00"]]}}, "opening_hours.mon.breaks.0"),
    (
        "opening_hours",
        {"mon": {**WEEKDAY, "breaks": [["14:00", "13:00"]]}},
        "opening_hours.mon.breaks.0",
    ),
    (
        "opening_hours",
        {"mon": {**WEEKDAY, "breaks": [["08:00", "09:30"]]}},
        "opening_hours.mon.breaks.0",
    ),
    (
        "opening_hours",
        {"mon": {**WEEKDAY, "breaks": [["12:00", "13:30"], ["13:00", "14:00"]]}},
        "opening_hours.mon.breaks.1",
    ),
    # A trailing newline or a digit of another script is not part of the documented pattern.
    ("opening_hours", {"mon": {"open": "09:00\n", "close": "18:00"}}, "opening_hours.mon.open"),
    ("opening_hours", {"mon": {"open": "0\u0669:00", "close": "18:00"}}, "opening_hours.mon.open"),
    (
        "opening_hours",
        {"mon": {**WEEKDAY, "breaks": [["13:00\n", "14:00"]]}},
        "opening_hours.mon.breaks.0",
    ),
    ("whatsapp_number_id", "5551\n", "whatsapp_number_id"),
    ("messenger_page_id", "5552\n", "messenger_page_id"),
    ("reminder_quiet_hours", {"start": "22:00\n", "end": "08:00"}, "reminder_quiet_hours"),
    ("reminder_quiet_hours", {"start": "22:0\u0660", "end": "08:00"}, "reminder_quiet_hours"),
    ("reminder_template", {"name": "remind\n", "language": "en"}, "reminder_template"),
    ("staff_reply_template", {"name": "reply", "language": "en_US\n"}, "staff_reply_template"),
    ("display_phone_number", ["+34"], "display_phone_number"),
    ("id", 5, "id"),
    ("services", [], "services"),
    ("has_access_token", True, "has_access_token"),
    ("page_access_token", 5, "page_access_token"),
    ("page_access_token", "x" * 2001, "page_access_token"),
    ("has_page_access_token", True, "has_page_access_token"),
    ("color", "blue", "color"),
]


@pytest.mark.parametrize(
    ("field", "value", "key"), BAD_SETTINGS, ids=[f"{f}={v!r:.30}" for f, v, _ in BAD_SETTINGS]
)
def test_bad_setting_is_named_and_nothing_saved(api, world, field, value, key):
    before = snapshot(world.business_id)
    body = {"personality": "Should not be saved.", field: value}
    resp = api("PATCH", f"/businesses/{world.business_id}", json=body)
    assert resp.status_code == 400
    data = resp.get_json()
    assert data["error"] == "Bad Request"
    assert key in data["fields"], data
    assert key in data["message"]
    assert snapshot(world.business_id) == before


def test_every_bad_field_is_named_at_once(api, world):
    body = {"timezone": "Nowhere", "max_concurrent": 0, "opening_hours": {"sun": {"open": "x"}}}
    fields = api("PATCH", f"/businesses/{world.business_id}", json=body).get_json()["fields"]
    assert set(fields) >= {
        "timezone",
        "max_concurrent",
        "opening_hours.sun.open",
        "opening_hours.sun.close",
    }


def test_valid_settings_are_saved_and_bump_updated_at(api, world):
    before = snapshot(world.business_id)["business"]
    hours = {"mon": WEEKDAY, "tue": None, "sat": {"open": "10:00", "close": "24:00"}}
    body = {
        "timezone": "America/New_York",
        "max_concurrent": 3,
        "opening_hours": hours,
        "closed_dates": ["2026-12-25", "2026-01-01", "2026-12-25"],
        "name": "  Demo Salon Deluxe  ",
    }
    resp = api("PATCH", f"/businesses/{world.business_id}", json=body)
    assert resp.status_code == 200, resp.get_json()
    data = resp.get_json()
    assert data["name"] == "Demo Salon Deluxe"
    assert data["closed_dates"] == ["2026-01-01", "2026-12-25"]
    assert data["opening_hours"]["sun"] is None
    assert data["opening_hours"]["sat"] == {"open": "10:00", "close": "24:00", "breaks": []}
    after = snapshot(world.business_id)["business"]
    assert after["timezone"] == "America/New_York" and after["max_concurrent"] == 3
    assert after["updated_at"] > before["updated_at"]


@pytest.mark.parametrize("field", ["access_token", "page_access_token"])
def test_access_token_is_encrypted_and_never_returned(api, world, field):
    assert api("GET", f"/businesses/{world.business_id}").get_json()[f"has_{field}"] is False
    resp = api("PATCH", f"/businesses/{world.business_id}", json={field: "EAAG-secret"})
    assert resp.status_code == 200
    assert resp.get_json()[f"has_{field}"] is True
    assert "EAAG-secret" not in resp.get_data(as_text=True)
    stored = snapshot(world.business_id)["business"][field]
    assert stored.startswith("enc:v1:") and decrypt(stored, SECRET_KEY) == "EAAG-secret"
    got = api("GET", f"/businesses/{world.business_id}").get_json()
    assert field not in got and got[f"has_{field}"] is True
    audit = db.fetch_one("SELECT before, after FROM audit_log ORDER BY id DESC LIMIT 1")
    assert "EAAG" not in str(audit) and "enc:v1" not in str(audit)
    assert audit["after"] == {f"has_{field}": True}


OPERATOR_VALUES = {"whatsapp_number_id": "777", "messenger_page_id": "104512345", "active": False}


@pytest.mark.parametrize("field", sorted(OPERATOR_VALUES))
def test_owner_cannot_change_operator_fields(api, world, field):
    value = OPERATOR_VALUES[field]
    resp = api("PATCH", f"/businesses/{world.business_id}", json={field: value})
    assert resp.status_code == 403
    assert field in resp.get_json()["message"]
    assert (
        api(
            "PATCH", f"/businesses/{world.business_id}", "superadmin", json={field: value}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("field", "reason"),
    [("whatsapp_number_id", "number_taken"), ("messenger_page_id", "page_taken")],
)
def test_channel_accounts_are_unique_across_businesses(api, world, field, reason):
    other = {"name": "Other", "whatsapp_number_id": "555000555", "messenger_page_id": "900900"}
    created = api("POST", "/businesses", "superadmin", json=other)
    assert created.status_code == 201 and created.get_json()[field] == other[field]
    clash = {**{"name": "Clash", "whatsapp_number_id": "555000556"}, field: other[field]}
    resp = api("POST", "/businesses", "superadmin", json=clash)
    assert resp.status_code == 409 and field in resp.get_json()["message"]
    assert resp.get_json()["reason"] == reason
    before = snapshot(world.business_id)
    mine = f"/businesses/{world.business_id}"
    resp = api("PATCH", mine, "superadmin", json={field: other[field]})
    assert resp.status_code == 409 and field in resp.get_json()["message"]
    assert resp.get_json()["reason"] == reason
    assert snapshot(world.business_id) == before
    # A business writing its own accounts again is no clash.
    again = api("PATCH", f"/businesses/{created.get_json()['id']}", "superadmin", json=other)
    assert again.status_code == 200


@pytest.mark.parametrize(
    ("field", "reason"),
    [("whatsapp_number_id", "number_taken"), ("messenger_page_id", "page_taken")],
)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_account_taken_after_the_check_is_409_with_its_reason(
    api, world, monkeypatch, method, field, reason
):
    """Another business commits the account between the check and the write: the unique
    constraint refuses it, and the answer is the documented 409 with its reason."""
    checked = business_settings.account_taken

    def taken_meanwhile(column, account_id, except_id=None):
        found = checked(column, account_id, except_id)
        if column == field:
            db.execute(
                f"UPDATE businesses SET {column} = %s WHERE id = %s",  # noqa: S608 - a fixed name
                (account_id, world.other_business_id),
            )
        return found

    monkeypatch.setattr(business_settings, "account_taken", taken_meanwhile)
    before = snapshot(world.business_id)
    if method == "POST":
        body = {"name": "Racer", "whatsapp_number_id": "555000557", field: "424242"}
        resp = api("POST", "/businesses", "superadmin", json=body)
    else:
        resp = api(
            "PATCH", f"/businesses/{world.business_id}", "superadmin", json={field: "424242"}
        )
    assert resp.status_code == 409, resp.get_json()
    assert resp.get_json()["reason"] == reason
    assert field in resp.get_json()["message"]
    assert snapshot(world.business_id) == before
    assert db.fetch_one("SELECT count(*) AS n FROM businesses")["n"] == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "must be 1 to 64 letters, digits, '-' or '_'"),
        ("104/512", "must be 1 to 64 letters, digits, '-' or '_'"),
        ("1" * 65, "must be 1 to 64 letters, digits, '-' or '_'"),
        (104512345, "must be 1 to 64 letters, digits, '-' or '_'"),
    ],
)
def test_bad_messenger_page_id_is_named(api, world, value, message):
    resp = api(
        "PATCH", f"/businesses/{world.business_id}", "superadmin", json={"messenger_page_id": value}
    )
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {"messenger_page_id": message}


def test_messenger_page_is_set_read_listed_and_cleared(api, world):
    url = f"/businesses/{world.business_id}"
    resp = api("PATCH", url, "superadmin", json={"messenger_page_id": "104512345678901"})
    assert resp.status_code == 200 and resp.get_json()["messenger_page_id"] == "104512345678901"
    assert snapshot(world.business_id)["business"]["messenger_page_id"] == "104512345678901"
    [listed] = api("GET", "/businesses").get_json()["businesses"]
    assert listed["messenger_page_id"] == "104512345678901"
    cleared = api("PATCH", url, "superadmin", json={"messenger_page_id": None}).get_json()
    assert cleared["messenger_page_id"] is None
    assert snapshot(world.business_id)["business"]["messenger_page_id"] is None


def test_create_business_requires_name_and_number(api, world):
    resp = api("POST", "/businesses", "superadmin", json={"timezone": "UTC"})
    assert resp.status_code == 400
    assert set(resp.get_json()["fields"]) == {"name", "whatsapp_number_id"}


def test_empty_patch_is_400(api, world):
    assert api("PATCH", f"/businesses/{world.business_id}", json={}).status_code == 400


def test_prompt_preview_uses_current_settings(api, world):
    api("PATCH", f"/businesses/{world.business_id}", json={"personality": "Talks like a pirate."})
    resp = api("GET", f"/businesses/{world.business_id}/prompt-preview?customer_name=Maria")
    prompt = resp.get_json()["system_prompt"]
    assert "Talks like a pirate." in prompt and "Customer's name: Maria." in prompt
    assert "Haircut (30 min, 25.00 EUR)" in prompt
