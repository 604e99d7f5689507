"""The Channel port: what the bot needs from a messaging channel, in channel-neutral terms.

Shaped like `app.calendars`: one backend per channel (`whatsapp`, `messenger`) alone knows its
webhook payloads, signature, send API, formatting, limits, capabilities and error codes.
Everything above (webhook, turns, outbox, admin) sees only the types below. A third channel is
one new backend module and its registration in `app.channels`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Capability(StrEnum):
    """What a channel can show or do beyond plain text."""

    REPLY_BUTTONS = "reply_buttons"  # a few tappable buttons under a message
    LISTS = "lists"  # a list of rows grouped in sections (WhatsApp interactive list)
    QUICK_REPLIES = "quick_replies"  # tappable chips that disappear once used (Messenger)
    TEMPLATES = "templates"  # pre-approved messages sendable outside the window (WhatsApp)
    MESSAGE_TAGS = "message_tags"  # tags allowing a send outside the window (Messenger)
    TYPING = "typing"  # a typing indicator
    READ_RECEIPTS = "read_receipts"  # mark the customer's message read
    NAME_LOOKUP = "name_lookup"  # the webhook carries no name: ask the channel (lookup_name)


@dataclass(frozen=True)
class Limits:
    """Sizes a channel refuses to exceed; validated before every send."""

    text_chars: int
    interactive_text_chars: int = 0  # the text above buttons, a list or chips (0: text_chars)
    buttons: int = 0
    button_title_chars: int = 0
    list_rows: int = 0
    list_sections: int = 0
    list_row_title_chars: int = 0
    list_row_description_chars: int = 0
    quick_replies: int = 0
    quick_reply_title_chars: int = 0
    template_parameter_chars: int = 0  # a template's text parameter (0: no templates)


class InboundKind(StrEnum):
    """What a customer sent, whatever the channel called it."""

    TEXT = "text"
    CHOICE = "choice"  # a tapped button, list row, quick reply or postback (see `payload`)
    MEDIA = "media"  # image, audio, video, document, sticker, attachment
    LOCATION = "location"
    CONTACTS = "contacts"
    REACTION = "reaction"
    SYSTEM = "system"  # number changes and other notices: never answered
    WELCOME = "welcome"  # the user opened the chat for the first time, writing nothing: greeted
    OTHER = "other"  # anything else a person sent: answered politely


class DeliveryStatus(StrEnum):
    """Delivery progress of an outbound message; it never moves backwards."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class SendError(StrEnum):
    """Why a send failed, in the terms the outbox acts on."""

    RETRY_LATER = "retry_later"  # 5xx, network, temporary: retry with backoff
    RATE_LIMITED = "rate_limited"  # the account's throughput: slow the account down, retry
    PAIR_RATE_LIMITED = "pair_rate_limited"  # too many to this one recipient: wait, retry
    NEVER_RETRY = "never_retry"  # the request itself is wrong: record and stop
    WINDOW_CLOSED = "window_closed"  # outside the customer-service window
    BAD_CREDENTIALS = "bad_credentials"  # token expired or revoked: an admin must act
    UNREACHABLE = "unreachable"  # the recipient cannot receive (blocked, no account)


