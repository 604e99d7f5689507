"""One scripted conversation per agent tool, end to end.

Signed webhook → worker → real ChatOpenAI client → fake LLM (scripted tool call, then a reply
quoting the tool result) → booking service → fake Graph API; the stored appointments, the sent
reply and the turn's recorded tool calls are checked.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.agent.loop import APOLOGY
from app.agent.tools import fmt_local
from app.booking import service as booking
from app.flow import words as flow_words
from app.storage import db
from tests import envelopes
from tests.fake_llm import text_reply, tool_call

MADRID = ZoneInfo("Europe/Madrid")
WA_ID = "34600111222"


def upcoming(weekday: int, at_least: int = 2) -> date:
    """The next `weekday` (0 = Monday) at least `at_least` days after today in Madrid, away from
    a DST change (the same UTC offset three days either side)."""
    today = datetime.now(MADRID).date()
    day = today + timedelta(days=at_least + (weekday - today.weekday() - at_least) % 7)
    while len({_offset(day + timedelta(days=d)) for d in (-3, 0, 3)}) > 1:
        day += timedelta(days=7)
    return day


def in_order(*weekdays: int) -> tuple[date, ...]:
    """Upcoming days of `weekdays` (ascending, 0 = Monday) in that order, within one week, away
    from a DST change: for a test whose days must come one after the other. upcoming() takes
    each weekday's own next date, so on a Monday upcoming(1), eight days on, falls after
    upcoming(2) and upcoming(3); a test that names a weekday in words ("move it to Thursday")
    wants that next date, and takes upcoming()."""
    if list(weekdays) != sorted(set(weekdays)):
        raise ValueError(f"weekdays must ascend: {weekdays}")
    first = upcoming(weekdays[0])
    span = range(-3, weekdays[-1] - weekdays[0] + 4)
    while len({_offset(first + timedelta(days=d)) for d in span}) > 1:
        first += timedelta(days=7)
    return tuple(first + timedelta(days=weekday - weekdays[0]) for weekday in weekdays)


def _offset(day: date) -> timedelta | None:
    return datetime.combine(day, time(12), MADRID).utcoffset()


def at(day: date, hhmm: str) -> datetime:
    """The UTC instant of Madrid wall time `hhmm` on `day`."""
    return datetime.combine(day, time.fromisoformat(hhmm), MADRID).astimezone(UTC)


def spoken(day: date, hhmm: str) -> str:
    """How the tools say that time: "Tuesday 10 March 2026 at 10:00"."""
    return fmt_local(at(day, hhmm), MADRID)


def tool_results(body: dict) -> list[dict]:
    """The tool results (role "tool") sent to the model in one request, decoded."""
    return [json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"]


def relay(render):
    """A fake-LLM step answering with `render(last tool result)`."""
    return lambda body: text_reply(render(tool_results(body)[-1]))


def sent(fake_graph) -> list[str]:
    return [m["text"]["body"] for m in fake_graph.messages_sent()]


def rows() -> list[dict]:
    """Every appointment: id, customer's address, service, start, status, turn, predecessor."""
    return db.fetch_all(
        "SELECT a.id, c.address, s.name AS service, a.starts_at, a.status, a.turn_id,"
        " a.rescheduled_from FROM appointments a JOIN customers c ON c.id = a.customer_id"
        " JOIN services s ON s.id = a.service_id ORDER BY a.id"
    )


def only_turn() -> dict:
    turns = db.fetch_all("SELECT id, status, tool_calls FROM turns ORDER BY id")
    assert len(turns) == 1
    return turns[0]


def business_id() -> int:
    return db.fetch_one("SELECT id FROM businesses WHERE name = 'Demo Salon'")["id"]


def add_customer(wa_id: str = WA_ID, name: str = "Alex") -> int:
    row = db.fetch_one(
        "INSERT INTO customers (business_id, address, profile_name) VALUES (%s, %s, %s)"
        " RETURNING id",
        (business_id(), wa_id, name),
    )
    return row["id"]


def seed(customer_id: int, service: str, day: date, hhmm: str) -> int:
    """Book through the service (as an earlier turn would have); return the appointment id."""
    result = booking.book(business_id(), customer_id, service, at(day, hhmm))
    assert result.ok, result
    return result.appointment.id


@pytest.fixture
def say(post_webhook, drain):
    """The customer writes `text`; the worker runs until the queue is empty."""

    def run(text: str) -> None:
        assert post_webhook(envelopes.text(text, wa_id=WA_ID)).status_code == 200
        drain()

    return run


