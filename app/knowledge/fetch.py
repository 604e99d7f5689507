"""HTTP GET for the website import: the guard on every hop, redirects by hand, hard limits.

Without a proxy the connection goes to the very address the guard checked, while the Host
header, TLS server name and certificate check keep the real host name. With a proxy (from the
standard HTTP_PROXY/HTTPS_PROXY/NO_PROXY variables) the proxy connects; the guard still refuses
hosts that resolve here to internal addresses, but cannot see what the proxy resolves.

The page's deadline bounds the whole request, not just each read: every name lookup (each
hop's host in the guard, a proxy's host before connecting to it) is waited for only until it,
and a watchdog thread shuts the connection's socket down when it passes, so a resolver that
does not answer, or a server that drips its TLS handshake, status line, headers or body a byte
at a time, is cut off there, and the page fails as too slow.
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

import certifi
import urllib3
import urllib3.connection
import urllib3.util.connection

from app.knowledge import guard
from app.knowledge.guard import Target

REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 65536
TOO_SLOW = "too slow: the time limit passed before it answered"
UNREACHABLE = "site_unreachable"  # the reason of a connection that failed (refused, broken, ...)


@dataclass(frozen=True)
class FetchPolicy:
    """Who the fetcher says it is and where it may go."""

    allowed: frozenset[tuple[str, int]]  # host:port origins exempt from the address check
    proxies: dict[str, str]  # urllib's getproxies_environment(): scheme -> proxy URL, "no"
    user_agent: str
    page_timeout: float  # seconds for one page, redirects included
    max_redirects: int = 5


class FetchFailed(Exception):
    """The page could not be read (status, size, type, network); the message says why, `reason`
    names it (a code the admin API hands on for the console to word)."""

    def __init__(self, message: str, reason: str, status: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.status = status  # the HTTP status of a response other than 200


class TimeUp(FetchFailed):
    """The import's time limit passed while this page was being read."""

    def __init__(self, message: str):
        super().__init__(message, "site_too_slow")


class TooLarge(FetchFailed):
    """The page is larger than it may be; reading stopped at the limit."""

    def __init__(self, message: str):
        super().__init__(message, "page_too_large")


@dataclass(frozen=True)
class Response:
    """A page read in full, within the limits."""

    url: str  # after redirects
    status: int
    content_type: str
    charset: str | None
    body: bytes
    cut: bool = False  # the body went on past the limit: this is its beginning only


def get(
    url: str,
    policy: FetchPolicy,
    *,
    deadline: float,
    max_bytes: int,
    types: tuple[str, ...] | None,
    allow: Callable[[Target], None] | None = None,
    cut: bool = False,
) -> Response:
    """GET `url`, following at most `policy.max_redirects` redirects, each hop guarded.

    `deadline` is a time.monotonic() instant; `types` the content types accepted (None: any);
    `allow`, when given, is asked about every hop before it is requested and raises Refused to
    stop it (another site, robots.txt). Reading stops at `max_bytes`: a longer body fails as
    TooLarge or, with `cut`, is returned cut there (`Response.cut`), whatever size it announced.
    Raises Refused (guard or `allow`) or FetchFailed (everything else).
    """
    deadline = min(deadline, time.monotonic() + policy.page_timeout)
    target = guard.parse(url)
    for _ in range(policy.max_redirects + 1):
        if allow is not None:
            allow(target)
        proxy = proxy_for(target, policy.proxies)
        target = check(target, policy, deadline=deadline)
        with _open(target, proxy, policy, deadline) as resp:
            location = resp.headers.get("Location")
            if resp.status in REDIRECTS and location:
                target = guard.parse(urljoin(target.url, location.strip()))
                continue
            return _accept(target, resp, deadline, max_bytes, types, cut)
    raise FetchFailed(f"more than {policy.max_redirects} redirects", "too_many_redirects")


def check(target: Target, policy: FetchPolicy, *, deadline: float) -> Target:
    """guard.check for a fetch under `policy`: Refused by the guard, TimeUp when the host's
    name has not resolved by `deadline`."""
    proxied = proxy_for(target, policy.proxies) is not None
    try:
        return guard.check(target, policy.allowed, deadline=deadline, proxied=proxied)
    except guard.TooSlow:
        raise TimeUp(TOO_SLOW) from None


