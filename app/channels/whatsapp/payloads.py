"""Parse WhatsApp webhook bodies into frozen dataclasses; never raise on a bad shape."""

from __future__ import annotations

import math

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
MAX_REASONS = 50
# wamids are ~60 characters and wa_ids ~15; both are unique keys, and PostgreSQL cannot index
# a key of several kilobytes (the insert fails, and Meta would redeliver it for days).
MAX_ID_LENGTH = 256
OBJECT = "whatsapp_business_account"


def parse_envelope(data: object) -> Envelope:
    """Parse a decoded webhook body of any shape into an Envelope."""
    parser = _Parser()
    obj = _s(data.get("object")) if isinstance(data, dict) else ""
    if not isinstance(data, dict):
        parser.ignore(f"body is {type(data).__name__}, not an object")
    elif obj != OBJECT:
        parser.ignore(f"object={obj[:40]}")
    else:
        for entry in parser.items(data.get("entry"), "entry", MAX_CONTAINERS):
            for change in parser.items(entry.get("changes"), "change", MAX_CONTAINERS):
                parser.change(change)
    return parser.envelope(obj)


class _Parser:
    """Accumulates updates and skip reasons while walking one body."""

    def __init__(self) -> None:
        self.messages: list[InboundMessage] = []
        self.statuses: list[StatusUpdate] = []
        self.errors: list[ChangeError] = []
        self.reasons: dict[str, int] = {}
        self.updates = 0
        self.dropped = 0

    def ignore(self, reason: str) -> None:
        if reason in self.reasons or len(self.reasons) < MAX_REASONS:
            self.reasons[reason] = self.reasons.get(reason, 0) + 1
        else:
            self.reasons["other"] = self.reasons.get("other", 0) + 1

    def items(self, value: object, what: str, limit: int) -> list[dict]:
        """Return the dict items of a list, ignoring everything else."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.ignore(f"{what} list is {type(value).__name__}")
            return []
        if len(value) > limit:
            self.ignore(f"{what} list over {limit}: {len(value) - limit} ignored")
        good = [item for item in value[:limit] if isinstance(item, dict)]
        if len(good) < min(len(value), limit):
            self.ignore(f"{what} not an object")
        return good

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
        if name is not None and name != "messages":
            self.ignore(f"change field={_s(name)[:40]}")
            return
        value = change.get("value")
        if not isinstance(value, dict):
            self.ignore("change without value object")
            return
        meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        phone_id, display = _s(meta.get("phone_number_id")), _s(meta.get("display_phone_number"))
        contacts = self.items(value.get("contacts"), "contact", MAX_CONTACTS)
        for msg in self.items(self.budget(value.get("messages")), "message", MAX_UPDATES):
            if not _s(msg.get("id")):
                self.ignore("message without id")
                continue
            message = _message(msg, phone_id, display, contacts, self)
            if max(len(message.wamid), len(message.sender)) > MAX_ID_LENGTH:
                self.ignore("message id or sender too long")
                continue
            self.messages.append(message)
        for status in self.items(self.budget(value.get("statuses")), "status", MAX_UPDATES):
            if not _s(status.get("id")):
                self.ignore("status without id")
                continue
            if len(_s(status.get("id"))) > MAX_ID_LENGTH:
                self.ignore("status id too long")
                continue
            self.statuses.append(_status(status, phone_id, self))
        if value.get("errors") is not None:
            errors = self.error_infos(value.get("errors"))
            if errors:
                self.errors.append(ChangeError(phone_number_id=phone_id, errors=errors))

    def error_infos(self, value: object) -> tuple[ErrorInfo, ...]:
        return tuple(_error(e) for e in self.items(value, "error", MAX_ERRORS))

    def envelope(self, obj: str) -> Envelope:
        if self.dropped:
            self.ignore(f"update limit {MAX_UPDATES}: {self.dropped} ignored")
        reasons = tuple(r if n == 1 else f"{r} (x{n})" for r, n in self.reasons.items())
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
    raw_type = _s(msg.get("type"))
    kind = MessageType(raw_type)
    sender, name = _who(_s(msg.get("from")), _s(msg.get("from_user_id")), contacts)
    context = _d(msg.get("context"))
    return InboundMessage(
        phone_number_id=phone_id,
        display_phone_number=display,
        wamid=_s(msg.get("id")),
        sender=sender,
        profile_name=name,
        timestamp=_int(msg.get("timestamp")),
        type=kind,
        raw_type=raw_type,
        text=_text(kind, msg),
        context_wamid=_s(context.get("id")) or None,
        errors=parser.error_infos(msg.get("errors")),
        payload=_payload(kind, msg),
        raw=msg,
    )


def _who(sender: str, user_id: str, contacts: list[dict]) -> tuple[str, str]:
    """Return (sender, profile name), preferring `from` and the contact that matches it."""
    keys = {k for k in (sender, user_id) if k}
    match = next(
        (c for c in contacts if keys & {_s(c.get("wa_id")), _s(c.get("user_id"))} - {""}), None
    )
    # With several contacts and nothing to match, guessing could answer the wrong customer.
    if match is None and len(contacts) == 1:
        match = contacts[0]
    contact = match or {}
    sender = sender or _s(contact.get("wa_id")) or _s(contact.get("user_id")) or user_id
    return sender, _s(_d(contact.get("profile")).get("name"))


def _text(kind: MessageType, msg: dict) -> str:
    """Return what a bot would read from the message body."""
    body = _d(msg.get(kind.value))
    if kind is MessageType.TEXT:
        return _s(body.get("body"))
    if kind is MessageType.BUTTON:
        return _s(body.get("text")) or _s(body.get("payload"))
    if kind is MessageType.INTERACTIVE:
        reply = _d(body.get("button_reply")) or _d(body.get("list_reply"))
        title, description = _s(reply.get("title")), _s(reply.get("description"))
        return f"{title} ({description})" if title and description else title
    if kind in (MessageType.IMAGE, MessageType.VIDEO, MessageType.DOCUMENT):
        return _s(body.get("caption"))
    if kind is MessageType.LOCATION:
        return ", ".join(p for p in (_s(body.get("name")), _s(body.get("address"))) if p)
    if kind is MessageType.REACTION:
        return _s(body.get("emoji"))
    if kind is MessageType.SYSTEM:
        return _s(body.get("body"))
    if kind is MessageType.ORDER:
        return _s(body.get("text"))  # the note a customer may add to a cart
    return ""


def _payload(kind: MessageType, msg: dict) -> str:
    """Return the id of a tapped reply button or list row, or a template button's payload."""
    body = _d(msg.get(kind.value))
    if kind is MessageType.INTERACTIVE:
        return _s((_d(body.get("button_reply")) or _d(body.get("list_reply"))).get("id"))
    if kind is MessageType.BUTTON:
        return _s(body.get("payload"))
    return ""


def _status(status: dict, phone_id: str, parser: _Parser) -> StatusUpdate:
    raw_status = _s(status.get("status"))
    return StatusUpdate(
        phone_number_id=phone_id,
        wamid=_s(status.get("id")),
        status=StatusKind(raw_status),
        raw_status=raw_status,
        recipient_id=_s(status.get("recipient_id")) or _s(status.get("recipient_user_id")),
        timestamp=_int(status.get("timestamp")),
        errors=parser.error_infos(status.get("errors")),
    )


def _error(error: dict) -> ErrorInfo:
    # Older payloads put `details` at the top level instead of under error_data.
    details = _s(_d(error.get("error_data")).get("details")) or _s(error.get("details"))
    return ErrorInfo(
        code=_int(error.get("code")),
        title=_s(error.get("title")),
        message=_s(error.get("message")),
        details=details,
    )


def _s(value: object) -> str:
    """Return value as a string when it is one (or an integer id), else ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _d(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int | None:
    """Return an int from an int or a digit string (Meta sends timestamps as strings)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        return int(value)
    return None
