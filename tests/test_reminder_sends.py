"""What the customer gets: text and buttons inside the window, the approved template (WhatsApp)
or the CONFIRMED_EVENT_UPDATE tag (Messenger) outside it; what the buttons do; opting out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app import reminders
from app.booking import service as booking
from app.flow import actions, ids
from app.flow.reminders import stops_reminders
from app.storage import db
from tests import envelopes
from tests.reminder_helpers import book, customer, open_business, reminder_messages, reminder_rows
from tests.test_reminder_races import Run

TEMPLATE = {"name": "appointment_reminder", "language": "en_US"}
PAGE_ID = "5550001112223"


def soon(days: int = 3, hour: int = 12) -> datetime:
    """A real instant `days` from today at `hour`:00 in Madrid (the outbox uses the real clock)."""
    tz = ZoneInfo("Europe/Madrid")
    day = datetime.now(tz).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)


def booked_with_reminder(app, hours_since_last_message: float, **business) -> tuple:
    """(business id, number id, customer, appointment id, start) with the 24-hour reminder fired."""
    number = f"num{datetime.now(UTC).timestamp():.0f}"
    business_id = open_business(whatsapp_number_id=number, **business)
    kim = customer(business_id, hours_since_last_message)
    start = soon()
    appointment_id = book(app, business_id, kim["id"], start, now=datetime.now(UTC))
    with app.app_context():
        assert reminders.fire(appointment_id, 1440, now=start - timedelta(hours=24)) == "queued"
    return business_id, number, kim, appointment_id, start


def sends_to(fake_graph, address: str) -> list[dict]:
    return [s for s in fake_graph.messages_sent() if s.get("to") == address]


def test_inside_the_window_the_reminder_is_text_with_confirm_change_cancel_buttons(
    app, drain, fake_graph
):
    _, _, kim, appointment_id, start = booked_with_reminder(app, 1, reminder_template=None)
    drain()
    [sent] = sends_to(fake_graph, kim["address"])
    assert sent["type"] == "interactive"
    body = sent["interactive"]["body"]["text"]
    local = start.astimezone(ZoneInfo("Europe/Madrid"))
    assert f"{local.day} " in body and "at 12:00" in body and "Haircut" in body
    buttons = sent["interactive"]["action"]["buttons"]
    assert [(b["reply"]["id"], b["reply"]["title"]) for b in buttons] == [
        (f"rem:confirm:{appointment_id}:{ids.minute(start)}", "Confirm"),
        (f"rem:change:{appointment_id}", "Change"),
        (f"rem:cancel:{appointment_id}:{ids.minute(start)}", "Cancel"),
    ]


def test_outside_the_window_whatsapp_sends_the_template_and_its_cancel_button_cancels(
    app, drain, fake_graph, post_webhook
):
    _, number, kim, appointment_id, start = booked_with_reminder(
        app, 25, reminder_template=TEMPLATE
    )
    drain()
    [sent] = sends_to(fake_graph, kim["address"])
    assert sent["type"] == "template"
    template = sent["template"]
    assert (template["name"], template["language"]) == (TEMPLATE["name"], {"code": "en_US"})
    body, *buttons = template["components"]
    local = start.astimezone(ZoneInfo("Europe/Madrid"))
    day = f"{local:%A} {local.day} {local:%B} {local.year}"
    assert [p["text"] for p in body["parameters"]] == ["Kim", "Haircut", day, "12:00"]
    assert [(b["sub_type"], b["index"], b["parameters"][0]["payload"]) for b in buttons] == [
        ("quick_reply", "0", f"rem:confirm:{appointment_id}:{ids.minute(start)}"),
        ("quick_reply", "1", f"rem:change:{appointment_id}"),
        ("quick_reply", "2", f"rem:cancel:{appointment_id}:{ids.minute(start)}"),
    ]
    assert reminder_messages(kim["id"])[0]["sent_as"] == f"template:{TEMPLATE['name']}"

    # The template's quick reply comes back as a message of type "button".
    tapped = {"type": "button", "button": {"payload": f"rem:cancel:{appointment_id}",
                                           "text": "Cancel"}}  # fmt: skip
    assert (
        post_webhook(envelopes.message(tapped, kim["address"], phone_number_id=number)).status_code
        == 200
    )
    drain()
    status = db.fetch_one("SELECT status FROM appointments WHERE id = %s", (appointment_id,))
    assert status["status"] == "cancelled"
    reply = sends_to(fake_graph, kim["address"])[-1]
    assert reply["type"] == "text" and "Cancelled" in reply["text"]["body"]


@pytest.mark.parametrize(
    "template_language, day",
    [
        ("en_US", "{local:%A} {local.day} {local:%B} {local.year}"),
        ("es", " {local.day} de "),
        # Other languages in CLDR's full format (Babel): the weekday and month in their words.
        ("pt_BR", "{weekday_pt}, {local.day} de {month_pt} de {local.year}"),
        ("de", "{weekday_de}, {local.day}. {month_de} {local.year}"),
        # A code no locale answers to: English rather than nothing.
        ("xx_YY", "{local:%A} {local.day} {local:%B} {local.year}"),
    ],
)
def test_the_templates_date_is_in_the_templates_language(
    app, drain, fake_graph, template_language, day
):
    """Kim last wrote in Spanish; the date is written into the template's own words."""
    template = {"name": "appointment_reminder", "language": template_language}
    _, _, kim, _, start = booked_with_reminder(app, 25, reminder_template=template)
    db.execute("UPDATE customers SET language = 'es' WHERE id = %s", (kim["id"],))
    drain()
    [sent] = sends_to(fake_graph, kim["address"])
    date = sent["template"]["components"][0]["parameters"][2]["text"]
    local = start.astimezone(ZoneInfo("Europe/Madrid"))
    names = {
        "weekday_pt": PT_WEEKDAYS[local.weekday()],
        "month_pt": PT_MONTHS[local.month - 1],
        "weekday_de": DE_WEEKDAYS[local.weekday()],
        "month_de": DE_MONTHS[local.month - 1],
    }
    assert day.format(local=local, **names) in date, date


