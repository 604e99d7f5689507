"""The fake services' HTTP server, and a recording one that answers every request with a fixed
JSON body."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietServer(ThreadingHTTPServer):
    """A threaded server for the fake services that stays quiet when a client hangs up.

    Tests time out, cancel and kill clients on purpose; socketserver printed a traceback for each
    connection such a client reset or abandoned (on stderr, outside any test's captured output).
    Any other error in a handler is still printed.
    """

    daemon_threads = True
    # Room for as many waiting connections as a test's turns call at once (socketserver's
    # default backlog is 5: more, and a host with many cores saw calls refused).
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class RecordingServer:
    """Records (method, path, body) of every request; answers 200 with `reply`."""

    def __init__(self, reply: dict | None = None):
        self.requests: list[tuple[str, str, bytes]] = []
        self.reply = json.dumps(reply or {}).encode()
        self._cond = threading.Condition()
        self._server = QuietServer(("127.0.0.1", 0), self._handler())
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
