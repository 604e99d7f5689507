"""A fake Meta Graph API: a real local HTTP server speaking the Cloud API's wire format."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Titles and details as Meta words them, so clients see realistic error bodies.
ERRORS: dict[int, tuple[str, str]] = {
    100: ("Invalid parameter", "Invalid parameter"),
    190: ("Error validating access token: Session has expired", "Access token expired"),
    130429: ("(#130429) Rate limit hit", "Cloud API message throughput has been reached."),
    131000: ("(#131000) Something went wrong", "Something went wrong"),
    131026: ("(#131026) Message Undeliverable", "Message Undeliverable."),
    131047: (
        "(#131047) Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    131056: (
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from the sender phone number to the same recipient.",
    ),
}
_PATH = re.compile(r"^/v\d+\.\d+/([^/]+)/messages$")


def error_body(code: int, message: str | None = None) -> dict[str, Any]:
    """Return a Graph API error body for code, shaped like Meta's."""
    title, details = ERRORS.get(code, (f"(#{code}) Error", "Error"))
    return {
        "error": {
            "message": message or title,
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": "AFakeTraceId",
        }
    }


@dataclass(frozen=True)
class Recorded:
    """One request the fake received and the status it answered."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    status: int


@dataclass(frozen=True)
class _Canned:
    status: int
    body: dict[str, Any] | None  # None: answer as success would
    delay: float = 0.0


class FakeGraph:
    """Records every request; answers from a script first, then with success."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._requests: list[Recorded] = []
        self._script: deque[_Canned] = deque()
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Return the server's root URL, e.g. http://127.0.0.1:12345."""
        assert self._server is not None, "FakeGraph is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGraph:
        """Start serving on a free local port in a daemon thread."""
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        # A short poll interval keeps shutdown() (once per test) from costing half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGraph:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, code: int, times: int = 1, http_status: int = 400) -> None:
        """Answer the next `times` message sends with Meta's error body for code."""
        self.respond_next(http_status, error_body(code), times)

    def respond_next(self, status: int, body: dict[str, Any] | None, times: int = 1) -> None:
        """Answer the next `times` message sends with this status and JSON body."""
        with self._cond:
            self._script.extend(_Canned(status, body) for _ in range(times))

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Answer the next `times` message sends successfully, but only after `seconds`."""
        with self._cond:
            self._script.extend(_Canned(200, None, seconds) for _ in range(times))

    def reset(self) -> None:
        """Forget recorded requests and any scripted responses."""
        with self._cond:
            self._requests.clear()
            self._script.clear()

    @property
    def requests(self) -> list[Recorded]:
        """Return a copy of every request received so far."""
        with self._cond:
            return list(self._requests)

    def messages_sent(self) -> list[dict[str, Any]]:
        """Return the JSON of text sends answered with success (not read receipts)."""
        with self._cond:
            return self._sent()

    def read_receipts(self) -> list[dict[str, Any]]:
        """Return the JSON of every read receipt received."""
        return [r.json for r in self.requests if _is_receipt(r.json)]

    def wait_for_sends(self, n: int, timeout: float = 10) -> list[dict[str, Any]]:
        """Block until at least n text sends succeeded; fail the test on timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._sent()) >= n, timeout):
                raise AssertionError(f"expected {n} sends, got {len(self._sent())} in {timeout}s")
            return self._sent()

    def _sent(self) -> list[dict[str, Any]]:
        return [r.json for r in self._requests if r.status == 200 and _is_send(r.json)]

    def _answer(self, path: str, headers: dict[str, str], data: Any) -> tuple[int, dict]:
        """Return the status and body for one request, recording it."""
        status, body = _validate(path, headers, data)
        canned = None
        # Scripted answers apply to message sends only; read receipts always succeed.
        if status == 200 and _is_send(data):
            with self._cond:
                canned = self._script.popleft() if self._script else None
        if canned and canned.delay:
            self._stopping.wait(canned.delay)
        if canned and canned.body is not None:
            status, body = canned.status, canned.body
        elif status == 200 and _is_send(data):
            body = _accepted(data, f"wamid.FAKE{next(self._ids):08d}")
        with self._cond:
            self._requests.append(Recorded("POST", path, headers, data, status))
            self._cond.notify_all()
        return status, body


def _validate(path: str, headers: dict[str, str], data: Any) -> tuple[int, dict]:
    """Reject what the real API rejects before any scripted answer applies."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme != "Bearer" or not token.strip():
        return 401, error_body(190, "Invalid OAuth access token.")
    if not _PATH.match(path):
        return 400, error_body(100, "Unsupported post request.")
    if not isinstance(data, dict) or data.get("messaging_product") != "whatsapp":
        return 400, error_body(100, "The parameter messaging_product is required.")
    if not (_is_send(data) or _is_receipt(data)):
        return 400, error_body(100, "Invalid parameter")
    return 200, {"success": True}


def _is_send(data: Any) -> bool:
    return isinstance(data, dict) and "type" in data and "to" in data


def _is_receipt(data: Any) -> bool:
    return isinstance(data, dict) and data.get("status") == "read" and "message_id" in data


def _accepted(data: dict, wamid: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": data.get("to"), "wa_id": data.get("to")}],
        "messages": [{"id": wamid}],
    }


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is expected, not a failure


def _handler(fake: FakeGraph) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - name fixed by http.server
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body = fake._answer(self.path, headers, data)
            out = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler
