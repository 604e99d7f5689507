"""What the flow says, in English and Spanish: every sentence and label, and how it says dates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import regex

from app.booking.models import ALREADY_HAS_IT, BOOKED, CANCELLED, EXISTS, RESCHEDULED
from app.flow.dates import MONTHS, MONTHS_ES, WEEKDAYS

WEEKDAYS_ES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]

# Sentences with {placeholders}; "**" is bold in the channel's own syntax.
TEXTS = {
    "en": {
        "greeting": (
            "Hi{name}! Welcome to {business}. I can tell you about our services, prices and "
            "opening hours, show free times, and book, move or cancel appointments."
        ),
        "thanks": "You're welcome{name}! Anything else I can do for you?",
        "fallback": (
            "Sorry, I didn't get that. I can show free times and book, move or cancel "
            "appointments, or tell you our prices and opening hours."
        ),
        "fallback_prompt": "What would you like?",
        "services": "Our services:",
        "service_price": "**{service}** takes {minutes} min and costs {price}.",
        "which_service": "Which service would you like?",
        "no_services": "We have no services listed yet.",
        "hours": "Our opening hours:",
        "closed_dates": "Closed on: {dates}",
        "day_hours": "On {day} we're open {hours}.",
        "day_closed": "We're closed on {day}.",
        "slots": "Free times for **{service}** on {day}:",
        "slots_prompt": "Which one would you like?",
        "later": "Later times",
        "later_detail": "{count} more until {last}",
        "none_free": "Sorry, there are no free times for {service} on {day}.",
        "next_free": "The next free times are:",
        "nothing_soon": "Sorry, there are no free times for {service} in the next days.",
        "none_this_week": "Sorry, there are no free times for {service} this week.",
        "none_free_in_week": "Sorry, there are no free times for {service} in the week of {day}.",
        "held": (
            "I'm holding **{service}** on {when} for you for {minutes} minutes. Shall I book it?"
        ),
        "still_held": "Not booked yet: **{service}** on {when}, held for you. Shall I book it?",
        "confirm": "Confirm",
        "change": "Change time",
        "cancel": "Cancel",
        "booked": "Booked ✅ **{service}** on {when} (booking #{id}). See you then!",
        "exists": "You already have **{service}** on {when} (booking #{id}). See you then!",
        "moved": "Moved ✅ Your **{service}** is now on {when} (booking #{id}).",
        "cancelled": "Cancelled: **{service}** on {when} (booking #{id}).",
        "released": "OK, I've let that time go. Anything else?",
        "rest_unanswered": (
            "Sorry, I couldn't finish answering the rest just now. If you asked for anything "
            "else, please write it again."
        ),
        "apology": (
            "Sorry, I'm having trouble answering right now. Please try again in a few minutes, "
            "or call us directly."
        ),
        "late_reply": (
            "Sorry for the late answer! Please write again and we will help you right away."
        ),
        "non_text": (
            "Thanks! I can only read text messages for now. Please write what you need, "
            'for example "book a haircut tomorrow at 17:00".'
        ),
        "exhausted": (
            "Sorry, I couldn't finish that. Could you tell me again, in one message, what you"
            " would like?"
        ),
        "booked_already": (
            "Your **{service}** on {when} is already booked (booking #{id}). "
            "Shall I cancel it, or move it to another time?"
        ),
        "no_hold": "There is no time waiting for your confirmation. Which time would you like?",
        "list": "Your upcoming appointments:",
        "list_item": "• #{id} {service} on {when}",
        "none_booked": "You have no upcoming appointments.",
        "none_of_service": "You have no **{service}** booked.",
        "none_on_day": "You have nothing booked on {day}.",
        "none_of_service_on_day": "You have no **{service}** booked on {day}.",
        "none_in_week": "You have nothing booked in the week of {day}.",
        "none_of_service_in_week": "You have no **{service}** booked in the week of {day}.",
        "none_this_week_booked": "You have nothing booked this week.",
        "none_of_service_this_week": "You have no **{service}** booked this week.",
        "none_at": "You have nothing booked at {time}.",
        "none_of_service_at": "You have no **{service}** booked at {time}.",
        "day_at": "{day} at {time}",
        "which_cancel": "Which one should I cancel?",
        "which_move": "Which one should I move?",
        "cant_make": (
            "No problem. Shall I move your **{service}** on {when} to another time, or cancel it?"
        ),
        "move_it": "Move it",
        "cancel_it": "Cancel it",
        "move_to": (
            "When would you like your **{service}** on {when} to be instead? "
            'Tell me a day and time, e.g. "Friday at 17:00".'
        ),
        "past_day": "{day} has already passed. Which day would you like instead?",
        "pick_range": "Please reply with a number from 1 to {count}.",
        "nothing_to_pick": "I have no list open for that number. What would you like?",
        "reply_with": "Reply with 1–{count}.",
        "reply_with_one": "Reply with 1.",
        "ok": "OK. Anything else I can do for you?",
        "one_booking": "One service per message: choose the first, then send me the other one.",
        "one_person": (
            "Each appointment is for one person: to book for anyone else too, send me their"
            " service and time in a new message."
        ),
        "one_request": (
            "One request per message, please: I have answered only the first. Please send "
            'this part again in a new message: "{rest}".'
        ),
        "again_cancel": "cancel {rest}",
        "again_move": "move {rest}",
        "again_cant_make": "I can't make it {rest}",
        "book_a_time": "Book a time",
        "choose": "Choose",
        "my_appointments": "My appointments",
        "prices_hours": "Prices & hours",
        "found": "Here is what we have on that:",
        "handoff": "I'll ask the team to reply to you here.",
        "alternatives": "Free times nearby:",
    },
    "es": {
        "greeting": (
            "¡Hola{name}! Te damos la bienvenida a {business}. Puedo informarte de nuestros "
            "servicios, precios y horario, mostrarte horas libres y reservar, cambiar o cancelar "
            "citas."
        ),
        "thanks": "¡De nada{name}! ¿Puedo ayudarte en algo más?",
        "fallback": (
            "Perdona, no te he entendido. Puedo mostrarte horas libres y reservar, cambiar o "
            "cancelar citas, o decirte nuestros precios y horario."
        ),
        "fallback_prompt": "¿Qué te gustaría?",
        "services": "Nuestros servicios:",
        "service_price": "**{service}** dura {minutes} min y cuesta {price}.",
        "which_service": "¿Qué servicio te gustaría?",
        "no_services": "Todavía no tenemos servicios publicados.",
        "hours": "Nuestro horario:",
        "closed_dates": "Cerrado: {dates}",
        "day_hours": "El {day} abrimos {hours}.",
        "day_closed": "El {day} está cerrado.",
        "slots": "Horas libres para **{service}** el {day}:",
        "slots_prompt": "¿Cuál te viene bien?",
        "later": "Más tarde",
        "later_detail": "{count} más hasta las {last}",
        "none_free": "Lo siento, no hay horas libres para {service} el {day}.",
        "next_free": "Las próximas horas libres son:",
        "nothing_soon": "Lo siento, no hay horas libres para {service} en los próximos días.",
        "none_this_week": "Lo siento, no hay horas libres para {service} esta semana.",
        "none_free_in_week": "Lo siento, no hay horas libres para {service} la semana del {day}.",
        "held": ("Te guardo **{service}** el {when} durante {minutes} minutos. ¿Lo reservo?"),
        "still_held": "Aún sin reservar: te guardo **{service}** el {when}. ¿Lo reservo?",
        "confirm": "Confirmar",
        "change": "Cambiar hora",
        "cancel": "Cancelar",
        "booked": "Reservado ✅ **{service}** el {when} (reserva #{id}). ¡Hasta pronto!",
        "exists": "Ya tienes **{service}** el {when} (reserva #{id}). ¡Hasta pronto!",
        "moved": "Cambiada ✅ Tu cita de **{service}** es ahora el {when} (reserva #{id}).",
        "cancelled": "Cancelada: **{service}** el {when} (reserva #{id}).",
        "released": "Vale, he liberado esa hora. ¿Algo más?",
        "rest_unanswered": (
            "Perdona, ahora mismo no he podido terminar de responder al resto. Si pedías algo "
            "más, escríbemelo de nuevo."
        ),
        "apology": (
            "Lo siento, ahora mismo no puedo responder. Inténtalo de nuevo en unos minutos o"
            " llámanos directamente."
        ),
        "late_reply": (
            "¡Perdona la respuesta tardía! Escríbenos de nuevo y te ayudamos enseguida."
        ),
        "non_text": (
            "¡Gracias! Por ahora solo puedo leer mensajes de texto. Escribe lo que necesitas, "
            'por ejemplo "reservar un corte mañana a las 17:00".'
        ),
        "exhausted": (
            "Lo siento, no he podido terminarlo. ¿Me dices de nuevo, en un solo mensaje, qué te"
            " gustaría?"
        ),
        "booked_already": (
            "Tu cita de **{service}** del {when} ya está reservada (reserva #{id}). "
            "¿La cancelo o la paso a otra hora?"
        ),
        "no_hold": "No hay ninguna hora pendiente de confirmar. ¿Qué hora te gustaría?",
        "list": "Tus próximas citas:",
        "list_item": "• #{id} {service} el {when}",
        "none_booked": "No tienes citas próximas.",
        "none_of_service": "No tienes ninguna cita de **{service}**.",
        "none_on_day": "No tienes nada reservado el {day}.",
        "none_of_service_on_day": "No tienes ninguna cita de **{service}** el {day}.",
        "none_in_week": "No tienes nada reservado la semana del {day}.",
        "none_of_service_in_week": "No tienes ninguna cita de **{service}** la semana del {day}.",
        "none_this_week_booked": "No tienes nada reservado esta semana.",
        "none_of_service_this_week": "No tienes ninguna cita de **{service}** esta semana.",
        "none_at": "No tienes nada reservado a las {time}.",
        "none_of_service_at": "No tienes ninguna cita de **{service}** a las {time}.",
        "day_at": "{day} a las {time}",
        "which_cancel": "¿Cuál quieres cancelar?",
        "which_move": "¿Cuál quieres cambiar?",
        "cant_make": "Sin problema. ¿Cambio tu cita de **{service}** del {when} o la cancelo?",
        "move_it": "Cambiarla",
        "cancel_it": "Cancelarla",
        "move_to": (
            "¿A cuándo quieres pasar tu cita de **{service}** del {when}? "
            'Dime un día y una hora, por ejemplo "el viernes a las 17:00".'
        ),
        "past_day": "El {day} ya ha pasado. ¿Qué otro día te viene bien?",
        "pick_range": "Responde con un número del 1 al {count}.",
        "nothing_to_pick": "No tengo ninguna lista abierta para ese número. ¿Qué te gustaría?",
        "reply_with": "Responde con un número del 1 al {count}.",
        "reply_with_one": "Responde con 1.",
        "ok": "Vale. ¿Puedo ayudarte en algo más?",
        "one_booking": "Un servicio por mensaje: elige el primero y luego envíame el otro.",
        "one_person": (
            "Cada cita es para una persona: para reservar también para alguien más, envíame su"
            " servicio y hora en otro mensaje."
        ),
        "one_request": (
            "Una petición por mensaje, por favor: solo he atendido la primera. Envíame esta "
            'parte en otro mensaje: "{rest}".'
        ),
        "again_cancel": "cancela {rest}",
        "again_move": "cambia {rest}",
        "again_cant_make": "no puedo ir {rest}",
        "book_a_time": "Reservar",
        "choose": "Elegir",
        "my_appointments": "Mis citas",
        "prices_hours": "Precios y horario",
        "found": "Esto es lo que tenemos sobre eso:",
        "handoff": "Pediré al equipo que te responda por aquí.",
        "alternatives": "Horas libres cercanas:",
    },
}
# The booking service's refusals, by code, in Spanish (English comes with the result).
REFUSALS_ES = {
    "not_found": "No encuentro esa cita.",
    "unknown_service": "No ofrecemos ese servicio.",
    "already_cancelled": "Esa cita ya estaba cancelada.",
    "invalid": "No he podido hacer eso.",
    "taken": "Lo siento, alguien acaba de coger esa hora.",
    "past": "Esa hora ya ha pasado.",
    "too_soon": "Esa hora es demasiado pronto; necesitamos más antelación.",
    "beyond_horizon": "Esa fecha está demasiado lejos para reservar.",
    "closed_day": "Ese día está cerrado.",
    "outside_hours": "Esa hora está fuera del horario.",
    "not_on_step": "Las citas solo empiezan a las horas de la lista.",
    "full": "Esa hora está completa.",
    "calendar_unavailable": "Ahora mismo no puedo consultar la agenda; inténtalo en unos minutos.",
}
# An invalid request in English: the booking service words it for a developer ("before must
# not be earlier than after"), not for the customer; but for one they can act on.
INVALID_EN = "Sorry, I couldn't do that."
ALREADY_HAS_IT_ES = "Ya tienes este servicio reservado a esa hora."
# An outside_hours refusal of a time the service would run past a close from.
RUNS_PAST_ES = (
    "Esa hora está fuera del horario: {service} dura {minutes} minutos y terminaría después de"
    " las {closes}, cuando cerramos."
)


def say(lang: str, key: str, **values) -> str:
    """The sentence `key` in `lang` (English when the language has none)."""
    table = TEXTS.get(lang) or TEXTS["en"]
    return table.get(key, TEXTS["en"][key]).format(**values)


# The sentence for each thing the booking service reports done.
DONE = {BOOKED: "booked", EXISTS: "exists", RESCHEDULED: "moved", CANCELLED: "cancelled"}


def done(lang: str, code: str, service: str, starts_at: datetime, tz: ZoneInfo, number: int) -> str:
    """What the booking service did (`code`, a key of DONE) to appointment #`number`, said."""
    when_said = when(starts_at, tz, lang)
    return say(lang, DONE[code], service=service, when=when_said, id=number)


def refusal(
    lang: str, code: str, message: str, service: dict | None = None, closes: str | None = None
) -> str:
    """A booking refusal in the customer's language (the service's own words in English, but
    for an invalid request's).
    `closes`: the close (HH:MM) the `service` would run past, on an outside_hours refusal."""
    if lang == "es":
        if code == "outside_hours" and service is not None and closes:
            minutes = service["duration_minutes"]
            return RUNS_PAST_ES.format(service=service["name"], minutes=minutes, closes=closes)
        if code == "invalid" and message == ALREADY_HAS_IT:
            return ALREADY_HAS_IT_ES
        return REFUSALS_ES.get(code, REFUSALS_ES["invalid"])
    return INVALID_EN if code == "invalid" and message != ALREADY_HAS_IT else message


def when(moment: datetime, tz: ZoneInfo, lang: str) -> str:
    """ "Tuesday 24 November 2026 at 17:00" / "martes 24 de noviembre de 2026 a las 17:00"."""
    local = moment.astimezone(tz)
    if lang == "es":
        return f"{day_long(local.date(), lang)} a las {local:%H:%M}"
    return f"{day_long(local.date(), lang)} at {local:%H:%M}"


def day_long(day: date, lang: str) -> str:
    """ "Tuesday 24 November 2026" / "martes 24 de noviembre de 2026"."""
    if lang == "es":
        return f"{WEEKDAYS_ES[day.weekday()]} {day.day} de {MONTHS_ES[day.month - 1]} de {day.year}"
    weekday, month = WEEKDAYS[day.weekday()].capitalize(), MONTHS[day.month - 1].capitalize()
    return f"{weekday} {day.day} {month} {day.year}"


