"""The front desk: staff bookings, moves, no-shows and blocked time, under the bot's rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from app.admin.wire import CLOCK
from app.booking import service as booking
from app.flow import state
from app.storage import bookings, db
from tests.fixtures_admin import make_appointment, make_conversation
from tests.test_agent_conversations import at, spoken, upcoming
from tests.test_reminder_races import Run, lock_waits, wait_until

MADRID = ZoneInfo("Europe/Madrid")


def base(world) -> str:
    return f"/businesses/{world.business_id}"


def staff_booking(day, hhmm: str, name: str = "Walk-in Wanda") -> dict:
    return {"service": "Haircut", "starts_at": at(day, hhmm).isoformat(), "customer_name": name}


def fill(world, day, hhmm: str) -> None:
    """Take both seats of the demo salon (capacity 2) at `hhmm` with bot bookings."""
    for n in range(2):
        c = make_conversation(world.business_id, wa_id=f"3460000000{n}", name=f"Full {n}")
        assert booking.book(world.business_id, c, "Haircut", at(day, hhmm)).ok


def test_staff_booking_is_accepted_when_free(api, world):
    day = upcoming(1)
    resp = api("POST", base(world) + "/appointments", "staff", json=staff_booking(day, "10:00"))
    assert resp.status_code == 201, resp.get_json()
    appointment = resp.get_json()["appointment"]
    assert (appointment["status"], appointment["created_by"]) == ("booked", "staff")
    assert appointment["customer_name"] == "Walk-in Wanda"
    assert appointment["customer_channel"] == "walk_in"
    assert appointment["starts_at"] == at(day, "10:00").isoformat()
    row = db.fetch_one(
        "SELECT action, user_id, after FROM audit_log WHERE entity = 'appointment'"
        " AND entity_id = %s",
        (str(appointment["id"]),),
    )
    assert (row["action"], row["user_id"]) == ("book", world.user_ids["staff"])
    assert "customer_name" not in row["after"]  # the name is the customer row's, erasable


def test_an_erased_front_desk_customer_is_named_nowhere(api, world):
    """The name staff typed goes with the erasure: from the customer row and from the audit
    entries an earlier version wrote with it."""
    resp = api(
        "POST",
        base(world) + "/appointments",
        "staff",
        json={
            **staff_booking(upcoming(1), "10:00", "Jane Q. Private"),
            "customer_phone": "+34 611 222 333",
        },
    )
    appointment = resp.get_json()["appointment"]
    db.execute(  # as the audit log was written before it kept only the id
        "UPDATE audit_log SET after = after || jsonb_build_object('customer_name', %s::text)"
        " WHERE entity = 'appointment' AND entity_id = %s",
        ("Jane Q. Private", str(appointment["id"])),
    )
    customer = appointment["customer_id"]
    erased = api("POST", base(world) + f"/conversations/{customer}/erase", "staff")
    assert erased.status_code == 200 and erased.get_json()["erased"], erased.get_json()
    for path in (f"/appointments/{appointment['id']}", "/audit"):
        shown = api("GET", base(world) + path, "owner")
        assert shown.status_code == 200
        assert "Jane Q. Private" not in shown.get_data(as_text=True), path


def test_a_walk_in_cannot_be_messaged(api, world):
    resp = api(
        "POST", base(world) + "/appointments", "staff", json=staff_booking(upcoming(1), "10:00")
    )
    customer = resp.get_json()["appointment"]["customer_id"]
    sent = api(
        "POST", base(world) + f"/conversations/{customer}/messages", "staff", json={"text": "hi"}
    )
    assert sent.status_code == 409, sent.get_json()
    assert sent.get_json()["message"] == ("not sent: this customer has no channel to reach them on")
    assert sent.get_json()["reason"] == "no_channel"


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/overview?date=0001-01-01", None),
        ("GET", "/overview?date=9999-12-31", None),
        ("POST", "/appointments", {"service": "Haircut", "starts_at": "0001-01-01T00:00:00+01:00"}),
        ("PATCH", "/appointments/{a}", {"starts_at": "9999-12-31T23:30:00-05:00"}),
        (
            "POST",
            "/blocked-times",
            {"starts_at": "0001-01-01T00:00:00+01:00", "ends_at": "0001-01-01T05:00:00+01:00"},
        ),
    ],
)
def test_dates_at_the_calendar_s_ends_are_refused(api, world, method, path, body):
    path = base(world) + path.format(a=world.appointment_id)
    resp = api(method, path, "staff", **({"json": body} if body else {}))
    assert resp.status_code == 400, resp.get_data(as_text=True)
    [field] = resp.get_json()["fields"]
    assert field in ("date", "starts_at")


def fix_clock(app, monkeypatch, moment: datetime) -> None:
    """Make the admin API's "now" `moment`."""
    monkeypatch.setitem(app.extensions, CLOCK, lambda: moment)


