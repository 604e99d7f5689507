"""Typed updates from WhatsApp's webhook as parsed; `channel.py` makes them the port's types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class MessageType(StrEnum):
    """Meta's message `type`; strings it adds later become UNKNOWN."""

    TEXT = "text"
    INTERACTIVE = "interactive"
    BUTTON = "button"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACTS = "contacts"
    REACTION = "reaction"
    ORDER = "order"
    SYSTEM = "system"
    UNSUPPORTED = "unsupported"
    REQUEST_WELCOME = "request_welcome"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> MessageType:
        return _lookup(cls, value)


class StatusKind(StrEnum):
    """Meta's delivery `status` of an outbound message."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    PLAYED = "played"
    FAILED = "failed"
    DELETED = "deleted"
    WARNING = "warning"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> StatusKind:
        return _lookup(cls, value)


def _lookup(cls: Any, value: object) -> Any:
    lowered = value.lower() if isinstance(value, str) else None
    return next((m for m in cls if m.value == lowered), cls.UNKNOWN)


@dataclass(frozen=True)
class ErrorInfo:
    """One entry of a Meta `errors` array."""

    code: int | None
    title: str
    message: str
    details: str


@dataclass(frozen=True)
class InboundMessage:
    """A message a customer sent to one of our business numbers (or, `from_business`, one a
    person at the business sent a customer from the WhatsApp Business app)."""

    phone_number_id: str
    display_phone_number: str
    wamid: str
    sender: str
    profile_name: str
    timestamp: int | None
    type: MessageType
    raw_type: str
    text: str
    context_wamid: str | None
    errors: tuple[ErrorInfo, ...]
    # The id we gave the tapped button or list row (or a template button's payload).
    payload: str
    # A plain dict (not a MappingProxyType) so json.dumps can store it as received.
    raw: Mapping[str, Any] = field(compare=False, hash=False, repr=False)
    # The sender's business-scoped user id (BSUID), when the message carries one: it stays the
    # same when the sender later hides their number behind a username ("" when not given).
    user_id: str = ""
    # WhatsApp's notice that the sender changed their number (`system` of type
    # user_changed_number): the new number ("" for any other message).
    new_number: str = ""
    # WhatsApp's notice that the sender's BSUID changed (`user_changed_user_id`, or a number
    # change, which makes a new one): the new BSUID ("" for any other message; `user_id` is
    # then the previous one).
    new_user_id: str = ""
    # Sent by a person at the business from the WhatsApp Business app (coexistence): `sender`
    # is then the customer it went to.
    from_business: bool = False

    @property
    def expects_reply(self) -> bool:
        """Return whether the bot should answer (reactions, system notices and the business's
        own messages get silence)."""
        return (
            bool(self.sender)
            and not self.from_business
            and self.type not in (MessageType.REACTION, MessageType.SYSTEM)
        )

    @property
    def is_text(self) -> bool:
        """Return whether the agent can read this message as text."""
        return self.type in TEXT_TYPES and bool(self.text)


TEXT_TYPES = frozenset({MessageType.TEXT, MessageType.INTERACTIVE, MessageType.BUTTON})


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery status of a message we sent."""

    phone_number_id: str
    wamid: str
    status: StatusKind
    raw_status: str
    recipient_id: str
    timestamp: int | None
    errors: tuple[ErrorInfo, ...]


@dataclass(frozen=True)
class ChangeError:
    """Errors Meta attached to a whole change value rather than to one message."""

    phone_number_id: str
    errors: tuple[ErrorInfo, ...]


@dataclass(frozen=True)
class Envelope:
    """Everything usable in one webhook body, plus short reasons for what was skipped."""

    object: str
    messages: tuple[InboundMessage, ...]
    statuses: tuple[StatusUpdate, ...]
    errors: tuple[ChangeError, ...]
    ignored: tuple[str, ...]