def day_short(day: date, lang: str) -> str:
    """A day as a list section title (at most 24 characters): "Friday 4 December"."""
    if lang == "es":
        weekday, month = WEEKDAYS_ES[day.weekday()], MONTHS_ES[day.month - 1]
        full = f"{weekday} {day.day} de {month}"
        return full if len(full) <= 24 else f"{weekday} {day.day} de {month[:3]}"
    return f"{WEEKDAYS[day.weekday()].capitalize()} {day.day} {MONTHS[day.month - 1].capitalize()}"


def weekday_name(day: date, lang: str) -> str:
    """ "Saturday" / "sábado"."""
    return WEEKDAYS_ES[day.weekday()] if lang == "es" else WEEKDAYS[day.weekday()].capitalize()


def moment_short(moment: datetime, tz: ZoneInfo, lang: str) -> str:
    """ "Fri 4 Dec 14:00" / "vie 4 dic 14:00" (a list row title)."""
    local = moment.astimezone(tz)
    if lang == "es":
        weekday, month = WEEKDAYS_ES[local.weekday()][:3], MONTHS_ES[local.month - 1][:3]
    else:
        weekday = WEEKDAYS[local.weekday()][:3].capitalize()
        month = MONTHS[local.month - 1][:3].capitalize()
    return f"{weekday} {local.day} {month} {local:%H:%M}"


def fit(text: str, limit: int) -> str:
    """The text cut to `limit` characters, with "…" when cut; never inside what reads as one
    character (an emoji of several code points, a flag, a letter with its accent marks)."""
    if len(text) <= limit:
        return text
    kept = ""
    for grapheme in _GRAPHEME.findall(text):
        if len(kept) + len(grapheme) > limit - 1:
            break
        kept += grapheme
    return kept.rstrip() + "…"


_GRAPHEME = regex.compile(r"\X")
