"""The guard against server-side request forgery: which URLs and addresses a fetch may reach.

Every URL (the first, every link, every redirect hop) is checked here, and its host resolved
once: the fetch then connects to the address that was checked, so a second DNS answer cannot
swap in an internal one. A public host is asked on the web's ports only. Only the exact
host:port origins of WEBSITE_IMPORT_ALLOWED_HOSTS skip the address and port checks.

What an internal host resolves to is said in the server's log, never in the refusal: its words
reach the admin who asked for the import (any business's owner) and the import report.

A name is looked up by one of a few shared threads and waited for only until the fetch's
deadline: the system resolver's own timeouts and retries cannot hold the caller past it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2000
DEFAULT_PORTS = {"http": 80, "https": 443}
# A business's website is served on these; another port of its host is another service.
WEB_PORTS = frozenset(DEFAULT_PORTS.values())
# 64:ff9b::/96 translates to IPv4 (NAT64): the embedded address is what it reaches.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Not globally routable or special-purpose, yet not flagged by Python 3.11's ipaddress
# (is_private, is_reserved, is_global, ...), so refused by name. Everything else IANA's
# special-purpose registries mark as not globally reachable is flagged there already (and IPv6
# outside 2000::/3 is reserved, multicast, link-local or private, but for fec0::/10).
_DENIED = [
    (ipaddress.ip_network(net), reason)
    for net, reason in [
        ("192.0.0.0/24", "an IETF protocol assignment address"),  # RFC 6890; all of it
        ("192.88.99.0/24", "a 6to4 relay anycast address"),  # deprecated, RFC 7526
        ("fec0::/10", "a site-local address"),  # deprecated, RFC 3879
        ("3fff::/20", "a documentation address"),  # RFC 9637
    ]
]
_IP = ipaddress.IPv4Address | ipaddress.IPv6Address
# How many name lookups may run at once in this process. A lookup that does not answer keeps
# its thread until the resolver gives up; while all of them are taken, a new lookup waits for
# one until its own deadline.
LOOKUP_THREADS = 4


class Refused(Exception):
    """A URL the guard will not fetch; the message says why, `reason` names it (a code the admin
    API hands on for the console to word)."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class TooSlow(Exception):
    """A name's lookup had not answered by the deadline."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect and what to call the host."""

    url: str
    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int
    path: str  # path and query, never empty
    host_header: str
    address: str | None  # the checked IP to connect to; None when a proxy connects instead


def parse(url: str) -> Target:
    """Split an http(s) URL into a Target (address unresolved); Refused when it is unusable."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise Refused(f"a URL must be at most {MAX_URL_LENGTH} characters", "bad_url")
    if any(ch in url for ch in "\x00\r\n\t ") or not url.isprintable():
        raise Refused("the URL contains blanks or control characters", "bad_url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"not a valid URL ({exc})", "bad_url") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise Refused("only http and https URLs can be imported", "not_http")
    if parts.username is not None or parts.password is not None:
        raise Refused("the URL must not contain a user name or password", "url_credentials")
    host = (parts.hostname or "").lower()
    if not host:
        raise Refused("the URL has no host", "bad_url")
    try:
        host = host.encode("idna").decode("ascii")  # a Host header is ASCII
    except UnicodeError:
        raise Refused("the URL's host is not a valid name", "bad_url") from None
    port = port or DEFAULT_PORTS[scheme]
    netloc = f"[{host}]" if ":" in host else host
    host_header = netloc if port == DEFAULT_PORTS[scheme] else f"{netloc}:{port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    clean = f"{scheme}://{host_header}{path}"
    return Target(clean, scheme, host, port, path, host_header, None)


def blocked_reason(address: str) -> str | None:
    """Why an IP address must not be reached (private, loopback, ...), or None when public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    for inner in _embedded(ip):
        reason = _reason(inner)
        if reason:
            return reason
    return _reason(ip)


def _embedded(ip: _IP) -> list[_IP]:
    """IPv4 addresses an IPv6 address stands for (mapped, 6to4, Teredo, NAT64)."""
    if ip.version == 4:
        return []
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo:
        found.append(ip.teredo[1])
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _reason(ip: _IP) -> str | None:
    checks = [
        ("a loopback address", ip.is_loopback),
        ("a link-local address", ip.is_link_local),
        ("a multicast address", ip.is_multicast),
        ("an unspecified address", ip.is_unspecified),
        ("a private address", ip.is_private),
        ("a reserved address", ip.is_reserved),
        ("an address that is not globally reachable", not ip.is_global),
    ]
    flagged = next((name for name, hit in checks if hit), None)
    return flagged or next((reason for net, reason in _DENIED if ip in net), None)


