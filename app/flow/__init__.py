"""The booking flow that needs no model: taps on our own buttons and lists, and the text of
turns run without a model (no API key, over budget, every model's breaker open).

`run` answers one turn for one customer: it reads what the flow remembers of the conversation
(`state`), handles the tap (`ids`) or the text (`understand`), acts through the booking service
(`actions`, each call recorded like a tool call) and returns the reply (`render` shapes it for
the customer's channel) with where the talk is now, which the turn `keep`s with its reply.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from app.flow import engine, handoff, ids, lang, privacy, reminders, state, times
from app.flow.actions import CLAIMS, OWN_ACTIONS, Turn
from app.flow.render import Reply, for_channel, numbered, outbound
from app.flow.state import State

__all__ = [
    "CLAIMS",
    "OWN_ACTIONS",
    "Outcome",
    "Reply",
    "State",
    "Turn",
    "for_channel",
    "is_ours",
    "keep",
    "numbered",
    "outbound",
    "run",
]

# Replies in a row that understood nothing before the flow hands the talk to a person.
MISSES_FOR_A_PERSON = 2


@dataclass(frozen=True)
class Outcome:
    """One flow turn: its reply, the booking calls it made (tool-call records) and what the
    flow is to remember once the reply is stored (`keep`)."""

    reply: Reply
    records: list[dict]
    state: State | None = None

    @property
    def text(self) -> str:
        """The reply as plain text, options numbered."""
        return numbered(self.reply)

    def noted(self, note: str) -> Outcome:
        """The same outcome with `note` above the reply."""
        return replace(self, reply=replace(self.reply, notes=(note, *self.reply.notes)))


def run(
    business: dict,
    customer: dict,
    now: datetime,
    turn_id: int | None = None,
    text: str = "",
    payload: str = "",
) -> Outcome:
    """Answer a tap (`payload`, one of our ids) or a text; the outcome says where the talk is
    now, for the caller to `keep` with the reply (nothing of it is kept before)."""
    turn = Turn(business, customer, now, turn_id)
    st = state.load(business["id"], customer["id"], now)
    # The customer's language is kept current on every typed turn (app.bot), a model's too:
    # the state's may be older than words a model answered since.
    st.lang = customer.get("language") or st.lang or lang.of_business(business)
    tap = ids.parse(payload) if payload else None
    reminded = False
    if tap is None:
        reminded = reminders.answered(turn, st)
        if not (reminded or st.offer or st.hold_id):
            times.asked_about_hold(turn, st)  # "yes" after the flow forgot the talk
        tap = _typed_option(st, text)
    misses = st.misses
    reply = engine.on_tap(turn, st, tap) if tap else engine.on_text(turn, st, text)
    if reminded and st.offer and all(o.id.startswith("rem:") for o in st.offer):
        st.offer = []  # they answer the reminder in this message only, never after a reply
    if st.misses <= misses:
        st.misses = 0  # understood: the count starts again
    elif st.misses >= MISSES_FOR_A_PERSON:
        reply = engine.hand_off(turn, st, handoff.NOT_UNDERSTOOD)
    return Outcome(reply, turn.records, st)


def keep(business_id: int, customer_id: int, st: State, now: datetime) -> None:
    """Remember where the talk is after a turn, in the transaction that stores its reply.

    Kept any earlier, a turn run again (its reply's transaction failed, or its job was retried)
    would read the same message against the next step: "1" that picked a listed time would
    pick Confirm and book a time the customer was never asked about. From the old state it
    repeats what it did (holding a time again only renews the hold).
    """
    state.save(business_id, customer_id, st, now)


def is_ours(payload: str | None) -> bool:
    """Whether a tap's id is one the flow put on a button, row or quick reply."""
    return bool(payload) and (ids.parse(payload) is not None or payload in privacy.IDS)


def _typed_option(st: state.State, text: str) -> ids.Tap | None:
    """Typing exactly what an offered option says is choosing it ("Confirm", "Haircut")."""
    wanted = " ".join(text.split()).casefold()
    for option in st.offer:
        if option.title.casefold() == wanted:
            return ids.parse(option.id)
    return None