def test_slots_are_the_bots_free_times(api, world):
    day = upcoming(1)
    fill(world, day, "10:00")
    resp = api("GET", f"{base(world)}/slots?service=Haircut&date={day}", "staff")
    slots = resp.get_json()["slots"]
    staff_times = booking.find_slots(world.business_id, "Haircut", day, day, by_staff=True)
    assert slots == [s.isoformat() for s in staff_times.slots]
    assert at(day, "10:00").isoformat() not in slots and at(day, "10:30").isoformat() in slots
    for query, field in (
        ("service=Haircut&date=someday", "date"),
        (f"service=Massage&date={day}", "service"),
    ):
        bad = api("GET", f"{base(world)}/slots?{query}", "staff")
        assert (bad.status_code, list(bad.get_json()["fields"])) == (400, [field])


def test_staff_booking_is_refused_when_full_with_alternatives(api, world):
    day = upcoming(1)
    fill(world, day, "10:00")
    customers = db.fetch_one("SELECT count(*) AS n FROM customers")["n"]
    resp = api("POST", base(world) + "/appointments", "staff", json=staff_booking(day, "10:00"))
    assert resp.status_code == 409
    body = resp.get_json()
    assert (body["code"], body["reason"]) == ("full", "full")
    assert body["alternatives"] and at(day, "10:00").isoformat() not in body["alternatives"]
    # The walk-in created for the refused booking is rolled back with it.
    assert db.fetch_one("SELECT count(*) AS n FROM customers")["n"] == customers
    # One of the alternatives is really bookable.
    again = staff_booking(day, "10:00")
    again["starts_at"] = body["alternatives"][0]
    assert api("POST", base(world) + "/appointments", "staff", json=again).status_code == 201


def test_staff_booking_on_a_closed_day_is_refused(api, world):
    sunday = upcoming(6)
    resp = api("POST", base(world) + "/appointments", "owner", json=staff_booking(sunday, "10:00"))
    assert (resp.status_code, resp.get_json()["reason"]) == (409, "closed_day")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": "Massage"}, "service"),
        ({"service": True}, "service"),
        ({"starts_at": "2030-01-01T10:00"}, "starts_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"customer_name": ""}, "customer_name"),
        ({"customer_phone": "call me"}, "customer_phone"),
        ({"customer_phone": "600 11 22 33"}, "customer_phone"),  # no country code
        ({"customer_phone": "+34 600"}, "customer_phone"),
        ({"customer_phone": "+999 600 11 22 33"}, "customer_phone"),  # no such country
        ({"color": "red"}, "color"),
    ],
)
def test_bad_staff_booking_names_the_field(api, world, change, field):
    body = {**staff_booking(upcoming(1), "10:00"), **change}
    resp = api("POST", base(world) + "/appointments", "staff", json=body)
    assert resp.status_code == 400
    assert field in resp.get_json()["fields"]