PT_WEEKDAYS = ["segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira",
               "sábado", "domingo"]  # fmt: skip
PT_MONTHS = ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
             "setembro", "outubro", "novembro", "dezembro"]  # fmt: skip
DE_WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]
DE_MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
             "Oktober", "November", "Dezember"]  # fmt: skip


def test_outside_the_window_without_a_template_nothing_is_attempted_and_it_shows_why(
    app, drain, fake_graph
):
    _, _, kim, _, _ = booked_with_reminder(app, 25)
    drain()
    assert sends_to(fake_graph, kim["address"]) == []
    [message] = reminder_messages(kim["id"])
    assert (message["status"], message["send_error"]) == ("failed", "window_closed")


def test_messenger_outside_the_window_uses_the_confirmed_event_update_tag(app, drain, fake_graph):
    business_id = open_business()
    db.execute(
        "UPDATE businesses SET messenger_page_id = %s, page_access_token = 'page-token'"
        " WHERE id = %s",
        (PAGE_ID, business_id),
    )
    psid = "6254381284612399"
    kim = customer(business_id, 30, channel="messenger", address=psid)
    start = soon()
    appointment_id = book(app, business_id, kim["id"], start, now=datetime.now(UTC))
    with app.app_context():
        assert reminders.fire(appointment_id, 120, now=start - timedelta(hours=2)) == "queued"
    drain()
    [sent] = [m for m in fake_graph.messenger_sent() if m["recipient"]["id"] == psid]
    assert (sent["messaging_type"], sent["tag"]) == ("MESSAGE_TAG", "CONFIRMED_EVENT_UPDATE")
    assert [q["payload"] for q in sent["message"]["quick_replies"]] == [
        f"rem:confirm:{appointment_id}:{ids.minute(start)}",
        f"rem:change:{appointment_id}",
        f"rem:cancel:{appointment_id}:{ids.minute(start)}",
    ]