def resolve(host: str, port: int, *, deadline: float) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself).

    `deadline` is a time.monotonic() instant: TooSlow when the lookup has not answered by then.
    """
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    return lookup(host, port, deadline=deadline)


def lookup(host: str, port: int, *, deadline: float, family: int = 0) -> list[str]:
    """The addresses of `host` (a name) for a TCP connection, in the resolver's order; OSError
    when it does not resolve, TooSlow when it has not answered by `deadline`."""
    infos = _lookups.run(
        lambda: _getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM), deadline
    )
    return list(dict.fromkeys(info[4][0] for info in infos))


def _getaddrinfo(host: str, port: int, **kwargs):
    """socket.getaddrinfo (a seam for tests that give names their own addresses)."""
    return socket.getaddrinfo(host, port, **kwargs)


class _Lookup:
    """One call of a lookup thread: its answer or error, once `done` is set."""

    def __init__(self, call: Callable[[], list]):
        self.call: Callable[[], list] | None = call
        self.done = threading.Event()
        self.answer: list | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.answer = self.call()
        except BaseException as exc:  # handed to the caller, if it is still waiting
            self.error = exc.with_traceback(None)  # no frames kept alive with it
        finally:
            self.call = None
            self.done.set()


class _Lookups:
    """Runs each lookup in a daemon thread of its own, at most `size` at a time, and waits for
    it until the caller's deadline. A lookup given up on finishes in its thread whenever the
    resolver returns; its answer is then dropped with it, and its place freed."""

    def __init__(self, size: int):
        self.size = size
        self._places = threading.BoundedSemaphore(size)

    def run(self, call: Callable[[], list], deadline: float) -> list:
        if not _wait(lambda left: self._places.acquire(timeout=left), deadline):
            raise TooSlow("every lookup thread is busy")
        job = _Lookup(call)
        try:
            threading.Thread(
                target=self._work, args=(job, self._places), name="address-lookup", daemon=True
            ).start()
        except BaseException:
            self._places.release()
            raise
        if not _wait(job.done.wait, deadline):
            raise TooSlow("the lookup did not answer in time")
        if job.error is not None:
            raise job.error
        return job.answer

    @staticmethod
    def _work(job: _Lookup, places: threading.BoundedSemaphore) -> None:
        try:
            job.run()
        finally:
            places.release()

    def _after_fork(self) -> None:
        # The threads holding places were not copied into the child: its places are all free.
        self._places = threading.BoundedSemaphore(self.size)


def _wait(wait: Callable[[float], bool], deadline: float) -> bool:
    """Call `wait(seconds left)` until it returns True (True) or `deadline` passes (False)."""
    while (left := deadline - time.monotonic()) > 0:
        if wait(left):
            return True
    return False


_lookups = _Lookups(LOOKUP_THREADS)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_lookups._after_fork)


def check(
    target: Target, allowed: frozenset[tuple[str, int]], *, deadline: float, proxied: bool = False
) -> Target:
    """`target` with the address to connect to; Refused when its host is not public or its port
    not a web port, TooSlow when its name has not resolved by `deadline` (a time.monotonic()
    instant).

    With `proxied`, the proxy connects: a name that does not resolve here is left to it.
    """
    exempt = (target.host, target.port) in allowed
    if not exempt and (target.host == "localhost" or target.host.endswith(".localhost")):
        raise _internal(target, "is this machine")
    try:
        addresses = resolve(target.host, target.port, deadline=deadline)
    except OSError:
        if not proxied:
            raise Refused(f"cannot resolve {target.host}", "unknown_host") from None
        addresses = []  # the proxy's to resolve; its port is still checked
    else:
        if not addresses:
            raise Refused(f"cannot resolve {target.host}", "unknown_host")
    if not exempt:
        for address in addresses:
            # Any private answer refuses the host: a mixed answer is how rebinding starts.
            reason = blocked_reason(address)
            if reason:
                raise _internal(target, f"resolves to {reason} ({address})")
        if target.port not in WEB_PORTS:
            raise Refused(
                f"only ports 80 and 443 can be imported, not {target.port}", "port_not_allowed"
            )
    if proxied:
        return target
    return Target(**{**target.__dict__, "address": addresses[0]})


def _internal(target: Target, why: str) -> Refused:
    """The refusal of a host that is not public, in the same words whatever `why` (which the
    log has): which internal range a name resolves into, and to which address, is ours to know.
    (That a name resolves at all still shows: one that does not is `unknown_host`.)"""
    log.info("website import refused %s, which %s", target.host, why)
    return Refused(f"{target.host} is not a public address", "private_address")


def same_site(target: Target, site: Target) -> bool:
    """Whether `target` belongs to the site being imported: the same host (with or without
    "www."), on the same scheme and port, or the https version of an http site."""
    if _bare(target.host) != _bare(site.host):
        return False
    if (target.scheme, target.port) == (site.scheme, site.port):
        return True
    return target.scheme == "https" and target.port == 443 and site.scheme == "http"


def _bare(host: str) -> str:
    return host.removeprefix("www.")