def proxy_for(target: Target, proxies: dict[str, str]) -> str | None:
    """The proxy URL for `target` from the standard variables, or None (none set, or NO_PROXY)."""
    proxy = proxies.get(target.scheme)
    if not proxy or urllib.request.proxy_bypass_environment(target.host, proxies):
        return None
    return proxy


def _accept(target: Target, resp, deadline: float, max_bytes: int, types, cut: bool) -> Response:
    if resp.status != 200:
        raise FetchFailed(f"HTTP {resp.status}", "http_error", resp.status)
    content_type, _, params = (resp.headers.get("Content-Type") or "").partition(";")
    content_type = content_type.strip().lower()
    if types is not None and content_type not in types:
        raise FetchFailed(f"not a web page ({content_type or 'no content type'})", "not_a_page")
    length = resp.headers.get("Content-Length", "")
    if not cut and length.isdigit() and int(length) > max_bytes:
        raise TooLarge(f"larger than {max_bytes} bytes")
    body, over = _read(resp, deadline, max_bytes, cut)
    charset = next(
        (
            v.strip().strip("\"'")
            for k, _, v in (p.partition("=") for p in params.split(";"))
            if k.strip().lower() == "charset"
        ),
        None,
    )
    return Response(target.url, resp.status, content_type, charset, body, over)


def _read(resp, deadline: float, max_bytes: int, cut: bool) -> tuple[bytes, bool]:
    """The body, read as it arrives, and whether it went on past `max_bytes`: reading stops one
    byte past it (the byte that tells), and fails as TooLarge or, with `cut`, keeps the first
    `max_bytes`; TimeUp past `deadline`."""
    chunks, size = [], 0
    while True:
        try:
            # Returns as soon as any data arrives, and never more than the byte past the limit.
            chunk = resp.read1(min(CHUNK, max_bytes + 1 - size))
        except urllib3.exceptions.HTTPError as exc:
            raise _failure(exc, deadline) from None
        if time.monotonic() >= deadline:  # an end now may be the watchdog's, not the page's
            raise TimeUp("too slow: the time limit passed while reading it")
        if not chunk:
            return b"".join(chunks), False
        size += len(chunk)
        if size > max_bytes:
            if not cut:
                raise TooLarge(f"larger than {max_bytes} bytes")
            chunks.append(chunk[: len(chunk) - (size - max_bytes)])
            return b"".join(chunks), True
        chunks.append(chunk)


class _open:
    """GET one checked target (no redirects followed); closes the connection on exit."""

    def __init__(self, target: Target, proxy: str | None, policy: FetchPolicy, deadline: float):
        self.target, self.proxy, self.policy, self.deadline = target, proxy, policy, deadline
        self.pool = None
        self.resp = None
        self.watchdog = None

    def __enter__(self):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeUp(TOO_SLOW)
        timeout = urllib3.Timeout(connect=remaining, read=remaining)
        headers = {
            "User-Agent": self.policy.user_agent,
            "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1",
            "Accept-Encoding": "identity",
        }
        t = self.target
        tls = {"cert_reqs": "CERT_REQUIRED", "ca_certs": certifi.where()}
        self.watchdog = _Watchdog(self.deadline)
        watching = _current_watchdog.set(self.watchdog)  # for the connections the pool opens
        try:
            if self.proxy:
                self.pool = urllib3.ProxyManager(self.proxy, num_pools=1, **tls)
                self.pool.pool_classes_by_scheme = _POOLS
                url = t.url
            elif t.scheme == "https":
                self.pool = _HTTPSPool(
                    t.address, t.port, server_hostname=t.host, assert_hostname=t.host, **tls
                )
                url, headers["Host"] = t.path, t.host_header
            else:
                self.pool = _HTTPPool(t.address, t.port)
                url, headers["Host"] = t.path, t.host_header
            self.resp = self.pool.urlopen(
                "GET",
                url,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=True,
                timeout=timeout,
                assert_same_host=False,
            )
            if time.monotonic() >= self.deadline:  # headers the watchdog may have cut short
                raise TimeUp(TOO_SLOW)
        except urllib3.exceptions.HTTPError as exc:
            self.__exit__()
            raise _failure(exc, self.deadline) from None
        except BaseException:
            self.__exit__()
            raise
        finally:
            _current_watchdog.reset(watching)
        return self.resp

    def __exit__(self, *exc_info):
        if self.watchdog is not None:
            self.watchdog.stop()
        if self.resp is not None:
            self.resp.close()
        if self.pool is not None and self.proxy:
            # A ProxyManager's clear() leaves closing its pools to the garbage collector.
            for key in self.pool.pools.keys():
                pool = self.pool.pools.get(key)
                if pool is not None:
                    pool.close()
            self.pool.clear()
        elif self.pool is not None:
            self.pool.close()
        return False