@pytest.mark.parametrize("names_its_time", [True, False])
def test_the_confirm_button_marks_the_appointment_confirmed(
    app, drain, fake_graph, post_webhook, names_its_time
):
    """A Confirm sent before its id named the time (still on customers' phones) counts for the
    appointment as it is."""
    _, number, kim, appointment_id, start = booked_with_reminder(app, 1)
    drain()
    tapped = ids.reminder("confirm", appointment_id, start if names_its_time else None)
    tap = envelopes.tap(tapped, "Confirm", "button_reply",
                        wa_id=kim["address"], phone_number_id=number)  # fmt: skip
    assert post_webhook(tap).status_code == 200
    drain()
    row = db.fetch_one("SELECT status, confirmed_at FROM appointments WHERE id = %s",
                       (appointment_id,))  # fmt: skip
    assert row["status"] == "booked" and row["confirmed_at"] is not None
    reply = sends_to(fake_graph, kim["address"])[-1]
    assert "confirmed" in reply["text"]["body"]


def _moved_after_its_reminder(app, drain, fake_graph, post_webhook, button: int, title: str):
    """Kim's appointment at 12:00 with its reminder sent, then moved by staff to 15:00: the id
    of the reminder's `button`, the appointment, its new start, and a tap of a button titled
    `title` that returns the bot's answer."""
    business_id, number, kim, appointment_id, start = booked_with_reminder(app, 1)
    drain()
    [reminder] = sends_to(fake_graph, kim["address"])
    old = reminder["interactive"]["action"]["buttons"][button]["reply"]["id"]
    later = start + timedelta(hours=3)
    with app.app_context():
        moved = booking.reschedule(
            business_id, kim["id"], appointment_id, later, now=datetime.now(UTC), by_staff=True
        )
    assert moved.ok, moved

    def tap(payload: str) -> dict:
        envelope = envelopes.tap(payload, title, "button_reply",
                                 wa_id=kim["address"], phone_number_id=number)  # fmt: skip
        assert post_webhook(envelope).status_code == 200
        drain()
        return sends_to(fake_graph, kim["address"])[-1]

    return old, appointment_id, later, tap


def test_a_confirm_tapped_after_the_appointment_moved_asks_about_the_new_time(
    app, drain, fake_graph, post_webhook
):
    """The reminder named 12:00; staff moved the appointment to 15:00 before Kim tapped its
    Confirm. Nothing is confirmed: Kim is told the new time and asked again, and the new
    question's Confirm counts."""
    old_confirm, appointment_id, later, tap = _moved_after_its_reminder(
        app, drain, fake_graph, post_webhook, 0, "Confirm"
    )
    asked = tap(old_confirm)
    confirmed = "SELECT confirmed_at FROM appointments WHERE id = %s"
    assert db.fetch_one(confirmed, (appointment_id,))["confirmed_at"] is None
    assert "15:00" in asked["interactive"]["body"]["text"]
    buttons = [b["reply"]["id"] for b in asked["interactive"]["action"]["buttons"]]
    assert buttons[0] == ids.reminder("confirm", appointment_id, later)

    reply = tap(buttons[0])
    assert db.fetch_one(confirmed, (appointment_id,))["confirmed_at"] is not None
    assert "confirmed" in reply["text"]["body"] and "15:00" in reply["text"]["body"]


