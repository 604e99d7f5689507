"""Google Calendar API clients: built once per business and credentials, with timeouts and retries.

Every call goes through `Client.call`, which retries 429, 5xx, rate-limit 403s and network errors
with exponential backoff (its `Policy`: timeouts, attempts, an injectable sleep) and turns every
failure into one of three errors: `Transient` (try again later), `AccessDenied` (an admin must fix
the credentials or the sharing) or `Rejected` (Google refused this request; 404/409/410 are
handled by the caller).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import random
import threading
from collections.abc import Callable

import google_auth_httplib2
import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from app.calendars.google_state import Policy

log = logging.getLogger(__name__)

# Read and write events; list the account's calendars and read free/busy (setup only).
SCOPES = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    "https://www.googleapis.com/auth/calendar.freebusy",
)
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
# OAuth errors of the token endpoint that mean the stored credentials no longer work: revoked
# or expired (invalid_grant), a deleted or disabled client or key (invalid_client), a client
# not allowed this grant (unauthorized_client). Retrying cannot help; an admin must reconnect.
# OAuth errors of the token endpoint that say it could not answer now; every other one says
# the stored credentials (or our request with them) are refused, which a retry does not mend.
PASSING_OAUTH_ERRORS = frozenset({"server_error", "temporarily_unavailable"})


class GoogleError(Exception):
    """A Google Calendar call failed; `status` is the HTTP status (0 without a response)."""

    def __init__(self, message: str, status: int = 0, reason: str = ""):
        super().__init__(message)
        self.status, self.reason = status, reason


class Transient(GoogleError):
    """Google is down, slow or rate-limiting: the same call may succeed later."""


class AccessDenied(GoogleError):
    """The credentials were revoked or expired, or the calendar is not shared: an admin must act."""


class Rejected(GoogleError):
    """Google refused this particular request (e.g. 404, 409, 410, 400)."""


class Client:
    """One business's calendar: a discovery-built service plus one HTTP connection per thread."""

    def __init__(
        self,
        credentials,
        calendar_id: str,
        api_endpoint: str | None = None,
        policy: Policy | None = None,
    ):
        self.credentials, self.calendar_id = credentials, calendar_id
        self.policy = policy or Policy()
        self._local = threading.local()
        options = {"api_endpoint": api_endpoint} if api_endpoint else None
        self.service = build(
            "calendar",
            "v3",
            http=self._http(),
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
        )

    def _http(self) -> google_auth_httplib2.AuthorizedHttp:
        """This thread's authorised connection (httplib2 objects are not thread-safe)."""
        http = getattr(self._local, "http", None)
        if http is None:
            raw = httplib2.Http(timeout=self.policy.timeout)
            http = google_auth_httplib2.AuthorizedHttp(self.credentials, http=raw)
            self._local.http = http
        return http

    def call(self, make: Callable, attempts: int | None = None) -> dict:
        """Execute `make(service)` with retries; the JSON answer ({} for an empty one)."""
        attempts = max(1, attempts or self.policy.attempts)
        for attempt in range(attempts):
            try:
                return make(self.service).execute(http=self._http(), num_retries=0) or {}
            except Exception as exc:  # classified below; anything unknown is re-raised
                error = classify(exc)
                if error is None:
                    raise
                if not isinstance(error, Transient) or attempt + 1 == attempts:
                    raise error from exc
                delay = _delay(attempt, exc, self.policy)
                log.info("google calendar %s, retrying in %.2fs", error, delay)
                self.policy.sleep(delay)
        raise AssertionError("unreachable")


def classify(exc: BaseException) -> GoogleError | None:
    """The `GoogleError` a failure stands for, or None when it is not a Google failure."""
    if isinstance(exc, HttpError):
        status, reason, message = _details(exc)
        text = f"HTTP {status} {reason}: {message}".strip()
        if status in RETRY_STATUS or (status == 403 and reason in RATE_LIMIT_REASONS):
            return Transient(text, status, reason)
        if status in (401, 403):
            return AccessDenied(text, status, reason)
        return Rejected(text, status, reason)
    if isinstance(exc, auth_exceptions.RefreshError):
        return _refresh_error(exc)
    if isinstance(
        exc,
        auth_exceptions.TransportError
        | httplib2.HttpLib2Error
        | OSError
        | http.client.HTTPException,
    ):
        # Connection refused/reset, DNS failure and timeouts (socket.timeout is an OSError);
        # an answer cut short or garbled on the way (IncompleteRead, BadStatusLine), which
        # httplib2 and the API client pass on as http.client's own errors.
        return Transient(f"network error: {type(exc).__name__}")
    return None


def _refresh_error(exc: auth_exceptions.RefreshError) -> GoogleError:
    """What a failed token refresh stands for: refused credentials when the token endpoint
    answers with an OAuth error (RFC 6749 §5.2: invalid_grant, invalid_client, invalid_scope,
    Google's admin_policy_enforced, …) that google-auth does not call retryable and that does
    not say the server is failing; anything else (a 502 from a gateway, an answer that is not an
    OAuth error, server_error) may pass, so it is retried like an outage.

    The message names the OAuth error and Google's description of it, never the endpoint's
    raw answer (which google-auth puts in the exception's arguments when it is not JSON).
    """
    answer = next((a for a in exc.args if isinstance(a, dict)), {})
    code = answer.get("error")
    oauth = isinstance(code, str) and code.isidentifier()
    if not oauth or code in PASSING_OAUTH_ERRORS or getattr(exc, "retryable", 0):
        known = code[:40] if oauth else "no OAuth error"
        return Transient(f"token refresh failed ({known})")
    code = code[:40]
    description = answer.get("error_description")
    if isinstance(description, str) and description:
        code = f"{code}: {' '.join(description.split())[:120]}"
    return AccessDenied(f"Google refused the stored credentials ({code})", 401, "auth")


def _details(exc: HttpError) -> tuple[int, str, str]:
    try:
        error = json.loads(exc.content.decode())["error"]
        first = (error.get("errors") or [{}])[0]
        return exc.resp.status, first.get("reason", ""), error.get("message", "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return exc.resp.status, "", ""


def _delay(attempt: int, exc: BaseException, policy: Policy) -> float:
    """Exponential backoff with jitter, or the server's Retry-After when it sends one."""
    retry_after = getattr(getattr(exc, "resp", None), "get", lambda _k: None)("retry-after")
    if retry_after and str(retry_after).isdigit():
        return min(float(retry_after), policy.max_backoff)
    base = min(policy.backoff * 2**attempt, policy.max_backoff)
    return base * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not security


def fingerprint(*parts: str | None) -> str:
    """A short hash identifying credentials and calendar, so a change builds a new client."""
    return hashlib.sha256("\x00".join(p or "" for p in parts).encode()).hexdigest()[:16]
