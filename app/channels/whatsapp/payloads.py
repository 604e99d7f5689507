"""Parse WhatsApp webhook bodies into frozen dataclasses; never raise on a bad shape."""

from __future__ import annotations

from dataclasses import dataclass

from app.channels.meta import ParseNotes, as_dict, as_int, as_str, error_code
from app.channels.whatsapp.updates import (
    ChangeError,
    Envelope,
    ErrorInfo,
    InboundMessage,
    MessageType,
    StatusKind,
    StatusUpdate,
)

__all__ = [
    "ChangeError",
    "Envelope",
    "ErrorInfo",
    "InboundMessage",
    "MessageType",
    "StatusKind",
    "StatusUpdate",
    "parse_envelope",
]

MAX_UPDATES = 5000
MAX_CONTAINERS = 5000
MAX_ERRORS = 20
MAX_CONTACTS = 100
# wamids are ~60 characters and wa_ids ~15; both are unique keys, and PostgreSQL cannot index
# a key of several kilobytes (the insert fails, and Meta would redeliver it for days).
MAX_ID_LENGTH = 256
OBJECT = "whatsapp_business_account"
# The change field of messages a person sent from the WhatsApp Business app on a number the
# Cloud API shares with it (coexistence).
ECHOES = "smb_message_echoes"
# Echoes that say nothing to the customer: a message taken back or edited (its first sending
# was an echo of its own).
_NOT_SAID = frozenset({"revoke", "edit"})


def parse_envelope(data: object) -> Envelope:
    """Parse a decoded webhook body of any shape into an Envelope."""
    parser = _Parser()
    obj = as_str(data.get("object")) if isinstance(data, dict) else ""
    if not isinstance(data, dict):
        parser.ignore(f"body is {type(data).__name__}, not an object")
    elif obj != OBJECT:
        parser.ignore(f"object={obj[:40]}")
    else:
        for entry in parser.items(data.get("entry"), "entry", MAX_CONTAINERS):
            for change in parser.items(entry.get("changes"), "change", MAX_CONTAINERS):
                parser.change(change)
    return parser.envelope(obj)


