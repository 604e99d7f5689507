"""What a reminder says and what its buttons do; "stop reminders" in English and Spanish.

A reminder names the appointment with its absolute date and time in the business's timezone,
in the customer's language, and offers Confirm / Change / Cancel (`ids.reminder`). Outside the
customer-service window WhatsApp sends the business's approved template instead, with four
body parameters in this order: customer name, service, date, time (`template_parameters`);
its quick-reply buttons carry the same three ids. Its Confirm and Cancel name the appointment's
start: tapped after the appointment moved, they ask about the new time instead of confirming or
cancelling it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from app.booking.models import MOVED_SINCE, NOT_FOUND
from app.flow import actions, ids, lang, moves, state, times, words
from app.flow.actions import Turn
from app.flow.offers import find, offer, refused
from app.flow.render import Reply
from app.flow.state import Option, State
from app.storage import reminders as store

TEXTS = {
    "en": {
        "reminder": "Reminder: your **{service}** at {business} is on {when}. Will you come?",
        "change": "Change",
        "attending": "Thanks{name}! Your **{service}** on {when} is confirmed. See you then!",
        "moved_since": "Your **{service}** has moved: it is now on {when}. Will you come then?",
        "reminders_off": "OK, I won't send you any more appointment reminders.",
    },
    "es": {
        "reminder": "Recordatorio: tu cita de **{service}** en {business} es el {when}. ¿Vendrás?",
        "change": "Cambiar",
        "attending": "¡Gracias{name}! Tu cita de **{service}** del {when} está confirmada.",
        "moved_since": "Tu cita de **{service}** ha cambiado: ahora es el {when}. ¿Vendrás?",
        "reminders_off": "Vale, no te enviaré más recordatorios de citas.",
    },
}
# The whole message asks for no more reminders: "stop reminders", "no more reminders please",
# "don't send me reminders"; "no más recordatorios", "para los recordatorios, gracias", "no
# quiero recordatorios", "deja de enviarme recordatorios" (accents folded away first). Anchored
# at both ends, so "I got no reminder, when is it?" is not one.
_POLITE = r"(?:,?\s*(?:please|thanks|thank you|por favor|gracias))?[.!]*$"
_STOP_EN = re.compile(
    r"^(?:please,?\s+)?(?:stop|no|no more|unsubscribe(?: from)?|turn off|disable|cancel|"
    r"don'?t send|do not send|stop sending)"
    r"(?:\s+(?:me|any|more|the|my|all|your|appointment|sending))*\s+reminders?"
    + _POLITE
    + r"|^reminders?\s+off"
    + _POLITE
)
_STOP_ES = re.compile(
    r"^(?:por favor,?\s+)?(?:no|para|parad|basta(?: de)?|deja de|dejad de|quita|quitad|"
    r"desactiva|desactivad|cancela|cancelad|sin|no quiero|no mandes|no me mandes|no envies|"
    r"no me envies)"
    r"(?:\s+(?:mas|los|las|mis|tus|me|de|enviar|enviarme|mandar|mandarme|recibir|ningun|"
    r"citas?))*\s+recordatorios?(?:\s+de\s+citas?)?" + _POLITE
)
MAX_OPT_OUT_CHARS = 80  # a longer message talks about more than reminders: the agent reads it


def say(language: str, key: str, **values) -> str:
    table = TEXTS.get(language) or TEXTS["en"]
    return table[key].format(**values)


def customer_language(business: dict, customer_id: int, now: datetime) -> str:
    """The language the customer last wrote in, at any `now` (kept on the customer, it does not
    expire with the conversation: a reminder a day later speaks it), else their last
    conversation's, else the business's."""
    return state.language(business["id"], customer_id) or lang.of_business(business)


def message(business: dict, appointment: dict, language: str) -> Reply:
    """The reminder of `appointment` (id, service_name, starts_at) with its three buttons."""
    tz = ZoneInfo(business["timezone"])
    text = say(
        language,
        "reminder",
        service=appointment["service_name"],
        business=business["name"],
        when=words.when(appointment["starts_at"], tz, language),
    )
    options_ = options(appointment["id"], language, appointment["starts_at"])
    return Reply(text, options_, lang=language)


def options(
    appointment_id: int, language: str, starts_at: datetime | None = None
) -> tuple[Option, ...]:
    """A reminder's three choices: Confirm and Cancel (of `starts_at` when given), Change."""
    return (
        Option(ids.reminder("confirm", appointment_id, starts_at), words.say(language, "confirm")),
        Option(ids.reminder("change", appointment_id), say(language, "change")),
        Option(ids.reminder("cancel", appointment_id, starts_at), words.say(language, "cancel")),
    )


