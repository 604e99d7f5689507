"""Connect a business to Google Calendar (see CALENDAR_INTEGRATION.md).

  python setup_calendar_auth.py --business-id 1                  # sign in with a browser
  python setup_calendar_auth.py --business-id 1 --console        # on a server: paste the code
  python setup_calendar_auth.py --phone-number-id 123456123 \\
      --service-account key.json --calendar-id salon@group.calendar.google.com
  python setup_calendar_auth.py --business-id 1 --status | --resync
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from app.calendars import google_settings
from app.calendars.google_client import GoogleError
from app.calendars.google_settings import account_of
from app.calendars.google_setup import (
    SetupError,
    browser_sign_in,
    console_sign_in,
    load_client_config,
    load_service_account,
    make_flow,
    open_client,
    pick_calendar,
    user_token_info,
    verify,
    writable_calendars,
)
from app.config import load_config
from app.embedded import resolve_database_url
from app.storage import db
from app.storage.businesses import get_business, get_business_by_account


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Connect a business to Google Calendar and store its credentials encrypted."
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--business-id", type=int, help="the business to connect")
    who.add_argument("--phone-number-id", help="or the business answering on this number id")
    parser.add_argument(
        "--client-secrets",
        help="OAuth client JSON of a 'Desktop app' client (default: GOOGLE_CLIENT_SECRETS_FILE)",
    )
    parser.add_argument(
        "--console",
        action="store_true",
        help="no browser on this machine: print the sign-in address and paste back the result",
    )
    parser.add_argument("--port", type=int, default=0, help="local redirect port (default: any)")
    parser.add_argument("--service-account", metavar="KEY.json", help="use a service account key")
    parser.add_argument("--calendar-id", help="the calendar to use (skips the question)")
    parser.add_argument("--status", action="store_true", help="show the connection and stop")
    parser.add_argument("--resync", action="store_true", help="queue unsynced bookings and stop")
    parser.add_argument("--database-url", help="default: DATABASE_URL")
    parser.add_argument("--api-endpoint", help=argparse.SUPPRESS)  # a fake or proxy (tests)
    return parser.parse_args(argv)


def main(
    argv: list[str] | None = None,
    ask: Callable[[str], str] = input,
    say: Callable[[str], None] = print,
) -> int:
    """Run the command; 0 when the business is connected (or the status was shown)."""
    args = parse_args(argv)
    cfg = load_config()
    db.open_pool(args.database_url or resolve_database_url(cfg))
    if args.business_id is not None:
        business = get_business(args.business_id)
    else:
        business = get_business_by_account("whatsapp_number_id", args.phone_number_id)
    if business is None:
        say("error: no such business")
        return 2
    if args.status:
        for key, value in (google_settings.status(business["id"]) or {}).items():
            say(f"{key}: {value}")
        return 0
    if args.resync:
        say(f"{_requeue(business['id'])} booking(s) queued for the calendar")
        return 0
    try:
        return _connect(args, cfg, business, ask, say)
    except (SetupError, GoogleError, OAuth2Error, ValueError) as exc:
        say(f"error: {exc}")
        return 1


def _connect(args, cfg: dict, business: dict, ask, say) -> int:
    endpoint = args.api_endpoint
    if args.service_account:
        if not args.calendar_id:
            raise SetupError("--service-account needs --calendar-id (the calendar shared with it)")
        info = load_service_account(args.service_account)
        calendar_id = args.calendar_id
        client = open_client(info, calendar_id, endpoint)
    else:
        secrets_file = args.client_secrets or cfg.get("GOOGLE_CLIENT_SECRETS_FILE")
        if not secrets_file:
            raise SetupError("give --client-secrets or set GOOGLE_CLIENT_SECRETS_FILE")
        flow = make_flow(load_client_config(secrets_file))
        if args.console:
            creds = console_sign_in(flow, ask, say)
        else:
            creds = browser_sign_in(flow, args.port)
        info = user_token_info(creds)
        client = open_client(info, "primary", endpoint)
        calendar_id = pick_calendar(writable_calendars(client), ask, say, args.calendar_id)
        client.calendar_id = calendar_id
    busy = verify(client)
    google_settings.save(business["id"], info, calendar_id, endpoint, key=cfg["SECRET_KEY"])
    queued = _requeue(business["id"])
    say(
        f"Connected {business['name']!r} to Google Calendar {calendar_id!r}"
        f" as {account_of(info) or 'the signed-in account'}: free/busy read"
        f" ({busy} busy block(s) in the next 7 days); {queued} booking(s) queued for sync."
    )
    return 0


def _requeue(business_id: int) -> int:
    from app import jobs
    from app.calendars.google_sync import requeue_unsynced

    jobs.open_queue()
    return requeue_unsynced(business_id, jobs.queue_calendar_sync)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    sys.exit(main())
