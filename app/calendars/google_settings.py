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
from psycopg.types.json import Jsonb

from app.calendars.base import CalendarUnavailable
from app.calendars.google_client import POLICY, SCOPES, Client, cached_client, fingerprint
from app.secrets import decrypt, encrypt
from app.storage.db import execute, fetch_one

log = logging.getLogger(__name__)
KINDS = {"service_account": "service_account", "authorized_user": "oauth_user"}
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


class CalendarAccessError(CalendarUnavailable):
    """The business's Google calendar cannot be used until an admin fixes its access."""


def secret_key() -> str:
    """The key credentials are encrypted with: the policy's, else the app's SECRET_KEY."""
    if POLICY.secret_key is not None:
        return POLICY.secret_key
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config.get("SECRET_KEY") or ""
    from app import jobs

    flask_app = getattr(jobs, "_flask_app", None)  # the worker's app, outside a request
    if flask_app is not None:
        return flask_app.config.get("SECRET_KEY") or ""
    from app.config import load_config

    return load_config()["SECRET_KEY"]


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


def client_for(business: Mapping) -> Client:
    """The cached API client of a business; CalendarUnavailable when it is not set up."""
    settings = business.get("calendar_settings") or {}
    stored, calendar_id = settings.get("credentials"), settings.get("calendar_id")
    if not stored or not calendar_id:
        raise CalendarUnavailable(
            f"google calendar is not configured for business {business.get('id')}:"
            " run setup_calendar_auth.py"
        )
    endpoint = settings.get("api_endpoint") or POLICY.api_endpoint
    key = fingerprint(stored, calendar_id, endpoint)

    def build_client() -> Client:
        try:
            info = json.loads(decrypt(stored, secret_key()))
            creds = credentials_from(info)
        except ValueError as exc:  # wrong SECRET_KEY, damaged JSON or an unknown type
            message = f"stored Google credentials are unusable: {exc}"
            record_error(business["id"], message)
            raise CalendarAccessError(message) from None
        return Client(creds, calendar_id, endpoint)

    return cached_client(business["id"], key, build_client)


def save(
    business_id: int,
    info: Mapping,
    calendar_id: str,
    api_endpoint: str | None = None,
    key: str | None = None,
) -> None:
    """Store encrypted credentials and the calendar, and switch the business to Google."""
    key = secret_key() if key is None else key
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
    execute(
        "UPDATE businesses SET calendar_backend = 'google', calendar_settings = %s,"
        " calendar_error = NULL, calendar_error_at = NULL, updated_at = now() WHERE id = %s",
        (Jsonb(settings), business_id),
    )


def record_error(business_id: int, message: str) -> None:
    """Remember a problem an admin must fix (the message never holds a secret)."""
    log.warning("google calendar of business %s: %s", business_id, message)
    execute(
        "UPDATE businesses SET calendar_error = %s, calendar_error_at = now() WHERE id = %s",
        (message[:500], business_id),
    )


def clear_error(business: Mapping) -> None:
    """Forget the recorded problem once Google answers again."""
    if business.get("calendar_error"):
        execute(
            "UPDATE businesses SET calendar_error = NULL, calendar_error_at = NULL"
            " WHERE id = %s AND calendar_error IS NOT NULL",
            (business["id"],),
        )


def status(business_id: int) -> dict | None:
    """What an admin may see of a business's calendar: no credentials, the error, the backlog."""
    row = fetch_one(
        "SELECT b.calendar_backend, b.calendar_settings, b.calendar_error, b.calendar_error_at,"
        " (SELECT count(*) FROM appointments a WHERE a.business_id = b.id"
        "   AND a.calendar_sync = 'pending') AS pending,"
        " (SELECT count(*) FROM appointments a WHERE a.business_id = b.id"
        "   AND a.calendar_sync = 'failed') AS failed"
        " FROM businesses b WHERE b.id = %s",
        (business_id,),
    )
    if row is None:
        return None
    settings = row.pop("calendar_settings") or {}
    row.update({k: settings.get(k) for k in ("calendar_id", "kind", "account")})
    row["configured"] = bool(settings.get("credentials"))
    return row
