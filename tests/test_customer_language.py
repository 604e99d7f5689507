"""The customer's language outlives the conversation: a customer who wrote in Spanish gets the
24-hour reminder, a staff notice and the answer to a reminder's button in Spanish days later,
when the flow's memory of the talk (two hours) has long expired; whether a model or the
model-free flow answered them. A customer whose words never said which gets the business's
language; erasure forgets it."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app import erasure, reminders
from app.flow import ids, notices
from app.storage import businesses, conversations, db
from tests import envelopes
from tests.fake_llm import system_prompt, text_reply
from tests.fixtures_booking import service_id
from tests.reminder_helpers import book, open_business, reminder_messages

DAY = timedelta(hours=24)


@pytest.fixture
def app(request, app_config):
    """The app with a model (fake), or with none ("flow": every turn is the model-free flow's)."""
    from app import create_app

    config = dict(app_config)
    if getattr(request, "param", "model") == "flow":
        config["OPENAI_API_KEY"] = ""
    yield create_app(config)
    db.close_pool()


def soon(days: int = 3, hour: int = 12) -> datetime:
    """A real instant `days` from today at `hour`:00 in Madrid (the outbox uses the real clock)."""
    tz = ZoneInfo("Europe/Madrid")
    day = datetime.now(tz).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)


class Salon:
    """A business open every day, reached on its own WhatsApp number, and one customer's chat."""

    def __init__(self, post_webhook, drain, **business):
        self.number = uuid.uuid4().hex[:15]
        self.id = open_business(whatsapp_number_id=self.number, **business)
        self.address = "34" + uuid.uuid4().hex[:9]
        self.post_webhook, self.drain = post_webhook, drain

    def another_customer(self) -> Salon:
        """The same business, another customer's chat."""
        other = copy.copy(self)
        other.address = "34" + uuid.uuid4().hex[:9]
        return other

    def write(self, text: str) -> None:
        envelope = envelopes.text(text, wa_id=self.address, phone_number_id=self.number)
        assert self.post_webhook(envelope).status_code == 200
        self.drain()

    def tap(self, choice: str, title: str) -> None:
        envelope = envelopes.tap(
            choice, title, "button_reply", wa_id=self.address, phone_number_id=self.number
        )
        assert self.post_webhook(envelope).status_code == 200
        self.drain()

    @property
    def customer(self) -> dict:
        return db.fetch_one(
            "SELECT * FROM customers WHERE business_id = %s AND address = %s",
            (self.id, self.address),
        )

    def business(self) -> dict:
        return businesses.get_business(self.id, document=False)

    def last_reply(self) -> str:
        return db.fetch_one(
            "SELECT body FROM messages WHERE customer_id = %s AND direction = 'out'"
            " AND purpose = 'reply' ORDER BY id DESC LIMIT 1",
            (self.customer["id"],),
        )["body"]


@pytest.fixture
def salon(post_webhook, drain):
    return Salon(post_webhook, drain)


def reminded(app, salon: Salon, start: datetime) -> tuple[int, str]:
    """Book a haircut at `start` now and fire its 24-hour reminder when it is due (a day before,
    the flow's memory long expired): the appointment's id and the reminder's text."""
    appointment_id = book(app, salon.id, salon.customer["id"], start, datetime.now(UTC))
    due = start - DAY
    with app.app_context():
        assert reminders.fire(appointment_id, 1440, due, now=due) == "queued"
    [message] = reminder_messages(salon.customer["id"])
    return appointment_id, message["body"]


@pytest.mark.parametrize("app", ["model", "flow"], indirect=True)
def test_a_customer_who_wrote_in_spanish_gets_the_24_hour_reminder_in_spanish(app, salon):
    salon.write("hola, quiero una cita para un corte de pelo")  # an English-speaking business
    _, text = reminded(app, salon, soon())
    assert text.startswith("Recordatorio: tu cita de *Haircut* en Test Salon es el "), text
    assert salon.customer["language"] == "es"


@pytest.mark.parametrize("app", ["model", "flow"], indirect=True)
def test_a_staff_notice_days_later_speaks_the_customers_language(app, salon):
    salon.write("¿tenéis hueco mañana por la tarde?")
    start = soon()
    book(app, salon.id, salon.customer["id"], start, datetime.now(UTC))
    text = notices.notice(
        salon.business(), "cancelled", salon.customer["id"], "Haircut", start, start - DAY
    )
    assert text.startswith("Test Salon ha cancelado tu cita de Haircut del "), text
    assert text.endswith(" a las 12:00. Responde aquí si quieres reservar otra hora."), text