def test_a_cancel_tapped_after_the_appointment_moved_asks_about_the_new_time(
    app, drain, fake_graph, post_webhook
):
    """The reminder named 12:00; staff moved the appointment to 15:00 (Kim called them) before
    Kim tapped the reminder's Cancel. The 15:00 appointment is not cancelled unseen: Kim is told
    the new time and asked again, and the new question's Cancel cancels it."""
    old_cancel, appointment_id, later, tap = _moved_after_its_reminder(
        app, drain, fake_graph, post_webhook, 2, "Cancel"
    )
    asked = tap(old_cancel)
    status = "SELECT status FROM appointments WHERE id = %s"
    assert db.fetch_one(status, (appointment_id,))["status"] == "booked"
    assert "15:00" in asked["interactive"]["body"]["text"]
    buttons = [b["reply"]["id"] for b in asked["interactive"]["action"]["buttons"]]
    assert buttons[2] == ids.reminder("cancel", appointment_id, later)

    reply = tap(buttons[2])
    assert db.fetch_one(status, (appointment_id,))["status"] == "cancelled"
    assert "Cancelled" in reply["text"]["body"] and "15:00" in reply["text"]["body"]


def test_a_cancel_tapped_while_a_move_commits_asks_about_the_new_time(
    app, drain, fake_graph, post_webhook, monkeypatch
):
    """Kim taps the reminder's Cancel of 12:00 while staff move the appointment to 15:00: the
    flow read it at 12:00, then the move committed before the cancellation took the booking
    lock. The 15:00 appointment is not cancelled: Kim is asked about 15:00 instead."""
    business_id, number, kim, appointment_id, start = booked_with_reminder(app, 1)
    drain()
    [reminder] = sends_to(fake_graph, kim["address"])
    old_cancel = reminder["interactive"]["action"]["buttons"][2]["reply"]["id"]
    assert old_cancel == ids.reminder("cancel", appointment_id, start)
    later = start + timedelta(hours=3)
    read = actions.upcoming
    moves = []

    def read_then_moved(turn):
        items = read(turn)  # still at 12:00 here
        if not moves:  # staff's move commits between the read and the cancellation
            moves.append(
                booking.reschedule(
                    business_id, kim["id"], appointment_id, later,
                    now=datetime.now(UTC), by_staff=True,
                )
            )  # fmt: skip
        return items

    monkeypatch.setattr(actions, "upcoming", read_then_moved)
    tap = envelopes.tap(old_cancel, "Cancel", "button_reply",
                        wa_id=kim["address"], phone_number_id=number)  # fmt: skip
    assert post_webhook(tap).status_code == 200
    drain()
    assert [m.ok for m in moves] == [True]
    row = db.fetch_one("SELECT status, starts_at FROM appointments WHERE id = %s",
                       (appointment_id,))  # fmt: skip
    assert (row["status"], row["starts_at"]) == ("booked", later)
    asked = sends_to(fake_graph, kim["address"])[-1]
    assert "15:00" in asked["interactive"]["body"]["text"]
    buttons = [b["reply"]["id"] for b in asked["interactive"]["action"]["buttons"]]
    assert buttons[2] == ids.reminder("cancel", appointment_id, later)


def test_the_change_button_asks_for_a_new_time(app, drain, fake_graph, post_webhook):
    _, number, kim, appointment_id, _ = booked_with_reminder(app, 1)
    drain()
    tap = envelopes.tap(f"rem:change:{appointment_id}", "Change", "button_reply",
                        wa_id=kim["address"], phone_number_id=number)  # fmt: skip
    assert post_webhook(tap).status_code == 200
    drain()
    reply = sends_to(fake_graph, kim["address"])[-1]
    assert "When would you like your" in str(reply)


@pytest.mark.parametrize(
    "text, answer",
    [
        ("stop reminders", "OK, I won't send you any more appointment reminders."),
        ("No more reminders please", "OK, I won't send you any more appointment reminders."),
        ("no más recordatorios", "Vale, no te enviaré más recordatorios de citas."),
        ("Para los recordatorios, gracias", "Vale, no te enviaré más recordatorios de citas."),
    ],
)
def test_stop_reminders_turns_them_off_for_the_customer_in_one_line(
    app, drain, fake_graph, fake_llm, post_webhook, text, answer
):
    _, number, kim, appointment_id, start = booked_with_reminder(app, 1)
    drain()
    envelope = envelopes.text(text, wa_id=kim["address"], phone_number_id=number)
    assert post_webhook(envelope).status_code == 200
    drain()
    reply = sends_to(fake_graph, kim["address"])[-1]
    assert reply["text"]["body"] == answer
    assert fake_llm.requests == []
    with app.app_context():
        assert reminders.fire(appointment_id, 120, now=start - timedelta(hours=2)) == "off"
    assert reminder_rows(appointment_id)[120]["state"] == "off"


