"""The WhatsApp backend of the Channel port: a business's WhatsApp number on the Cloud API."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from app.channels.base import (
    Account,
    Capability,
    DeliveryStatus,
    Inbound,
    InboundKind,
    Outbound,
    Parsed,
    SendError,
    StatusUpdate,
)
from app.channels.graph import GraphChannel, GraphClient, GraphError
from app.channels.meta import is_object
from app.channels.whatsapp import errors, formatting, messages, payloads
from app.channels.whatsapp.updates import (
    ErrorInfo,
    InboundMessage,
    MessageType,
    StatusKind,
)
from app.channels.whatsapp.updates import StatusUpdate as WhatsAppStatus

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
_KINDS = {
    MessageType.TEXT: InboundKind.TEXT,
    MessageType.INTERACTIVE: InboundKind.CHOICE,
    MessageType.BUTTON: InboundKind.CHOICE,
    MessageType.IMAGE: InboundKind.MEDIA,
    MessageType.AUDIO: InboundKind.MEDIA,
    MessageType.VIDEO: InboundKind.MEDIA,
    MessageType.DOCUMENT: InboundKind.MEDIA,
    MessageType.STICKER: InboundKind.MEDIA,
    MessageType.LOCATION: InboundKind.LOCATION,
    MessageType.CONTACTS: InboundKind.CONTACTS,
    MessageType.REACTION: InboundKind.REACTION,
    MessageType.SYSTEM: InboundKind.SYSTEM,
    MessageType.REQUEST_WELCOME: InboundKind.WELCOME,
}
# "played" (a voice message listened to) is past "read"; deleted and warning say nothing about
# delivery.
_STATUSES = {
    StatusKind.SENT: DeliveryStatus.SENT,
    StatusKind.DELIVERED: DeliveryStatus.DELIVERED,
    StatusKind.READ: DeliveryStatus.READ,
    StatusKind.PLAYED: DeliveryStatus.READ,
    StatusKind.FAILED: DeliveryStatus.FAILED,
}
COURTESY_TIMEOUT = 3.0  # read receipts and typing: never worth holding a reply for


class WhatsAppChannel(GraphChannel):
    """WhatsApp through the Cloud API, one attempt per call (the outbox retries)."""

    name = CHANNEL
    title = "WhatsApp"
    limits = formatting.LIMITS

    def same_address(self, given: str, seen: str) -> bool:
        """A number entered as dialled is the WhatsApp id webhooks carry, also where the two are
        written differently: Mexico's ids of older accounts keep the mobile "1" after 52
        (521 55 1234 5678 for 52 55 1234 5678), and Brazil's leave out the mobile "9" after
        the area code (55 11 8765 4321 for 55 11 98765 4321)."""
        return bool(given) and bool(_number_forms(given) & _number_forms(seen))

    capabilities = frozenset(
        {
            Capability.REPLY_BUTTONS,
            Capability.LISTS,
            Capability.TEMPLATES,
            Capability.TYPING,
            Capability.READ_RECEIPTS,
        }
    )
    default_rate = 80.0  # Cloud API throughput per number, messages per second

    def __init__(self, base_url: str, version: str, timeout: float = 10.0) -> None:
        self.graph = GraphClient(CHANNEL, base_url, version, timeout, _classify, _wamid)

    # Receiving

    def accepts(self, data: Mapping[str, Any]) -> bool:
        return is_object(data) and data.get("object") == payloads.OBJECT

    def parse(self, data: Mapping[str, Any]) -> Parsed:
        envelope = payloads.parse_envelope(data)
        return Parsed(
            channel=CHANNEL,
            messages=tuple(inbound(m) for m in envelope.messages),
            statuses=tuple(s for s in map(status_update, envelope.statuses) if s is not None),
            ignored=envelope.ignored + _unknown_statuses(envelope.statuses),
            errors=tuple(
                f"errors for {e.phone_number_id[:40]}: {_codes(e.errors)}" for e in envelope.errors
            ),
        )

    # Sending

    def format_text(self, markdown: str) -> list[str]:
        return formatting.format_text(markdown)

    def validate(self, message: Outbound) -> list[str]:
        return messages.validate(message)

    def request_body(self, recipient: str, message: Outbound) -> dict[str, Any]:
        return messages.request_body(recipient, message)

    def outside_window(self, message: Outbound, since_last_inbound: timedelta) -> Outbound | None:
        """Only an approved template goes outside the window, its parameters made acceptable."""
        if message.template is None:
            return None
        parameters = tuple(_parameter(p) for p in message.template.parameters)
        return Outbound(template=replace(message.template, parameters=parameters))

    def reported_failure(self, code: int | None) -> SendError | None:
        return reported_failure(code)

    def mark_read(self, account: Account, recipient: str, external_id: str) -> None:
        self._receipt(account, external_id, typing=False)

    def typing(self, account: Account, recipient: str, external_id: str) -> None:
        # WhatsApp shows typing only together with a read receipt for the customer's message.
        self._receipt(account, external_id, typing=True)

    def start_reply(self, account: Account, recipient: str, external_id: str) -> None:
        self._receipt(account, external_id, typing=True)  # one call marks read and types

    def _receipt(self, account: Account, external_id: str, typing: bool) -> None:
        if not external_id:
            return
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": external_id,
        }
        if typing:
            payload["typing_indicator"] = {"type": "text"}
        result = self.graph.post(account, payload, timeout=COURTESY_TIMEOUT)
        if not result.ok:
            log.info("whatsapp read receipt failed: code=%s", result.error_code)


def _number_forms(number: str) -> set[str]:
    """A WhatsApp number (digits, country code first) and the other way its id may be written."""
    forms = {number}
    if number.startswith("521") and len(number) == 13:
        forms.add("52" + number[3:])
    elif number.startswith("52") and len(number) == 12:
        forms.add("521" + number[2:])
    elif number.startswith("55") and len(number) == 13 and number[4] == "9" and number[5] in "6789":
        forms.add(number[:4] + number[5:])
    elif number.startswith("55") and len(number) == 12 and number[4] in "6789":
        forms.add(number[:4] + "9" + number[4:])
    return forms


def inbound(message: InboundMessage) -> Inbound:
    """A parsed WhatsApp message in the port's terms."""
    return Inbound(
        channel=CHANNEL,
        account_id=message.phone_number_id,
        external_id=message.wamid,
        sender=message.sender,
        profile_name=message.profile_name,
        sent_at=_time(message.timestamp),
        kind=_KINDS.get(message.type, InboundKind.OTHER),
        raw_type=message.raw_type or message.type.value,
        text=message.text,
        payload=message.payload,
        reply_to=message.context_wamid,
        raw=message.raw,
        user_id=message.user_id,
        # A customer known by their BSUID alone is addressed by it: a new BSUID is a new address.
        new_sender=message.new_number
        or (message.new_user_id if message.user_id and message.sender == message.user_id else ""),
        new_user_id=message.new_user_id,
        from_business=message.from_business,
    )


