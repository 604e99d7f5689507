"""The flow's replies as each channel shows them, checked against Meta's limits: WhatsApp lists
(10 rows, titles of 24, descriptions of 72, sections per day) and reply buttons (3, titles of
20), Messenger quick replies (13, titles of 20), and a numbered list where nothing is tappable.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app import flow
from app.channels.base import Limits, Outbound
from app.channels.messenger import MessengerChannel
from app.channels.whatsapp import WhatsAppChannel
from app.flow import ids, render
from app.flow.render import Reply
from app.flow.state import Option
from app.storage import businesses, db
from tests import envelopes
from tests.test_agent_conversations import upcoming

# Meta's documented sizes for WhatsApp interactive messages, written out here on their own so
# neither the flow's check nor the backend's is its own judge.
WHATSAPP = Limits(
    text_chars=4096,
    interactive_text_chars=1024,
    buttons=3,
    button_title_chars=20,
    list_rows=10,
    list_sections=10,
    list_row_title_chars=24,
    list_row_description_chars=72,
)


def whatsapp_problems(message: Outbound) -> list[str]:
    """How a message breaks WhatsApp's interactive limits, by Meta's documentation."""
    found = []
    rows = [r for s in message.sections for r in s.rows]
    if (message.buttons or rows) and len(message.text) > 1024:
        found.append("body over 1024")
    if message.quick_replies:
        found.append("no quick replies on whatsapp")
    if message.buttons and rows:
        found.append("buttons and a list together")
    if len(message.buttons) > 3:
        found.append("over 3 buttons")
    for b in message.buttons:
        if not 1 <= len(b.title) <= 20 or not 1 <= len(b.id) <= 256:
            found.append(f"button {b.title!r}")
    if rows:
        if len(rows) > 10:
            found.append("over 10 rows")
        if not 1 <= len(message.list_button) <= 20:
            found.append("list button label")
        for s in message.sections:
            if len(s.title) > 24 or (len(message.sections) > 1 and not s.title):
                found.append(f"section {s.title!r}")
        for r in rows:
            if not 1 <= len(r.title) <= 24 or len(r.description) > 72 or not 1 <= len(r.id) <= 200:
                found.append(f"row {r.title!r}")
    every = [x.id for x in (*message.buttons, *rows)]
    if len(every) != len(set(every)):
        found.append("ids repeat")
    return found


class PlainText:
    name = "plain"
    capabilities = frozenset()
    limits = Limits(text_chars=4096)

    def validate(self, message: Outbound) -> list[str]:
        return []


MESSENGER = MessengerChannel("http://127.0.0.1:9", "v21.0")
WHATSAPP_CHANNEL = WhatsAppChannel("http://127.0.0.1:9", "v21.0")
CHANNELS = {"whatsapp": WHATSAPP_CHANNEL, "messenger": MESSENGER}


@pytest.fixture
def turn(app):
    """Run one flow turn for a customer of the demo salon (its reply, unrendered)."""
    business_id = businesses.business_id_for_account(
        "whatsapp_number_id", envelopes.PHONE_NUMBER_ID
    )
    db.execute(
        "INSERT INTO customers (business_id, address, profile_name) VALUES (%s, '346001', 'Alex')",
        (business_id,),
    )
    customer = db.fetch_one("SELECT * FROM customers WHERE address = '346001'")

    def run(text: str = "", payload: str = "") -> Reply:
        with app.app_context():
            business = businesses.get_business(business_id)
            now = datetime.now(UTC)
            out = flow.run(business, customer, now, text=text, payload=payload)
            flow.keep(business_id, customer["id"], out.state, now)  # as a stored turn does
            return out.reply

    return run


def fits(message: Outbound, channel) -> None:
    """Within the flow's check of the channel's limits, its backend's, and Meta's numbers."""
    assert render.problems(message, channel.limits) == []
    assert channel.validate(message) == []
    if channel is WHATSAPP_CHANNEL:
        assert render.problems(message, WHATSAPP) == []
        assert whatsapp_problems(message) == []


def test_a_day_of_free_times_is_a_whatsapp_list_and_messenger_quick_replies(turn):
    day = upcoming(2)
    reply = turn(f"haircut on {day.day} {day:%B}")
    message = render.outbound(reply, CHANNELS["whatsapp"])
    fits(message, CHANNELS["whatsapp"])
    [section] = message.sections
    assert section.title == f"{day:%A} {day.day} {day:%B}"
    titles = [r.title for r in section.rows]
    assert titles == "09:00 09:15 09:30 09:45 10:00 10:15 10:30 10:45 11:00".split() + [
        "Later times"
    ]
    assert section.rows[0].description == "Haircut · 30 min"
    assert section.rows[-1].description == "21 more until 17:30"
    assert message.list_button == "See times"
    assert message.text.startswith(f"Free times for **Haircut** on {day:%A} {day.day}")
    chips = render.outbound(reply, MESSENGER)
    fits(chips, MESSENGER)
    assert [c.title for c in chips.quick_replies] == titles
    assert [c.id for c in chips.quick_replies] == [r.id for r in section.rows]
    assert all(ids.parse(r.id) is not None for r in section.rows)


def test_a_held_time_gets_three_reply_buttons(turn):
    day = upcoming(2)
    turn(f"haircut on {day.day} {day:%B}")
    reply = turn("1")
    message = render.outbound(reply, CHANNELS["whatsapp"])
    fits(message, CHANNELS["whatsapp"])
    assert [(b.id.rsplit(":", 1)[0], b.title) for b in message.buttons] == [
        ("hold:confirm", "Confirm"),
        ("hold:change", "Change time"),
        ("hold:cancel", "Cancel"),
    ]
    chips = render.outbound(reply, MESSENGER)
    fits(chips, MESSENGER)
    assert [c.title for c in chips.quick_replies] == ["Confirm", "Change time", "Cancel"]


def test_times_on_several_days_go_in_sections_per_day():
    from app.flow import offers
    from app.flow.actions import Turn
    from app.flow.state import State

    business = {"id": 1, "timezone": "Europe/Madrid", "services": []}
    turn = Turn(business, {"id": 1}, datetime(2026, 12, 2, 9, tzinfo=UTC))
    starts = [datetime(2026, 12, d, h, tzinfo=UTC) for d, h in ((4, 16), (7, 8), (7, 9))]
    svc = {"id": 3, "name": "Hair coloring", "duration_minutes": 90}
    options = offers.slot_options(turn, State(lang="en"), svc, starts)
    reply = Reply("Free times nearby:", options, "Which one would you like?", "en")
    message = render.outbound(reply, CHANNELS["whatsapp"])
    fits(message, CHANNELS["whatsapp"])
    assert [(s.title, [r.title for r in s.rows]) for s in message.sections] == [
        ("Friday 4 December", ["Fri 4 Dec 17:00"]),
        ("Monday 7 December", ["Mon 7 Dec 09:00", "Mon 7 Dec 10:00"]),
    ]
    chips = render.outbound(reply, MESSENGER)
    fits(chips, MESSENGER)
    assert [c.title for c in chips.quick_replies] == [
        "Fri 4 Dec 17:00",
        "Mon 7 Dec 09:00",
        "Mon 7 Dec 10:00",
    ]
    assert render.numbered(reply) == (
        "Free times nearby:\n**Friday 4 December**\n1. Fri 4 Dec 17:00\n"
        "**Monday 7 December**\n2. Mon 7 Dec 09:00\n3. Mon 7 Dec 10:00\n"
        "Which one would you like? Reply with 1–3."
    )


@pytest.mark.parametrize("channel", ["whatsapp", "messenger"])
def test_long_names_are_cut_to_fit(channel):
    long_name = "Balayage with toner, gloss and blow-dry finish"
    names = [long_name, "Bridal hair trial with veil", "Keratin smoothing treatment", "Cut"]
    options = tuple(
        Option(ids.service(n), name, f"{name} — 120 min, 180.00 EUR " * 2)
        for n, name in enumerate(names, 1)
    )
    reply = Reply("Which service would you like?", options, lang="en", details=True)
    message = render.outbound(reply, CHANNELS[channel])
    fits(message, CHANNELS[channel])
    if channel == "whatsapp":
        assert message.list_button == "Choose"
        assert message.sections[0].rows[0].title == "Balayage with toner, gl…"
        assert len(message.sections[0].rows[0].description) == 72
    else:
        assert message.quick_replies[0].title == "Balayage with toner…"
        # What a chip cannot show stays in the text, numbered as the chips are.
        assert message.text.startswith(f"Which service would you like?\n1. {long_name} — ")


@pytest.mark.parametrize("channel", ["whatsapp", "messenger"])
def test_names_cut_to_the_same_words_go_as_numbered_text(channel):
    names = ["Corte de pelo mujer - pelo largo", "Corte de pelo mujer - pelo corto", "Manicura"]
    options = tuple(
        Option(ids.service(n), name, "60 min, 35.00 EUR") for n, name in enumerate(names, 1)
    )
    reply = Reply("¿Qué servicio te gustaría?", options, lang="es", details=True)
    message = render.outbound(reply, CHANNELS[channel])
    assert (message.buttons, message.sections, message.quick_replies) == ((), (), ())
    assert message.text.startswith(
        "¿Qué servicio te gustaría?\n1. Corte de pelo mujer - pelo largo — 60 min, 35.00 EUR\n"
        "2. Corte de pelo mujer - pelo corto — 60 min, 35.00 EUR\n"
    )


def test_rows_alike_on_different_days_are_not_the_same_choice():
    day1, day2 = datetime(2027, 3, 1, 9, tzinfo=UTC), datetime(2027, 3, 2, 9, tzinfo=UTC)
    options = tuple(
        Option(ids.slot(1, start), "10:00", "Haircut · 30 min", section)
        for start, section in ((day1, "Monday 1 March"), (day2, "Tuesday 2 March"))
    )
    message = render.outbound(Reply("Times:", options), CHANNELS["whatsapp"])
    assert [len(s.rows) for s in message.sections] == [1, 1]


def test_spanish_day_titles_fit_a_section():
    sept = datetime(2027, 9, 29, 10, tzinfo=UTC)  # miércoles 29 de septiembre: 26 characters
    option = Option(ids.slot(1, sept), "12:00", "Haircut · 30 min", "miércoles 29 de sep")
    from app.flow import words

    assert words.day_short(sept.date(), "es") == "miércoles 29 de sep"
    message = render.outbound(Reply("Horas:", (option,), lang="es"), CHANNELS["whatsapp"])
    fits(message, CHANNELS["whatsapp"])


@pytest.mark.parametrize(("count", "channel"), [(11, "whatsapp"), (14, "messenger")])
def test_more_options_than_fit_become_a_numbered_list(count, channel):
    options = tuple(Option(ids.menu("book") + f"{n}", f"Option {n}") for n in range(count))
    reply = Reply("Pick one:", options, lang="en")
    message = render.outbound(reply, CHANNELS[channel])
    assert (message.buttons, message.sections, message.quick_replies) == ((), (), ())
    assert message.text.startswith("Pick one:\n1. Option 0\n2. Option 1\n")
    assert message.text.endswith(f"\n{count}. Option {count - 1}\nReply with 1–{count}.")


def test_a_plain_text_channel_or_mock_mode_gets_numbers():
    reply = Reply("Choose:", (Option("menu:book", "Book a time"), Option("menu:mine", "Mine")))
    expected = "Choose:\n1. Book a time\n2. Mine\nReply with 1–2."
    assert render.outbound(reply, None) == Outbound(text=expected)
    assert render.outbound(reply, PlainText()) == Outbound(text=expected)


def test_a_message_that_does_not_fit_goes_as_numbered_text():
    reply = Reply("x" * 2000, (Option("menu:book", "Book a time"),))
    message = render.outbound(reply, CHANNELS["whatsapp"])  # a body over 1024 with buttons
    assert message == Outbound(text="x" * 2000 + "\n1. Book a time\nReply with 1.")


def test_the_check_names_what_breaks_the_limits():
    from app.channels.base import Button

    message = Outbound(text="Hi", buttons=tuple(Button(f"b{n}", "a" * 21) for n in range(4)))
    assert render.problems(message, WHATSAPP) == [
        "4 buttons, over 3",
        *[f"button title {'a' * 21!r} must have 1 to 20 characters"] * 4,
        "two choices read the same",
    ]


@pytest.mark.parametrize(
    ("title", "cut"),
    [
        ("Masaje pareja 👩\u200d❤️\u200d👨 relax", "Masaje pareja…"),  # 20 code points in
        ("Manicura " + "🇪🇸" * 6, "Manicura " + "🇪🇸" * 5 + "…"),
        ("Cafe\u0301 con leche y masaje", "Cafe\u0301 con leche y m…"),
        ("Cafe con leche y me\u0301s", "Cafe con leche y m…"),  # not "me…": é is two
        ("Balayage with toner, gloss", "Balayage with toner…"),
    ],
)
def test_a_cut_title_never_splits_what_reads_as_one_character(title, cut):
    from app.flow import words

    assert words.fit(title, 20) == cut
    assert len(cut) <= 20


def test_messenger_chips_stay_when_their_details_do_not_fit_above_them():
    """Thirteen services with long names: their numbered details pass the 1,024 characters of
    a WhatsApp body but fit Messenger's 2,000 above the chips; past those, the chips stay under
    the short text."""
    names = [f"Servicio número {n} con lavado, secado y peinado de acabado" for n in range(1, 14)]
    options = tuple(
        Option(ids.service(n), name, f"{60 + n} min, {30 + n}.00 EUR")
        for n, name in enumerate(names, 1)
    )
    reply = Reply("¿Qué servicio te gustaría?", options, lang="es", details=True)
    assert 1024 < len(render.numbered(reply)) <= 2000
    message = render.outbound(reply, MESSENGER)
    assert len(message.quick_replies) == 13
    assert message.text == render.numbered(reply)
    longer = Reply(
        reply.text, tuple(replace(o, title=o.title * 3) for o in options), "", "es", True
    )
    assert len(render.numbered(longer)) > 2000
    message = render.outbound(longer, MESSENGER)
    assert (len(message.quick_replies), message.text) == (13, "¿Qué servicio te gustaría?")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_an_invalid_request_is_never_told_in_the_booking_service_s_words(lang):
    from app.flow import words

    text = words.refusal(lang, "invalid", "before must not be earlier than after")
    assert text and "before must not" not in text


@pytest.mark.parametrize(
    "lang, text",
    [
        ("en", "You already have this service booked at that time."),
        ("es", "Ya tienes este servicio reservado a esa hora."),
    ],
)
def test_an_invalid_move_the_customer_can_act_on_says_why(lang, text):
    from app.booking.models import ALREADY_HAS_IT
    from app.flow import words

    assert words.refusal(lang, "invalid", ALREADY_HAS_IT) == text
