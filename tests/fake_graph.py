"""A fake Meta Graph API: a real local HTTP server speaking the Cloud API's wire format.

Both WhatsApp and Messenger live at graph.facebook.com: a POST to `/{version}/{id}/messages`
whose body has `recipient` is a Messenger Send API call, validated and answered as Meta's
Messenger would; a GET `/{version}/{psid}?fields=...` is a Messenger user profile lookup.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fake_http import QuietServer

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
    131048: (
        "(#131048) Spam rate limit hit",
        "Message failed to send because there are restrictions on how many messages can be "
        "sent from this phone number.",
    ),
    131056: (
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from the sender phone number to the same recipient.",
    ),
    131057: ("(#131057) Account in maintenance mode", "Business Account is in maintenance mode"),
}
_PATH = re.compile(r"^/v\d+\.\d+/([^/]+)/messages$")
_PROFILE_PATH = re.compile(r"^/v\d+\.\d+/([^/]+)$")

# Messenger errors as Meta words them, by (code, subcode); (code, None) is the plain code.
MESSENGER_ERRORS: dict[tuple[int, int | None], str] = {
    (2, None): "An unexpected error has occurred. Please retry your request later.",
    (4, None): "(#4) Application request limit reached",
    (4, 2018022): "(#4) Too many send requests to phone numbers",
    (10, None): "(#10) Requires pages_messaging permission to manage the object",
    (10, 2018108): "(#10) This person isn't receiving messages from you right now.",
    (10, 2018278): "(#10) This message is sent outside of allowed window.",
    (10, 2018300): "(#10) Message failed to send because another app is controlling this "
    "thread now.",
    (100, None): "(#100) Invalid parameter",
    (100, 33): "Unsupported get request. Object with ID does not exist, cannot be loaded due "
    "to missing permissions, or does not support this operation.",
    (100, 2018001): "(#100) No matching user found",
    (190, None): "Invalid OAuth access token.",
    (551, 1545041): "(#551) This person isn't available right now.",
    (613, None): "(#613) Calls to this API have exceeded the rate limit.",
    (1200, None): "(#1200) Temporary send message failure. Please try again later",
}
MESSAGING_TYPES = frozenset({"RESPONSE", "UPDATE", "MESSAGE_TAG"})
MESSAGE_TAGS = frozenset(
    {"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE", "HUMAN_AGENT"}
)
SENDER_ACTIONS = frozenset({"mark_seen", "typing_on", "typing_off"})
QUICK_REPLY_TYPES = frozenset({"text", "user_phone_number", "user_email"})


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


def messenger_error_body(
    code: int, subcode: int | None = None, message: str | None = None
) -> dict[str, Any]:
    """Return a Messenger Send API error body for code (and subcode), shaped like Meta's."""
    text = message or MESSENGER_ERRORS.get((code, subcode)) or MESSENGER_ERRORS.get((code, None))
    error: dict[str, Any] = {"message": text or f"(#{code}) Error", "type": "OAuthException"}
    error["code"] = code
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "AFakeTraceId"
    return {"error": error}


