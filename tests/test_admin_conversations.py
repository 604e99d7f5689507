"""The inbox, threads and appointment lists as the console reads them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from psycopg.types.json import Jsonb

from app.channels.base import Button, ListRow, ListSection, Outbound
from app.storage import db
from tests.fixtures_admin import make_appointment, make_conversation


def inbox(api, world, query: str = "", actor: str = "staff"):
    return api("GET", f"/businesses/{world.business_id}/conversations{query}", actor)


def add_inbound(customer_id: int, business_id: int, body: str) -> None:
    db.execute(
        "INSERT INTO messages (business_id, customer_id, direction, body, status)"
        " VALUES (%s, %s, 'in', %s, 'processed')",
        (business_id, customer_id, body),
    )


def test_inbox_lists_last_message_and_unread(api, world):
    quiet = make_conversation(world.business_id, wa_id="34611000000", name="Bea")
    add_inbound(world.customer_id, world.business_id, "are you there?")
    add_inbound(world.customer_id, world.business_id, "hello??")
    data = inbox(api, world).get_json()
    assert (data["total"], data["page"], data["per_page"]) == (2, 1, 20)
    first, second = data["conversations"]
    assert first["id"] == world.customer_id  # most recent activity first
    assert first["unread"] == 2
    assert first["last_message"]["body"] == "hello??"
    assert first["last_message"]["direction"] == "in"
    assert (second["id"], second["unread"]) == (quiet, 0)
    assert second["last_message"]["direction"] == "out"


@pytest.mark.parametrize("purpose", ["reminder", "notice"])
def test_a_reminder_or_notice_sent_after_the_customer_wrote_leaves_their_words_unread(
    api, world, purpose
):
    """Unread counted what came after the last outbound message of any kind: a reminder going
    out to a handed-off customer made their two waiting messages look answered."""
    add_inbound(world.customer_id, world.business_id, "are you there?")
    add_inbound(world.customer_id, world.business_id, "hello??")
    db.execute(
        "INSERT INTO messages (business_id, customer_id, direction, body, status, purpose)"
        " VALUES (%s, %s, 'out', 'See you tomorrow at 10:00', 'sent', %s)",
        (world.business_id, world.customer_id, purpose),
    )
    [first] = [
        c for c in inbox(api, world).get_json()["conversations"] if c["id"] == world.customer_id
    ]
    assert first["unread"] == 2


def test_inbox_is_paginated(api, world):
    for i in range(4):
        make_conversation(world.business_id, wa_id=f"3462200000{i}", name=f"P{i}")
    page = inbox(api, world, "?page=2&per_page=2").get_json()
    assert page["total"] == 5 and len(page["conversations"]) == 2
    last = inbox(api, world, "?page=3&per_page=2").get_json()
    assert len(last["conversations"]) == 1
    assert inbox(api, world, "?page=9&per_page=2").get_json()["conversations"] == []


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("ale", {"Alex"}),
        ("ALEX", {"Alex"}),
        ("600 111", {"Alex"}),
        ("+34 622", {"Percent%Sign"}),
        ("%", {"Percent%Sign"}),
        ("_", set()),
        ("'; DROP TABLE customers; --", set()),
        ("\\", set()),
        ("", {"Alex", "Percent%Sign"}),
    ],
)
def test_inbox_search_by_name_or_number(api, world, q, names):
    make_conversation(world.business_id, wa_id="34622333444", name="Percent%Sign")
    from urllib.parse import quote

    data = inbox(api, world, f"?q={quote(q)}").get_json()
    assert {c["profile_name"] for c in data["conversations"]} == names
    assert db.fetch_one("SELECT count(*) AS n FROM customers")["n"] == 2


def test_thread_has_statuses_and_tool_calls(api, world):
    db.execute(
        "INSERT INTO messages (business_id, customer_id, direction, body, status, error_code,"
        " error_title) VALUES (%s, %s, 'out', 'late reply', 'failed', 131047, 'Re-engagement')",
        (world.business_id, world.customer_id),
    )
    data = api(
        "GET", f"/businesses/{world.business_id}/conversations/{world.customer_id}"
    ).get_json()
    assert data["customer"]["profile_name"] == "Alex"
    inbound, reply, failed = data["messages"]
    assert inbound["direction"] == "in" and inbound["turn"] is None
    assert reply["status"] == "read"
    assert reply["turn"]["status"] == "answered"
    assert reply["turn"]["tool_calls"] == [{"name": "list_services", "args": {}}]
    assert (failed["error_code"], failed["error_title"]) == (131047, "Re-engagement")
    assert data["has_more"] is False


def test_thread_shows_what_a_reply_offered_and_what_was_tapped(api, world):
    offered = Outbound(
        text="Free times on Friday:",
        list_button="See times",
        sections=(
            ListSection("Fri 4 Dec", (ListRow("slot:1:a", "10:00", "Haircut · 30 min"),)),
            ListSection("Sat 5 Dec", (ListRow("more:1:b", "Later times", "3 more"),)),
        ),
    )
    confirm = Outbound(text="Confirm?", buttons=(Button("hold:confirm:1", "Confirm"),))
    for sent in (offered, confirm):
        db.execute(
            "INSERT INTO messages (business_id, customer_id, direction, body, status, payload)"
            " VALUES (%s, %s, 'out', %s, 'sent', %s)",
            (world.business_id, world.customer_id, sent.text, Jsonb(sent.stored_extras())),
        )
    db.execute(
        "INSERT INTO messages (business_id, customer_id, direction, type, kind, body, choice,"
        " status) VALUES (%s, %s, 'in', 'interactive', 'choice', '10:00', 'slot:1:a', 'processed')",
        (world.business_id, world.customer_id),
    )
    data = api(
        "GET", f"/businesses/{world.business_id}/conversations/{world.customer_id}"
    ).get_json()
    typed, plain, listed, buttons, tap = data["messages"]
    assert (typed["tapped"], typed["options"], plain["options"]) == (False, [], [])
    assert listed["list_button"] == "See times"
    assert listed["options"] == [
        {"title": "10:00", "description": "Haircut · 30 min", "section": "Fri 4 Dec"},
        {"title": "Later times", "description": "3 more", "section": "Sat 5 Dec"},
    ]
    assert (buttons["options"], buttons["list_button"]) == (
        [{"title": "Confirm", "description": "", "section": ""}],
        None,
    )
    assert (tap["body"], tap["tapped"], tap["options"]) == ("10:00", True, [])
    assert "payload" not in tap and "extras" not in listed


def test_thread_pages_backwards(api, world):
    base = f"/businesses/{world.business_id}/conversations/{world.customer_id}"
    first = api("GET", base + "?limit=1").get_json()
    assert first["has_more"] is True and first["messages"][0]["direction"] == "out"
    older = api("GET", f"{base}?limit=1&before={first['messages'][0]['id']}").get_json()
    assert older["messages"][0]["body"] == "hi there"


def test_appointments_list_and_filters(api, world):
    later = make_appointment(world.business_id, world.customer_id, days_ahead=10)
    db.execute("UPDATE appointments SET status = 'cancelled' WHERE id = %s", (later,))
    base = f"/businesses/{world.business_id}/appointments"
    rows = api("GET", base, "staff").get_json()["appointments"]
    assert [r["id"] for r in rows] == [world.appointment_id, later]
    assert rows[0]["service_name"] == "Haircut"
    assert (rows[0]["customer_name"], rows[0]["customer_address"]) == ("Alex", "34600111222")
    booked = api("GET", base + "?status=booked", "staff").get_json()
    assert [r["id"] for r in booked["appointments"]] == [world.appointment_id]
    # from/to are the business's local days, so the filter day is the local date of starts_at
    # (its UTC date differs for an hour each night in Madrid).
    tz = db.fetch_one("SELECT timezone FROM businesses WHERE id = %s", (world.business_id,))
    local = datetime.fromisoformat(rows[1]["starts_at"]).astimezone(ZoneInfo(tz["timezone"]))
    start = local.date().isoformat()
    window = api("GET", f"{base}?from={start}&to={start}", "staff").get_json()
    assert [r["id"] for r in window["appointments"]] == [later]


@pytest.mark.parametrize("spelling", ["%Y-%m-%d", "%Y%m%d"])
def test_an_iso_date_in_either_spelling_is_a_whole_local_day(api, world, spelling):
    """`to` as a date includes that day, written 2026-03-01 or, ISO 8601's basic form, 20260301
    (which was read as the instant that day starts, and so left the day out)."""
    base = f"/businesses/{world.business_id}/appointments"
    [row] = api("GET", base, "staff").get_json()["appointments"]
    tz = db.fetch_one("SELECT timezone FROM businesses WHERE id = %s", (world.business_id,))
    day = datetime.fromisoformat(row["starts_at"]).astimezone(ZoneInfo(tz["timezone"])).date()
    window = api("GET", f"{base}?from={day:{spelling}}&to={day:{spelling}}", "staff").get_json()
    assert [r["id"] for r in window["appointments"]] == [world.appointment_id]


@pytest.mark.parametrize(
    "query", ["?status=done", "?from=yesterday", "?to=2026-13-01", "?page=0", "?per_page=1000"]
)
def test_appointments_bad_filters_are_400(api, world, query):
    resp = api("GET", f"/businesses/{world.business_id}/appointments{query}", "staff")
    assert resp.status_code == 400
    assert resp.get_json()["fields"]


def test_cancelling_another_tenants_appointment_is_404(api, world):
    other_customer = make_conversation(world.other_business_id, wa_id="4400")
    db.execute(
        "INSERT INTO services (business_id, name, duration_minutes) VALUES (%s, 'Haircut', 30)",
        (world.other_business_id,),
    )
    foreign = make_appointment(world.other_business_id, other_customer)
    path = f"/businesses/{world.business_id}/appointments/{foreign}/cancel"
    assert api("POST", path, "owner").status_code == 404
    status = db.fetch_one("SELECT status FROM appointments WHERE id = %s", (foreign,))["status"]
    assert status == "booked"
