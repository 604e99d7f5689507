"""The Cloud API's `/{phone_number_id}/messages` endpoint: one attempt per call, never raising.

Retries belong to the outbox, which knows how long a message is worth trying and how fast the
number may send; an attempt here only says how it went, in the port's terms.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import requests

from app.channels.base import Account, SendError, SendResult
from app.channels.whatsapp import errors

log = logging.getLogger(__name__)


class GraphClient:
    """A small client for WhatsApp's messages endpoint (one HTTP session, reused)."""

    def __init__(self, base_url: str, version: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def post(self, account: Account, payload: dict[str, Any], timeout: float = 0) -> SendResult:
        """POST one payload for the business's number; return the outcome (never raises)."""
        url = f"{self.base_url}/{self.version}/{quote(account.account_id, safe='')}/messages"
        headers = {"Authorization": f"Bearer {account.access_token}"}
        try:
            response = self.session.post(
                url, json=payload, headers=headers, timeout=timeout or self.timeout
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            return SendResult(False, error=SendError.RETRY_LATER, error_title=type(exc).__name__)
        except requests.RequestException as exc:
            return SendResult(False, error=SendError.NEVER_RETRY, error_title=type(exc).__name__)
        body = _json(response)
        if 200 <= response.status_code < 300:
            messages = body.get("messages")
            first = messages[0] if isinstance(messages, list) and messages else {}
            wamid = first.get("id") if isinstance(first, dict) else None
            # Read receipts answer {"success": true}: no message id, still a success.
            return SendResult(True, external_id=wamid if isinstance(wamid, str) else None)
        code, title = errors.error_fields(body, response.status_code)
        error = errors.classify(response.status_code, code)
        log.warning(
            "whatsapp send failed: phone_number_id=%s http=%s code=%s error=%s",
            account.account_id,
            response.status_code,
            code,
            error.value,
        )
        return SendResult(
            False,
            error=error,
            error_code=code,
            error_title=title,
            retry_after=_retry_after(response.headers),
        )


def _retry_after(headers) -> float | None:
    raw = headers.get("Retry-After")
    try:
        seconds = float(raw) if raw else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds <= 86400 else None


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