@dataclass(frozen=True)
class Recorded:
    """One request the fake received and the status it answered."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    status: int
    at: float = 0.0  # time.monotonic() when the request arrived
    account: str = ""  # the id in the path: the WhatsApp number's id or the Page's id


@dataclass(frozen=True)
class _Canned:
    status: int
    body: dict[str, Any] | None  # None: answer as success would
    delay: float = 0.0
    error: tuple[int, int | None] | None = None  # (code, subcode): Meta's body for the API called
    headers: tuple[tuple[str, str], ...] = ()
    release: threading.Event | None = None  # answered once set (or after HOLD_LIMIT)


# How long a held send waits for its release at most: the test failed if it never came.
HOLD_LIMIT = 60.0


class FakeGraph:
    """Records every request; answers from a script first, then with success."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._requests: list[Recorded] = []
        self._script: deque[_Canned] = deque()
        self._ids = itertools.count(1)
        self._profiles: dict[str, tuple[int, dict[str, Any]]] = {}
        self._rate_limit = 0  # message sends per account per second; 0 = unlimited
        self._accepted: dict[str, deque[float]] = {}
        self._arrived = 0  # message sends received, answered or not yet (a delayed one)
        self._stopping = threading.Event()
        self._server: QuietServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Return the server's root URL, e.g. http://127.0.0.1:12345."""
        assert self._server is not None, "FakeGraph is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGraph:
        """Start serving on a free local port in a daemon thread."""
        self._server = QuietServer(("127.0.0.1", 0), _handler(self))
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

    def fail_next(
        self,
        code: int,
        times: int = 1,
        http_status: int = 400,
        subcode: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` message sends with Meta's error body for code (and subcode).

        The body is WhatsApp's or Messenger's, whichever API the send that meets it called.
        """
        canned = _Canned(http_status, None, error=(code, subcode), headers=_pairs(headers))
        with self._cond:
            self._script.extend(canned for _ in range(times))

    def respond_next(
        self,
        status: int,
        body: dict[str, Any] | None,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` message sends with this status, JSON body and headers."""
        with self._cond:
            self._script.extend(
                _Canned(status, body, headers=_pairs(headers)) for _ in range(times)
            )

    def set_profile(self, psid: str, **fields: Any) -> None:
        """Answer profile lookups of psid with these fields (first_name, last_name, ...)."""
        with self._cond:
            self._profiles[psid] = (200, {**fields, "id": psid})

    def fail_profile(
        self, psid: str, code: int, subcode: int | None = None, http_status: int = 400
    ) -> None:
        """Answer profile lookups of psid with Meta's error body for code (and subcode)."""
        with self._cond:
            self._profiles[psid] = (http_status, messenger_error_body(code, subcode))

    def limit_rate(self, per_second: int) -> None:
        """Refuse message sends beyond `per_second` per account in any one second, as Meta's
        throughput limit does (WhatsApp 130429, Messenger 613); 0 lifts the limit."""
        with self._cond:
            self._rate_limit = per_second
            self._accepted.clear()

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Answer the next `times` message sends successfully, but only after `seconds`."""
        with self._cond:
            self._script.extend(_Canned(200, None, seconds) for _ in range(times))

    def hold_next(self, release: threading.Event, wamid: str | None = None) -> None:
        """Answer the next message send successfully, but only once `release` is set: the
        send is at Meta (`wait_for_arrivals`) for as long as the test needs. `wamid`: the id
        the answer gives the WhatsApp message (known to the test before the answer comes)."""
        body = {"messaging_product": "whatsapp", "messages": [{"id": wamid}]} if wamid else None
        with self._cond:
            self._script.append(_Canned(200, body, release=release))

    def reset(self) -> None:
        """Forget recorded requests and any scripted responses."""
        with self._cond:
            self._requests.clear()
            self._script.clear()
            self._profiles.clear()
            self._accepted.clear()
            self._arrived = 0

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

    def messenger_sent(self) -> list[dict[str, Any]]:
        """Return the JSON of Messenger message sends answered with success."""
        with self._cond:
            return [
                r.json for r in self._requests if r.status == 200 and _is_messenger_send(r.json)
            ]

    def sender_actions(self) -> list[dict[str, Any]]:
        """Return the JSON of every Messenger sender action (typing, mark_seen) accepted."""
        with self._cond:
            return [r.json for r in self._requests if r.status == 200 and _is_sender_action(r.json)]

    def wait_for_sends(self, n: int, timeout: float = 10) -> list[dict[str, Any]]:
        """Block until at least n text sends succeeded; fail the test on timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._sent()) >= n, timeout):
                raise AssertionError(f"expected {n} sends, got {len(self._sent())} in {timeout}s")
            return self._sent()

    def wait_for_arrivals(self, n: int, timeout: float = 10) -> None:
        """Block until at least n message sends have arrived, a delayed one before its answer."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._arrived >= n, timeout):
                raise AssertionError(f"expected {n} sends to arrive, got {self._arrived}")

    def _sent(self) -> list[dict[str, Any]]:
        return [r.json for r in self._requests if r.status == 200 and _is_send(r.json)]

    def _answer(
        self, path: str, headers: dict[str, str], data: Any
    ) -> tuple[int, dict, tuple[tuple[str, str], ...]]:
        """Return the status, body and extra headers for one request, recording it."""
        arrived = time.monotonic()
        status, body = _validate(path, headers, data)
        canned = None
        sending = _is_send(data) or _is_messenger_send(data)
        match = _PATH.match(urlsplit(path).path)
        account = match.group(1) if match else ""
        # Scripted answers apply to message sends only; read receipts and sender actions
        # always succeed.
        if sending:
            with self._cond:
                self._arrived += 1
                self._cond.notify_all()
        if status == 200 and sending:
            with self._cond:
                canned = self._script.popleft() if self._script else None
                if canned is None and self._over_rate(account, arrived):
                    canned = _Canned(
                        400, None, error=(613, None) if _is_messenger(data) else (130429, None)
                    )
        if canned and canned.delay:
            self._stopping.wait(canned.delay)
        if canned and canned.release:
            canned.release.wait(HOLD_LIMIT)
        if canned and canned.error is not None:
            status, body = canned.status, _error_for(data, *canned.error)
        elif canned and canned.body is not None:
            status, body = canned.status, canned.body
        elif status == 200 and _is_send(data):
            body = _accepted(data, f"wamid.FAKE{next(self._ids):08d}")
        elif status == 200 and _is_messenger(data):
            body = {"recipient_id": data["recipient"]["id"]}
            if sending:
                body["message_id"] = f"m_FAKE{next(self._ids):08d}"
        with self._cond:
            self._requests.append(Recorded("POST", path, headers, data, status, arrived, account))
            self._cond.notify_all()
        return status, body, canned.headers if canned else ()

    def _over_rate(self, account: str, now: float) -> bool:
        """Whether a send now would exceed the rate limit (noting it when it would not)."""
        if not self._rate_limit:
            return False
        accepted = self._accepted.setdefault(account, deque())
        while accepted and accepted[0] <= now - 1.0:
            accepted.popleft()
        if len(accepted) >= self._rate_limit:
            return True
        accepted.append(now)
        return False

    def _profile(self, path: str, headers: dict[str, str]) -> tuple[int, dict]:
        """Answer a Messenger user profile lookup, recording it."""
        url = urlsplit(path)
        match = _PROFILE_PATH.match(url.path)
        if not _token(headers, url.query):
            status, body = 401, messenger_error_body(190)
        elif not match:
            status, body = 400, messenger_error_body(100, message="Unsupported get request.")
        else:
            with self._cond:
                status, body = self._profiles.get(match.group(1), (400, {}))
            if status == 400 and not body:
                body = messenger_error_body(100, 33)
            elif status == 200:
                wanted = ",".join(parse_qs(url.query).get("fields", [])).split(",")
                body = {k: v for k, v in body.items() if k in wanted or k == "id"}
        with self._cond:
            self._requests.append(Recorded("GET", path, headers, None, status))
            self._cond.notify_all()
        return status, body


def _validate(path: str, headers: dict[str, str], data: Any) -> tuple[int, dict]:
    """Reject what the real API rejects before any scripted answer applies."""
    if _is_messenger(data):
        return _validate_messenger(path, headers, data)
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme != "Bearer" or not token.strip():
        return 401, error_body(190, "Invalid OAuth access token.")
    if not _PATH.match(path):
        return 400, error_body(100, "Unsupported post request.")
    if not isinstance(data, dict) or data.get("messaging_product") != "whatsapp":
        return 400, error_body(100, "The parameter messaging_product is required.")
    if not (_is_send(data) or _is_receipt(data)):
        return 400, error_body(100, "Invalid parameter")
    problem = _whatsapp_problem(data) if _is_send(data) else ""
    if problem:
        return 400, error_body(100, f"(#100) {problem}")
    return 200, {"success": True}


def _whatsapp_problem(data: dict) -> str:
    """Return why the Cloud API would refuse this message body ("" when it would not)."""
    kind = data.get("type")
    if kind == "text":
        text = data.get("text")
        body = text.get("body") if isinstance(text, dict) else None
        if not _filled(body) or len(body) > 4096:
            return "Param text['body'] must be 1 to 4096 characters"
    elif kind == "template":
        template = data.get("template")
        if not isinstance(template, dict) or not _filled(template.get("name")):
            return "Param template['name'] is required"
        language = template.get("language")
        if not isinstance(language, dict) or not _filled(language.get("code")):
            return "Param template['language']['code'] is required"
        for component in template.get("components") or []:
            for parameter in component.get("parameters") or []:
                text = parameter.get("text") if parameter.get("type") == "text" else "x"
                if not _filled(text) or "\n" in text or "\t" in text or "    " in text:
                    return "Param text cannot have new-line/tab characters or more than 4 spaces"
    elif kind == "interactive":
        interactive = data.get("interactive")
        if not isinstance(interactive, dict) or interactive.get("type") not in ("button", "list"):
            return "Param interactive['type'] must be button or list"
    return ""


def _is_send(data: Any) -> bool:
    """A message send: addressed by phone number (`to`) or by BSUID (`recipient`)."""
    return isinstance(data, dict) and "type" in data and ("to" in data or "recipient" in data)


def _is_receipt(data: Any) -> bool:
    return isinstance(data, dict) and data.get("status") == "read" and "message_id" in data


def _is_messenger(data: Any) -> bool:
    return isinstance(data, dict) and "recipient" in data


def _is_messenger_send(data: Any) -> bool:
    return _is_messenger(data) and "message" in data and "sender_action" not in data


def _is_sender_action(data: Any) -> bool:
    return _is_messenger(data) and "sender_action" in data and "message" not in data


def _token(headers: dict[str, str], query: str) -> bool:
    """Whether a page token came as a Bearer header or an `access_token` parameter."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme == "Bearer" and token.strip():
        return True
    return any(t.strip() for t in parse_qs(query).get("access_token", []))