def test_stop_reminders_works_while_staff_have_the_conversation(
    app, drain, fake_graph, fake_llm, post_webhook
):
    """Reminders still go to a customer the team has, so stopping them is theirs to do too
    (it was stored for staff and never acted on)."""
    _, number, kim, appointment_id, start = booked_with_reminder(app, 1)
    drain()
    db.execute("UPDATE customers SET bot_paused = true WHERE id = %s", (kim["id"],))
    envelope = envelopes.text("stop reminders", wa_id=kim["address"], phone_number_id=number)
    assert post_webhook(envelope).status_code == 200
    drain()
    reply = sends_to(fake_graph, kim["address"])[-1]
    assert reply["text"]["body"] == "OK, I won't send you any more appointment reminders."
    assert fake_llm.requests == []
    with app.app_context():
        assert reminders.fire(appointment_id, 120, now=start - timedelta(hours=2)) == "off"
    paused = db.fetch_one("SELECT bot_paused FROM customers WHERE id = %s", (kim["id"],))
    assert paused["bot_paused"] is True


@pytest.mark.parametrize(
    "text",
    [
        "remind me what time my appointment is",
        "can I book a haircut tomorrow?",
        "stop",
        "I got no reminder, when is it?",
        "no me llegó el recordatorio, ¿a qué hora es?",
    ],
)
def test_other_messages_are_not_taken_for_an_opt_out(text):
    assert stops_reminders(text) is None


@pytest.mark.parametrize(
    "text, language",
    [
        ("Don't send me reminders", "en"),
        ("Stop sending me reminders!", "en"),
        ("no quiero recordatorios", "es"),
        ("deja de enviarme recordatorios, por favor", "es"),
    ],
)
def test_opt_outs_are_understood_in_english_and_spanish(text, language):
    assert stops_reminders(text) == language


def reminder_sends(fake_graph, address: str) -> list[str]:
    return [
        s["interactive"]["body"]["text"]
        for s in sends_to(fake_graph, address)
        if s.get("type") == "interactive" and "Reminder" in s["interactive"]["body"]["text"]
    ]


@pytest.mark.parametrize("change", ["cancel", "move", "stop reminders"])
def test_a_reminder_waiting_in_the_outbox_does_not_go_once_its_appointment_changed(
    app, drain, fake_graph, change
):
    """Queued, then held up by Meta's hiccup (a retry): the appointment is cancelled or moved, or
    the customer turns reminders off, before it goes. It never goes, and the console says why."""
    from app import outbox
    from app.booking import service as booking

    business_id, _, kim, appointment_id, start = booked_with_reminder(
        app, 1, reminder_template=None
    )
    fake_graph.fail_next(131000, http_status=500)
    with app.app_context():
        with pytest.raises(outbox.SendLater):
            outbox.send_pending(business_id, kim["id"])
        now = datetime.now(UTC)
        if change == "cancel":
            assert booking.cancel(business_id, kim["id"], appointment_id, now).ok
        elif change == "move":
            later = start + timedelta(days=1)
            assert booking.reschedule(business_id, kim["id"], appointment_id, later, now).ok
        else:
            reminders.opt_out(business_id, kim["id"])
    drain()
    assert reminder_sends(fake_graph, kim["address"]) == []
    [message] = reminder_messages(kim["id"])
    assert (message["status"], message["send_error"]) == ("failed", "withdrawn")