@dataclass(frozen=True)
class Inbound:
    """One message a customer sent to a business's channel account (or, `from_business`, one
    a person at the business sent the customer there)."""

    channel: str  # "whatsapp", "messenger"
    account_id: str  # the business's id on the channel: its WhatsApp number's id, its Page id
    external_id: str  # the channel's message id: unique per channel
    sender: str  # the customer's address on the channel (WhatsApp user id, PSID)
    profile_name: str  # as the channel reported it ("" when it does not)
    sent_at: datetime | None  # the channel's timestamp (the 24-hour window counts from it)
    kind: InboundKind
    raw_type: str  # the channel's own type name, stored for the record
    text: str  # the readable text ("" when none); for CHOICE the tapped title
    payload: str = ""  # for CHOICE: the id/payload we put on the button, row or quick reply
    reply_to: str | None = None  # external id of the message this one answers, if any
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    # A second id of the sender that outlasts `sender` (WhatsApp's business-scoped user id,
    # which stays when the customer hides their number behind a username); "" when none.
    user_id: str = ""
    # A SYSTEM notice that the sender's address changed (WhatsApp's user_changed_number, or
    # user_changed_user_id for a customer known by their BSUID alone): the new one, which
    # their conversation, appointments and reminders follow; "" otherwise.
    new_sender: str = ""
    # A SYSTEM notice that the sender's second id changed (a new WhatsApp BSUID): the new one
    # (never `user_id` itself), kept with the customer in place of `user_id`; "" otherwise.
    new_user_id: str = ""
    # Written by a person at the business on the channel itself (Messenger's Page inbox, the
    # WhatsApp Business app on a number shared with the Cloud API), not by the bot nor from the
    # console: `sender` is then the customer it went to. The bot steps
    # aside for them as for a staff reply from the console.
    from_business: bool = False

    @property
    def expects_reply(self) -> bool:
        """Whether the bot should answer (reactions, system notices and the business's own
        messages get silence)."""
        return (
            bool(self.sender)
            and not self.from_business
            and self.kind not in (InboundKind.REACTION, InboundKind.SYSTEM)
        )

    @property
    def is_text(self) -> bool:
        """Whether the agent can read this message as text."""
        return self.kind in (InboundKind.TEXT, InboundKind.CHOICE) and bool(self.text)


@dataclass(frozen=True)
class StatusUpdate:
    """The channel's news about a message we sent.

    With `watermark` set (Messenger's delivery and read events), the status covers every
    message to `recipient` sent at or before that moment, and `external_id` may be empty.
    """

    channel: str
    account_id: str
    external_id: str
    recipient: str
    status: DeliveryStatus
    at: datetime | None
    error_code: int | None = None
    error_title: str = ""
    watermark: datetime | None = None
    # For FAILED: what the failure means in the outbox's terms (a channel that reports failures
    # after accepting a message may report ones that sending again can fix).
    error: SendError | None = None


@dataclass(frozen=True)
class Parsed:
    """Everything usable in one webhook body of one channel, and why the rest was skipped."""

    channel: str
    messages: tuple[Inbound, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    ignored: tuple[str, ...] = ()  # short reasons, for the log (never customer text)
    errors: tuple[str, ...] = ()  # problems the channel itself reported, for the log


@dataclass(frozen=True)
class Button:
    """A reply button or quick reply: what the customer taps and what comes back to us."""

    id: str  # returned as Inbound.payload when tapped
    title: str


@dataclass(frozen=True)
class ListRow:
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class ListSection:
    title: str
    rows: tuple[ListRow, ...]


@dataclass(frozen=True)
class Template:
    """A pre-approved WhatsApp template: its name, language and body parameters in order."""

    name: str
    language: str
    parameters: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()  # quick-reply buttons defined in the template, by payload


@dataclass(frozen=True)
class Outbound:
    """One message for a customer, before the channel shapes it.

    Exactly one of `text` (with optional buttons / list / quick replies) or `template`.
    A backend that lacks a capability degrades: buttons become a numbered list in the text.
    """

    text: str = ""
    buttons: tuple[Button, ...] = ()
    list_button: str = ""  # the label of the button that opens the list
    sections: tuple[ListSection, ...] = ()
    quick_replies: tuple[Button, ...] = ()
    template: Template | None = None
    tag: str = ""  # Messenger message tag for sends outside the window

    def stored_extras(self) -> dict[str, Any] | None:
        """Its buttons, list and quick replies (and the template it becomes outside the
        window, if any) as JSON, to store beside its text (None: none)."""
        if not (self.buttons or self.sections or self.quick_replies or self.template):
            return None
        extras: dict[str, Any] = {
            "buttons": [[b.id, b.title] for b in self.buttons],
            "quick_replies": [[b.id, b.title] for b in self.quick_replies],
            "list_button": self.list_button,
            "sections": [
                {"title": s.title, "rows": [[r.id, r.title, r.description] for r in s.rows]}
                for s in self.sections
            ],
        }
        if self.template is not None:
            t = self.template
            extras["template"] = {
                "name": t.name,
                "language": t.language,
                "parameters": list(t.parameters),
                "buttons": [[b.id, b.title] for b in t.buttons],
            }
        return extras

    @classmethod
    def from_stored(cls, text: str, extras: Mapping[str, Any] | None) -> Outbound:
        """The message `stored_extras` stored beside `text`."""
        if not extras:
            return cls(text=text)
        return cls(
            text=text,
            buttons=tuple(Button(*b) for b in extras.get("buttons") or ()),
            quick_replies=tuple(Button(*b) for b in extras.get("quick_replies") or ()),
            list_button=extras.get("list_button") or "",
            sections=tuple(
                ListSection(s["title"], tuple(ListRow(*r) for r in s["rows"]))
                for s in extras.get("sections") or ()
            ),
            template=_template(extras.get("template")),
        )


def _template(stored: Mapping[str, Any] | None) -> Template | None:
    if not stored:
        return None
    return Template(
        stored["name"],
        stored["language"],
        tuple(stored.get("parameters") or ()),
        tuple(Button(*b) for b in stored.get("buttons") or ()),
    )


@dataclass(frozen=True)
class Account:
    """The business's credentials on a channel (decrypted; never logged)."""

    account_id: str  # the WhatsApp number's id or the Page id
    access_token: str


@dataclass(frozen=True)
class SendResult:
    """Outcome of one attempt to hand a message to the channel."""

    ok: bool
    external_id: str | None = None
    error: SendError | None = None
    error_code: int | None = None
    error_title: str = ""
    retry_after: float | None = None  # seconds, when the channel said


class Channel(ABC):
    """One messaging channel. Backends are stateless apart from their HTTP session."""

    name: str
    title: str  # how customers know the channel: "WhatsApp", "Messenger"
    limits: Limits
    capabilities: frozenset[Capability]
    window: timedelta = timedelta(hours=24)  # customer-service window after the last inbound
    default_rate: float = 80.0  # messages per second per account unless the business sets one

    # Receiving

    @abstractmethod
    def accepts(self, data: Mapping[str, Any]) -> bool:
        """Whether a decoded webhook body belongs to this channel (by its `object`)."""

    @abstractmethod
    def parse(self, data: Mapping[str, Any]) -> Parsed:
        """Turn a decoded webhook body into channel-neutral messages and statuses."""

    # Sending

    @abstractmethod
    def format_text(self, markdown: str) -> list[str]:
        """The model's markdown-ish text as this channel shows it, split to fit its limit."""

    @abstractmethod
    def validate(self, message: Outbound) -> list[str]:
        """Every way `message` breaks this channel's limits ([] when it can be sent)."""

    @abstractmethod
    def send(self, account: Account, recipient: str, message: Outbound) -> SendResult:
        """One attempt at sending; never raises for the channel's own refusals."""

    def mark_read(self, account: Account, recipient: str, external_id: str) -> None:  # noqa: B027
        """Show the customer their message was read (best effort; default: nothing)."""

    def typing(self, account: Account, recipient: str, external_id: str) -> None:  # noqa: B027
        """Show a typing indicator before a slow reply (best effort; default: nothing)."""

    def start_reply(self, account: Account, recipient: str, external_id: str) -> None:
        """Show the customer their message was read and a reply is coming (best effort)."""
        self.mark_read(account, recipient, external_id)
        self.typing(account, recipient, external_id)

    def lookup_name(self, account: Account, sender: str) -> str:
        """The customer's name when the webhook carries none ("" when unknown or on failure)."""
        return ""

    def same_address(self, given: str, seen: str) -> bool:
        """Whether an address someone entered (`given`) is the one the channel's webhooks name
        (`seen`): the same one, written the same way, by default."""
        return given == seen

    def reported_failure(self, code: int | None) -> SendError | None:
        """What a failure the channel reported after accepting a send (a `failed` status with
        `code`) means in the outbox's terms, as `StatusUpdate.error` says it (for a status
        kept until its send was recorded, which keeps the code alone). Default: nothing, for
        a channel whose statuses report no failures."""
        return None

    def outside_window(self, message: Outbound, since_last_inbound: timedelta) -> Outbound | None:
        """The message as it may go outside the window, or None when it cannot go at all.

        The default: nothing but a template goes outside the window.
        """
        return message if message.template is not None else None
