"""A recording HTTP server that answers every request with a fixed JSON body."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RecordingServer:
    """Records (method, path, body) of every request; answers 200 with `reply`."""

    def __init__(self, reply: dict | None = None):
        self.requests: list[tuple[str, str, bytes]] = []
        self.reply = json.dumps(reply or {}).encode()
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, predicate, timeout: float = 20.0) -> bool:
        """Block until `predicate(requests)` holds."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self.requests), timeout)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with fake._cond:
                    fake.requests.append((self.command, self.path, body))
                    fake._cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(fake.reply)))
                self.end_headers()
                self.wfile.write(fake.reply)

            do_POST = do_GET = do_PUT = _record  # noqa: N815 - names fixed by http.server

        return Handler