def _validate_messenger(path: str, headers: dict[str, str], data: dict) -> tuple[int, dict]:
    url = urlsplit(path)
    if not _token(headers, url.query):
        return 401, messenger_error_body(190)
    if not _PATH.match(url.path):
        return 400, messenger_error_body(100, message="Unsupported post request.")
    problem = _messenger_problem(data)
    if problem:
        return 400, messenger_error_body(100, message=f"(#100) {problem}")
    return 200, {"success": True}


def _messenger_problem(data: dict) -> str:
    """Return why Meta would refuse this Send API body ("" when it would not)."""
    recipient = data.get("recipient")
    if not isinstance(recipient, dict) or not _filled(recipient.get("id")):
        return "The parameter recipient is required"
    action, message = data.get("sender_action"), data.get("message")
    if action is not None and message is not None:
        return "Cannot send both message and sender_action at the same time"
    if action is not None:
        return "" if action in SENDER_ACTIONS else f"Invalid sender_action {action!r}"
    if not isinstance(message, dict):
        return "The parameter message is required"
    kind, tag = data.get("messaging_type"), data.get("tag")
    if kind not in MESSAGING_TYPES:
        return "Param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG"
    if kind == "MESSAGE_TAG" and tag not in MESSAGE_TAGS:
        return "Param tag must be a valid message tag"
    if kind != "MESSAGE_TAG" and tag is not None:
        return "Param tag is only allowed with messaging_type MESSAGE_TAG"
    text = message.get("text")
    if (text is None) == ("attachment" not in message):
        return "Message must contain exactly one of text or attachment"
    if text is not None and not _filled(text):
        return "Param message[text] must be a non-empty UTF-8 encoded string"
    if isinstance(text, str) and len(text) > 2000:
        return "Length of param message[text] must be less than or equal to 2000"
    if "quick_replies" in message:
        return _quick_replies_problem(message["quick_replies"])
    return ""


