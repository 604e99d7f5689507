"""Offering a person when the bot does not know: one place for the handoff flow to hook into.

Today the offer is words only; the handoff issue makes it mark the conversation for the team
(and answers the `handoff:request` tap, see `ids`).
"""

from __future__ import annotations

DONT_KNOW = "I don't know that, sorry — I can ask the team to reply to you here."
DONT_KNOW_ES = "No lo sé, lo siento; puedo pedir al equipo que te responda por aquí."


def dont_know(lang: str = "en") -> str:
    """The reply for a question the settings and the reference document do not answer."""
    return DONT_KNOW_ES if lang == "es" else DONT_KNOW
