"""A fake OpenAI-compatible chat completions server, so the real ChatOpenAI client runs for real."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from tests.fake_http import QuietServer


def text_reply(content: str) -> dict:
    """A completion whose message is plain text."""
    return {"role": "assistant", "content": content}


def tool_call(name: str, args: dict | str, call_id: str | None = None) -> dict:
    """A completion message calling one tool (`args` a dict, or a raw string for bad JSON)."""
    arguments = args if isinstance(args, str) else json.dumps(args)
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id or f"call_{uuid.uuid4().hex[:10]}",
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
        ],
    }


class FakeLLM:
    """Serves POST /v1/chat/completions from a script; records every request body."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[dict | tuple[int, dict | bytes] | Callable[[dict], dict]] = []
        self.default: Callable[[dict], dict] = lambda body: text_reply(
            "You said: " + last_user_text(body)
        )
        self.hold = threading.Event()
        self.hold.set()  # cleared by a test to make calls block until it is set again
        self.entered = threading.Event()
        self._cond = threading.Condition()
        self._server = QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.hold.set()
        self._server.shutdown()
        self._server.server_close()

    def wait_for_requests(self, n: int, timeout: float = 20.0) -> bool:
        """Block until at least `n` requests arrived."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.requests) >= n, timeout)

    def _next(self, body: dict) -> tuple[int, dict]:
        with self._cond:
            step = self.script.pop(0) if self.script else self.default
        if callable(step):
            step = step(body)
        if isinstance(step, tuple):
            return step
        return 200, {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": step, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake._cond:
                    fake.requests.append(body)
                    fake._cond.notify_all()
                fake.entered.set()
                fake.hold.wait(60)
                status, payload = fake._next(body)
                # bytes go out as they are: a body that is not JSON at all
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def last_user_text(body: dict) -> str:
    """The content of the last user message in a chat completions request."""
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def system_prompt(body: dict) -> str:
    """The system message of a chat completions request."""
    for message in body.get("messages", []):
        if message.get("role") == "system":
            return message.get("content") or ""
    return ""