@pytest.mark.parametrize("phone", ["+34 600 111 222", "0034 600-111-222", "34 (600) 111.222"])
def test_a_phone_number_books_for_that_whatsapp_customer(api, world, phone):
    body = {**staff_booking(upcoming(1), "11:00", name="Alex"), "customer_phone": phone}
    resp = api("POST", base(world) + "/appointments", "staff", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["appointment"]["customer_id"] == world.customer_id


@pytest.mark.parametrize(
    ("wa_id", "typed"),
    [
        ("5215512345678", "+52 1 55 1234 5678"),  # Mexico: WhatsApp's id keeps the old 1
        ("551187654321", "+55 11 8765-4321"),  # Brazil: an older id without the ninth digit
    ],
)
def test_a_number_as_whatsapp_shows_it_books_for_that_customer(api, world, wa_id, typed):
    customer = make_conversation(world.business_id, wa_id=wa_id, name="Lupe")
    body = {**staff_booking(upcoming(1), "11:00", name="Lupe"), "customer_phone": typed}
    resp = api("POST", base(world) + "/appointments", "staff", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["appointment"]["customer_id"] == customer


def test_staff_move_keeps_the_id_and_is_audited(api, world):
    day = upcoming(2)
    c = make_conversation(world.business_id, wa_id="34600555444", name="Mo")
    appointment = booking.book(world.business_id, c, "Haircut", at(day, "10:00")).appointment
    path = f"{base(world)}/appointments/{appointment.id}"
    resp = api("PATCH", path, "staff", json={"starts_at": at(day, "15:00").isoformat()})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["appointment"]["id"], body["appointment"]["starts_at"]) == (
        appointment.id,
        at(day, "15:00").isoformat(),
    )
    assert body["notified"] is True
    notice = db.fetch_one(
        "SELECT body, purpose FROM messages WHERE customer_id = %s ORDER BY id DESC LIMIT 1", (c,)
    )
    assert notice["purpose"] == "notice" and "15:00" in notice["body"]
    detail = api("GET", path, "staff").get_json()["appointment"]
    assert [m["to_starts_at"] for m in detail["moves"]] == [at(day, "15:00").isoformat()]
    assert [h["action"] for h in detail["history"]] == ["move"]


def test_staff_move_into_a_full_time_is_refused(api, world):
    day = upcoming(2)
    fill(world, day, "11:00")
    c = make_conversation(world.business_id, wa_id="34600555444", name="Mo")
    appointment = booking.book(world.business_id, c, "Haircut", at(day, "10:00")).appointment
    path = f"{base(world)}/appointments/{appointment.id}"
    resp = api("PATCH", path, "staff", json={"starts_at": at(day, "11:00").isoformat()})
    assert (resp.status_code, resp.get_json()["reason"]) == (409, "full")
    assert resp.get_json()["alternatives"]
    row = db.fetch_one("SELECT starts_at FROM appointments WHERE id = %s", (appointment.id,))
    assert row["starts_at"] == at(day, "10:00")


def test_no_show_only_once_started(api, world):
    upcoming_path = f"{base(world)}/appointments/{world.appointment_id}/no-show"
    resp = api("POST", upcoming_path, "staff")
    body = resp.get_json()
    # The reason, as every refusal of the front desk gives it: the console words it.
    assert (resp.status_code, body["code"], body["reason"]) == (409, "not_started", "not_started")
    past = make_appointment(world.business_id, world.customer_id, days_ahead=-1)
    resp = api("POST", f"{base(world)}/appointments/{past}/no-show", "staff")
    assert (resp.status_code, resp.get_json()["appointment"]["status"]) == (200, "no_show")
    listed = api("GET", base(world) + "/appointments?status=no_show", "staff").get_json()
    assert [a["id"] for a in listed["appointments"]] == [past]


def test_blocked_time_hides_slots_from_the_bot(api, world):
    day = upcoming(3)
    window = {"starts_at": at(day, "10:00").isoformat(), "ends_at": at(day, "12:00").isoformat()}
    before = booking.find_slots(world.business_id, "Haircut", day, day).slots
    assert at(day, "10:00") in before
    resp = api("POST", base(world) + "/blocked-times", "staff", json={**window, "reason": "Course"})
    assert resp.status_code == 201
    after = booking.find_slots(world.business_id, "Haircut", day, day).slots
    blocked = [s for s in before if at(day, "09:45") < s < at(day, "12:00")]
    assert blocked and not set(blocked) & set(after)
    assert at(day, "12:00") in after and at(day, "09:30") in after
    c = make_conversation(world.business_id, wa_id="34600777666", name="Bo")
    refused = booking.book(world.business_id, c, "Haircut", at(day, "11:00"))
    assert (refused.ok, refused.code) == (False, "full")
    block_id = resp.get_json()["blocked_time"]["id"]
    listed = api("GET", f"{base(world)}/blocked-times?from={day}&to={day}", "staff").get_json()
    assert [b["reason"] for b in listed["blocked_times"]] == ["Course"]
    assert api("DELETE", f"{base(world)}/blocked-times/{block_id}", "staff").status_code == 204
    assert booking.find_slots(world.business_id, "Haircut", day, day).slots == before


def test_blocked_time_reports_bookings_already_inside(api, world):
    day = upcoming(3)
    fill(world, day, "10:00")
    window = {"starts_at": at(day, "09:00").isoformat(), "ends_at": at(day, "18:00").isoformat()}
    resp = api("POST", base(world) + "/blocked-times", "owner", json=window)
    assert resp.get_json()["overlapping_appointments"] == 2


@pytest.mark.parametrize(
    ("window", "field"),
    [
        (("10:00", "10:00"), "ends_at"),
        (("12:00", "10:00"), "ends_at"),
    ],
)
def test_bad_blocked_time_names_the_field(api, world, window, field):
    day = upcoming(3)
    body = {"starts_at": at(day, window[0]).isoformat(), "ends_at": at(day, window[1]).isoformat()}
    resp = api("POST", base(world) + "/blocked-times", "owner", json=body)
    assert (resp.status_code, list(resp.get_json()["fields"])) == (400, [field])


def test_other_tenants_appointment_is_404(api, world):
    path = f"/businesses/{world.other_business_id}/appointments/{world.appointment_id}"
    assert (
        api("PATCH", path, "owner", json={"starts_at": "2030-01-01T10:00:00+00:00"}).status_code
        == 404
    )
    mine = f"{base(world)}/appointments/{world.appointment_id}"
    assert api("GET", mine, "other_owner").status_code == 404


def test_overview_counts_match_the_database(api, world):
    b = world.business_id
    today = datetime.now(MADRID).date()
    monday = today - timedelta(days=today.weekday())
    last_week = at(monday - timedelta(days=3), "12:00")
    day = upcoming(1)
    a, c = (make_conversation(b, wa_id=f"3460011100{n}", name=f"C{n}") for n in range(2))
    m = make_conversation(b, wa_id="psid-1", name="Messenger Mia")
    db.execute("UPDATE customers SET channel = 'messenger' WHERE id = %s", (m,))
    assert booking.book(b, a, "Haircut", at(day, "10:00")).ok
    cancelled = booking.book(b, c, "Haircut", at(day, "10:30")).appointment.id
    assert booking.book(b, m, "Beard trim", at(day, "11:00")).ok
    assert booking.cancel(b, c, cancelled).ok
    walk_in = staff_booking(day, "12:00")
    assert api("POST", f"{base(world)}/appointments", "staff", json=walk_in).status_code == 201
    no_show = make_appointment(b, a, days_ahead=-1)
    db.execute(
        "UPDATE appointments SET status = 'no_show', starts_at = %s, ends_at = %s + interval"
        " '30 minutes', created_at = %s WHERE id = %s",
        (at(monday, "10:00"), at(monday, "10:00"), last_week, no_show),
    )
    db.execute(
        "UPDATE appointments SET created_at = %s WHERE id = %s", (last_week, world.appointment_id)
    )
    db.execute(
        "INSERT INTO messages (business_id, customer_id, direction, body, status, purpose)"
        " VALUES (%s, %s, 'out', 'A person here', 'sent', 'staff')",
        (b, c),
    )
    data = api("GET", f"{base(world)}/overview?date={monday}", "staff").get_json()
    assert data["week_start"] == monday.isoformat()
    assert data["this_week"] == {
        "start": monday.isoformat(),
        "bookings": 4,
        "by_channel": {"whatsapp": 2, "messenger": 1, "walk_in": 1},
        "by_source": {"bot": 3, "staff": 1},
        "cancellations": 1,
        "no_shows": 1,
        # The world's customer, a, c and Mia wrote; only c was answered by a person.
        "conversations": {"total": 4, "without_staff": 3},
    }
    previous = data["last_week"]
    assert (previous["bookings"], previous["by_source"]) == (2, {"bot": 2, "staff": 0})
    assert (previous["cancellations"], previous["no_shows"]) == (0, 0)


def test_staff_book_a_walk_in_inside_the_minimum_notice(app, api, world, monkeypatch):
    """The demo salon asks the bot for 60 minutes' notice; staff at the desk need none."""
    day = upcoming(1)
    now = at(day, "10:20")
    fix_clock(app, monkeypatch, now)
    soon = now + timedelta(minutes=10)
    # The bot: 10:30 is too soon, its first offer is an hour away.
    bot = booking.find_slots(world.business_id, "Haircut", day, day, now=now).slots
    assert soon not in bot and min(bot) == at(day, "11:30")
    c = make_conversation(world.business_id, wa_id="34600999888", name="Bot customer")
    refused = booking.book(world.business_id, c, "Haircut", soon, now=now)
    assert (refused.ok, refused.code) == (False, "too_soon")
    # The front desk's time picker offers 10:30, never a time already past.
    listed = api("GET", f"{base(world)}/slots?service=Haircut&date={day}", "staff").get_json()
    assert listed["slots"][0] == soon.isoformat()
    resp = api("POST", base(world) + "/appointments", "staff", json=staff_booking(day, "10:30"))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["appointment"]["starts_at"] == soon.isoformat()
    past = api("POST", base(world) + "/appointments", "staff", json=staff_booking(day, "10:15"))
    assert (past.status_code, past.get_json()["reason"]) == (409, "past")
    # Capacity still holds: the second seat at 10:30, then it is full; the alternatives follow
    # the staff rule too (11:00 is inside the bot's notice).
    second = staff_booking(day, "10:30", name="Second")
    assert api("POST", base(world) + "/appointments", "staff", json=second).status_code == 201
    full = api("POST", base(world) + "/appointments", "staff", json=staff_booking(day, "10:30"))
    assert (full.status_code, full.get_json()["reason"]) == (409, "full")
    assert at(day, "11:00").isoformat() in full.get_json()["alternatives"]


def test_staff_move_inside_the_minimum_notice(app, api, world, monkeypatch):
    day = upcoming(2)
    c = make_conversation(world.business_id, wa_id="34600555444", name="Mo")
    appointment = booking.book(world.business_id, c, "Haircut", at(day, "16:00")).appointment
    now = at(day, "09:05")
    fix_clock(app, monkeypatch, now)
    # The customer themself could not move it to 09:15 (too soon) ...
    moved_by_bot = booking.reschedule(world.business_id, c, appointment.id, at(day, "09:15"), now)
    assert (moved_by_bot.ok, moved_by_bot.code) == (False, "too_soon")
    # ... staff can; and not to 09:00, which has begun.
    path = f"{base(world)}/appointments/{appointment.id}"
    early = api("PATCH", path, "staff", json={"starts_at": at(day, "09:00").isoformat()})
    assert (early.status_code, early.get_json()["reason"]) == (409, "past")
    resp = api("PATCH", path, "staff", json={"starts_at": at(day, "09:15").isoformat()})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["appointment"]["starts_at"] == at(day, "09:15").isoformat()


def last_notice(customer_id: int) -> str:
    row = db.fetch_one(
        "SELECT body, purpose FROM messages WHERE customer_id = %s ORDER BY id DESC LIMIT 1",
        (customer_id,),
    )
    assert row["purpose"] == "notice"
    return row["body"]


def test_move_and_cancel_notices_speak_the_customers_language(app, api, world, monkeypatch):
    day = upcoming(2)
    now = at(day, "08:00") - timedelta(days=1)
    fix_clock(app, monkeypatch, now)
    english = make_conversation(world.business_id, wa_id="34600555001", name="Ann")
    spanish = make_conversation(world.business_id, wa_id="34600555002", name="Lola")
    # Lola's conversation is in Spanish (as the flow keeps it); Ann's in the business's English.
    state.save(world.business_id, spanish, state.State(lang="es"), now)
    # One booking per time, each moved to a time of its own.
    times = {english: ("10:00", "15:00"), spanish: ("11:00", "16:00")}
    for c, (hhmm, to) in times.items():
        made = booking.book(world.business_id, c, "Haircut", at(day, hhmm), now).appointment
        path = f"{base(world)}/appointments/{made.id}"
        moved = api("PATCH", path, "staff", json={"starts_at": at(day, to).isoformat()})
        assert moved.get_json()["notified"] is True, moved.get_json()
        times[c] = (made.id, to)
    en_day, es_day = spoken(day, "15:00").split(" at ")[0], es_date(day)
    assert last_notice(english) == (
        f"Your Haircut appointment has been moved by Demo Salon to {en_day} at 15:00."
        " Reply here if that time does not suit you."
    )
    assert last_notice(spanish) == (
        f"Demo Salon ha cambiado tu cita de Haircut al {es_day} a las 16:00."
        " Responde aquí si esa hora no te viene bien."
    )
    for appointment_id, _ in times.values():
        path = f"{base(world)}/appointments/{appointment_id}/cancel"
        assert api("POST", path, "staff").get_json()["notified"] is True
    assert last_notice(english) == (
        f"Your Haircut appointment on {en_day} at 15:00 has been cancelled by Demo Salon."
        " Reply here if you would like to book another time."
    )
    assert last_notice(spanish) == (
        f"Demo Salon ha cancelado tu cita de Haircut del {es_day} a las 16:00."
        " Responde aquí si quieres reservar otra hora."
    )


def es_date(day) -> str:
    """ "miércoles 9 de diciembre de 2026", spelled out here rather than by the code under test."""
    weekdays = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
    months = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre"
    month = (months.split() + ["diciembre"])[day.month - 1]
    return f"{weekdays[day.weekday()]} {day.day} de {month} de {day.year}"


# --- Idempotency-Key: a booking request sent again books once ---


def _post_booking(api, world, body: dict, key: str | None, actor: str = "staff"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api("POST", base(world) + "/appointments", actor, json=body, headers=headers)


def _walk_ins(world) -> int:
    return db.fetch_one(
        "SELECT count(*) AS n FROM appointments a JOIN customers c ON c.id = a.customer_id"
        " WHERE a.business_id = %s AND c.channel = 'walk_in' AND a.status = 'booked'",
        (world.business_id,),
    )["n"]


def test_a_walk_in_booking_sent_again_with_its_key_books_once(api, world):
    body = staff_booking(upcoming(1), "10:00")
    first = _post_booking(api, world, body, "3f1c-click-1")
    again = _post_booking(api, world, body, "3f1c-click-1")
    assert (first.status_code, again.status_code) == (201, 200), again.get_json()
    assert again.get_json()["appointment"]["id"] == first.get_json()["appointment"]["id"]
    assert again.get_json()["created"] is False
    assert _walk_ins(world) == 1
    booked = "SELECT count(*) AS n FROM audit_log WHERE action = 'book'"
    assert db.fetch_one(booked)["n"] == 1


def test_a_key_sent_with_another_booking_is_refused(api, world):
    day = upcoming(1)
    assert _post_booking(api, world, staff_booking(day, "10:00"), "k-1").status_code == 201
    other = _post_booking(api, world, staff_booking(day, "11:00"), "k-1")
    assert other.status_code == 422, other.get_json()
    assert other.get_json()["code"] == "idempotency_key_reused"
    assert _walk_ins(world) == 1


def test_a_key_is_the_business_s_own(api, world):
    """Another tenant's request with the same key is its own: it neither gets this business's
    appointment nor makes this business's retry a different request."""
    body = staff_booking(upcoming(1), "10:00")
    first = _post_booking(api, world, body, "shared-key")
    elsewhere = api(
        "POST",
        f"/businesses/{world.other_business_id}/appointments",
        "other_owner",
        json={**body, "service": "Massage"},
        headers={"Idempotency-Key": "shared-key"},
    )
    assert elsewhere.status_code not in (200, 422), elsewhere.get_json()
    again = _post_booking(api, world, body, "shared-key")
    assert again.status_code == 200
    assert again.get_json()["appointment"]["id"] == first.get_json()["appointment"]["id"]


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "two words"])
def test_a_bad_key_names_the_header(api, world, key):
    resp = _post_booking(api, world, staff_booking(upcoming(1), "10:00"), key)
    assert resp.status_code == 400, resp.get_json()
    assert "Idempotency-Key" in resp.get_json()["fields"]
    assert _walk_ins(world) == 0


def test_a_retry_arriving_while_the_first_request_runs_waits_for_it(app, api, world, db_url):
    """The business's booking lock is held, so the first request stops inside its transaction;
    the retry waits for its key, then answers with the appointment the first one booked."""
    body = staff_booking(upcoming(1), "10:00")
    with psycopg.connect(db_url) as holder:
        bookings.lock_business(holder, world.business_id)
        sends = [Run(app, lambda: _post_booking(api, world, body, "k-race")) for _ in range(2)]
        wait_until(lambda: lock_waits() == 2, "both requests to wait")
        holder.rollback()
        answers = sorted((r.outcome() for r in sends), key=lambda r: r.status_code)
    assert [r.status_code for r in answers] == [200, 201]
    ids = {r.get_json()["appointment"]["id"] for r in answers}
    assert len(ids) == 1 and _walk_ins(world) == 1