def test_a_reminder_withdrawn_while_its_send_is_at_meta_is_recorded_sent(app, fake_graph, release):
    """The withdrawal came too late: the customer got it, so it is recorded sent with Meta's id
    (its delivery statuses find it); `withdrawn` stays as the note of the late withdrawal."""
    from app import outbox

    business_id, _, kim, appointment_id, _ = booked_with_reminder(app, 1, reminder_template=None)
    fake_graph.hold_next(release)
    sender = Run(app, lambda: outbox.send_pending(business_id, kim["id"]))
    fake_graph.wait_for_arrivals(1, timeout=30)  # at Meta, not answered yet
    with app.app_context():
        assert booking.cancel(business_id, kim["id"], appointment_id, datetime.now(UTC)).ok
    release.set()
    sender.outcome()
    [sent] = reminder_sends(fake_graph, kim["address"])
    row = db.fetch_one(
        "SELECT status, send_error, external_id FROM messages WHERE customer_id = %s"
        " AND purpose = 'reminder'",
        (kim["id"],),
    )
    assert row["status"] == "sent" and row["external_id"] is not None
    assert row["send_error"] == "withdrawn"


def reminder_row(customer_id: int) -> dict:
    """The customer's one reminder message: its status, reason, code and Meta's id."""
    return db.fetch_one(
        "SELECT status, send_error, error_code, external_id FROM messages"
        " WHERE customer_id = %s AND purpose = 'reminder'",
        (customer_id,),
    )


@pytest.mark.parametrize("code", [131000, 131047])
def test_a_reminder_withdrawn_while_at_meta_that_then_fails_is_not_sent_again(
    app, drain, fake_graph, release, post_webhook, code
):
    """Sent though withdrawn (above), then reported failed for a reason sending again could fix
    (or its template could): its appointment changed, so it does not go again."""
    from app import outbox

    business_id, number, kim, appointment_id, _ = booked_with_reminder(
        app, 1, reminder_template={"name": "appointment_reminder", "language": "en_US"}
    )
    fake_graph.hold_next(release)
    sender = Run(app, lambda: outbox.send_pending(business_id, kim["id"]))
    fake_graph.wait_for_arrivals(1, timeout=30)
    with app.app_context():
        assert booking.cancel(business_id, kim["id"], appointment_id, datetime.now(UTC)).ok
    release.set()
    sender.outcome()
    message = reminder_row(kim["id"])
    errors = [{"code": code, "title": f"error {code}", "message": f"error {code}"}]
    failed = envelopes.status(
        message["external_id"], "failed", kim["address"], errors, phone_number_id=number
    )
    assert post_webhook(failed).status_code == 200
    drain()
    assert len(sends_to(fake_graph, kim["address"])) == 1
    message = reminder_row(kim["id"])
    assert (message["status"], message["send_error"], message["error_code"]) == (
        "failed",
        "withdrawn",
        code,
    )


def test_a_deactivated_business_sends_no_reminders(app, drain, fake_graph):
    """Nothing its customers tap would be read: the webhook ignores a deactivated business."""
    business_id = open_business(reminder_template=None)
    kim = customer(business_id)
    start = soon()
    appointment_id = book(app, business_id, kim["id"], start, now=datetime.now(UTC))
    db.execute("UPDATE businesses SET active = false WHERE id = %s", (business_id,))
    with app.app_context():
        assert reminders.fire(appointment_id, 1440, now=start - timedelta(hours=24)) == "off"
    drain()
    assert sends_to(fake_graph, kim["address"]) == []


def paused_with_reminder(app, drain) -> tuple:
    """(number id, customer, appointment id) for a customer whose conversation staff took over
    before the 24-hour reminder went (inside the window, with its buttons)."""
    number = f"num{datetime.now(UTC).timestamp():.0f}"
    business_id = open_business(whatsapp_number_id=number, reminder_template=None)
    kim = customer(business_id)
    db.execute(
        "UPDATE customers SET bot_paused = true, needs_attention = true WHERE id = %s", (kim["id"],)
    )
    start = soon()
    appointment_id = book(app, business_id, kim["id"], start, now=datetime.now(UTC))
    with app.app_context():
        assert reminders.fire(appointment_id, 1440, now=start - timedelta(hours=24)) == "queued"
    drain()
    return number, kim, appointment_id


