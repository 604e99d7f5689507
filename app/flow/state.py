"""What the flow remembers between a customer's messages, kept in PostgreSQL per customer.

It expires `TTL` after the last flow turn: an offer made yesterday is not what "the first one"
means today. The language the customer writes in outlives it: kept on the customer by each turn
(`app.bot`), it is the language a new conversation, a reminder or a notice speaks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time, timedelta

from app.flow import ids
from app.flow.lang import LANGUAGES
from app.storage import flow_state

TTL = timedelta(hours=2)


@dataclass
class Option:
    """One choice the customer was offered: its id (what a tap sends back) and its label."""

    id: str
    title: str
    description: str = ""
    section: str = ""  # the day (or group) it is listed under


@dataclass
class State:
    lang: str | None = None
    service_id: int | None = None  # the service being chosen or talked about
    day: str | None = None  # ISO date being talked about
    week: str | None = None  # `day` when it stands for its week ("this/next week"): ISO
    after: str | None = None  # "HH:MM" bounds asked for with it
    before: str | None = None
    time: str | None = None  # a time asked for before the service was known
    offer: list[Option] = field(default_factory=list)  # what "2" or "the first one" picks from
    hold_id: int | None = None  # the held time awaiting Confirm
    moving: int | None = None  # the appointment whose new time is being chosen
    appointment_id: int | None = None  # the appointment last booked, moved or talked about
    pending: str | None = None  # "book" or "move": what a chosen service or appointment is for
    misses: int = 0  # replies in a row that understood nothing (two hand the talk to a person)

    @property
    def day_date(self) -> date | None:
        return date.fromisoformat(self.day) if self.day else None

    @property
    def lists_times(self) -> bool:
        """Whether the last offer listed free times, which a time said picks from."""
        return any(ids.is_time(o.id) for o in self.offer)

    @property
    def asked_service(self) -> bool:
        """Whether the last offer asked which service ("Which service would you like?")."""
        return bool(self.offer) and all(ids.is_service(o.id) for o in self.offer)

    def bounds(self) -> tuple[time | None, time | None]:
        return (
            time.fromisoformat(self.after) if self.after else None,
            time.fromisoformat(self.before) if self.before else None,
        )

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> State:
        """The state stored as `data` (unknown keys from another version are left out)."""
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        offer = values.pop("offer", None) or []
        state = cls(**values)
        state.offer = [Option(**o) for o in offer if isinstance(o, dict) and "id" in o]
        return state


def load(business_id: int, customer_id: int, now: datetime) -> State:
    """The customer's state, or a fresh one when none is kept or it expired (in the language
    they last wrote in, when known)."""
    data = flow_state.load(business_id, customer_id, now)
    if data is None:
        return State(lang=language(business_id, customer_id))
    return State.from_json(data)


def language(business_id: int, customer_id: int) -> str | None:
    """The language the customer last wrote in, else their last conversation's, however long
    ago (None: unknown)."""
    found = flow_state.language(business_id, customer_id)
    return found if found in LANGUAGES else None


def save(business_id: int, customer_id: int, state: State, now: datetime) -> None:
    """Keep the customer's state for `TTL` from `now`."""
    flow_state.save(business_id, customer_id, state.to_json(), now + TTL)
