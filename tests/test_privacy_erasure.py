"""Erasure from inside the chat, end to end through the signed webhook and the job worker, with
a fake Google Calendar: nothing naming the customer remains in any table, their upcoming
booking and its event are gone, past visits still count, and an old message redelivered does
not bring them back."""

from __future__ import annotations

import pytest
from psycopg import sql

from app import booking, flow
from app.flow import privacy as privacy_flow
from app.storage import db
from tests import envelopes
from tests.fake_gcal.accounts import CAL, google_salon
from tests.fake_llm import text_reply
from tests.fixtures_booking import NOW, madrid
from tests.test_agent_conversations import at, upcoming

pytest_plugins = ["tests.fake_gcal.fixtures"]

NUMBER_ID = "777000222"
PHONE = "34699887766"
NAME = "Marisol Quintanilla"
TEXTS = ("the blue door beside the bakery", "my dog Bartolo hates scissors")
OTHER = "34611223344"


@pytest.fixture
def salon(app, gcal):
    return google_salon(gcal, whatsapp_number_id=NUMBER_ID)


def say(post_webhook, text: str, wa_id: str = PHONE, name: str = NAME) -> dict:
    envelope = envelopes.text(text, wa_id=wa_id, name=name, phone_number_id=NUMBER_ID)
    assert post_webhook(envelope).status_code == 200
    return envelope


def tap(post_webhook, choice: str, title: str) -> dict:
    envelope = envelopes.tap(
        choice, title, kind="button_reply", wa_id=PHONE, phone_number_id=NUMBER_ID
    )
    assert post_webhook(envelope).status_code == 200
    return envelope


def customer_id(business_id: int, address: str) -> int | None:
    row = db.fetch_one(
        "SELECT id FROM customers WHERE business_id = %s AND address = %s", (business_id, address)
    )
    return row and row["id"]


