"""Taps on the flow's own buttons and list rows: handled without any model, by their ids alone,
recorded like tool calls, and never trusted beyond what the booking service allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import time as dtime

import pytest

from app import flow
from app.flow import ids
from app.storage import businesses, db
from tests import envelopes
from tests.test_agent_conversations import MADRID, at, in_order, upcoming
from tests.test_flow_conversations import named, when


@pytest.fixture
def demo(app):
    return businesses.business_id_for_account("whatsapp_number_id", envelopes.PHONE_NUMBER_ID)


def customer(business_id: int, address: str) -> dict:
    db.execute(
        "INSERT INTO customers (business_id, address, profile_name) VALUES (%s, %s, 'Alex')",
        (business_id, address),
    )
    return db.fetch_one("SELECT * FROM customers WHERE address = %s", (address,))


@pytest.fixture
def tap(app, demo, fake_llm):
    """Tap `payload` (or write `text`) as customer `who`; returns (reply text, action names).

    `kept=False`: a turn whose reply was never stored, so where it led the talk is not kept.
    """
    people = {}

    def run(
        payload: str = "", text: str = "", who: str = "346001", kept: bool = True
    ) -> tuple[str, list[str]]:
        if who not in people:
            people[who] = customer(demo, who)
        with app.app_context():
            business, now = businesses.get_business(demo), datetime.now(UTC)
            out = flow.run(business, people[who], now, text=text, payload=payload)
            if kept:
                flow.keep(demo, people[who]["id"], out.state, now)
        assert fake_llm.requests == []  # no model, ever
        return out.text, [r["name"] for r in out.records]

    return run


def service_id(business_id: int, name: str) -> int:
    return db.fetch_one(
        "SELECT id FROM services WHERE business_id = %s AND name = %s", (business_id, name)
    )["id"]


def rows() -> list[tuple]:
    return [
        (r["id"], r["status"], r["starts_at"])
        for r in db.fetch_all("SELECT id, status, starts_at FROM appointments ORDER BY id")
    ]


def test_tap_a_time_then_confirm(tap, demo):
    day = upcoming(2)
    slot = ids.slot(service_id(demo, "Haircut"), at(day, "10:00"))
    text, names = tap(slot)
    assert text.startswith(f"I'm holding **Haircut** on {when(day, '10:00')} for you")
    assert names == ["hold_time"]
    assert rows() == [(1, "held", at(day, "10:00"))]
    text, names = tap(ids.hold("confirm", 1))
    assert text == f"Booked ✅ **Haircut** on {when(day, '10:00')} (booking #1). See you then!"
    assert names == ["confirm_hold"]
    assert rows() == [(1, "booked", at(day, "10:00"))]
    again, _ = tap(ids.hold("confirm", 1))  # a second tap on the same button
    assert again.startswith("You already have **Haircut**")
    assert rows() == [(1, "booked", at(day, "10:00"))]


def test_change_and_cancel_let_the_hold_go(tap, demo):
    day = upcoming(3)
    haircut = service_id(demo, "Haircut")
    tap(ids.slot(haircut, at(day, "11:00")))
    text, names = tap(ids.hold("change", 1))
    assert names == ["release_hold", "find_available_slots"]
    assert text.startswith(f"Free times for **Haircut** on {day:%A} {day.day}")
    assert rows() == []
    tap(ids.slot(haircut, at(day, "11:15")))
    assert tap(ids.hold("cancel", 2)) == (
        "OK, I've let that time go. Anything else?",
        ["release_hold"],
    )
    assert rows() == []


def test_a_pick_run_again_holds_the_same_time_and_books_nothing(tap, demo):
    """A turn run again (its reply's transaction failed, its job retried) reads the same message
    against the talk as it was: "1" picks the listed time again, never the Confirm it led to."""
    tap(ids.service(service_id(demo, "Haircut")))
    first = tap(text="1", kept=False)
    assert first[1] == ["hold_time"]
    assert tap(text="1") == first
    assert [r[1] for r in rows()] == ["held"]


@pytest.mark.parametrize("action", ["change", "cancel"])
def test_a_hold_button_tapped_after_confirming_never_books_twice(tap, demo, action):
    day = upcoming(2)
    haircut = service_id(demo, "Haircut")
    tap(ids.slot(haircut, at(day, "10:00")))
    tap(ids.hold("confirm", 1))
    text, names = tap(ids.hold(action, 1))  # a button of the older "Shall I book it?"
    assert rows() == [(1, "booked", at(day, "10:00"))]
    if action == "cancel":  # it is a booking now: asked, not let go
        assert text == (
            f"Your **Haircut** on {when(day, '10:00')} is already booked (booking #1). "
            "Shall I cancel it, or move it to another time?\n1. Cancel it\n2. Move it\n"
            "Reply with 1–2."
        )
        assert names == ["release_hold"]
        assert tap(text="1")[0].startswith(f"Cancelled: **Haircut** on {when(day, '10:00')}")
        return
    assert text.startswith(f"Free times for **Haircut** on {day:%A} {day.day}")
    tap(ids.slot(haircut, at(day, "11:00")))  # its new time: a move, not a second booking
    assert tap(ids.hold("confirm", 2))[1] == ["confirm_hold"]
    assert rows() == [(1, "booked", at(day, "11:00"))]


def test_booking_from_the_menu_ends_a_move_asked_about(tap, demo):
    day = upcoming(2)
    haircut = service_id(demo, "Haircut")
    tap(ids.slot(haircut, at(day, "10:00")))
    tap(ids.hold("confirm", 1))
    tap(ids.appointment("move", 1))  # "Move it", then "Book a time" instead
    tap(ids.menu("book"))
    tap(ids.service(haircut))
    text, names = tap(ids.slot(haircut, at(day, "12:00")))
    assert names == ["hold_time"]  # a new booking, held to confirm
    assert rows() == [(1, "booked", at(day, "10:00")), (2, "held", at(day, "12:00"))]


def test_times_listed_for_a_move_count_its_own_seat_as_free(tap, demo):
    day = upcoming(2)  # the demo salon takes two at a time
    haircut = service_id(demo, "Haircut")
    tap(ids.slot(haircut, at(day, "10:00")))
    tap(ids.hold("confirm", 1))
    tap(ids.slot(haircut, at(day, "10:15")), who="346002")
    tap(ids.hold("confirm", 2), who="346002")
    text, names = tap(text=f"move my haircut to {named(day)}")
    assert "\n6. 10:15\n" in text  # 10:15 is full only with the haircut being moved
    assert names[-1] == "find_available_slots"
    assert tap(text="6")[0].startswith(f"Moved ✅ Your **Haircut** is now on {when(day, '10:15')}")


def test_a_time_taken_meanwhile_offers_others(tap, demo):
    day = upcoming(2)
    slot = ids.slot(service_id(demo, "Haircut"), at(day, "10:00"))
    tap(slot, who="346002")
    tap(slot, who="346003")  # capacity 2: both held
    text, _ = tap(slot)
    assert text.startswith("Sorry, that time was just taken.\nFree times nearby:\n1. 09:15\n")
    assert [r[1] for r in rows()] == ["held", "held"]


def test_a_stale_tap_on_a_past_time_books_nothing(tap, demo):
    past = datetime.now(UTC) - timedelta(days=1)
    text, _ = tap(ids.slot(service_id(demo, "Haircut"), past.replace(minute=0, second=0)))
    assert text == "That time is in the past."
    assert rows() == []


def test_an_appointment_of_someone_else_is_not_found(tap, demo):
    day = upcoming(2)
    tap(ids.slot(service_id(demo, "Beard trim"), at(day, "12:00")), who="346009")
    tap(ids.hold("confirm", 1), who="346009")
    assert tap(ids.appointment("cancel", 1)) == ("No such appointment.", ["list_my_appointments"])
    assert tap(ids.hold("confirm", 1)) == (
        "There is no time waiting for your confirmation. Which time would you like?",
        ["confirm_hold"],
    )
    assert [r[1] for r in rows()] == ["booked"]


def test_tap_an_appointment_to_cancel_or_move(tap, demo):
    day, later = in_order(2, 4)
    haircut = service_id(demo, "Haircut")
    tap(ids.slot(haircut, at(day, "09:00")))
    tap(ids.hold("confirm", 1))
    text, _ = tap(ids.appointment("move", 1))
    assert text.startswith(f"When would you like your **Haircut** on {when(day, '09:00')}")
    text, names = tap(ids.slot(haircut, at(later, "16:00")))  # a time tapped while moving
    assert text == f"Moved ✅ Your **Haircut** is now on {when(later, '16:00')} (booking #1)."
    assert names == ["list_my_appointments", "reschedule_appointment"]
    text, _ = tap(ids.appointment("cancel", 1))
    assert text == f"Cancelled: **Haircut** on {when(later, '16:00')} (booking #1)."
    assert rows() == [(1, "cancelled", at(later, "16:00"))]


def test_menu_service_and_later_times(tap, demo):
    text, _ = tap(ids.menu("book"))
    assert text.startswith("Which service would you like?\n1. Haircut — 30 min, 25.00 EUR")
    text, names = tap(ids.service(service_id(demo, "Beard trim")))
    assert text.startswith("Free times for **Beard trim** on ")
    assert names == ["find_available_slots"]
    day = upcoming(1)
    text, _ = tap(ids.more(service_id(demo, "Haircut"), day, datetime(2000, 1, 1, 16).time()))
    assert "\n1. 16:00\n" in text
    assert tap(ids.menu("mine"))[0] == "You have no upcoming appointments."
    assert tap(ids.menu("hours"))[0].startswith("Our opening hours:\n• Monday: 09:00–18:00")
    assert tap(ids.HANDOFF)[0].startswith("Thanks! I've asked the team to answer you here")


@pytest.mark.parametrize(
    "payload",
    ["slot:999:2030-01-01T10:00Z", "svc:999", "slot:1:2026-02-30T10:00Z", "hold:eat:1", "x" * 300],
)
def test_ids_that_name_nothing_get_the_menu(tap, payload):
    text, names = tap(payload, text="")
    assert text.startswith("Sorry, I didn't get that.")
    assert names == []
    assert rows() == []


def test_a_confirm_typed_after_a_tap_confirms_the_hold(tap, demo):
    day = upcoming(2)
    tap(ids.slot(service_id(demo, "Haircut"), at(day, "15:00")))
    text, _ = tap(text="yes please")
    assert text == f"Booked ✅ **Haircut** on {when(day, '15:00')} (booking #1). See you then!"
    assert datetime.now(MADRID).date() < day


def test_times_on_another_day_than_asked_name_their_day(tap, demo):
    """Past the last free time of a day, the next free times are on the next open day: reply
    buttons have no section header, so each title names its day."""
    day = upcoming(2)  # Wednesday; the demo salon closes at 19:00
    text, names = tap(ids.more(service_id(demo, "Haircut"), day, dtime(18, 50)))
    nxt = day + timedelta(days=1)
    assert names == ["find_available_slots"]
    assert text.startswith(f"Sorry, there are no free times for Haircut on {day:%A} {day.day}")
    assert f"1. {nxt:%a} {nxt.day} {nxt:%b} 09:00\n" in text


def new_request_taps(demo: int, day) -> dict[str, list[str]]:
    """Ways to ask by taps for something other than a time held on `day`."""
    haircut, beard = service_id(demo, "Haircut"), service_id(demo, "Beard trim")
    return {
        "book a time, then a service": [ids.menu("book"), ids.service(beard)],
        "an older message's service": [ids.service(beard)],
        "later times of another service": [ids.more(beard, day, dtime(12))],
        "later times of another day": [ids.more(haircut, day + timedelta(days=1), dtime(12))],
    }


@pytest.mark.parametrize(
    "how",
    [
        "book a time, then a service",
        "an older message's service",
        "later times of another service",
        "later times of another day",
    ],
)
def test_a_new_request_by_taps_lets_the_held_time_go(tap, demo, how):
    day = upcoming(2)
    tap(ids.slot(service_id(demo, "Haircut"), at(day, "10:00")))
    for payload in new_request_taps(demo, day)[how]:
        tap(payload)
    assert rows() == []
    text, names = tap(text="ok")  # a later "yes" books nothing
    assert "confirm_hold" not in names, text
    assert rows() == []


def other_taps(day) -> dict[str, str]:
    """Taps about something other than a time held while haircut #1 is booked on `day`."""
    booked = at(day, "10:00")
    return {
        "an appointment's Cancel": ids.appointment("cancel", 1),
        "an appointment's Move": ids.appointment("move", 1),
        "a move's time": ids.move_to(1, at(day, "11:00")),
        "a reminder's Confirm": ids.reminder("confirm", 1, booked),
        "an older message's Confirm": ids.hold("confirm", 1),
        "an older message's Cancel": ids.hold("cancel", 1),
    }


@pytest.mark.parametrize("how", list(other_taps(upcoming(2))))
def test_a_tap_about_something_else_lets_the_held_time_go(tap, demo, how):
    """Only the held time's own buttons, a listed time to hold instead, the "Later times" of
    its list, a question (prices, hours, "My appointments") and "Talk to a person" keep it
    (tests/test_flow_conversations.py): after any other tap a later "ok" books nothing."""
    day = upcoming(2)
    tap(ids.slot(service_id(demo, "Haircut"), at(day, "10:00")))
    tap(ids.hold("confirm", 1))
    tap(ids.slot(service_id(demo, "Beard trim"), at(day + timedelta(days=1), "10:00")))
    assert [r[1] for r in rows()] == ["booked", "held"]
    text, names = tap(other_taps(day)[how])
    assert "release_hold" in names, (text, names)
    assert "held" not in [r[1] for r in rows()]
    text, names = tap(text="ok")
    assert "confirm_hold" not in names, text
    assert [r[0] for r in rows()] == [1]


@pytest.mark.parametrize(
    "payload, text",
    [
        (ids.menu("prices"), ""),
        (ids.menu("hours"), ""),
        (ids.menu("mine"), ""),
        ("", "how much is it?"),
        ("", "what are your opening hours?"),
        ("", "my appointments"),
    ],
)
def test_a_question_keeps_the_held_time(tap, demo, payload, text):
    """Prices and hours, opening hours and "My appointments" only ask (they start no request),
    tapped as typed: the held time stays held, and a later "ok" books it (a customer checks
    the price before confirming)."""
    day = upcoming(2)
    later = day + timedelta(days=1)
    tap(ids.slot(service_id(demo, "Haircut"), at(day, "10:00")))
    tap(ids.hold("confirm", 1))
    tap(ids.slot(service_id(demo, "Beard trim"), at(later, "10:00")))
    assert [r[1] for r in rows()] == ["booked", "held"]
    answer, names = tap(payload, text)
    assert "release_hold" not in names, (answer, names)
    assert rows() == [(1, "booked", at(day, "10:00")), (2, "held", at(later, "10:00"))]
    answer, names = tap(text="ok")
    assert names == ["confirm_hold"], answer
    assert answer.startswith(f"Booked ✅ **Beard trim** on {when(later, '10:00')} (booking #2)")
    assert rows() == [(1, "booked", at(day, "10:00")), (2, "booked", at(later, "10:00"))]


def test_later_times_of_the_held_time_s_own_list_keep_it(tap, demo):
    day = upcoming(2)
    haircut = service_id(demo, "Haircut")
    tap(ids.slot(haircut, at(day, "10:00")))
    tap(ids.more(haircut, day, dtime(12)))
    assert rows() == [(1, "held", at(day, "10:00"))]


@pytest.mark.parametrize("since", ["beard trim on {other} before 11", "haircut on {day} before 11"])
def test_later_times_of_an_older_list_are_that_list_s(tap, demo, since):
    day, other = in_order(2, 3)
    tap(text=f"haircut on {named(day)}")
    tap(text=since.format(day=named(day), other=named(other)))
    text, names = tap(ids.more(service_id(demo, "Haircut"), day, dtime(11, 30)))
    assert text.startswith(f"Free times for **Haircut** on {day:%A} {day.day}"), text
    assert "\n1. 11:30\n" in text


def test_a_move_list_tapped_after_the_move_was_forgotten_still_moves(tap, demo):
    """Two hours on, the flow has forgotten the move: a row of the list it offered moves that
    appointment all the same (it held a second haircut, which Confirm booked)."""
    day = upcoming(2)
    haircut = service_id(demo, "Haircut")
    tap(ids.slot(haircut, at(day, "10:00")))
    tap(ids.hold("confirm", 1))
    tap(ids.appointment("move", 1))
    text, _ = tap(text=f"{day:%A}")
    assert text.startswith("Free times for **Haircut**"), text
    offered = db.fetch_one("SELECT state FROM conversation_state")["state"]["offer"]
    assert ids.move_to(1, at(day, "11:00")) in [o["id"] for o in offered]
    db.execute("DELETE FROM conversation_state")
    text, names = tap(ids.move_to(1, at(day, "11:00")))
    assert names == ["list_my_appointments", "reschedule_appointment"], (text, names)
    assert rows() == [(1, "booked", at(day, "11:00"))]


def test_later_times_of_a_forgotten_move_s_list_still_move_it(tap, demo):
    """The move list's "Later times" names the appointment too: tapped after the flow forgot
    the move, its rows move that appointment; one naming no appointment of theirs books."""
    day = upcoming(2)
    haircut = service_id(demo, "Haircut")
    tap(ids.slot(haircut, at(day, "10:00")))
    tap(ids.hold("confirm", 1))
    tap(ids.appointment("move", 1))
    tap(text=f"{day:%A}")
    offered = db.fetch_one("SELECT state FROM conversation_state")["state"]["offer"]
    [later] = [o["id"] for o in offered if o["id"].startswith("more:")]
    assert ids.parse(later).appointment_id == 1
    for tapped, kind in ((later, "to"), (later.rsplit(":", 1)[0] + ":999", "slot")):
        db.execute("DELETE FROM conversation_state")
        tap(tapped)
        offered = db.fetch_one("SELECT state FROM conversation_state")["state"]["offer"]
        rows_offered = [o["id"] for o in offered if not o["id"].startswith("more:")]
        assert rows_offered and all(ids.parse(r).kind == kind for r in rows_offered), tapped
