"""The website import's limits hold against hostile servers: a page's deadline bounds the whole
request however slowly a server sends it (TLS handshake, proxy tunnel, status line, headers,
body), and the guard refuses special-purpose addresses Python's ipaddress does not flag."""

from __future__ import annotations

import os
import socket
import socketserver
import threading
import time

import pytest

from app.knowledge import fetch, guard
from app.knowledge.crawl import CrawlLimits, crawl
from app.knowledge.fetch import FetchPolicy, TimeUp
from app.storage import db

LIMIT = 2.0  # the page's deadline in these tests, in seconds
BOUND = 10.0  # well past LIMIT, well short of DRIP: a fetch that obeys LIMIT ends before this
DRIP = 30.0  # how long a drip server would keep a response going, a byte every half second
TOO_SLOW = "too slow: the time limit passed before it answered"
BODY = b"<html><title>t</title><p>hello</p></html>"
HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"


class DripServer:
    """Answers every request with `head` at once, then one byte of `drip` every half second
    for DRIP seconds, then `tail`; /robots.txt gets a quick 404 (everything allowed).

    With `tls_record`, it answers the TLS ClientHello instead: a record header announcing 16 kB,
    then the drip, so the handshake never completes. `hung_up` is set when a client goes away
    mid-drip; stop() ends every answer and joins its thread.
    """

    def __init__(self, head: bytes, drip: bytes, tail: bytes = b"", tls: bool = False):
        self.head, self.drip, self.tail, self.tls = head, drip, tail, tls
        self.hung_up = threading.Event()
        self.stopping = threading.Event()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = False  # server_close() joins the answers
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def origin(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler(self):
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                conn = self.request
                try:
                    if server.tls:
                        conn.recv(4096)  # the ClientHello
                        conn.sendall(b"\x16\x03\x03\x40\x00")  # a 16 kB handshake record...
                    else:
                        request = b""
                        while b"\r\n\r\n" not in request:
                            data = conn.recv(4096)
                            if not data:
                                return
                            request += data
                        if request.split(b"\r\n", 1)[0].split(b" ")[1].endswith(b"/robots.txt"):
                            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                            return
                        conn.sendall(server.head)
                    end = time.monotonic() + DRIP
                    while time.monotonic() < end:  # ...sent a byte at a time
                        if server.stopping.wait(0.5):
                            return
                        conn.sendall(server.drip)
                    conn.sendall(server.tail)
                except OSError:
                    server.hung_up.set()

        return Handler


def sockets_to(port: int) -> int:
    """How many of this process's sockets are TCP connections to 127.0.0.1:`port`."""
    ours = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            ours.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass  # closed meanwhile
    found = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                remote_port, inode = int(fields[2].rsplit(":", 1)[1], 16), fields[9]
                found += remote_port == port and f"socket:[{inode}]" in ours
    return found


def watchdogs() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "fetch-deadline"]


@pytest.fixture
def drip_server():
    """start(head, drip, tail, tls): a DripServer, stopped at the end, when the fetch must have
    hung up on it and left no connection to it or watchdog thread behind."""
    servers: list[DripServer] = []

    def start(head: bytes, drip: bytes, tail: bytes = b"", tls: bool = False) -> DripServer:
        servers.append(DripServer(head, drip, tail, tls))
        return servers[-1]

    yield start
    for server in servers:
        assert server.hung_up.wait(BOUND), "the fetch never hung up"
        server.stop()
        assert sockets_to(server.port) == 0
    assert watchdogs() == []


def policy(*origins: tuple[str, int], page_timeout: float = 60.0, proxies=None) -> FetchPolicy:
    return FetchPolicy(
        allowed=frozenset(origins),
        proxies=proxies or {},
        user_agent="test",
        page_timeout=page_timeout,
    )


def timed_get(url: str, p: FetchPolicy, deadline: float = LIMIT) -> tuple[Exception, float]:
    """What fetch.get raised, and how long it took."""
    started = time.monotonic()
    with pytest.raises(TimeUp) as raised:
        fetch.get(url, p, deadline=started + deadline, max_bytes=1_000_000, types=("text/html",))
    return raised.value, time.monotonic() - started


SLOW_ANSWERS = {
    "status line": (b"HTTP/1.1 200 O", b"K", b"\r\nContent-Length: 0\r\n\r\n"),
    "headers": (
        HEADERS + b"X-Slow: ",
        b"a",
        b"\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY),
    ),
    "body with a length": (HEADERS + b"Content-Length: 100000\r\n\r\n" + BODY, b" ", b""),
    # the watchdog's end of data must not pass for the end of the page
    "body to the close": (HEADERS + b"Connection: close\r\n\r\n" + BODY, b" ", b""),
}


@pytest.mark.parametrize("part", SLOW_ANSWERS)
def test_the_deadline_bounds_every_part_of_the_response(drip_server, part):
    server = drip_server(*SLOW_ANSWERS[part])
    error, took = timed_get(server.origin + "/", policy(("127.0.0.1", server.port)))
    assert took < BOUND
    assert str(error) in (TOO_SLOW, "too slow: the time limit passed while reading it")