def assert_recorded(fake_llm, name: str, args: dict) -> dict:
    """The turn recorded exactly this one successful call, with the result the model saw."""
    turn = only_turn()
    assert turn["status"] == "answered"
    [call] = turn["tool_calls"]
    assert (call["name"], call["args"], call["ok"]) == (name, args, True)
    assert call["result"] == tool_results(fake_llm.requests[1])[-1]
    assert isinstance(call["latency_ms"], int | float) and call["latency_ms"] >= 0
    return call["result"]


def test_find_available_slots(app, say, fake_llm, fake_graph):
    day = upcoming(1)
    for wa_id in ("34600000001", "34600000002"):  # capacity 2: 17:00 is full
        seed(add_customer(wa_id, "Other"), "Haircut", day, "17:00")
    args = {"service": "haircut", "date": day.isoformat(), "after": "17:00"}
    fake_llm.script += [
        tool_call("find_available_slots", args),
        relay(lambda r: f"Free on {r['date']}: {', '.join(r['slots'])}"),
    ]
    say("Any haircut after 5 that day?")
    result = assert_recorded(fake_llm, "find_available_slots", args)
    # 17:00 and 17:15 overlap the two 17:00 haircuts; 17:30 is the last that ends by 18:00.
    assert result["slots"] == ["17:30"]
    assert sent(fake_graph) == [f"Free on {day:%A} {day.day} {day:%B %Y}: 17:30"]
    assert len(rows()) == 2


def test_find_available_slots_for_a_move_counts_its_own_seat_as_free(app, say, fake_llm):
    day = upcoming(1)
    seed(add_customer("34600000001", "Other"), "Haircut", day, "17:00")
    mine = seed(add_customer(), "Haircut", day, "17:00")  # capacity 2: 17:00 is full
    args = {"service": "haircut", "date": day.isoformat(), "after": "17:00"}
    moving = {**args, "appointment_id": mine}
    fake_llm.script += [
        tool_call("find_available_slots", args),
        tool_call("find_available_slots", moving),
        text_reply("Here they are."),
    ]
    say("Could I move my haircut a bit later?")
    listed, for_the_move = tool_results(fake_llm.requests[2])
    assert listed["slots"] == ["17:30"]
    assert for_the_move["slots"] == ["17:00", "17:15", "17:30"]  # where it may move to


def test_find_available_slots_counts_the_customers_own_hold_as_free(app, say, fake_llm):
    """A time the customer holds is theirs to take (a new hold or booking replaces it): listed
    for them, while it is full for anyone else."""
    from app.booking import holds

    day = upcoming(1)
    seed(add_customer("34600000001", "Other"), "Haircut", day, "17:00")
    mine = add_customer()
    assert holds.hold(business_id(), mine, "Haircut", at(day, "17:00")).ok  # capacity 2: full
    args = {"service": "haircut", "date": day.isoformat(), "after": "17:00"}
    fake_llm.script += [tool_call("find_available_slots", args), text_reply("Here they are.")]
    say("Any haircut from 17:00 that day?")
    [listed] = tool_results(fake_llm.requests[1])
    assert listed["slots"] == ["17:00", "17:15", "17:30"]
    other = booking.find_slots(business_id(), "Haircut", day, day, after=time(17, 0))
    assert [f"{s.astimezone(MADRID):%H:%M}" for s in other.slots] == ["17:30"]


def test_find_available_slots_counts_the_times_it_leaves_out(app, say, fake_llm):
    day = upcoming(1)
    args = {"service": "Haircut", "date": day.isoformat(), "after": "12:00"}
    fake_llm.script += [tool_call("find_available_slots", args), text_reply("Here they are.")]
    say("Any haircut after 12 that day?")
    result = assert_recorded(fake_llm, "find_available_slots", args)
    # "Tuesday" names the coming Tuesday only; one a week further on is named by its date.
    ahead = (day - datetime.now(MADRID).date()).days
    named = "Tuesday" if ahead < 7 else f"{day.day} {day:%B}"
    assert result == {
        "ok": True,
        "service": "Haircut",
        "date": f"{day:%A} {day.day} {day:%B %Y}",
        "slots": "12:00 12:15 12:30 14:00 14:15 14:30 14:45 15:00 15:15 15:30 15:45 16:00".split(),
        "more": 6,
        "next_after": "16:15",
        "last": "17:30",
        "ask_for_more": f"{named} after 16:15",
    }


