"""The Graph API as Meta's channels send through it: one POST to `/{version}/{account}/messages`
per message, and the error body every failure answers with (WhatsApp and Messenger alike)."""

from __future__ import annotations

import json
import logging
import math
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from app.channels.base import Account, Channel, Outbound, SendError, SendResult
from app.channels.meta import as_dict, error_code

log = logging.getLogger(__name__)

MAX_TITLE = 200
MAX_RETRY_AFTER = 24 * 3600.0


@dataclass(frozen=True)
class GraphError:
    """A Graph API error body, read without trusting its shape."""

    code: int | None
    subcode: int | None
    title: str


def error_fields(body: Mapping[str, Any], http_status: int) -> GraphError:
    """Return the code, subcode and message of a Graph API error body of any shape."""
    error = as_dict(body.get("error"))
    title = error.get("message") or error.get("type") or f"HTTP {http_status}"
    code, subcode = error_code(error.get("code")), error_code(error.get("error_subcode"))
    return GraphError(code, subcode, str(title)[:MAX_TITLE])


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the wait in seconds the response asked for, if it said.

    `Retry-After` (seconds) first; else the business-use-case usage header, whose
    `estimated_time_to_regain_access` is in minutes.
    """
    seconds = _seconds(headers.get("Retry-After"))
    if seconds is not None:
        return seconds
    raw = headers.get("X-Business-Use-Case-Usage")
    try:
        usage = json.loads(raw) if raw and len(raw) < 10_000 else None
    except ValueError:
        return None
    waits = [
        _seconds(item.get("estimated_time_to_regain_access"), scale=60)
        for items in (usage.values() if isinstance(usage, dict) else ())
        if isinstance(items, list)
        for item in items
        if isinstance(item, dict)
    ]
    waits = [w for w in waits if w]
    return max(waits) if waits else None


class GraphClient:
    """One HTTP session to the Graph API for one channel: one attempt per call, never raising.

    Retries belong to the outbox, which knows how long a message is worth trying and how fast
    the account may send; an attempt here only says how it went, in the port's terms.
    """

    def __init__(
        self,
        channel: str,
        base_url: str,
        version: str,
        timeout: float,
        classify: Callable[[int, GraphError], SendError],
        message_id: Callable[[Mapping[str, Any]], object],
    ) -> None:
        self.channel = channel
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.timeout = timeout
        self.classify = classify  # an error response in the outbox's terms
        self.message_id = message_id  # the sent message's id in a success response
        self.session = requests.Session()

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def post(self, account: Account, body: dict[str, Any], timeout: float = 0) -> SendResult:
        """POST one body to the account's messages endpoint; return the outcome."""
        url = f"{self.base_url}/{self.version}/{quote(account.account_id, safe='')}/messages"
        try:
            response = self.session.post(
                url, json=body, headers=_auth(account), timeout=timeout or self.timeout
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            return SendResult(False, error=SendError.RETRY_LATER, error_title=type(exc).__name__)
        except requests.RequestException as exc:
            return SendResult(False, error=SendError.NEVER_RETRY, error_title=type(exc).__name__)
        data = response_json(response)
        if 200 <= response.status_code < 300:
            # Read receipts and sender actions answer without a message id: still a success.
            message_id = self.message_id(data)
            return SendResult(True, external_id=message_id if isinstance(message_id, str) else None)
        error = error_fields(data, response.status_code)
        kind = self.classify(response.status_code, error)
        log.warning(
            "%s send failed: account=%s http=%s code=%s subcode=%s error=%s",
            self.channel,
            account.account_id,
            response.status_code,
            error.code,
            error.subcode,
            kind.value,
        )
        return SendResult(
            False,
            error=kind,
            error_code=error.code,
            error_title=error.title,
            retry_after=retry_after(response.headers),
        )

    def get(
        self, account: Account, node: str, params: dict[str, str], timeout: float
    ) -> tuple[int, Mapping[str, Any]] | None:
        """GET a node (its id quoted into the path): (HTTP status, JSON body), None on failure."""
        url = f"{self.base_url}/{self.version}/{quote(node, safe='')}"
        try:
            response = self.session.get(url, params=params, headers=_auth(account), timeout=timeout)
        except requests.RequestException as exc:
            log.info("%s graph request failed: %s", self.channel, type(exc).__name__)
            return None
        return response.status_code, response_json(response)


class GraphChannel(Channel):
    """A channel on Meta's Graph API: each message is one POST to the account's messages."""

    graph: GraphClient

    def close(self) -> None:
        """Close pooled connections."""
        self.graph.close()

    def send(self, account: Account, recipient: str, message: Outbound) -> SendResult:
        problems = self.validate(message)
        if not recipient:
            problems.insert(0, "no recipient")
        if problems:
            return SendResult(False, error=SendError.NEVER_RETRY, error_title="; ".join(problems))
        return self.graph.post(account, self.request_body(recipient, message))

    @abstractmethod
    def request_body(self, recipient: str, message: Outbound) -> dict[str, Any]:
        """The JSON body that sends a valid `message` to `recipient`."""


def response_json(response: requests.Response) -> dict:
    """The response's JSON object ({} when it has none)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _auth(account: Account) -> dict[str, str]:
    # The Graph API takes the token as a Bearer header as well as in `access_token`; a header
    # keeps it out of URLs, and so out of proxies' and our own logs.
    return {"Authorization": f"Bearer {account.access_token}"}


def _seconds(value: object, scale: float = 1) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value) * scale
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER)
