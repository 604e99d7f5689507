"""A local website for the website import: pages, redirects, a slow page, a huge one, a hang-up.

It records every request (path and Host header), so a test can show what was never fetched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from tests.fake_http import QuietServer

Route = Callable[[BaseHTTPRequestHandler], None]


def page(body: str, status: int = 200, content_type: str = "text/html; charset=utf-8") -> Route:
    """A fixed response with a Content-Length."""
    data = body.encode()

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return respond


def redirect(location: str, status: int = 302) -> Route:
    """A redirect to `location`."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return respond


def stalled(release: threading.Event, body: str = "<p>Too late.</p>") -> Route:
    """A page that answers only once `release` is set (the test sets it when it ends)."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        release.wait(30)
        page(body)(handler)

    return respond


def hang_up(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection without an answer."""
    handler.close_connection = True


def endless(head: str, size: int) -> Route:
    """`size` bytes of HTML streamed without a Content-Length, `head` first."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        chunk = b"<p>" + b"filler text " * 5000 + b"</p>\n"
        try:
            handler.wfile.write(head.encode())
            sent = len(head)
            while sent < size:
                handler.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the reader hung up, as it should

    return respond


class FakeSite:
    """Serves `routes` (path with query -> Route) on 127.0.0.1; 404 for anything else."""

    def __init__(self, routes: dict[str, Route] | None = None):
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        self._lock = threading.Lock()
        self._server = QuietServer(("127.0.0.1", 0), self._handler())
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        with self._lock:
            return [path for path, _ in self.requests]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - name fixed by http.server
                with site._lock:
                    site.requests.append((self.path, self.headers.get("Host", "")))
                route = site.routes.get(self.path) or page("<h1>Not found</h1>", 404)
                route(self)

        return Handler