def test_book_appointment(app, say, fake_llm, fake_graph):
    day = upcoming(1)
    args = {"service": "Haircut", "date": day.isoformat(), "time": "10:00"}
    fake_llm.script += [
        tool_call("book_appointment", args),
        relay(lambda r: f"Booked: {r['appointment']['service']} on {r['appointment']['starts']}"),
    ]
    say("Book me a haircut at 10 that day")
    result = assert_recorded(fake_llm, "book_appointment", args)
    [row] = rows()
    assert (row["address"], row["service"], row["starts_at"], row["status"]) == (
        WA_ID,
        "Haircut",
        at(day, "10:00"),
        "booked",
    )
    assert row["turn_id"] == only_turn()["id"] and result["appointment"]["id"] == row["id"]
    assert sent(fake_graph) == [f"Booked: Haircut on {spoken(day, '10:00')}"]


def test_list_my_appointments(app, say, fake_llm, fake_graph):
    day = upcoming(1)
    me = add_customer()
    mine = [seed(me, "Haircut", day, "10:00"), seed(me, "Beard trim", day + timedelta(1), "11:00")]
    seed(add_customer("34600000009", "Other"), "Hair coloring", day, "15:00")
    fake_llm.script += [
        tool_call("list_my_appointments", {}),
        relay(
            lambda r: "\n".join(
                f"#{a['id']} {a['service']}, {a['starts']}" for a in r["appointments"]
            )
        ),
    ]
    say("What are my appointments?")
    assert_recorded(fake_llm, "list_my_appointments", {})
    assert sent(fake_graph) == [
        f"#{mine[0]} Haircut, {spoken(day, '10:00')}\n"
        f"#{mine[1]} Beard trim, {spoken(day + timedelta(1), '11:00')}"
    ]
    assert [r["status"] for r in rows()] == ["booked"] * 3


def test_reschedule_appointment(app, say, fake_llm, fake_graph):
    day = upcoming(1)
    old = seed(add_customer(), "Haircut", day, "10:00")
    args = {"appointment_id": old, "date": (day + timedelta(1)).isoformat(), "time": "11:00"}
    fake_llm.script += [
        tool_call("reschedule_appointment", args),
        relay(
            lambda r: f"Moved: {r['appointment']['service']} is now {r['appointment']['starts']}"
        ),
    ]
    say("Please move my haircut to the next day at 11")
    result = assert_recorded(fake_llm, "reschedule_appointment", args)
    assert (result["status"], result["appointment"]["id"]) == ("rescheduled", old)
    [row] = rows()
    assert (row["id"], row["starts_at"], row["status"], row["rescheduled_from"]) == (
        old,
        at(day + timedelta(1), "11:00"),
        "booked",
        None,
    )
    move = db.fetch_one(
        "SELECT from_starts_at, to_starts_at, turn_id FROM appointment_moves"
        " WHERE appointment_id = %s",
        (old,),
    )
    assert move == {
        "from_starts_at": at(day, "10:00"),
        "to_starts_at": at(day + timedelta(1), "11:00"),
        "turn_id": only_turn()["id"],
    }
    assert sent(fake_graph) == [f"Moved: Haircut is now {spoken(day + timedelta(1), '11:00')}"]


def test_cancel_appointment(app, say, fake_llm, fake_graph):
    day = upcoming(1)
    appointment = seed(add_customer(), "Beard trim", day, "12:00")
    fake_llm.script += [
        tool_call("cancel_appointment", {"appointment_id": appointment}),
        relay(
            lambda r: f"Cancelled: {r['appointment']['service']} on {r['appointment']['starts']}"
        ),
    ]
    say("Cancel my beard trim please")
    assert_recorded(fake_llm, "cancel_appointment", {"appointment_id": appointment})
    assert [(r["id"], r["status"]) for r in rows()] == [(appointment, "cancelled")]
    assert sent(fake_graph) == [f"Cancelled: Beard trim on {spoken(day, '12:00')}"]


def test_list_services(app, say, fake_llm, fake_graph):
    fake_llm.script += [
        tool_call("list_services", {}),
        relay(
            lambda r: "; ".join(
                f"{s['name']} {s['duration_minutes']} min {s['price']} {s['currency']}"
                for s in r["services"]
            )
        ),
    ]
    say("What do you offer and how much?")
    assert_recorded(fake_llm, "list_services", {})
    assert sent(fake_graph) == [
        "Haircut 30 min 25.00 EUR; Beard trim 15 min 12.00 EUR; Hair coloring 90 min 60.00 EUR"
    ]
    assert rows() == []


SERVER_ERROR = (500, {"error": {"message": "boom", "type": "server_error"}})


def booked_line(day: date, hhmm: str, appointment_id: int) -> str:
    """The flow's words for a booking, as WhatsApp shows them."""
    when = f"{spoken(day, hhmm)}"
    return f"Booked ✅ *Haircut* on {when} (booking #{appointment_id}). See you then!"