class _Parser(ParseNotes):
    """Accumulates updates and skip reasons while walking one body."""

    def __init__(self) -> None:
        super().__init__(MAX_UPDATES)
        self.messages: list[InboundMessage] = []
        self.statuses: list[StatusUpdate] = []
        self.errors: list[ChangeError] = []

    def budget(self, value: object) -> object:
        """Return the part of a list still within the per-body update limit."""
        if not isinstance(value, list):
            return value
        room = max(MAX_UPDATES - self.updates, 0)
        self.dropped += max(len(value) - room, 0)
        taken = value[:room]
        self.updates += len(taken)
        return taken

    def change(self, change: dict) -> None:
        name = change.get("field")
        if name is not None and name not in ("messages", ECHOES):
            self.ignore(f"change field={as_str(name)[:40]}")
            return
        value = change.get("value")
        if not isinstance(value, dict):
            self.ignore("change without value object")
            return
        meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        phone_id, display = (
            as_str(meta.get("phone_number_id")),
            as_str(meta.get("display_phone_number")),
        )
        if name == ECHOES:
            self.echoes(value, phone_id, display)
            return
        contacts = self.items(value.get("contacts"), "contact", MAX_CONTACTS)
        for msg in self.items(self.budget(value.get("messages")), "message", MAX_UPDATES):
            if not as_str(msg.get("id")):
                self.ignore("message without id")
                continue
            if msg.get("group_id") is not None:
                # Written in a group (Meta's groups API): the bot speaks one to one, and an
                # answer sent to the member alone would take a group talk private.
                self.ignore("group message")
                continue
            message = _message(msg, phone_id, display, contacts, self)
            if max(len(message.wamid), len(message.sender), len(message.user_id)) > MAX_ID_LENGTH:
                self.ignore("message id or sender too long")
                continue
            self.messages.append(message)
        for status in self.items(self.budget(value.get("statuses")), "status", MAX_UPDATES):
            if not as_str(status.get("id")):
                self.ignore("status without id")
                continue
            if len(as_str(status.get("id"))) > MAX_ID_LENGTH:
                self.ignore("status id too long")
                continue
            self.statuses.append(_status(status, phone_id, self))
        if value.get("errors") is not None:
            errors = self.error_infos(value.get("errors"))
            if errors:
                self.errors.append(ChangeError(phone_number_id=phone_id, errors=errors))

    def echoes(self, value: dict, phone_id: str, display: str) -> None:
        """Messages a person at the business sent from the WhatsApp Business app on the same
        number (coexistence: `smb_message_echoes`, never the bot's own sends, which go through
        the Cloud API): each is the business answering its customer, `to` them."""
        echoes = self.budget(value.get("message_echoes"))
        for echo in self.items(echoes, "message echo", MAX_UPDATES):
            raw_type = as_str(echo.get("type"))
            if raw_type in _NOT_SAID:
                self.ignore(f"message echo type={raw_type}")
                continue
            wamid, user_id = as_str(echo.get("id")), as_str(echo.get("to_user_id"))
            customer = as_str(echo.get("to")) or user_id
            if not wamid or not customer:
                self.ignore("message echo without id or recipient")
                continue
            if max(len(wamid), len(customer), len(user_id)) > MAX_ID_LENGTH:
                self.ignore("message id or sender too long")
                continue
            kind = MessageType(raw_type)
            self.messages.append(
                InboundMessage(
                    phone_number_id=phone_id,
                    display_phone_number=display,
                    wamid=wamid,
                    sender=customer,
                    profile_name="",
                    timestamp=as_int(echo.get("timestamp")),
                    type=kind,
                    raw_type=raw_type,
                    text=_text(kind, echo),
                    context_wamid=as_str(as_dict(echo.get("context")).get("id")) or None,
                    errors=(),
                    payload="",
                    raw=echo,
                    user_id=user_id,
                    from_business=True,
                )
            )

    def error_infos(self, value: object) -> tuple[ErrorInfo, ...]:
        return tuple(_error(e) for e in self.items(value, "error", MAX_ERRORS))

    def envelope(self, obj: str) -> Envelope:
        reasons = self.ignored()
        return Envelope(
            object=obj,
            messages=tuple(self.messages),
            statuses=tuple(self.statuses),
            errors=tuple(self.errors),
            ignored=reasons,
        )


def _message(
    msg: dict, phone_id: str, display: str, contacts: list[dict], parser: _Parser
) -> InboundMessage:
    raw_type = as_str(msg.get("type"))
    kind = MessageType(raw_type)
    change = _identity_change(kind, msg)
    # A notice of a changed id speaks of the sender as they were: their previous BSUID.
    user_id = change.previous_user_id or as_str(msg.get("from_user_id"))
    sender, name, user_id = _who(as_str(msg.get("from")), user_id, contacts)
    context = as_dict(msg.get("context"))
    return InboundMessage(
        phone_number_id=phone_id,
        display_phone_number=display,
        wamid=as_str(msg.get("id")),
        sender=sender,
        profile_name=name,
        timestamp=as_int(msg.get("timestamp")),
        type=kind,
        raw_type=raw_type,
        text=_text(kind, msg),
        context_wamid=as_str(context.get("id")) or None,
        errors=parser.error_infos(msg.get("errors")),
        payload=_payload(kind, msg),
        raw=msg,
        user_id=user_id,
        new_number=change.new_number,
        new_user_id=change.new_user_id if change.new_user_id != user_id else "",
    )


@dataclass(frozen=True)
class _IdentityChange:
    new_number: str = ""
    new_user_id: str = ""
    previous_user_id: str = ""


_NO_CHANGE = _IdentityChange()


