"""The website import's limits hold against hostile servers and resolvers: a page's deadline
bounds the whole request however slowly a server sends it (TLS handshake, proxy tunnel, status
line, headers, body) or a resolver answers (each hop's name, a proxy's name), hung lookups hold
only a few threads, and the guard refuses special-purpose addresses Python's ipaddress does not
flag."""

from __future__ import annotations

import errno
import os
import socket
import socketserver
import threading
import time

import pytest
import urllib3

from app.knowledge import fetch, guard
from app.knowledge.crawl import CrawlLimits, crawl
from app.knowledge.fetch import FetchFailed, FetchPolicy, TimeUp, TooLarge
from app.storage import db
from tests.fake_site import FakeSite, endless, page, redirect

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


def test_a_refused_connection_is_not_called_too_slow():
    """Nothing listens on the port: the site cannot be reached, which is not slowness."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))  # a port of ours, not listening: connecting is refused
        port = held.getsockname()[1]
        with pytest.raises(FetchFailed) as raised:
            fetch.get(
                f"http://127.0.0.1:{port}/",
                policy(("127.0.0.1", port)),
                deadline=time.monotonic() + 30,
                max_bytes=1000,
                types=("text/html",),
            )
    assert (type(raised.value), str(raised.value)) == (FetchFailed, "cannot connect")


@pytest.mark.parametrize("cut", [False, True])
def test_reading_stops_one_byte_past_the_limit(monkeypatch, cut):
    """However long a body goes on (here as good as without end), no more than the limit and the
    byte that tells it is over is read: the page fails as too large or, cut, is its beginning."""
    read: list[int] = []
    read1 = urllib3.response.HTTPResponse.read1

    def counted(self, amt=None, *args, **kwargs):
        chunk = read1(self, amt, *args, **kwargs)
        read.append(len(chunk))
        return chunk

    monkeypatch.setattr(urllib3.response.HTTPResponse, "read1", counted)
    site = FakeSite({"/": endless("<p>head</p>", 1_000_000_000)})
    try:
        got = fetch.get(
            site.origin + "/",
            policy(("127.0.0.1", site.port)),
            deadline=time.monotonic() + BOUND,
            max_bytes=100_000,
            types=("text/html",),
            cut=cut,
        )
    except TooLarge:
        got = None
    finally:
        site.stop()
    assert sum(read) == 100_001
    if cut:
        assert (got.cut, len(got.body), got.body[:11]) == (True, 100_000, b"<p>head</p>")
    else:
        assert got is None


@pytest.mark.parametrize("size, cut", [(999, False), (1000, False), (1001, True), (50_000, True)])
def test_a_body_announced_past_the_limit_is_cut_there(size, cut):
    site = FakeSite({"/": page("x" * size)})
    try:
        got = fetch.get(
            site.origin + "/",
            policy(("127.0.0.1", site.port)),
            deadline=time.monotonic() + BOUND,
            max_bytes=1000,
            types=("text/html",),
            cut=True,
        )
    finally:
        site.stop()
    assert (got.body, got.cut) == (b"x" * min(size, 1000), cut)


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
    "page_timeout, time_limit, stopped, stopped_code",
    [(LIMIT, 60.0, None, None), (60.0, LIMIT, "time limit reached", "time_limit")],
)
def test_a_crawl_gives_up_on_a_slow_page(
    drip_server, page_timeout, time_limit, stopped, stopped_code
):
    server = drip_server(HEADERS + b"X-Slow: ", b"a")
    p = policy(("127.0.0.1", server.port), page_timeout=page_timeout)
    started = time.monotonic()
    report = crawl(server.origin + "/", p, CrawlLimits(max_pages=5, time_limit=time_limit))
    assert time.monotonic() - started < BOUND
    assert report.as_dict() == {
        "start_url": server.origin + "/",
        "pages": [],
        "skipped": [{"url": server.origin + "/", "reason": TOO_SLOW, "code": "site_too_slow"}],
        "skipped_omitted": 0,
        "other_site_links": 0,
        "stopped": stopped,
        "stopped_code": stopped_code,
        "robots_cut": [],
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
    assert resp.get_json()["reason"] == "site_too_slow"
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
    deadline = time.monotonic() + BOUND
    with pytest.raises(guard.Refused) as refused:
        guard.check(guard.parse("http://intranet.example/"), frozenset(), deadline=deadline)
    assert refused.value.reason == "private_address"


HANG = DRIP  # how long a hung lookup would block if the test never released it
FETCHERS = 12  # fetches at once against a hung resolver: more than there are lookup threads


def lookup_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "address-lookup"]


class SlowDNS:
    """socket.getaddrinfo for the names a test gives: each answers its addresses, after
    `before()` returns; a hung name only once `release` is set (when the test ends). Every
    call is recorded with the name of the thread that made it; other names go to the real
    resolver (numeric hosts: the local servers)."""

    def __init__(self, real):
        self.real = real
        self.release = threading.Event()
        self.calls: list[tuple[str, str]] = []  # (name, thread)
        self.busy = self.most_busy = 0  # lookups blocked in here now, and at most
        self._names: dict[str, tuple[list[str], object]] = {}
        self._lock = threading.Lock()

    def answer(self, name: str, addresses: list[str], before=lambda: None) -> None:
        self._names[name] = (addresses, before)

    def hang(self, name: str, addresses: list[str]) -> None:
        self.answer(name, addresses, lambda: self.release.wait(HANG))

    def getaddrinfo(self, host, port, *args, **kwargs):
        if host not in self._names:
            return self.real(host, port, *args, **kwargs)
        addresses, before = self._names[host]
        with self._lock:
            self.calls.append((host, threading.current_thread().name))
            self.busy += 1
            self.most_busy = max(self.most_busy, self.busy)
        try:
            before()
        finally:
            with self._lock:
                self.busy -= 1
        port = int(port or 0)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]


@pytest.fixture
def slow_dns(monkeypatch):
    """A SlowDNS standing in for socket.getaddrinfo (for the guard and the HTTP client alike).
    At the end it answers the hung lookups, and their threads must all end; no watchdog may be
    left."""
    dns = SlowDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo)
    yield dns
    dns.release.set()
    for thread in lookup_threads():
        thread.join(BOUND)
    assert lookup_threads() == []
    assert watchdogs() == []


@pytest.mark.parametrize("page_timeout, deadline", [(LIMIT, 60.0), (60.0, LIMIT)])
def test_the_deadline_bounds_a_slow_name_lookup(slow_dns, page_timeout, deadline):
    slow_dns.hang("shop.test", ["93.184.216.34"])
    error, took = timed_get("http://shop.test/", policy(page_timeout=page_timeout), deadline)
    assert (str(error), LIMIT - 0.1 < took < BOUND) == (TOO_SLOW, True)
    assert slow_dns.calls == [("shop.test", "address-lookup")]


def test_a_redirect_hop_is_looked_up_within_the_same_deadline(slow_dns):
    site = FakeSite()
    try:
        site.routes["/go"] = redirect(f"http://slow.test:{site.port}/")
        slow_dns.hang("slow.test", ["127.0.0.1"])
        p = policy(("127.0.0.1", site.port), ("slow.test", site.port))
        error, took = timed_get(site.origin + "/go", p)
    finally:
        site.stop()
    assert (str(error), LIMIT - 0.1 < took < BOUND) == (TOO_SLOW, True)
    assert site.paths == ["/go"]
    assert slow_dns.calls == [("slow.test", "address-lookup")]
    assert sockets_to(site.port) == 0


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_deadline_bounds_a_slow_proxy_lookup(slow_dns, scheme):
    slow_dns.answer("shop.example", ["93.184.216.34"])
    slow_dns.hang("proxy.test", ["127.0.0.1"])
    proxy = "http://proxy.test:9"  # never reached: its name does not resolve in time
    error, took = timed_get(f"{scheme}://shop.example/", policy(proxies={scheme: proxy}))
    assert (str(error), LIMIT - 0.1 < took < BOUND) == (TOO_SLOW, True)
    assert slow_dns.calls == [("shop.example", "address-lookup"), ("proxy.test", "address-lookup")]


@pytest.mark.parametrize(
    "page_timeout, time_limit, stopped, stopped_code",
    [(LIMIT, 60.0, None, None), (60.0, LIMIT, "time limit reached", "time_limit")],
)
def test_a_crawl_gives_up_on_a_site_whose_name_is_slow(
    slow_dns, page_timeout, time_limit, stopped, stopped_code
):
    slow_dns.hang("shop.test", ["93.184.216.34"])
    p = policy(page_timeout=page_timeout)
    started = time.monotonic()
    report = crawl("http://shop.test/", p, CrawlLimits(max_pages=5, time_limit=time_limit))
    assert LIMIT - 0.1 < time.monotonic() - started < BOUND
    assert report.as_dict() == {
        "start_url": "http://shop.test/",
        "pages": [],
        "skipped": [{"url": "http://shop.test/", "reason": TOO_SLOW, "code": "site_too_slow"}],
        "skipped_omitted": 0,
        "other_site_links": 0,
        "stopped": stopped,
        "stopped_code": stopped_code,
        "robots_cut": [],
        "requests": 0,
        "bytes_read": 0,
    }


def test_the_console_import_of_a_slow_name_ends_at_the_limit(app, api, world, slow_dns):
    slow_dns.hang("shop.test", ["93.184.216.34"])
    app.config.update(
        WEBSITE_IMPORT_ALLOWED_HOSTS=frozenset(),
        WEBSITE_IMPORT_PROXIES={},
        WEBSITE_IMPORT_TIME_LIMIT=LIMIT,
        WEBSITE_IMPORT_PAGE_TIMEOUT=60.0,
    )
    started = time.monotonic()
    resp = api(
        "POST",
        f"/businesses/{world.business_id}/reference-document/import",
        json={"url": "http://shop.test/"},
    )
    assert time.monotonic() - started < BOUND
    assert resp.status_code == 422
    assert TOO_SLOW in resp.get_json()["message"]
    assert resp.get_json()["reason"] == "site_too_slow"
    assert db.fetch_one("SELECT count(*) AS n FROM reference_documents")["n"] == 0


def test_hung_lookups_hold_only_a_few_threads(slow_dns):
    # What the hung lookups answer once released: an internal address, dropped unused.
    slow_dns.hang("shop.test", ["10.0.0.8"])
    outcomes = []

    def fetch_one():
        started = time.monotonic()
        try:
            fetch.get(
                "http://shop.test/",
                policy(),
                deadline=started + LIMIT,
                max_bytes=1_000_000,
                types=("text/html",),
            )
        except Exception as exc:
            outcomes.append((type(exc).__name__, str(exc), time.monotonic() - started < BOUND))

    fetchers = [threading.Thread(target=fetch_one) for _ in range(FETCHERS)]
    for thread in fetchers:
        thread.start()
    for thread in fetchers:
        thread.join(HANG + BOUND)
    assert outcomes == [("TimeUp", TOO_SLOW, True)] * FETCHERS
    # Only LOOKUP_THREADS lookups ever started; the other fetches waited for a free lookup
    # thread until their own deadline.
    assert len(slow_dns.calls) == slow_dns.most_busy == guard.LOOKUP_THREADS < FETCHERS
    assert len(lookup_threads()) == guard.LOOKUP_THREADS

    # The resolver answers at last: the threads end and every one of them can be used again.
    slow_dns.release.set()
    for thread in lookup_threads():
        thread.join(BOUND)
    assert lookup_threads() == []
    together = threading.Barrier(guard.LOOKUP_THREADS, timeout=BOUND)
    slow_dns.answer("quick.test", ["93.184.216.34"], before=together.wait)
    answers = []

    def look_up():
        deadline = time.monotonic() + BOUND
        answers.append(guard.lookup("quick.test", 80, deadline=deadline))

    lookers = [threading.Thread(target=look_up) for _ in range(guard.LOOKUP_THREADS)]
    for thread in lookers:
        thread.start()
    for thread in lookers:
        thread.join(2 * BOUND)
    assert answers == [["93.184.216.34"]] * guard.LOOKUP_THREADS


def site_refusing_ipv6(routes) -> tuple[FakeSite, socket.socket | None]:
    """A FakeSite (on 127.0.0.1) whose port on ::1 is held by a socket bound there and not
    listening, so that a connection to [::1]:port is refused (None: no IPv6 here to connect
    to at all)."""
    for _ in range(20):
        site = FakeSite(routes)
        try:
            holder = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        except OSError:
            return site, None
        try:
            holder.bind(("::1", site.port))
            return site, holder
        except OSError as exc:
            holder.close()
            if exc.errno != errno.EADDRINUSE:
                return site, None
            site.stop()
    raise AssertionError("no port free on both 127.0.0.1 and ::1")


def pause():
    time.sleep(0.2)


def test_a_lookup_answering_in_time_connects_to_the_checked_address(slow_dns):
    site = FakeSite({"/": page("<p>Welcome</p>")})
    slow_dns.answer("shop.test", ["127.0.0.1"], before=pause)
    try:
        got = fetch.get(
            f"http://shop.test:{site.port}/",
            policy(("shop.test", site.port), page_timeout=LIMIT),
            deadline=time.monotonic() + 60.0,
            max_bytes=1_000_000,
            types=("text/html",),
        )
    finally:
        site.stop()
    assert got.body == b"<p>Welcome</p>"
    assert site.requests == [("/", f"shop.test:{site.port}")]
    assert slow_dns.calls == [("shop.test", "address-lookup")]
    assert sockets_to(site.port) == 0


def test_a_proxy_name_answering_in_time_is_connected_to_address_by_address(slow_dns):
    # Its first address (IPv6) refuses the connection: the next one (IPv4) is the proxy.
    proxy, holder = site_refusing_ipv6({"http://shop.example/hours": page("<p>9 to 5</p>")})
    slow_dns.answer("shop.example", ["93.184.216.34"])
    slow_dns.answer("proxy.test", ["::1", "127.0.0.1"], before=pause)
    p = policy(proxies={"http": f"http://proxy.test:{proxy.port}"}, page_timeout=LIMIT)
    try:
        got = fetch.get(
            "http://shop.example/hours",
            p,
            deadline=time.monotonic() + 60.0,
            max_bytes=1_000_000,
            types=("text/html",),
        )
    finally:
        proxy.stop()
        if holder is not None:
            holder.close()
    assert got.body == b"<p>9 to 5</p>"
    assert proxy.requests == [("http://shop.example/hours", "shop.example")]
    assert slow_dns.calls == [("shop.example", "address-lookup"), ("proxy.test", "address-lookup")]
    assert sockets_to(proxy.port) == 0


def test_a_lookup_answering_in_time_is_checked_as_strictly(slow_dns):
    slow_dns.answer("mixed.test", ["93.184.216.34", "::ffff:10.0.0.1"], before=pause)
    with pytest.raises(guard.Refused) as refused:
        fetch.get(
            "http://mixed.test/",
            policy(page_timeout=LIMIT),
            deadline=time.monotonic() + 60.0,
            max_bytes=1_000_000,
            types=("text/html",),
        )
    assert str(refused.value) == "mixed.test is not a public address"
    assert slow_dns.calls == [("mixed.test", "address-lookup")]