def status_update(status: WhatsAppStatus) -> StatusUpdate | None:
    """A parsed WhatsApp status in the port's terms (None for news that is not delivery)."""
    kind = _STATUSES.get(status.status)
    if kind is None:
        return None
    first: ErrorInfo | None = status.errors[0] if status.errors else None
    return StatusUpdate(
        channel=CHANNEL,
        account_id=status.phone_number_id,
        external_id=status.wamid,
        recipient=status.recipient_id,
        status=kind,
        at=_time(status.timestamp),
        error_code=first.code if first else None,
        error_title=(first.title or first.message) if first else "",
        error=reported_failure(first.code) if first and kind is DeliveryStatus.FAILED else None,
    )


def reported_failure(code: int | None) -> SendError:
    """Meta reports many refusals only in a `failed` status, after accepting the send (its own
    trouble and throttles among them): classified as a refused send is."""
    return errors.classify(0, code)


def _classify(http_status: int, error: GraphError):
    return errors.classify(http_status, error.code)


def _wamid(body: Mapping[str, Any]) -> object:
    """The message id of an accepted send: `messages[0].id`."""
    sent = body.get("messages")
    first = sent[0] if isinstance(sent, list) and sent else {}
    return first.get("id") if isinstance(first, Mapping) else None


def _unknown_statuses(statuses: tuple[WhatsAppStatus, ...]) -> tuple[str, ...]:
    skipped = sorted({s.raw_status[:40] for s in statuses if s.status not in _STATUSES})
    return tuple(f"status={name}" for name in skipped)


def _time(stamp: int | None) -> datetime | None:
    """Meta's seconds since the epoch as an aware UTC datetime (None when absent or absurd)."""
    if stamp is None:
        return None
    try:
        return datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _parameter(text: str) -> str:
    """Template parameters may hold no new line, tab or run of spaces: make the text one line.
    One too long (a staff reply is refused before that; a window that closed between queueing
    and sending) is cut at a word, with "…" to show it was."""
    line = " ".join(text.split())
    most = messages.TEMPLATE_PARAMETER_CHARS
    if len(line) <= most:
        return line
    cut = line[: most - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def _codes(errors: tuple[ErrorInfo, ...]) -> str:
    return ", ".join(str(e.code) for e in errors) or "no code"