def _identity_change(kind: MessageType, msg: dict) -> _IdentityChange:
    """What WhatsApp's notice that the sender changed their number (`user_changed_number`) or
    their BSUID (`user_changed_user_id`) says: the new number, the new BSUID (a number change
    makes a new one too), the previous BSUID. Nothing for any other message."""
    system = as_dict(msg.get("system")) if kind is MessageType.SYSTEM else {}
    change = as_str(system.get("type"))
    if change not in ("user_changed_number", "user_changed_user_id"):
        return _NO_CHANGE
    number = as_str(system.get("wa_id")) if change == "user_changed_number" else ""
    return _IdentityChange(
        new_number=number if number.isdigit() and len(number) <= MAX_ID_LENGTH else "",
        new_user_id=_short(as_str(system.get("user_id"))),
        previous_user_id=_short(as_str(system.get("previous_user_id"))),
    )


def _short(user_id: str) -> str:
    return user_id if len(user_id) <= MAX_ID_LENGTH else ""


def _who(sender: str, user_id: str, contacts: list[dict]) -> tuple[str, str, str]:
    """Return (sender, profile name, BSUID), preferring `from` and the contact that matches it;
    the sender is the phone number when the message gives one, else the BSUID."""
    keys = {k for k in (sender, user_id) if k}
    match = next(
        (c for c in contacts if keys & {as_str(c.get("wa_id")), as_str(c.get("user_id"))} - {""}),
        None,
    )
    # With several contacts and nothing to match, guessing could answer the wrong customer.
    if match is None and len(contacts) == 1:
        match = contacts[0]
    contact = match or {}
    user_id = user_id or as_str(contact.get("user_id"))
    sender = sender or as_str(contact.get("wa_id")) or user_id
    return sender, as_str(as_dict(contact.get("profile")).get("name")), user_id


def _text(kind: MessageType, msg: dict) -> str:
    """Return what a bot would read from the message body."""
    body = as_dict(msg.get(kind.value))
    if kind is MessageType.TEXT:
        return as_str(body.get("body"))
    if kind is MessageType.BUTTON:
        return as_str(body.get("text")) or as_str(body.get("payload"))
    if kind is MessageType.INTERACTIVE:
        reply = as_dict(body.get("button_reply")) or as_dict(body.get("list_reply"))
        title, description = as_str(reply.get("title")), as_str(reply.get("description"))
        return f"{title} ({description})" if title and description else title
    if kind in (MessageType.IMAGE, MessageType.VIDEO, MessageType.DOCUMENT):
        return as_str(body.get("caption"))
    if kind is MessageType.LOCATION:
        return ", ".join(p for p in (as_str(body.get("name")), as_str(body.get("address"))) if p)
    if kind is MessageType.REACTION:
        return as_str(body.get("emoji"))
    if kind is MessageType.SYSTEM:
        return as_str(body.get("body"))
    if kind is MessageType.ORDER:
        return as_str(body.get("text"))  # the note a customer may add to a cart
    return ""


def _payload(kind: MessageType, msg: dict) -> str:
    """Return the id of a tapped reply button or list row, or a template button's payload."""
    body = as_dict(msg.get(kind.value))
    if kind is MessageType.INTERACTIVE:
        return as_str(
            (as_dict(body.get("button_reply")) or as_dict(body.get("list_reply"))).get("id")
        )
    if kind is MessageType.BUTTON:
        return as_str(body.get("payload"))
    return ""


def _status(status: dict, phone_id: str, parser: _Parser) -> StatusUpdate:
    raw_status = as_str(status.get("status"))
    return StatusUpdate(
        phone_number_id=phone_id,
        wamid=as_str(status.get("id")),
        status=StatusKind(raw_status),
        raw_status=raw_status,
        recipient_id=as_str(status.get("recipient_id")) or as_str(status.get("recipient_user_id")),
        timestamp=as_int(status.get("timestamp")),
        errors=parser.error_infos(status.get("errors")),
    )


def _error(error: dict) -> ErrorInfo:
    # Older payloads put `details` at the top level instead of under error_data.
    details = as_str(as_dict(error.get("error_data")).get("details")) or as_str(
        error.get("details")
    )
    return ErrorInfo(
        code=error_code(error.get("code")),
        title=as_str(error.get("title")),
        message=as_str(error.get("message")),
        details=details,
    )
