"""What the customer is told when staff move or cancel their appointment, in their language.

The language is the one their reminders use (`reminders.customer_language`: the one they last
wrote in, however long ago, else the business's), and the time is said the way the flow says it,
in the business's timezone.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.flow import words
from app.flow.reminders import customer_language

TEXTS = {
    "en": {
        "moved": (
            "Your {service} appointment has been moved by {business} to {when}."
            " Reply here if that time does not suit you."
        ),
        "cancelled": (
            "Your {service} appointment on {when} has been cancelled by {business}."
            " Reply here if you would like to book another time."
        ),
    },
    "es": {
        "moved": (
            "{business} ha cambiado tu cita de {service} al {when}."
            " Responde aquí si esa hora no te viene bien."
        ),
        "cancelled": (
            "{business} ha cancelado tu cita de {service} del {when}."
            " Responde aquí si quieres reservar otra hora."
        ),
    },
}


def notice(
    business: dict, kind: str, customer_id: int, service: str, starts_at: datetime, now: datetime
) -> str:
    """The notice of `kind` ("moved" or "cancelled") for the customer's appointment of `service`
    at `starts_at` (the new time of a move)."""
    language = customer_language(business, customer_id, now)
    table = TEXTS.get(language) or TEXTS["en"]
    when = words.when(starts_at, ZoneInfo(business["timezone"]), language)
    return table[kind].format(service=service, business=business["name"], when=when)