@pytest.mark.parametrize(
    "after_the_booking, iterations",
    [
        ([SERVER_ERROR], 6),  # the model fails
        ([tool_call("list_my_appointments", {})], 2),  # its iterations run out
        ([text_reply("Booked, and I cancelled your other one!")] * 2, 6),  # it makes things up
    ],
    ids=["model-error", "exhausted", "ungrounded"],
)
def test_a_booking_is_reported_when_the_turn_then_fails(
    app, say, fake_llm, fake_graph, after_the_booking, iterations
):
    app.config["AGENT_MAX_ITERATIONS"] = iterations
    day = upcoming(1)
    args = {"service": "Haircut", "date": day.isoformat(), "time": "10:00"}
    fake_llm.script += [tool_call("book_appointment", args), *after_the_booking]
    say("Book me a haircut")
    [row] = rows()
    [reply] = sent(fake_graph)
    assert reply.startswith(booked_line(day, "10:00", row["id"]))
    assert reply.endswith(flow_words.say("en", "rest_unanswered"))


def test_a_move_and_a_cancel_are_reported_when_the_model_then_fails(app, say, fake_llm, fake_graph):
    day = upcoming(1)
    me = add_customer()
    moved, cancelled = seed(me, "Haircut", day, "10:00"), seed(me, "Beard trim", day, "12:00")
    move = {"appointment_id": moved, "date": day.isoformat(), "time": "11:00"}
    fake_llm.script += [
        tool_call("reschedule_appointment", move),
        tool_call("cancel_appointment", {"appointment_id": cancelled}),
        SERVER_ERROR,
    ]
    say("Move my haircut to 11 and cancel the beard trim")
    [reply] = sent(fake_graph)
    assert f"Moved ✅ Your *Haircut* is now on {spoken(day, '11:00')}" in reply
    assert f"Cancelled: *Beard trim* on {spoken(day, '12:00')}" in reply


def test_a_failed_turn_that_changed_nothing_only_apologises(app, say, fake_llm, fake_graph):
    fake_llm.script += [tool_call("list_my_appointments", {}), SERVER_ERROR]
    say("What do I have booked?")
    assert sent(fake_graph) == [APOLOGY]


def test_a_reported_booking_is_in_the_next_turns_history(app, say, fake_llm):
    day = upcoming(1)
    args = {"service": "Haircut", "date": day.isoformat(), "time": "10:00"}
    fake_llm.script += [tool_call("book_appointment", args), SERVER_ERROR]
    say("Book me a haircut")
    say("thanks")
    said = [m.get("content") or "" for m in fake_llm.requests[-1]["messages"]]
    assert any("Booked ✅" in s for s in said)


class Scripted:
    """A chat model answering with `steps` in turn (an exception is raised)."""

    def __init__(self, *steps):
        self.steps = list(steps)

    def bind_tools(self, specs):
        return self

    def invoke(self, messages, config=None):
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def test_a_booking_is_reported_not_redone_when_every_model_then_goes_away(app):
    """The model-free flow would read "book me a haircut" again; the customer is told instead."""
    from langchain_core.messages import AIMessage

    from app.agent.failover import NoModel
    from app.agent.loop import run_agent
    from app.agent.tools import ToolContext, make_tools
    from app.storage import businesses, conversations

    day = upcoming(1)
    args = {"service": "Haircut", "date": day.isoformat(), "time": "10:00"}
    call = AIMessage("", tool_calls=[{"name": "book_appointment", "args": args, "id": "c1"}])
    with app.app_context():
        customer = conversations.get_customer(add_customer())
        ctx = ToolContext(businesses.get_business(business_id()), customer, None, datetime.now(UTC))
        model = Scripted(call, NoModel("(offline)"))
        result = run_agent(model, "system", [], "book me a haircut", make_tools(ctx), 4)
    [row] = rows()
    assert result.reply.startswith(f"Booked ✅ **Haircut** on {spoken(day, '10:00')}")
    assert result.flow_reply is None and len(result.tool_calls) == 1


def test_one_booking_is_reported_once(app, say, fake_llm, fake_graph):
    day = upcoming(1)
    args = {"service": "Haircut", "date": day.isoformat(), "time": "10:00"}
    # The model books, books the same again (the service answers "exists"), then fails.
    fake_llm.script += [
        tool_call("book_appointment", args),
        tool_call("book_appointment", args),
        SERVER_ERROR,
    ]
    say("Book me a haircut")
    [row] = rows()
    [reply] = sent(fake_graph)
    assert reply.count(f"#{row['id']}") == 1, reply
