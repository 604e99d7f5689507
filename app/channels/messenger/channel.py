"""The Messenger backend of the Channel port: a Facebook Page talking to its customers."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import requests

from app.channels.base import (
    Account,
    Capability,
    Channel,
    Outbound,
    Parsed,
    SendError,
    SendResult,
)
from app.channels.messenger import errors, formatting
from app.channels.messenger import parse as payloads

log = logging.getLogger(__name__)

HUMAN_AGENT_WINDOW = timedelta(days=7)
MAX_NAME = 200
# PSIDs are digits; anything else in a URL path segment is refused before any request.
_PSID = re.compile(r"^[0-9A-Za-z_-]{1,256}$")


class MessengerChannel(Channel):
    """Messenger through the Graph API Send API, one attempt per call (the outbox retries)."""

    name = payloads.CHANNEL
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
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.timeout = timeout
        self.courtesy_timeout = courtesy_timeout  # typing, mark_seen, name lookups
        self.session = requests.Session()

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

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

    def send(self, account: Account, recipient: str, message: Outbound) -> SendResult:
        problems = self.validate(message)
        if not recipient:
            problems.insert(0, "no recipient")
        if problems:
            return SendResult(False, error=SendError.NEVER_RETRY, error_title="; ".join(problems))
        body = formatting.request_body(recipient, message)
        return self._post(account, body, self.timeout)

    def mark_read(self, account: Account, recipient: str, external_id: str) -> None:
        self._sender_action(account, recipient, "mark_seen")

    def typing(self, account: Account, recipient: str, external_id: str) -> None:
        self._sender_action(account, recipient, "typing_on")

    def lookup_name(self, account: Account, sender: str) -> str:
        """Return "First Last" from the User Profile API; "" on any failure."""
        if not _PSID.match(sender):
            return ""
        url = f"{self.base_url}/{self.version}/{quote(sender, safe='')}"
        try:
            response = self.session.get(
                url,
                params={"fields": "first_name,last_name"},
                headers=_auth(account),
                timeout=self.courtesy_timeout,
            )
        except requests.RequestException as exc:
            log.info("messenger name lookup failed: %s", type(exc).__name__)
            return ""
        body = _json(response)
        if response.status_code != 200:
            code, subcode, _ = errors.error_fields(body)
            log.info("messenger name lookup refused: code=%s subcode=%s", code, subcode)
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
        result = self._post(account, body, self.courtesy_timeout)
        if not result.ok:
            log.info("messenger %s failed: code=%s", action, result.error_code)

    def _post(self, account: Account, body: dict[str, Any], timeout: float) -> SendResult:
        url = f"{self.base_url}/{self.version}/{quote(account.account_id, safe='')}/messages"
        try:
            response = self.session.post(url, json=body, headers=_auth(account), timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            return SendResult(False, error=SendError.RETRY_LATER, error_title=type(exc).__name__)
        except requests.RequestException as exc:
            return SendResult(False, error=SendError.NEVER_RETRY, error_title=type(exc).__name__)
        data = _json(response)
        if 200 <= response.status_code < 300:
            message_id = data.get("message_id")
            return SendResult(True, external_id=message_id if isinstance(message_id, str) else None)
        code, subcode, title = errors.error_fields(data)
        error = errors.classify(response.status_code, code, subcode)
        log.warning(
            "messenger send failed: page_id=%s http=%s code=%s subcode=%s error=%s",
            account.account_id,
            response.status_code,
            code,
            subcode,
            error.value,
        )
        return SendResult(
            False,
            error=error,
            error_code=code,
            error_title=title or f"HTTP {response.status_code}",
            retry_after=errors.retry_after(response.headers),
        )


def _auth(account: Account) -> dict[str, str]:
    # The Graph API takes the page token as a Bearer header as well as in `access_token`;
    # a header keeps it out of URLs, and so out of proxies' and our own logs.
    return {"Authorization": f"Bearer {account.access_token}"}


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