@pytest.mark.parametrize("app", ["flow"], indirect=True)
def test_the_reminders_button_is_answered_in_spanish_after_the_talk_was_forgotten(app, salon):
    salon.write("hola, quiero un corte")
    appointment_id, _ = reminded(app, salon, soon())
    db.execute("UPDATE conversation_state SET expires_at = now()")
    salon.tap(f"rem:confirm:{appointment_id}", "Confirmar")
    reply = salon.last_reply()
    assert reply.startswith("¡Gracias Alex! Tu cita de *Haircut* del "), reply


def test_the_latest_telling_words_decide_and_numbers_or_taps_keep_the_language(app, salon):
    salon.write("hola, buenas tardes")
    assert salon.customer["language"] == "es"
    salon.write("14:00")
    salon.tap(ids.menu("book"), "Book a time")
    assert salon.customer["language"] == "es"
    salon.write("hello, can I book a haircut please?")
    assert salon.customer["language"] == "en"
    _, text = reminded(app, salon, soon())
    assert text.startswith("Reminder: your *Haircut* at Test Salon is on "), text


def test_a_tap_after_words_a_model_answered_is_answered_in_their_language(app, salon, fake_llm):
    salon.tap(ids.menu("book"), "Book a time")  # the flow's state begins in English
    assert salon.last_reply().startswith("Which service would you like?")
    fake_llm.script.append(text_reply("¡Claro! ¿Qué servicio quieres?"))
    salon.write("hola, quiero una cita para un corte de pelo")  # the model answers
    salon.tap(ids.service(service_id(salon.id, "Haircut")), "Haircut")
    assert salon.last_reply().startswith("Horas libres para *Haircut*"), salon.last_reply()


def test_the_model_is_told_the_language_the_customer_last_wrote_in(app, salon, fake_llm):
    salon.write("hola, quiero una cita para un corte de pelo")
    db.execute("UPDATE conversation_state SET expires_at = now()")
    salon.write("14:00")  # days later, words that say no language
    prompt = system_prompt(fake_llm.requests[-1])
    assert "Reply in Spanish, the language this customer last wrote in" in prompt, prompt
    assert "Reply in en " not in prompt  # not the (English) business's


def test_a_customer_whose_language_is_not_known_is_answered_in_the_business_language(
    app, salon, fake_llm
):
    salon.write("14:00")
    assert salon.customer["language"] is None
    prompt = system_prompt(fake_llm.requests[-1])
    assert f"Reply in {salon.business()['language']} unless the customer writes" in prompt, prompt


def test_whose_words_never_said_which_get_the_business_language(app, post_webhook, drain):
    spanish_salon = Salon(post_webhook, drain, language="Español (España)")
    spanish_salon.write("14:00")
    assert spanish_salon.customer["language"] is None
    _, text = reminded(app, spanish_salon, soon())
    assert text.startswith("Recordatorio: tu cita de *Haircut*"), text
    # The same business, a customer who wrote in English: theirs, not the business's.
    english = spanish_salon.another_customer()
    english.write("hello, do you have any free time tomorrow?")
    _, text = reminded(app, english, soon(hour=15))
    assert text.startswith("Reminder: your *Haircut* at Test Salon is on "), text


def test_erasure_forgets_the_language_and_the_business_language_is_spoken_again(app, salon):
    salon.write("hola, quiero una cita")
    customer_id = salon.customer["id"]
    with app.app_context():
        assert erasure.export(salon.id, customer_id)["customer"]["language"] == "es"
        assert erasure.erase(salon.id, customer_id, "staff")["erased"] is True
    erased = db.fetch_one("SELECT language, erased_at FROM customers WHERE id = %s", (customer_id,))
    assert erased["erased_at"] is not None and erased["language"] is None
    text = notices.notice(salon.business(), "moved", customer_id, "Haircut", soon(), soon(days=2))
    assert text.startswith("Your Haircut appointment has been moved by Test Salon to "), text


def test_a_test_conversation_started_afresh_forgets_the_language(app, salon):
    salon.write("hola, buenas")
    assert salon.customer["language"] == "es"
    with db.transaction() as conn:
        conversations.delete_history(conn, salon.customer["id"])
    assert salon.customer["language"] is None
