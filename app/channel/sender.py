"""Send messages and read receipts through Meta's Graph API, retrying what is worth retrying."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

log = logging.getLogger(__name__)

# Rate limits (130429 throughput, 131056 pair) and Meta's own "something went wrong".
RETRY_CODES = frozenset({130429, 131056, 131000})
# Outside the 24h window, undeliverable, bad parameter, bad token: retrying cannot help.
NEVER_RETRY_CODES = frozenset({131047, 131026, 100, 190})


class GraphUnavailable(RuntimeError):
    """WhatsApp could not take a message now (rate limit, 5xx, network); it stays queued."""


@dataclass(frozen=True)
class SendResult:
    """Outcome of one Graph API call after all its attempts."""

    ok: bool
    wamid: str | None
    error_code: int | None
    error_title: str
    attempts: int
    retryable: bool


class GraphClient:
    """A small client for the `/{phone_number_id}/messages` endpoint."""

    def __init__(
        self,
        base_url: str,
        version: str,
        timeout: float = 10.0,
        max_attempts: int = 4,
        backoff_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.sleep = sleep
        self.session = requests.Session()

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def send_text(self, phone_number_id: str, access_token: str, to: str, body: str) -> SendResult:
        """Send a text message; return its wamid on success."""
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": False, "body": body},
        }
        return self._post(phone_number_id, access_token, payload)

    def mark_read(
        self, phone_number_id: str, access_token: str, wamid: str, typing: bool = True
    ) -> SendResult:
        """Mark an inbound message read, optionally showing a typing indicator."""
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid,
        }
        if typing:
            payload["typing_indicator"] = {"type": "text"}
        # A courtesy: one attempt, so a struggling API never delays the customer's reply.
        return self._post(phone_number_id, access_token, payload, max_attempts=1)

    def _post(
        self, phone_number_id: str, access_token: str, payload: dict, max_attempts: int = 0
    ) -> SendResult:
        url = f"{self.base_url}/{self.version}/{quote(phone_number_id, safe='')}/messages"
        headers = {"Authorization": f"Bearer {access_token}"}
        result = _failure(None, "not attempted", 0, retryable=False)
        attempts = max_attempts or self.max_attempts
        for attempt in range(1, attempts + 1):
            result = self._attempt(url, headers, payload, attempt)
            if result.ok or not result.retryable:
                return result
            log.warning(
                "graph send failed: phone_number_id=%s code=%s attempt=%d/%d",
                phone_number_id,
                result.error_code,
                attempt,
                attempts,
            )
            if attempt < attempts:
                self.sleep(self._backoff(attempt - 1))
        return result

    def _attempt(self, url: str, headers: dict, payload: dict, attempt: int) -> SendResult:
        try:
            response = self.session.post(url, json=payload, headers=headers, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            return _failure(None, type(exc).__name__, attempt, retryable=True)
        except requests.RequestException as exc:
            return _failure(None, type(exc).__name__, attempt, retryable=False)
        body = _json(response)
        if 200 <= response.status_code < 300:
            messages = body.get("messages")
            first = messages[0] if isinstance(messages, list) and messages else {}
            wamid = first.get("id") if isinstance(first, dict) else None
            # Read receipts answer {"success": true}: no wamid, still a success.
            wamid = wamid if isinstance(wamid, str) else None
            return SendResult(True, wamid, None, "", attempt, retryable=False)
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        code = error.get("code") if isinstance(error.get("code"), int) else None
        title = str(error.get("message") or error.get("type") or f"HTTP {response.status_code}")
        return _failure(code, title, attempt, retryable=_retryable(code, response.status_code))

    def _backoff(self, n: int) -> float:
        """Return the wait before retry n+1: base * 4**n plus up to 25% jitter."""
        delay = self.backoff_base * 4**n
        return delay + random.uniform(0, delay * 0.25)


def _retryable(code: int | None, status: int) -> bool:
    if code in NEVER_RETRY_CODES:
        return False
    return code in RETRY_CODES or status >= 500


def _failure(code: int | None, title: str, attempts: int, retryable: bool) -> SendResult:
    return SendResult(False, None, code, title, attempts, retryable)


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
