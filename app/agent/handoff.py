"""Offering a person when the bot does not know: one place for the handoff flow to hook into.

Today the offer is words only; the handoff issue makes it mark the conversation for the team.
"""

from __future__ import annotations

DONT_KNOW = "I don't know that, sorry — I can ask the team to reply to you here."


def dont_know() -> str:
    """The reply for a question the settings and the reference document do not answer."""
    return DONT_KNOW