def replies_to(customer_id: int) -> list[str]:
    rows = db.fetch_all(
        "SELECT body FROM messages WHERE customer_id = %s AND direction = 'out'"
        " AND purpose = 'reply' ORDER BY id",
        (customer_id,),
    )
    return [r["body"] for r in rows]


@pytest.mark.parametrize(
    "action, title, answer, status",
    [
        ("cancel", "Cancel", "Cancelled", "cancelled"),
        ("confirm", "Confirm", "is confirmed", "booked"),
    ],
)
def test_a_paused_customer_gets_the_reminder_and_its_buttons_work(
    app, drain, fake_graph, fake_llm, post_webhook, action, title, answer, status
):
    """Staff have the conversation, but the reminder still goes: its buttons are answered by
    the flow as always (no model), and the answer is in the conversation staff read."""
    number, kim, appointment_id = paused_with_reminder(app, drain)
    assert reminder_sends(fake_graph, kim["address"]) != []
    tap = envelopes.tap(f"rem:{action}:{appointment_id}", title, "button_reply",
                        wa_id=kim["address"], phone_number_id=number)  # fmt: skip
    assert post_webhook(tap).status_code == 200
    drain()
    row = db.fetch_one(
        "SELECT status, confirmed_at FROM appointments WHERE id = %s", (appointment_id,)
    )
    assert row["status"] == status
    assert (row["confirmed_at"] is not None) == (action == "confirm")
    [reply] = replies_to(kim["id"])
    assert answer in reply
    assert answer in str(sends_to(fake_graph, kim["address"])[-1])
    assert fake_llm.requests == []
    paused = db.fetch_one("SELECT bot_paused FROM customers WHERE id = %s", (kim["id"],))
    assert paused["bot_paused"]


@pytest.mark.parametrize(
    "sent", ["text", "appointment tap", "text and reminder tap", "reminder's Change"]
)
def test_a_paused_customer_s_other_messages_are_still_left_to_the_team(
    app, drain, fake_graph, fake_llm, post_webhook, sent
):
    number, kim, appointment_id = paused_with_reminder(app, drain)
    before = len(sends_to(fake_graph, kim["address"]))
    typed = envelopes.text("Please cancel my appointment", wa_id=kim["address"],
                           phone_number_id=number)  # fmt: skip
    listed = envelopes.tap(f"appt:cancel:{appointment_id}", "Cancel it",
                           wa_id=kim["address"], phone_number_id=number)  # fmt: skip
    reminded = envelopes.tap(f"rem:cancel:{appointment_id}", "Cancel", "button_reply",
                             wa_id=kim["address"], phone_number_id=number)  # fmt: skip
    envelopes_sent = {
        "text": [typed],
        "appointment tap": [listed],
        "text and reminder tap": [typed, reminded],  # read together: typed words are staff's
        # Moving needs a new time agreed: the team's, who have the conversation.
        "reminder's Change": [
            envelopes.tap(
                f"rem:change:{appointment_id}",
                "Change",
                "button_reply",
                wa_id=kim["address"],
                phone_number_id=number,
            )  # fmt: skip
        ],
    }[sent]
    for envelope in envelopes_sent:
        assert post_webhook(envelope).status_code == 200
    drain()
    assert len(sends_to(fake_graph, kim["address"])) == before
    assert replies_to(kim["id"]) == []
    status = db.fetch_one("SELECT status FROM appointments WHERE id = %s", (appointment_id,))
    assert status["status"] == "booked"
    assert fake_llm.requests == []
    inbound = db.fetch_all(
        "SELECT status FROM messages WHERE customer_id = %s AND direction = 'in'", (kim["id"],)
    )
    assert [m["status"] for m in inbound] == ["processed"] * len(envelopes_sent)