def _quick_replies_problem(replies: Any) -> str:
    if not isinstance(replies, list) or not 1 <= len(replies) <= 13:
        return "Param message[quick_replies] must be an array of 1 to 13 quick replies"
    for reply in replies:
        if not isinstance(reply, dict) or reply.get("content_type") not in QUICK_REPLY_TYPES:
            return "Param message[quick_replies][content_type] is invalid"
        if reply["content_type"] != "text":
            continue
        # Meta cuts longer titles short; refusing them here catches a client that sends them.
        if not _filled(reply.get("title")) or len(reply["title"]) > 20:
            return "Param message[quick_replies][title] must be 1 to 20 characters"
        payload = reply.get("payload")
        if not (_filled(payload) or isinstance(payload, int)) or len(str(payload)) > 1000:
            return "Param message[quick_replies][payload] must be 1 to 1000 characters"
    return ""


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _error_for(data: Any, code: int, subcode: int | None) -> dict[str, Any]:
    """Return the error body of the API `data` was sent to."""
    if _is_messenger(data):
        return messenger_error_body(code, subcode)
    body = error_body(code)
    if subcode is not None:
        body["error"]["error_subcode"] = subcode
    return body


def _pairs(headers: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple((headers or {}).items())


def _accepted(data: dict, wamid: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "contacts": [
            {"input": data["to"], "wa_id": data["to"]}
            if "to" in data
            else {"input": data["recipient"], "user_id": data["recipient"]}
        ],
        "messages": [{"id": wamid}],
    }


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
            status, body, extra = fake._answer(self.path, headers, data)
            self._reply(status, body, extra)

        def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
            headers = {k.lower(): v for k, v in self.headers.items()}
            self._reply(*fake._profile(self.path, headers))

        def _reply(self, status: int, body: dict, extra: tuple[tuple[str, str], ...] = ()) -> None:
            out = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler
