"""The Messenger backend of the Channel port: a Facebook Page talking to its customers."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from app.channels.base import Account, Capability, Outbound, Parsed
from app.channels.graph import GraphChannel, GraphClient, error_fields
from app.channels.messenger import errors, formatting
from app.channels.messenger import parse as payloads

log = logging.getLogger(__name__)

HUMAN_AGENT_WINDOW = timedelta(days=7)
MAX_NAME = 200
# PSIDs are digits; anything else in a URL path segment is refused before any request.
_PSID = re.compile(r"^[0-9A-Za-z_-]{1,256}$")


class MessengerChannel(GraphChannel):
    """Messenger through the Graph API Send API, one attempt per call (the outbox retries)."""

    name = payloads.CHANNEL
    title = "Messenger"
    limits = formatting.LIMITS
    capabilities = frozenset(
        {
            Capability.QUICK_REPLIES,
            Capability.MESSAGE_TAGS,
            Capability.TYPING,
            Capability.READ_RECEIPTS,
            Capability.NAME_LOOKUP,
        }
    )
    # Meta allows 300 Send API calls per second per Page for text. A reply may cost three
    # (mark_seen, typing_on, the message), so 100 messages/s is the ceiling; 80 leaves room.
    default_rate = 80.0

    def __init__(
        self,
        base_url: str,
        version: str,
        timeout: float = 10.0,
        courtesy_timeout: float = 3.0,
    ) -> None:
        self.graph = GraphClient(
            payloads.CHANNEL, base_url, version, timeout, errors.classify, _message_id
        )
        self.courtesy_timeout = courtesy_timeout  # typing, mark_seen, name lookups

    # Receiving

    def accepts(self, data: Mapping[str, Any]) -> bool:
        return payloads.accepts(data)

    def parse(self, data: Mapping[str, Any]) -> Parsed:
        return payloads.parse(data)

    # Sending

    def format_text(self, markdown: str) -> list[str]:
        return formatting.format_text(markdown)

    def validate(self, message: Outbound) -> list[str]:
        return formatting.validate(message)

    def request_body(self, recipient: str, message: Outbound) -> dict[str, Any]:
        return formatting.request_body(recipient, message)

    def mark_read(self, account: Account, recipient: str, external_id: str) -> None:
        self._sender_action(account, recipient, "mark_seen")

    def typing(self, account: Account, recipient: str, external_id: str) -> None:
        self._sender_action(account, recipient, "typing_on")

    def lookup_name(self, account: Account, sender: str) -> str:
        """Return "First Last" from the User Profile API; "" on any failure."""
        if not _PSID.match(sender):
            return ""
        fields = {"fields": "first_name,last_name"}
        answer = self.graph.get(account, sender, fields, self.courtesy_timeout)
        if answer is None:
            return ""
        status, body = answer
        if status != 200:
            error = error_fields(body, status)
            log.info("messenger name lookup refused: code=%s subcode=%s", error.code, error.subcode)
            return ""
        parts = (body.get("first_name"), body.get("last_name"))
        return " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())[:MAX_NAME]

    def outside_window(self, message: Outbound, since_last_inbound: timedelta) -> Outbound | None:
        """Appointment updates go any time; a person may answer for 7 days; nothing else."""
        if message.tag == "CONFIRMED_EVENT_UPDATE":
            return message
        if message.tag == "HUMAN_AGENT" and since_last_inbound <= HUMAN_AGENT_WINDOW:
            return message
        return None

    def _sender_action(self, account: Account, recipient: str, action: str) -> None:
        """Best effort: one short attempt, failures only logged."""
        if not recipient:
            return
        body = {"recipient": {"id": recipient}, "sender_action": action}
        result = self.graph.post(account, body, self.courtesy_timeout)
        if not result.ok:
            log.info("messenger %s failed: code=%s", action, result.error_code)


def _message_id(body: Mapping[str, Any]) -> object:
    return body.get("message_id")
