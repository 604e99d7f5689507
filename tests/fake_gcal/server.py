"""A fake Google Calendar API and OAuth token endpoint: a local HTTP server, real wire format."""

from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fake_gcal.api import Calendar, CalendarApi, google_error
from tests.fake_gcal.oauth import TokenEndpoint


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Fault:
    """Answer the next `times` matching requests with `status` (after applying them if `apply`)."""

    status: int
    times: int = 1
    method: str | None = None
    path: str = ""
    apply: bool = False
    cut: bool = False  # True: the connection drops halfway through the answer's body


# A fault's answer that is cut short (see `Fault.cut`).
CUT = object()


class FakeGoogle(CalendarApi, TokenEndpoint):
    """Calendar v3 (calendarList, events, freeBusy) under /calendar/v3/ and OAuth under /token."""

    def __init__(self):
        self.calendars: dict[str, Calendar] = {}
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.clients: dict[str, str] = {}  # OAuth client id -> secret
        self.service_accounts: dict[str, Any] = {}  # email -> public key
        self.refresh_tokens: dict[str, str] = {}  # token -> principal
        self.access_tokens: dict[str, tuple[str, str | None]] = {}  # token -> (principal, refresh)
        self.codes: dict[str, dict] = {}
        self.revoked: set[str] = set()
        self.down = False  # True: drop every connection without an answer, as an outage does
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    # -- set-up and inspection ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_endpoint(self) -> str:
        return self.base_url + "/calendar/v3/"

    @property
    def token_uri(self) -> str:
        return self.base_url + "/token"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_calendar(self, cal_id: str, owner: str, summary: str = "", tz: str = "Europe/Madrid"):
        with self._lock:
            self.calendars[cal_id] = Calendar(cal_id, summary or cal_id, tz, {owner: "owner"})
        return self.calendars[cal_id]

    def share(self, cal_id: str, principal: str, role: str = "writer") -> None:
        self.calendars[cal_id].acl[principal] = role

    def add_event(self, cal_id: str, **event) -> dict:
        """Store an event as a staff member would create it (an id is made up if missing)."""
        event.setdefault("id", f"staff{next(self._seq):06d}")
        return self._store(self.calendars[cal_id], event)

    def move_event(self, cal_id: str, event_id: str, start: str, end: str) -> dict:
        """Move an event as a staff member would in Google Calendar (ISO date-times)."""
        event = self.calendars[cal_id].events[event_id]
        times = {"start": {"dateTime": start}, "end": {"dateTime": end}}
        return self._store(self.calendars[cal_id], {**event, **times})

    def make_all_day(self, cal_id: str, event_id: str, day: str) -> dict:
        """Turn an event into an all-day one on `day` (ISO date), as the "All day" box does."""
        event = self.calendars[cal_id].events[event_id]
        end = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        times = {"start": {"date": day}, "end": {"date": end}}
        return self._store(self.calendars[cal_id], {**event, **times})

    def delete_event(self, cal_id: str, event_id: str) -> dict:
        """Delete an event as a staff member would (Google keeps it, status cancelled)."""
        event = self.calendars[cal_id].events[event_id]
        return self._store(self.calendars[cal_id], {**event, "status": "cancelled"})

    def expire_sync_tokens(self, cal_id: str) -> None:
        """Make every sync token issued so far invalid: the next incremental sync gets 410."""
        with self._lock:
            self.calendars[cal_id].token_generation += 1

    def fail(self, status: int, **kwargs) -> None:
        """Queue a fault, e.g. fail(500, method="POST", path="/events")."""
        with self._lock:
            self.faults.append(Fault(status, **kwargs))

    def live_events(self, cal_id: str) -> dict[str, dict]:
        return {
            k: e for k, e in self.calendars[cal_id].events.items() if e["status"] != "cancelled"
        }

    def calls(self, method: str, path_part: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    # -- HTTP plumbing -----------------------------------------------------------------------

    def _fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if (fault.method in (None, method)) and fault.path in path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _dispatch(self, method: str, raw_path: str, headers, raw: bytes) -> tuple[int, Any]:
        split = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        if split.path == "/token":
            body: Any = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
        else:
            body = json.loads(raw) if raw else None
        record = Recorded(method, split.path, query, body)
        with self._lock:
            self.requests.append(record)
        fault = self._fault(method, split.path)
        if fault and fault.cut:
            record.status = fault.status
            return fault.status, CUT
        if fault and not fault.apply:
            record.status = fault.status
            return fault.status, google_error(fault.status)
        if split.path == "/token":
            status, payload = self._token(_with_basic_auth(body, headers.get("Authorization", "")))
        else:
            who = self._principal(headers.get("Authorization", ""))
            if who is None:
                status, payload = 401, google_error(401)
            else:
                path = split.path.removeprefix("/calendar/v3/").strip("/")
                parts = [unquote(part) for part in path.split("/")]
                status, payload = self._api(method, parts, query, body, who)
        if fault:
            status, payload = fault.status, google_error(fault.status)
        record.status = status
        return status, payload

    def _principal(self, header: str) -> str | None:
        found = self.access_tokens.get(header.removeprefix("Bearer "))
        return found[0] if found else None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if fake.down:
                    self.close_connection = True
                    return
                status, payload = fake._dispatch(self.command, self.path, self.headers, raw)
                if payload is CUT:
                    self._cut(status)
                    return
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _cut(self, status):
                """Promise a body, send part of it and hang up (a truncated answer)."""
                self.close_connection = True
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b'{"kind": "calendar#')
                self.wfile.flush()

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815

        return Handler


def _with_basic_auth(form: dict, header: str) -> dict:
    """Client credentials may come as HTTP Basic auth instead of form fields (RFC 6749 2.3.1)."""
    if not header.startswith("Basic "):
        return form
    client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    return {**form, "client_id": unquote(client_id), "client_secret": unquote(secret)}
