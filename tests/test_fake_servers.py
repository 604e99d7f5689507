"""The fake services' server: a client hanging up is not an error; a handler's error still is."""

from __future__ import annotations

import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler

from tests.fake_http import QuietServer


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        raise ValueError("a handler's own mistake")

    def log_message(self, *args) -> None:
        pass


def _serve():
    server = QuietServer(("127.0.0.1", 0), _Handler)
    handled = threading.Event()
    shutdown_request = server.shutdown_request

    def done(request):  # after the request was handled and any error reported
        shutdown_request(request)
        handled.set()

    server.shutdown_request = done
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}).start()
    return server, handled


def _reset_connection(port: int) -> None:
    """Connect and close with a reset (SO_LINGER 0) before sending anything."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_a_client_that_resets_its_connection_prints_nothing(capfd):
    server, handled = _serve()
    try:
        _reset_connection(server.server_address[1])
        assert handled.wait(10)
    finally:
        server.shutdown()
        server.server_close()
    assert capfd.readouterr().err == ""


def test_an_error_in_a_handler_is_still_printed(capfd):
    server, handled = _serve()
    try:
        with socket.create_connection(("127.0.0.1", server.server_address[1])) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert handled.wait(10)
    finally:
        server.shutdown()
        server.server_close()
    assert "ValueError: a handler's own mistake" in capfd.readouterr().err
