"""The steps behind setup_calendar_auth.py: sign in, pick a calendar, verify it, store it."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from google_auth_oauthlib.flow import InstalledAppFlow

from app.calendars.google_client import SCOPES, Client
from app.calendars.google_settings import credentials_from

# For the no-browser flow: Google sends the browser here; the page fails to load, and the user
# copies the address (which carries the code) back into the terminal. No out-of-band (oob) flow.
MANUAL_REDIRECT = "http://localhost"
WRITE_ROLES = ("owner", "writer")
Ask = Callable[[str], str]
Say = Callable[[str], None]


class SetupError(RuntimeError):
    """A setup step failed in a way the operator can fix; the message says how."""


def load_client_config(path: str | Path) -> dict:
    """The OAuth client JSON downloaded from Google Cloud (a "Desktop app" client)."""
    try:
        config = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise SetupError(f"cannot read the OAuth client file {path}: {exc}") from None
    if "installed" not in config and "web" not in config:
        raise SetupError(f"{path} is not an OAuth client file (no 'installed' section)")
    return config


def make_flow(client_config: Mapping) -> InstalledAppFlow:
    """An installed-app flow asking for exactly the bot's scopes."""
    return InstalledAppFlow.from_client_config(dict(client_config), scopes=list(SCOPES))


def browser_sign_in(flow: InstalledAppFlow, port: int = 0, open_browser: bool = True):
    """Sign in through a browser and a short-lived local redirect server."""
    return flow.run_local_server(
        host="localhost",
        port=port,
        open_browser=open_browser,
        authorization_prompt_message="Open this address in a browser to allow access:\n{url}",
        success_message="Access granted. You can close this tab and return to the terminal.",
        access_type="offline",
        prompt="consent",
    )


def console_sign_in(flow: InstalledAppFlow, ask: Ask, say: Say):
    """Sign in without a local browser: print the address, read back where it led."""
    flow.redirect_uri = MANUAL_REDIRECT
    url, _state = flow.authorization_url(access_type="offline", prompt="consent")
    say("1. Open this address in a browser on any machine and allow access:")
    say(url)
    say(
        "2. The browser then goes to an address starting with http://localhost that does not"
        " load. Copy that whole address from the address bar (or just its code= value)."
    )
    code = parse_code(ask("Paste it here: "))
    flow.fetch_token(code=code)
    return flow.credentials


def parse_code(answer: str) -> str:
    """The authorization code from a pasted redirect address or a bare code."""
    answer = answer.strip()
    if "code=" not in answer and "error=" not in answer:
        if not answer:
            raise SetupError("no code was pasted")
        return answer
    query = parse_qs(urlsplit(answer).query or answer.split("?", 1)[-1])
    if "error" in query:
        raise SetupError(f"Google refused the sign-in: {query['error'][0]}")
    return query["code"][0]


def user_token_info(creds) -> dict:
    """What is stored of an OAuth user sign-in: the refresh token, never the access token."""
    if not creds.refresh_token:
        raise SetupError(
            "Google returned no refresh token: remove the app's access at"
            " https://myaccount.google.com/permissions and run this again"
        )
    return {
        "type": "authorized_user",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "refresh_token": creds.refresh_token,
        "token_uri": creds.token_uri,
        "scopes": list(creds.scopes or SCOPES),
    }


def load_service_account(path: str | Path) -> dict:
    """A service account key file, checked for the fields signing in needs."""
    try:
        info = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise SetupError(f"cannot read the service account key {path}: {exc}") from None
    missing = {"type", "client_email", "private_key", "token_uri"} - set(info)
    if info.get("type") != "service_account" or missing:
        raise SetupError(f"{path} is not a service account key (missing {sorted(missing)})")
    return info


def open_client(info: Mapping, calendar_id: str, api_endpoint: str | None = None) -> Client:
    """An API client for credentials that are not stored yet (default timeouts and retries)."""
    return Client(credentials_from(info), calendar_id, api_endpoint)


def writable_calendars(client: Client) -> list[dict]:
    """The account's calendars it may add events to, primary first."""
    items, token = [], None
    while True:
        page = client.call(lambda s, t=token: s.calendarList().list(pageToken=t))
        items.extend(page.get("items") or [])
        token = page.get("nextPageToken")
        if not token:
            break
    usable = [c for c in items if c.get("accessRole") in WRITE_ROLES]
    return sorted(usable, key=lambda c: (not c.get("primary"), c.get("summary", "")))


def pick_calendar(calendars: list[dict], ask: Ask, say: Say, wanted: str | None = None) -> str:
    """The calendar id chosen on the command line or from a numbered list."""
    if wanted:
        if calendars and wanted not in {c["id"] for c in calendars}:
            raise SetupError(f"calendar {wanted!r} is not one this account can write to")
        return wanted
    if not calendars:
        raise SetupError("this account has no calendar it can write to")
    for number, cal in enumerate(calendars, 1):
        mark = " (primary)" if cal.get("primary") else ""
        say(f"  {number}. {cal.get('summary', cal['id'])}{mark} [{cal['id']}]")
    while True:
        answer = ask(f"Which calendar should the bot use? [1-{len(calendars)}]: ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(calendars):
            return calendars[int(answer) - 1]["id"]
        say("Please type one of the numbers above.")


def verify(client: Client, days: int = 7) -> int:
    """Read the calendar's free/busy for the next days; how many busy blocks it has."""
    now = datetime.now(UTC).replace(microsecond=0)
    body = {
        "timeMin": now.isoformat().replace("+00:00", "Z"),
        "timeMax": (now + timedelta(days=days)).isoformat().replace("+00:00", "Z"),
        "items": [{"id": client.calendar_id}],
    }
    answer = client.call(lambda s: s.freebusy().query(body=body))
    found = (answer.get("calendars") or {}).get(client.calendar_id) or {}
    if found.get("errors") or not answer.get("calendars"):
        reasons = ", ".join(e.get("reason", "?") for e in found.get("errors") or []) or "missing"
        raise SetupError(
            f"cannot read calendar {client.calendar_id!r} ({reasons}): check the id and that it"
            " is shared with the account (for a service account: 'Make changes to events')"
        )
    return len(found.get("busy") or [])