def tables_holding(needle: str) -> list[str]:
    """Every table (ours and the job queue's) with a row whose text contains `needle`."""
    names = db.fetch_all(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    found = []
    with db.connection() as conn:
        for row in names:
            query = sql.SQL("SELECT count(*) AS n FROM {} t WHERE t::text ILIKE %s").format(
                sql.Identifier(row["table_name"])
            )
            if conn.execute(query, (f"%{needle}%",)).fetchone()["n"]:
                found.append(row["table_name"])
    return found


def test_delete_my_data_end_to_end(salon, gcal, post_webhook, drain_all, fake_graph):
    for text in TEXTS:
        say(post_webhook, text)
    say(post_webhook, "hello there", wa_id=OTHER, name="Someone Else")
    drain_all()
    me = customer_id(salon, PHONE)
    past = booking.book(salon, me, "Haircut", madrid("2026-06-02 10:00"), now=NOW)
    future = booking.book(salon, me, "Haircut", at(upcoming(2), "10:00"))
    assert past.ok and future.ok
    drain_all()
    assert len(gcal.live_events(CAL)) == 2
    assert any(NAME in e["summary"] for e in gcal.live_events(CAL).values())

    say(post_webhook, "Please DELETE MY DATA")
    drain_all()
    question = fake_graph.messages_sent()[-1]
    assert question["type"] == "interactive"
    buttons = question["interactive"]["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == [privacy_flow.ERASE, privacy_flow.KEEP]
    assert "1 upcoming appointment" in question["interactive"]["body"]["text"]

    confirm = tap(post_webhook, privacy_flow.ERASE, "Erase my data")
    drain_all()
    final = fake_graph.messages_sent()[-1]
    assert final["to"] == PHONE and "your data has been erased" in final["text"]["body"]

    for needle in (PHONE, NAME, "Marisol", *TEXTS):
        assert tables_holding(needle) == [], needle
    events = gcal.live_events(CAL)
    assert list(events) == [f"appt{past.appointment.id:08d}"]  # the upcoming one's is deleted
    kept = next(iter(events.values()))
    assert NAME not in str(kept) and PHONE not in str(kept)
    counted = db.fetch_one(
        "SELECT count(*) AS n FROM appointments WHERE business_id = %s AND status = 'booked'"
        " AND starts_at < now()",
        (salon,),
    )
    assert counted["n"] == 1  # the past visit still counts, anonymously
    erased = db.fetch_one("SELECT * FROM customers WHERE id = %s", (me,))
    assert erased["erased_at"] is not None and erased["profile_name"] == ""
    audit = db.fetch_one("SELECT * FROM audit_log WHERE action = 'erase'")
    assert audit["entity_id"] == str(me) and audit["after"]["cancelled_appointments"] == 1
    assert customer_id(salon, OTHER) is not None  # the other customer is untouched
    assert tables_holding("hello there")

    sends = len(fake_graph.messages_sent())
    assert post_webhook(confirm).status_code == 200  # Meta redelivers the old tap
    late = envelopes.text(
        "an old message delivered late", wa_id=PHONE, name=NAME, phone_number_id=NUMBER_ID
    )
    written = erased["erased_at"].timestamp() - 60  # written before the erasure, arriving now
    late["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(int(written))
    assert post_webhook(late).status_code == 200
    drain_all()
    assert customer_id(salon, PHONE) is None
    assert tables_holding(PHONE) == [] and tables_holding("delivered late") == []
    assert len(fake_graph.messages_sent()) == sends


def test_writing_again_later_starts_a_fresh_customer(salon, post_webhook, drain_all):
    say(post_webhook, "hi")
    drain_all()
    first = customer_id(salon, PHONE)
    tap(post_webhook, privacy_flow.ERASE, "Erase my data")
    drain_all()
    assert customer_id(salon, PHONE) is None
    erased_at = db.fetch_one("SELECT erased_at FROM customers WHERE id = %s", (first,))
    later = erased_at["erased_at"].timestamp() + 1
    envelope = envelopes.text("back again", wa_id=PHONE, name=NAME, phone_number_id=NUMBER_ID)
    envelope["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(int(later))
    assert post_webhook(envelope).status_code == 200
    drain_all()
    fresh = customer_id(salon, PHONE)
    assert fresh is not None and fresh != first
    history = db.fetch_all("SELECT body FROM messages WHERE customer_id = %s ORDER BY id", (fresh,))
    assert history[0]["body"] == "back again"


def test_a_customer_the_team_has_can_still_have_their_data_erased(
    salon, post_webhook, drain_all, fake_graph
):
    """While staff had the conversation, "delete my data" and the Erase tap were stored for
    them and never answered: the customer could not exercise the right at all in the chat."""
    say(post_webhook, "hi")
    drain_all()
    me = customer_id(salon, PHONE)
    db.execute(
        "UPDATE customers SET bot_paused = true, needs_attention = true WHERE id = %s", (me,)
    )
    say(post_webhook, "please delete my data")
    drain_all()
    question = fake_graph.messages_sent()[-1]
    assert question["type"] == "interactive"
    assert [b["reply"]["id"] for b in question["interactive"]["action"]["buttons"]] == [
        privacy_flow.ERASE,
        privacy_flow.KEEP,
    ]
    tap(post_webhook, privacy_flow.ERASE, "Erase my data")
    drain_all()
    assert "your data has been erased" in fake_graph.messages_sent()[-1]["text"]["body"]
    assert db.fetch_one("SELECT erased_at FROM customers WHERE id = %s", (me,))["erased_at"]
    assert tables_holding(PHONE) == []


def test_keep_my_data_erases_nothing(salon, post_webhook, drain_all, fake_graph):
    say(post_webhook, "borra mis datos")
    drain_all()
    question = fake_graph.messages_sent()[-1]
    assert "sin tu nombre" in question["interactive"]["body"]["text"]
    assert question["interactive"]["action"]["buttons"][1]["reply"]["title"] == (
        "Conservar mis datos"
    )
    tap(post_webhook, privacy_flow.KEEP, "Conservar mis datos")
    drain_all()
    assert fake_graph.messages_sent()[-1]["text"]["body"].startswith("No se ha borrado nada")
    assert customer_id(salon, PHONE) is not None
    assert db.fetch_one("SELECT count(*) AS n FROM audit_log WHERE action = 'erase'")["n"] == 0


def test_typed_number_after_the_question_picks_the_button(salon, post_webhook, drain_all):
    say(post_webhook, "delete my data")
    drain_all()
    say(post_webhook, "1")
    drain_all()
    assert customer_id(salon, PHONE) is None


@pytest.mark.parametrize("typed", ["1", "2"])
def test_a_number_typed_to_the_models_answer_after_the_question_picks_no_button(
    salon, post_webhook, drain_all, fake_llm, fake_graph, typed
):
    """The customer changed their mind in words and the model answered with a numbered list:
    their "1" (or "2") is the model's to read, though the question's buttons are still kept."""
    say(post_webhook, "delete my data")
    drain_all()
    fake_llm.script.append(text_reply("Sure! Which service? 1. Haircut 2. Beard trim"))
    say(post_webhook, "actually no, I want to book a haircut")
    drain_all()
    fake_llm.script.append(text_reply("Great, a haircut. Which day?"))
    say(post_webhook, typed)
    drain_all()
    assert len(fake_llm.requests) == 2
    assert customer_id(salon, PHONE) is not None
    assert fake_graph.messages_sent()[-1]["text"]["body"] == "Great, a haircut. Which day?"


def test_asked_without_a_model(salon, post_webhook, drain_all, fake_llm, fake_graph):
    say(post_webhook, "Delete My Data please")
    drain_all()
    assert fake_llm.requests == []
    assert fake_graph.messages_sent()[-1]["type"] == "interactive"


@pytest.mark.parametrize(
    "text",
    [
        "delete my data",
        "DELETE MY DATA",
        "Please erase my personal data.",
        "Borra mis datos",
        "BORRA MIS DATOS",
        "por favor, bórrame... no: borra mis datos",
        "Eliminar todos mis datos",
    ],
)
def test_asks_erasure(text):
    assert privacy_flow.asks_erasure(text)


@pytest.mark.parametrize(
    "text",
    ["don't delete my data", "what data do you keep?", "delete my appointment", "mis datos son"],
)
def test_not_a_request_to_erase(text):
    assert not privacy_flow.asks_erasure(text)


def test_privacy_buttons_are_taps_on_our_ids():
    assert flow.is_ours(privacy_flow.ERASE) and flow.is_ours(privacy_flow.KEEP)


def test_keyed_hash_needs_the_key(app):
    from app.privacy import address_hash

    assert address_hash("k1", "whatsapp", PHONE) != address_hash("k2", "whatsapp", PHONE)
    assert PHONE not in address_hash("k1", "whatsapp", PHONE)
    assert len(address_hash("k1", "whatsapp", PHONE)) == 64


def test_delete_my_data_on_messenger(app, post_webhook, drain, fake_graph):
    """The same on Messenger: the question comes with quick replies, tapping one erases the
    customer, and the Page-scoped id is gone from every table."""
    from app.secrets import encrypt
    from app.storage import businesses
    from tests.conftest import PHONE_NUMBER_ID, SECRET_KEY

    page_id, psid = "777000333", "6254381284699999"
    businesses.seed_demo(
        PHONE_NUMBER_ID, messenger_page_id=page_id, page_access_token=encrypt("EAAtok", SECRET_KEY)
    )
    fake_graph.set_profile(psid, first_name="Quirina", last_name="Zapatero")
    for text in ("hello, I am Quirina", "DELETE MY DATA"):
        assert post_webhook(envelopes.messenger(psid, page_id, text=text)).status_code == 200
        drain()
    question = fake_graph.messenger_sent()[-1]["message"]
    assert [q["payload"] for q in question["quick_replies"]] == list(privacy_flow.IDS)
    tap = envelopes.messenger(psid, page_id, text="Erase my data", quick_reply=privacy_flow.ERASE)
    assert post_webhook(tap).status_code == 200
    drain()
    assert "your data has been erased" in fake_graph.messenger_sent()[-1]["message"]["text"]
    for needle in (psid, "Quirina", "Zapatero"):
        assert tables_holding(needle) == [], needle


def test_a_customer_erased_mid_turn_keeps_no_booking_that_turn_tries(
    app, post_webhook, drain, fake_llm, fake_graph
):
    """Staff erase the customer while the model writes its answer: the turn's booking call
    finds them erased (the erasure held the booking lock first), and nothing is stored."""
    from app import erasure
    from tests.fake_llm import text_reply, tool_call

    day = upcoming(1).isoformat()

    def erase_then_book(body):
        row = db.fetch_one("SELECT id, business_id FROM customers WHERE address = '34600000911'")
        with app.app_context():
            assert erasure.erase(row["business_id"], row["id"], by="staff")["erased"]
        return tool_call("book_appointment", {"service": "Haircut", "date": day, "time": "10:00"})

    fake_llm.script += [erase_then_book, text_reply("Booked!")]
    post_webhook(envelopes.text(f"haircut on {day} at 10:00", wa_id="34600000911"))
    drain()
    assert db.fetch_one("SELECT erased_at FROM customers")["erased_at"] is not None
    assert fake_graph.messages_sent() == []
    assert db.fetch_all("SELECT id, status FROM appointments") == []


def test_a_front_desk_booking_and_an_erasure_of_the_same_customer_both_finish(app):
    """Both take the customer's row, then the booking lock, in that order: neither deadlocks.
    The booking waits until the erasure is under way (it waits for the row), then books, and
    the erasure, once it has the row, cancels what was booked."""
    import threading
    import time

    from app import erasure
    from app.storage import front_desk
    from tests.fixtures_booking import make_business

    phone = "34600111222"
    business = make_business()
    customer = db.fetch_one(
        "INSERT INTO customers (business_id, channel, address, profile_name)"
        " VALUES (%s, 'whatsapp', %s, 'Ana') RETURNING id",
        (business, phone),
    )["id"]
    errors: list[BaseException] = []
    row_locked = threading.Event()

    def erasure_waiting() -> bool:
        db.execute("SELECT pg_stat_clear_snapshot()")  # read afresh inside the transaction
        return bool(
            db.fetch_one(
                "SELECT count(*) AS n FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )["n"]
        )

    def front_desk_booking() -> None:  # what create_appointment does, in its order
        try:
            with app.app_context(), db.transaction() as conn:
                assert (
                    front_desk.staff_customer(conn, business, "whatsapp", phone, "Ana") == customer
                )
                row_locked.set()
                deadline = time.monotonic() + 30
                while not erasure_waiting():
                    assert time.monotonic() < deadline, "the erasure never waited for the row"
                    time.sleep(0.02)
                assert booking.book(business, customer, "Haircut", at(upcoming(1), "10:00")).ok
        except BaseException as exc:
            errors.append(exc)

    def erase() -> None:
        try:
            assert row_locked.wait(30)
            with app.app_context():
                assert erasure.erase(business, customer, by="customer")["erased"]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=front_desk_booking), threading.Thread(target=erase)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    statuses = [r["status"] for r in db.fetch_all("SELECT status FROM appointments")]
    assert statuses == ["cancelled"]


def test_a_turn_running_during_the_erasure_writes_nothing_of_theirs_back(
    app, post_webhook, drain, fake_llm
):
    """Staff erase the customer while the model answers: the turn, superseded, keeps none of
    its tool calls (their arguments quote the customer)."""
    from app import erasure
    from tests.fake_llm import text_reply, tool_call

    phone, words = "34600000911", "Marisol says her dog Bartolo bit the stylist"

    def erase_then_hand_off(body):
        row = db.fetch_one("SELECT id, business_id FROM customers WHERE address = %s", (phone,))
        with app.app_context():
            assert erasure.erase(row["business_id"], row["id"], by="staff")["erased"]
        return tool_call("handoff_to_human", {"reason": "complaint", "summary": words})

    fake_llm.script += [erase_then_hand_off, text_reply("ok")]
    said = "my dog Bartolo bit your stylist, I want to complain"
    assert post_webhook(envelopes.text(said, wa_id=phone)).status_code == 200
    drain()
    assert db.fetch_one("SELECT erased_at FROM customers")["erased_at"] is not None
    assert tables_holding("Bartolo") == []


def test_erasing_a_customer_of_a_deactivated_business_cancels_their_booking(app):
    """Their reminders must not fire for an erased customer should the business be active
    again, nor its calendar keep the time."""
    from app import erasure
    from tests.fixtures_booking import make_business

    business = make_business()
    me = db.fetch_one(
        "INSERT INTO customers (business_id, channel, address, profile_name)"
        " VALUES (%s, 'whatsapp', '34600777888', 'Ana Pérez') RETURNING id",
        (business,),
    )["id"]
    assert booking.book(business, me, "Haircut", at(upcoming(2), "10:00")).ok
    db.execute("UPDATE businesses SET active = false WHERE id = %s", (business,))
    with app.app_context():
        done = erasure.erase(business, me, by="staff")
    assert (done["erased"], done["cancelled_appointments"]) == (True, 1)
    assert [r["status"] for r in db.fetch_all("SELECT status FROM appointments")] == ["cancelled"]
    states = db.fetch_all("SELECT state FROM appointment_reminders")
    assert all(r["state"] != "pending" for r in states), states


@pytest.mark.parametrize(
    "by_number, written_after",
    [(True, False), (False, False), (True, True)],
    ids=["by number", "by BSUID alone", "written after the erasure"],
)
def test_a_message_written_before_an_erasure_and_stored_during_it_is_dropped(
    app, post_webhook, by_number, written_after
):
    """The webhook's statement finds no tombstone in its snapshot (the erasure has not
    committed), waits for the customer's row the erasure holds, then finds the address free:
    stored, the message would make the erased customer again. It is dropped as a message
    written before the erasure and delivered after it is; one written after it starts a new
    customer, as it would without the race."""
    import threading
    import time

    import psycopg
    from psycopg.rows import dict_row

    from app import privacy
    from app.storage import privacy as privacy_store
    from tests.test_whatsapp_bsuid_customers import (
        DEADLINE,
        _business,
        _until_waiting_for_a_transaction,
        customers,
        message,
    )

    sent = time.time() - 60
    assert post_webhook(message("wamid.ER1", "hi", sent=sent)).status_code == 200
    [customer] = customers()
    key = app.config["SECRET_KEY"]
    with psycopg.connect(db.pool().conninfo, row_factory=dict_row) as holder:
        # What erasure.erase does in its transaction, held open before its commit.
        row = privacy_store.lock_customer(holder, _business(customer["id"]), customer["id"])
        address, user = (
            privacy.address_hash(key, "whatsapp", row[k]) for k in ("address", "user_id")
        )
        privacy_store.erase_customer(holder, customer["id"], address, user)
        later = time.time() + 60 if written_after else sent + 10
        late = message("wamid.ER2", "my address is 12 Elm St", None, later)
        if by_number:
            late = message("wamid.ER2", "my address is 12 Elm St", sent=later)
        answer: dict = {}
        storing = threading.Thread(target=lambda: answer.setdefault("r", post_webhook(late)))
        storing.start()
        _until_waiting_for_a_transaction(holder)
        holder.commit()
    storing.join(DEADLINE)
    assert answer["r"].status_code == 200
    stored = db.fetch_one("SELECT customer_id FROM messages WHERE external_id = 'wamid.ER2'")
    if written_after:
        [erased, fresh] = customers()
        assert erased["erased_at"] is not None and fresh["erased_at"] is None
        assert stored["customer_id"] == fresh["id"]
    else:
        assert [(c["id"], c["erased_at"] is not None) for c in customers()] == [
            (customer["id"], True)
        ]
        assert stored is None


def test_nothing_after_a_confirmed_erasure_is_answered(
    salon, post_webhook, drain_all, fake_llm, fake_graph
):
    say(post_webhook, "delete my data")
    drain_all()
    say(post_webhook, "1")
    say(post_webhook, "my dog Bartolo hates scissors, what time do you open?")
    drain_all()
    bodies = [m.get("text", {}).get("body", "") for m in fake_graph.messages_sent()]
    assert customer_id(salon, PHONE) is None
    # The customer asked for their data to be erased: their next words go to no model...
    assert fake_llm.requests == []
    # ...and nothing is said to them after "your data has been erased".
    assert "your data has been erased" in bodies[-1]


def test_words_written_with_the_erase_are_not_kept(
    salon, post_webhook, drain_all, fake_llm, fake_graph
):
    say(post_webhook, "delete my data")
    drain_all()
    say(post_webhook, "1")
    say(post_webhook, "my dog Bartolo hates scissors, book me a haircut")
    drain_all()
    assert customer_id(salon, PHONE) is None
    assert tables_holding("Bartolo") == []
    assert tables_holding(PHONE) == []
