"""Staff act on a customer's request: erase them, or export everything stored about them; and
each business sets how long message texts are kept."""

from __future__ import annotations

import json

import pytest

from app.flow import state
from app.storage import db
from tests.fixtures_admin import make_appointment, make_conversation


def path(world, customer_id: int, action: str) -> str:
    return f"/businesses/{world.business_id}/conversations/{customer_id}/{action}"


def test_staff_erase(api, world):
    resp = api("POST", path(world, world.customer_id, "erase"), "staff")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["erased"] and not body["already"]
    assert (body["messages"], body["cancelled_appointments"]) == (2, 1)
    row = db.fetch_one("SELECT * FROM customers WHERE id = %s", (world.customer_id,))
    assert row["address"] == f"erased:{world.customer_id}" and row["profile_name"] == ""
    assert db.fetch_one("SELECT status FROM appointments WHERE id = %s", (world.appointment_id,))[
        "status"
    ] == ("cancelled")
    audit = db.fetch_one("SELECT * FROM audit_log WHERE action = 'erase'")
    assert audit["user_id"] == world.user_ids["staff"] and audit["after"]["by"] == "staff"
    again = api("POST", path(world, world.customer_id, "erase"), "owner").get_json()
    assert again["already"]  # a second erasure changes nothing
    assert db.fetch_one("SELECT count(*) AS n FROM audit_log WHERE action = 'erase'")["n"] == 1


def test_erasure_takes_the_handoff_reason_out_of_the_audit_log(api, world):
    """Why the bot stepped aside is the model's words about the customer: erasure removes it
    from the audit entry, which keeps the rest (who, when, the flags)."""
    from datetime import UTC, datetime

    from app import handoff
    from app.flow.handoff import request
    from app.storage import businesses, conversations

    reason = "Alex says the peel burned her skin and wants a refund"
    business = businesses.get_row(world.business_id)
    customer = conversations.get_customer(world.customer_id)
    now = datetime.now(UTC)
    with db.transaction() as conn:
        handoff.take_over(
            conn, business, customer, request(business, customer, now, reason, ""), now
        )
    log = api("GET", f"/businesses/{world.business_id}/audit", "owner").get_json()["entries"]
    assert any(reason in json.dumps(e) for e in log)  # kept until the customer is erased
    assert api("POST", path(world, world.customer_id, "erase"), "staff").status_code == 200
    log = api("GET", f"/businesses/{world.business_id}/audit", "owner").get_json()["entries"]
    assert not [e for e in log if reason in json.dumps(e)]
    entry = db.fetch_one("SELECT after FROM audit_log WHERE action = 'handoff'")
    assert entry["after"] == {"bot_paused": True, "needs_attention": True}


def test_erased_conversation_still_lists_without_a_name(api, world):
    api("POST", path(world, world.customer_id, "erase"), "owner")
    thread = api("GET", path(world, world.customer_id, "")[:-1], "owner").get_json()
    assert thread["messages"] == [] and thread["customer"]["profile_name"] == ""


@pytest.mark.parametrize("action", ["erase", "export"])
def test_other_tenants_customer_is_404(api, world, action):
    foreign = make_conversation(world.other_business_id, wa_id="4411", name="Foreign Person")
    method = "POST" if action == "erase" else "GET"
    assert api(method, path(world, foreign, action), "owner").status_code == 404
    assert api(method, path(world, 987654, action), "owner").status_code == 404
    assert db.fetch_one("SELECT profile_name FROM customers WHERE id = %s", (foreign,))[
        "profile_name"
    ] == ("Foreign Person")


def test_export_holds_everything_of_the_customer_and_nothing_else(app, api, world):
    other = make_conversation(world.business_id, wa_id="34655500011", name="Other Person")
    db.execute(
        "UPDATE messages SET body = 'secret of the other one' WHERE customer_id = %s AND"
        " direction = 'in'",
        (other,),
    )
    make_appointment(world.business_id, other, days_ahead=5)
    with app.app_context():
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        st = state.State(lang="en", day="2030-01-02")
        state.save(world.business_id, world.customer_id, st, now)
        state.save(world.business_id, other, state.State(lang="es"), now)
    api("POST", path(world, world.customer_id, "pause"), "owner")

    resp = api("GET", path(world, world.customer_id, "export"), "staff")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    data = resp.get_json()
    mine = {
        "messages": "SELECT id FROM messages WHERE customer_id = %s",
        "appointments": "SELECT id FROM appointments WHERE customer_id = %s",
        "turns": "SELECT id FROM turns WHERE customer_id = %s",
    }
    for key, query in mine.items():
        stored = {r["id"] for r in db.fetch_all(query, (world.customer_id,))}
        assert stored and {item["id"] for item in data[key]} == stored, key
    assert data["customer"]["address"] == "34600111222"
    assert data["customer"]["profile_name"] == "Alex"
    assert {m["body"] for m in data["messages"]} == {"hi there", "Hello! How can I help?"}
    assert data["turns"][0]["tool_calls"] == [{"name": "list_services", "args": {}}]
    assert data["conversation_state"]["state"]["day"] == "2030-01-02"
    assert [a["action"] for a in data["audit"]] == ["pause"]
    assert data["appointments"][0]["service"] == "Haircut"
    text = json.dumps(data)
    for foreign in ("34655500011", "Other Person", "secret of the other one"):
        assert foreign not in text


def test_export_after_erasure_names_no_one(api, world):
    api("POST", path(world, world.customer_id, "erase"), "owner")
    data = api("GET", path(world, world.customer_id, "export"), "owner").get_json()
    text = json.dumps(data)
    assert "34600111222" not in text and "Alex" not in text and data["messages"] == []


def test_retention_days_is_a_setting(api, world):
    b = f"/businesses/{world.business_id}"
    assert api("GET", b, "owner").get_json()["message_retention_days"] == 365
    resp = api("PATCH", b, "owner", json={"message_retention_days": 30})
    assert resp.status_code == 200 and resp.get_json()["message_retention_days"] == 30
    assert api("PATCH", b, "staff", json={"message_retention_days": 30}).status_code == 403


@pytest.mark.parametrize("bad", [0, -1, 3651, "30", 1.5, None, True])
def test_retention_days_must_be_a_whole_number_of_days(api, world, bad):
    resp = api(
        "PATCH", f"/businesses/{world.business_id}", "owner", json={"message_retention_days": bad}
    )
    assert resp.status_code == 400
    assert "message_retention_days" in resp.get_json()["fields"]