def test_the_page_timeout_bounds_the_request_too(drip_server):
    server = drip_server(HEADERS + b"X-Slow: ", b"a")
    p = policy(("127.0.0.1", server.port), page_timeout=LIMIT)
    error, took = timed_get(server.origin + "/", p, deadline=60.0)
    assert (str(error), took < BOUND) == (TOO_SLOW, True)


def test_the_deadline_bounds_a_slow_tls_handshake(drip_server):
    server = drip_server(b"", b"\x00", tls=True)
    error, took = timed_get(server.origin + "/", policy(("127.0.0.1", server.port)))
    assert (str(error), took < BOUND) == (TOO_SLOW, True)


@pytest.fixture
def public_name(monkeypatch):
    """shop.example resolves (here, for the guard) to a public address."""

    def getaddrinfo(host, port, **kwargs):
        assert host == "shop.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(guard, "_getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_deadline_bounds_a_slow_proxy(drip_server, public_name, scheme):
    # http: the proxy forwards the GET; https: it answers the CONNECT. Either way, slowly.
    server = drip_server(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a")
    proxy = f"http://127.0.0.1:{server.port}"
    p = policy(proxies={"http": proxy, "https": proxy})
    error, took = timed_get(f"{scheme}://shop.example/", p)
    assert (str(error), took < BOUND) == (TOO_SLOW, True)


@pytest.mark.parametrize(
    "page_timeout, time_limit, stopped",
    [(LIMIT, 60.0, None), (60.0, LIMIT, "time limit reached")],
)
def test_a_crawl_gives_up_on_a_slow_page(drip_server, page_timeout, time_limit, stopped):
    server = drip_server(HEADERS + b"X-Slow: ", b"a")
    p = policy(("127.0.0.1", server.port), page_timeout=page_timeout)
    started = time.monotonic()
    report = crawl(server.origin + "/", p, CrawlLimits(max_pages=5, time_limit=time_limit))
    assert time.monotonic() - started < BOUND
    assert report.as_dict() == {
        "start_url": server.origin + "/",
        "pages": [],
        "skipped": [{"url": server.origin + "/", "reason": TOO_SLOW}],
        "stopped": stopped,
        "requests": 1,
        "bytes_read": 0,
    }


def test_the_console_import_does_not_hold_a_request_past_the_limit(app, api, world, drip_server):
    server = drip_server(HEADERS + b"X-Slow: ", b"a")
    app.config.update(
        WEBSITE_IMPORT_ALLOWED_HOSTS=frozenset({("127.0.0.1", server.port)}),
        WEBSITE_IMPORT_PROXIES={},
        WEBSITE_IMPORT_TIME_LIMIT=LIMIT,
        WEBSITE_IMPORT_PAGE_TIMEOUT=60.0,
    )
    started = time.monotonic()
    resp = api(
        "POST",
        f"/businesses/{world.business_id}/reference-document/import",
        json={"url": server.origin + "/"},
    )
    assert time.monotonic() - started < BOUND
    assert resp.status_code == 422
    assert TOO_SLOW in resp.get_json()["message"]
    assert db.fetch_one("SELECT count(*) AS n FROM reference_documents")["n"] == 0


@pytest.mark.parametrize(
    "address, reason",
    [
        ("fec0::1", "a site-local address"),
        ("fec0:0:0:ffff::1", "a site-local address"),
        ("feff:ffff::1", "a site-local address"),
        ("192.0.0.8", "an IETF protocol assignment address"),
        ("192.0.0.255", "an IETF protocol assignment address"),
        ("192.88.99.1", "a 6to4 relay anycast address"),
        ("3fff::1", "a documentation address"),
        ("3fff:fff:ffff::1", "a documentation address"),
        ("::ffff:192.0.0.8", "an IETF protocol assignment address"),  # mapped
        ("2002:c058:6301::", "a 6to4 relay anycast address"),  # 6to4 of 192.88.99.1
        # already refused by Python's own flags, named as before
        ("192.0.0.1", "a private address"),
        ("100.64.0.1", "an address that is not globally reachable"),
        ("198.18.0.1", "a private address"),
        ("2001:db8::1", "a private address"),
        ("5f00::1", "a reserved address"),
        ("64:ff9b:1::1", "a reserved address"),
        # public neighbours
        ("192.0.1.1", None),
        ("192.88.98.1", None),
        ("3fff:1000::1", None),
        ("2620:4f:8000::1", None),
    ],
)
def test_special_purpose_addresses(address, reason):
    assert guard.blocked_reason(address) == reason


@pytest.mark.parametrize("address", ["fec0::1", "192.0.0.8", "3fff::1"])
def test_a_name_resolving_to_a_special_purpose_address_is_refused(monkeypatch, address):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def getaddrinfo(host, port, **kwargs):
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(guard, "_getaddrinfo", getaddrinfo)
    with pytest.raises(guard.Refused, match="intranet.example resolves to a"):
        guard.check(guard.parse("http://intranet.example/"), frozenset())
