"""A business's Google settings: calendar id, encrypted credentials, and the error an admin reads.

`businesses.calendar_settings` holds {"calendar_id", "kind", "account", "credentials"}, where
`credentials` is `app.secrets.encrypt(json)` of a service account key or an OAuth user token
(type "service_account" or "authorized_user"). Problems an admin must fix are written to
`businesses.calendar_error` / `calendar_error_at` (migration 0006) and cleared on the next success.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from app.calendars.base import CalendarUnavailable
from app.calendars.google_client import SCOPES, Client, fingerprint
from app.calendars.google_state import GoogleState, state
from app.secrets import decrypt, encrypt
from app.storage import appointments, businesses

log = logging.getLogger(__name__)
KINDS = {"service_account": "service_account", "authorized_user": "oauth_user"}
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


class CalendarAccessError(CalendarUnavailable):
    """The business's Google calendar cannot be used until an admin fixes its access."""


def credentials_from(info: Mapping):
    """google-auth credentials for a service account key or an authorized-user token."""
    kind = info.get("type")
    if kind == "service_account":
        return service_account.Credentials.from_service_account_info(dict(info), scopes=SCOPES)
    if kind == "authorized_user":
        missing = {"refresh_token", "client_id", "client_secret"} - set(info)
        if missing:
            raise ValueError(f"authorized user token lacks {sorted(missing)}")
        # Built directly: from_authorized_user_info ignores the stored token_uri, and the one
        # written at setup (Google's, or a test fake's) is the one the token was issued by.
        return user_credentials.Credentials(
            token=None,
            refresh_token=info["refresh_token"],
            token_uri=info.get("token_uri") or GOOGLE_TOKEN_URI,
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            scopes=info.get("scopes") or list(SCOPES),
        )
    raise ValueError(f"unsupported credentials type {kind!r}")


def account_of(info: Mapping) -> str:
    """A label for who the calendar is reached as (no secret): an email or a client id."""
    return str(info.get("client_email") or info.get("account") or info.get("client_id") or "")


def client_for(business: Mapping, google: GoogleState | None = None) -> Client:
    """The cached API client of a business; CalendarUnavailable when it is not set up.

    `google` defaults to the state of the app in context.
    """
    google = google or state()
    settings = business.get("calendar_settings") or {}
    stored, calendar_id = settings.get("credentials"), settings.get("calendar_id")
    if not stored or not calendar_id:
        raise CalendarUnavailable(
            f"google calendar is not configured for business {business.get('id')}:"
            " run setup_calendar_auth.py"
        )
    endpoint = settings.get("api_endpoint") or google.policy.api_endpoint
    key = fingerprint(stored, calendar_id, endpoint)

    def build_client() -> Client:
        try:
            info = json.loads(decrypt(stored, google.secret_key))
            creds = credentials_from(info)
        except ValueError as exc:  # wrong SECRET_KEY, damaged JSON or an unknown type
            message = f"stored Google credentials are unusable: {exc}"
            record_error(business["id"], message)
            raise CalendarAccessError(message) from None
        return Client(creds, calendar_id, endpoint, google.policy)

    return google.clients.get(business["id"], key, build_client)


def save(
    business_id: int,
    info: Mapping,
    calendar_id: str,
    api_endpoint: str | None = None,
    key: str | None = None,
) -> None:
    """Store encrypted credentials and the calendar, and switch the business to Google.

    `key` encrypts them; by default the SECRET_KEY of the app in context. Another calendar than
    before leaves the upcoming bookings pending, to be written into it by the requeue that
    follows (`google_sync.requeue_unsynced`).
    """
    key = state().secret_key if key is None else key
    if not key:
        raise ValueError("SECRET_KEY is not set: refusing to store Google credentials unencrypted")
    settings = {
        "calendar_id": calendar_id,
        "kind": KINDS[info["type"]],
        "account": account_of(info),
        "credentials": encrypt(json.dumps(dict(info)), key),
    }
    if api_endpoint:
        settings["api_endpoint"] = api_endpoint
    businesses.save_google_calendar(business_id, settings)


def record_error(business_id: int, message: str) -> None:
    """Remember a problem an admin must fix (the message never holds a secret)."""
    log.warning("google calendar of business %s: %s", business_id, message)
    businesses.record_calendar_error(business_id, message)


def clear_error(business: Mapping, read_only: bool = False) -> None:
    """Forget the recorded problem once Google answers again.

    `read_only`: Google answered a read. That forgets nothing while bookings whose write failed
    wait for the next one: a calendar shared without "Make changes to events" reads fine and
    refuses every write, and its error must stay until a write gets through.
    """
    if not business.get("calendar_error"):
        return
    if read_only and appointments.has_failed_sync(business["id"]):
        return
    businesses.clear_calendar_error(business["id"])


def status(business_id: int) -> dict | None:
    """What an admin may see of a business's calendar: no credentials, the error, the backlog."""
    row = businesses.calendar_status(business_id)
    if row is None:
        return None
    settings = row.pop("calendar_settings") or {}
    row.update({k: settings.get(k) for k in ("calendar_id", "kind", "account")})
    return row