def answered(turn: Turn, st: State) -> bool:
    """When the customer's last message from us is a reminder, its choices are what this
    message answers: "1", "Confirm" or "yes" confirm, as a tap would. Whatever the flow offered
    or held before it was said before the reminder, so it is not what they answer. Whether
    they were put in `st.offer` (the caller takes them out after the turn).

    A time held before is let go, as when the customer moves on to another request: forgotten
    but kept, it would keep its seat from other customers until it expired."""
    appointment_id = store.last_reminded(*turn.ids)
    if appointment_id is None:
        return False
    st.offer = list(options(appointment_id, st.lang or "en"))
    times.let_hold_go(turn, st)  # "yes" is to the reminder now
    return True


def template_parameters(
    business: dict, appointment: dict, customer_name: str, language: str
) -> tuple[str, str, str, str]:
    """The template's body parameters in their fixed order: name, service, date, time.
    `language` is the template's own code as WhatsApp names it ("en_US", "es", "pt_BR"): the
    date is written in it, since the template's words around it are."""
    local = appointment["starts_at"].astimezone(ZoneInfo(business["timezone"]))
    spoken = lang.named(language)
    name = customer_name.strip() or ("cliente" if spoken == "es" else "there")
    day = template_day(local.date(), language)
    return (name, appointment["service_name"], day, f"{local:%H:%M}")


def template_day(day: date, language: str) -> str:
    """`day` written in a template's language: in the flow's own words for English and Spanish
    (as its messages say it), in CLDR's full date format for any other language Babel knows
    ("terça-feira, 8 de dezembro de 2026" for pt_BR), else in English."""
    spoken = lang.named(language)
    code = language.strip().replace("-", "_")
    if spoken == "es" or not code or code.lower().split("_")[0] == "en":
        return words.day_long(day, spoken)
    try:
        return format_date(day, format="full", locale=Locale.parse(code))
    except (UnknownLocaleError, ValueError):
        return words.day_long(day, "en")


def template_button_ids(appointment: dict) -> tuple[str, str, str]:
    """The payloads of the template's three quick replies, in order: confirm, change, cancel."""
    return tuple(
        ids.reminder(a, appointment["id"], appointment["starts_at"]) for a in ids.REMINDER_ACTIONS
    )


def stops_reminders(text: str) -> str | None:
    """The language of a request to stop reminders ("en"/"es"), None when it is not one."""
    folded = " ".join(lang.fold(text).split())
    if not folded or len(folded) > MAX_OPT_OUT_CHARS:
        return None
    if _STOP_ES.search(folded):
        return "es"
    if _STOP_EN.search(folded):
        return "en"
    return None


def on_tap(turn: Turn, st: State, tap: ids.Tap) -> Reply:
    """Confirm, change or cancel the appointment a reminder was about.

    A time held before was let go by the tap (`engine.on_tap`), as a typed answer lets it go
    (`answered`): the customer is answering the reminder, so a later "ok thanks" must not book
    the time they left behind."""
    found = find(actions.upcoming(turn), tap.appointment_id)
    if found is None:
        return Reply(words.refusal(st.lang, NOT_FOUND, "No such appointment."), lang=st.lang)
    if tap.action == "change":
        return moves.ask_new_time(turn, st, found)
    if tap.start is not None and ids.minute(found.starts_at) != ids.minute(tap.start):
        return moved_since(turn, st, found)  # a Confirm or Cancel of the time before a move
    if tap.action == "cancel":
        # Of the time read above, under the booking lock: a move committed since is not undone.
        result = actions.cancel(turn, found.id, found.starts_at)
        if result.code == MOVED_SINCE:  # moved while this tap was read
            return moved_since(turn, st, result.appointment)
        return moves.cancelled(turn, st, result)
    result = actions.confirm_attendance(turn, found.id, found.starts_at)
    if result.code == MOVED_SINCE:  # moved while this tap was read
        return moved_since(turn, st, result.appointment)
    if not result.ok:
        return refused(turn, st, result, None)
    name = turn.customer.get("profile_name") or ""
    text = say(
        st.lang,
        "attending",
        name=f" {name}" if name else "",
        service=found.service_name,
        when=words.when(found.starts_at, turn.tz, st.lang),
    )
    return offer(st, Reply(text, lang=st.lang))


def moved_since(turn: Turn, st: State, appointment) -> Reply:
    """The appointment is at another time than the Confirm or Cancel tapped: say when it is now
    and ask again, with the reminder's three choices for the new time."""
    text = say(
        st.lang,
        "moved_since",
        service=appointment.service_name,
        when=words.when(appointment.starts_at, turn.tz, st.lang),
    )
    choices = options(appointment.id, st.lang, appointment.starts_at)
    return offer(st, Reply(text, choices, lang=st.lang))