class _Watchdog:
    """Shuts down the sockets of one request when its deadline passes, so a read blocked on a
    server that sends a byte now and then returns (at its end of data or with an error)."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []  # duplicates: ours to close, never reused
        self._fired = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fetch-deadline", daemon=True)
        self._thread.start()

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down at the deadline (at once if it has passed)."""
        dup = sock.dup()  # the same connection: shutting it down ends reads on `sock` too
        with self._lock:
            if not self._fired:
                self._socks.append(dup)
                return
        _shut(dup)
        dup.close()

    def stop(self) -> None:
        """End the watch (the thread included) and close the duplicates."""
        self._stopped.set()
        self._thread.join()
        for dup in self._socks:
            dup.close()
        self._socks.clear()

    def _run(self) -> None:
        while (left := self.deadline - time.monotonic()) > 0:
            if self._stopped.wait(left):
                return
        with self._lock:
            self._fired = True
            for dup in self._socks:
                _shut(dup)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer


# The watchdog of the request being opened, handed to every connection its pool opens.
_current_watchdog: contextvars.ContextVar[_Watchdog] = contextvars.ContextVar("fetch_watchdog")


class _Watched:
    """A connection whose socket is given to the request's watchdog as soon as it connects
    (before any TLS handshake or proxy tunnel). A host it is given by name (a proxy's: a
    target's is always the checked address) is looked up within the request's deadline."""

    def _new_conn(self) -> socket.socket:
        watchdog = _current_watchdog.get(None)
        if watchdog is None:  # only _open makes these pools: never read without a deadline
            raise RuntimeError("a website import connection without a watchdog")
        sock = self._connect(watchdog.deadline)
        try:
            watchdog.watch(sock)
        except BaseException:
            sock.close()
            raise
        return sock

    def _connect(self, deadline: float) -> socket.socket:
        """urllib3's connect, its name lookup made by the guard's lookup threads, so that a
        resolver that does not answer fails it at `deadline` as a connect timeout."""
        name = self._dns_host
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            pass
        else:
            return super()._new_conn()  # nothing to look up
        family = urllib3.util.connection.allowed_gai_family()
        try:
            addresses = guard.lookup(name, self.port, deadline=deadline, family=family)
        except guard.TooSlow:
            raise urllib3.exceptions.ConnectTimeoutError(
                self, f"Connection to {self.host} timed out: no address in time"
            ) from None
        except OSError as exc:
            raise urllib3.exceptions.NameResolutionError(self.host, self, exc) from None
        if not addresses:
            raise urllib3.exceptions.NewConnectionError(self, f"{self.host} has no address")
        timeout, failed = self.timeout, None
        try:
            for address in addresses:  # in order, as socket.create_connection tries them
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._dns_host = address  # the name itself stays for TLS and the tunnel
                self.timeout = min(timeout, left) if isinstance(timeout, int | float) else left
                try:
                    return super()._new_conn()
                except urllib3.exceptions.NewConnectionError as exc:  # refused: the next one
                    failed = exc
            if failed is None or time.monotonic() >= deadline:
                raise urllib3.exceptions.ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out"
                )
            raise failed
        finally:
            self._dns_host, self.timeout = name, timeout
            failed = None  # no cycle from its traceback back to this frame


class _HTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}  # for the proxy manager's pools


def _failure(exc: Exception, deadline: float) -> FetchFailed:
    """A short, secret-free reason for a transport error. (urllib3's refused connection is a
    kind of its TimeoutError, so it is told apart first.)"""
    if time.monotonic() >= deadline:
        return TimeUp(TOO_SLOW)
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return FetchFailed("cannot connect", UNREACHABLE)
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return TimeUp(TOO_SLOW)
    names = {
        urllib3.exceptions.SSLError: ("TLS failed", "tls_failed"),
        urllib3.exceptions.ProxyError: ("the proxy refused", UNREACHABLE),
        urllib3.exceptions.NewConnectionError: ("cannot connect", UNREACHABLE),
        urllib3.exceptions.ProtocolError: ("the connection broke", UNREACHABLE),
    }
    message, reason = next(
        (v for k, v in names.items() if isinstance(exc, k)), ("network error", UNREACHABLE)
    )
    return FetchFailed(message, reason)
