"""Handing a conversation to a person: the notice the customer gets, in their language, with
roughly when the team will answer (the opening hours), and the request the turn acts on.

The flow and the agent's `handoff_to_human` tool only *request* a handoff: a tool-call record
named `TOOL` with the reason, a summary and the notice. The turn that stores the reply pauses
the bot and marks the conversation in the same transaction (`app.handoff`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.booking.hours import clock, parse_opening_hours
from app.flow import lang, words
from app.storage import handoff as store

TOOL = "handoff_to_human"
ASKED = "The customer asked for a person"
NOT_UNDERSTOOD = "The bot did not understand the customer twice in a row"
FAILED_TURNS = "The bot could not answer twice in a row"
TOO_MANY_REPLIES = "The bot answered {replies} times in {minutes} minutes (another bot answering?)"
# The reasons above as the team's notice says them in the business's language (they are kept,
# and shown in the console, as written above; a reason the model wrote is said as it wrote it).
REASONS = {
    "es": {
        ASKED: "El cliente ha pedido hablar con una persona",
        NOT_UNDERSTOOD: "El bot no ha entendido al cliente dos veces seguidas",
        FAILED_TURNS: "El bot no ha podido responder dos veces seguidas",
        TOO_MANY_REPLIES: (
            "El bot ha respondido {replies} veces en {minutes} minutos (¿responde otro bot?)"
        ),
    },
}
_TOO_MANY = re.compile(
    re.escape(TOO_MANY_REPLIES)
    .replace(re.escape("{replies}"), r"(?P<replies>\d+)")
    .replace(re.escape("{minutes}"), r"(?P<minutes>\d+)")
)
# How a staff member's reply appears in the bot's history: "[Staff: Ana] See you at 5!".
STAFF_MARK = "[Staff"
MAX_REASON = 300
MAX_SUMMARY = 1000

DONT_KNOW = "I don't know that, sorry — I can ask the team to reply to you here."
DONT_KNOW_ES = "No lo sé, lo siento; puedo pedir al equipo que te responda por aquí."
TALK_TO_A_PERSON = {"en": "Talk to a person", "es": "Hablar con alguien"}
NOTICE = {
    "en": "Thanks! I've asked the team to answer you here, in this chat.",
    "es": "¡Gracias! He pedido al equipo que te responda aquí, en este chat.",
}
OPEN_NOW = {
    "en": "We're open now until {close}, so it shouldn't be long.",
    "es": "Ahora estamos abiertos hasta las {close}, así que no tardarán mucho.",
}
OPENS = {
    "en": "We're closed right now; they'll answer when we open, {day} at {at}.",
    "es": "Ahora estamos cerrados; te responderán cuando abramos: {day} a las {at}.",
}
SOON = {"en": "They'll answer as soon as they can.", "es": "Te responderán lo antes posible."}
# What the business's staff notice number is told when it writes to the bot (in the business's
# language): it is not a customer, and a reply here reaches no customer.
STAFF_NUMBER = {
    "en": (
        "This number gets {business}'s staff notices; the bot does not answer it."
        " Please answer customers from the console: nothing written here reaches them."
    ),
    "es": (
        "Este número recibe los avisos para el equipo de {business}; el bot no le responde."
        " Responde a los clientes desde la consola: lo que se escribe aquí no les llega."
    ),
}


def dont_know(lang: str = "en") -> str:
    """The reply for a question the settings and the reference document do not answer."""
    return DONT_KNOW_ES if lang == "es" else DONT_KNOW


def language(business: dict, customer_id: int, known: str | None = None) -> str:
    """The customer's language: `known`, else what their last messages lean to, else the
    business's."""
    if known in lang.LANGUAGES:
        return known
    found = lang.detect(" ".join(store.recent_inbound(customer_id)))
    return found or lang.of_business(business)


def reason_in(reason: str, code: str) -> str:
    """A handoff's reason in language `code`: one of the bot's own reasons translated (English
    when there is no table for `code`), any other as written."""
    table = REASONS.get(code)
    if table is None:
        return reason
    if reason in table:
        return table[reason]
    too_many = _TOO_MANY.fullmatch(reason)
    if too_many:
        return table[TOO_MANY_REPLIES].format(**too_many.groupdict())
    return reason


def staff_number_reply(business: dict) -> str:
    """The fixed answer to the business's staff notice number, in the business's language."""
    code = lang.of_business(business)
    return STAFF_NUMBER.get(code, STAFF_NUMBER["en"]).format(business=business["name"])


def notice(business: dict, now: datetime, language: str) -> str:
    """What the customer is told: the team answers here, and roughly when."""
    code = language if language in NOTICE else "en"
    return f"{NOTICE[code]} {_when(business, now, code)}"


def summary_of(customer_id: int) -> str:
    """What the customer wants, in their own recent words."""
    text = " / ".join(" ".join(m.split()) for m in store.recent_inbound(customer_id))
    return text[:MAX_SUMMARY]


def request(
    business: dict,
    customer: dict,
    now: datetime,
    reason: str,
    summary: str,
    known_lang: str | None = None,
) -> dict:
    """A handoff request as a tool-call result: the reason, the summary and the notice, in
    `known_lang`, else the language the customer last wrote in (kept on them)."""
    code = language(business, customer["id"], known_lang or customer.get("language"))
    return {
        "ok": True,
        "handed_off": True,
        "reason": " ".join(reason.split())[:MAX_REASON] or ASKED,
        "summary": " ".join(summary.split())[:MAX_SUMMARY] or summary_of(customer["id"]),
        "notice": notice(business, now, code),
        "language": code,
    }


def requested(records: list[dict]) -> dict | None:
    """The result of the turn's successful handoff request, if it made one."""
    for rec in records:
        if rec.get("name") == TOOL and rec.get("ok") and (rec.get("result") or {}).get("notice"):
            return rec["result"]
    return None


def _when(business: dict, now: datetime, code: str) -> str:
    tz = ZoneInfo(business.get("timezone") or "UTC")
    local = now.astimezone(tz)
    try:
        hours = parse_opening_hours(business.get("opening_hours"))
    except ValueError:  # never saved so (the admin API checks them): no promise then
        return SOON[code]
    closed = set(business.get("closed_dates") or [])
    minute = local.hour * 60 + local.minute
    for offset in range(0, 15):
        day = local.date() + timedelta(days=offset)
        for start, end in hours.get(day.weekday(), ()) if day not in closed else ():
            if offset == 0 and start <= minute < end:
                return OPEN_NOW[code].format(close=clock(end))
            if offset > 0 or minute < start:
                return OPENS[code].format(day=_day(day, local.date(), code), at=clock(start))
    return SOON[code]


def _day(day: date, today: date, code: str) -> str:
    if day == today:
        return "hoy" if code == "es" else "today"
    if day == today + timedelta(days=1):
        return "mañana" if code == "es" else "tomorrow"
    return words.weekday_name(day, code)


def staff_line(name: str, body: str) -> str:
    """A staff reply as the bot reads it in its history."""
    return f"{STAFF_MARK}: {name or 'team'}] {body}"


# The mark as a customer could type it, in any case or spacing.
_TYPED_MARK = re.compile(r"\[\s*staff", re.I)


def customer_line(body: str) -> str:
    """A customer's message as the bot reads it: a staff mark typed in it is not one (the bot
    never contradicts a staff reply, so a forged one would speak for the team)."""
    return _TYPED_MARK.sub("(staff", body)
