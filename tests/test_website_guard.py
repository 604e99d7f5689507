"""The website import's guard: http(s) only, no internal addresses after DNS and redirects, web
ports only, the checked address is the one connected to, and only exact allowed origins are
exempt. A refusal does not tell the admin what a name resolves to."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from app.knowledge import fetch, guard
from app.knowledge.fetch import FetchPolicy
from app.knowledge.guard import Refused
from tests.fake_site import FakeSite, page, redirect

TYPES = ("text/html",)
PUBLIC = "93.184.216.34"


@pytest.fixture
def site():
    """An allowed local site."""
    server = FakeSite({"/": page("<p>Welcome</p>")})
    yield server
    server.stop()


@pytest.fixture
def internal():
    """A local server nobody allowed: it must never see a request."""
    server = FakeSite({"/": page("<p>internal</p>"), "/admin": page("<p>admin</p>")})
    yield server
    server.stop()


def policy(*origins: tuple[str, int], proxies: dict | None = None) -> FetchPolicy:
    return FetchPolicy(
        allowed=frozenset(origins), proxies=proxies or {}, user_agent="test", page_timeout=5.0
    )


def get(url: str, p: FetchPolicy) -> fetch.Response:
    return fetch.get(url, p, deadline=time.monotonic() + 10, max_bytes=100_000, types=TYPES)


@pytest.fixture
def dns(monkeypatch):
    """Give host names the addresses a test chooses (nothing else is resolved)."""
    names: dict[str, list[str]] = {}

    def getaddrinfo(host, port, **kwargs):
        if host not in names:
            raise socket.gaierror(f"unknown test name {host}")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in names[host]]

    monkeypatch.setattr(guard, "_getaddrinfo", getaddrinfo)
    return names


@pytest.mark.parametrize(
    "address, reason",
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("10.0.0.5", "a private address"),
        ("172.16.3.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("100.64.0.1", "an address that is not globally reachable"),
        ("0.0.0.0", "an unspecified address"),
        ("224.0.0.251", "a multicast address"),
        ("240.0.0.1", "a private address"),
        ("::1", "a loopback address"),
        ("::", "an unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fd12:3456::1", "a private address"),
        ("ff02::1", "a multicast address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("2002:7f00:1::", "a loopback address"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "a link-local address"),  # NAT64 of 169.254.169.254
        ("93.184.216.34", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_address_classes(address, reason):
    assert guard.blocked_reason(address) == reason


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://example.com/", "only http and https URLs can be imported"),
        ("file:///etc/passwd", "only http and https URLs can be imported"),
        ("javascript:alert(1)", "only http and https URLs can be imported"),
        ("http://user:secret@example.com/", "the URL must not contain a user name or password"),
        ("http:///path", "the URL has no host"),
        ("http://exa mple.com/", "the URL contains blanks or control characters"),
        ("http://example.com/" + "a" * 2000, "a URL must be at most 2000 characters"),
    ],
)
def test_unusable_urls_are_refused(url, message):
    with pytest.raises(Refused) as refused:
        guard.parse(url)
    assert str(refused.value) == message


def test_a_loopback_server_not_allowed_is_never_contacted(internal):
    with pytest.raises(Refused) as refused:
        get(internal.origin + "/admin", policy())
    assert str(refused.value) == "127.0.0.1 is not a public address"
    assert internal.paths == []


def test_allowing_one_origin_exempts_exactly_that_host_and_port(site, internal):
    allowed = policy(("127.0.0.1", site.port))
    assert get(site.origin + "/", allowed).body == b"<p>Welcome</p>"
    with pytest.raises(Refused):
        get(internal.origin + "/", allowed)  # same address, other port
    with pytest.raises(Refused):
        get(f"http://localhost:{site.port}/", allowed)  # same port, other name
    assert site.paths == ["/"]
    assert internal.paths == []


def test_a_redirect_to_an_internal_address_is_refused_before_it_is_followed(site, internal):
    site.routes["/go"] = redirect(internal.origin + "/admin")
    with pytest.raises(Refused) as refused:
        get(site.origin + "/go", policy(("127.0.0.1", site.port)))
    assert str(refused.value) == "127.0.0.1 is not a public address"
    assert site.paths == ["/go"]
    assert internal.paths == []


@pytest.mark.parametrize(
    "addresses, reason",
    [
        (["127.0.0.1"], "a loopback address"),
        (["10.1.2.3"], "a private address"),
        (["169.254.169.254"], "a link-local address"),
        (["::ffff:127.0.0.1"], "a loopback address"),
        # One internal answer among public ones refuses the name.
        (["93.184.216.34", "192.168.0.10"], "a private address"),
    ],
)
def test_a_name_resolving_to_an_internal_address_is_refused(
    dns, internal, caplog, addresses, reason
):
    """Whatever the range, the admin reads the same words; why is for the server's log."""
    dns["shop.test"] = addresses
    with caplog.at_level(logging.INFO, logger="app.knowledge.guard"):
        with pytest.raises(Refused) as refused:
            get(f"http://shop.test:{internal.port}/", policy())
    assert (str(refused.value), refused.value.reason) == (
        "shop.test is not a public address",
        "private_address",
    )
    assert internal.paths == []
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert f"refused shop.test, which resolves to {reason} (" in caplog.text


@pytest.mark.parametrize("host", ["localhost", "api.localhost"])
def test_localhost_names_are_refused_without_asking_dns(dns, host):
    with pytest.raises(Refused) as refused:
        get(f"http://{host}/", policy())
    assert (str(refused.value), refused.value.reason) == (
        f"{host} is not a public address",
        "private_address",
    )


def test_the_checked_address_is_connected_to_and_the_host_name_kept(dns, site):
    dns["shop.test"] = ["127.0.0.1"]
    got = get(f"http://shop.test:{site.port}/", policy(("shop.test", site.port)))
    assert got.url == f"http://shop.test:{site.port}/"
    assert site.requests == [("/", f"shop.test:{site.port}")]


def test_a_name_that_does_not_resolve_is_refused(dns):
    with pytest.raises(Refused) as refused:
        get("http://nowhere.test/", policy())
    assert str(refused.value) == "cannot resolve nowhere.test"


def test_with_a_proxy_the_request_goes_through_it(dns):
    """The proxy (a local server standing in) gets the absolute URL; the site is never dialled."""
    dns["shop.example"] = ["93.184.216.34"]  # public: the guard lets it through to the proxy
    proxy = FakeSite({"http://shop.example/hours": page("<p>Open 9 to 5</p>")})
    try:
        got = get(
            "http://shop.example/hours", policy(proxies={"http": proxy.origin, "no": "corp.test"})
        )
    finally:
        proxy.stop()
    assert got.body == b"<p>Open 9 to 5</p>"
    assert proxy.requests == [("http://shop.example/hours", "shop.example")]


def test_with_a_proxy_internal_names_are_still_refused(dns):
    dns["intranet.example"] = ["10.0.0.8"]
    proxy = FakeSite()
    try:
        with pytest.raises(Refused):
            get("http://intranet.example/", policy(proxies={"http": proxy.origin}))
        with pytest.raises(Refused):
            get("http://169.254.169.254/latest/meta-data/", policy(proxies={"http": proxy.origin}))
    finally:
        proxy.stop()
    assert proxy.requests == []


@pytest.mark.parametrize(
    "url", ["http://shop.example:8080/", "https://shop.example:8443/", "http://shop.example:22/"]
)
def test_a_public_host_on_another_port_is_refused(dns, url):
    """A business's website is on 80 or 443: no other service of a public host is asked."""
    dns["shop.example"] = [PUBLIC]
    proxy = FakeSite({url: page("<p>Redis, SSH, an admin panel...</p>")})
    try:
        with pytest.raises(Refused) as refused:
            get(url, policy(proxies={"http": proxy.origin, "https": proxy.origin}))
    finally:
        proxy.stop()
    port = url.rsplit(":", 1)[1].strip("/")
    assert (str(refused.value), refused.value.reason) == (
        f"only ports 80 and 443 can be imported, not {port}",
        "port_not_allowed",
    )
    assert proxy.requests == []


def test_a_name_left_to_the_proxy_is_held_to_the_web_ports_too(dns):
    proxy = FakeSite({"http://elsewhere.example:8080/": page("<p>admin panel</p>")})
    try:
        with pytest.raises(Refused) as refused:
            get("http://elsewhere.example:8080/", policy(proxies={"http": proxy.origin}))
    finally:
        proxy.stop()
    assert refused.value.reason == "port_not_allowed"
    assert proxy.requests == []


@pytest.mark.parametrize("url", ["http://shop.example:80/", "http://shop.example:443/"])
def test_a_public_host_on_a_web_port_is_read(dns, url):
    dns["shop.example"] = [PUBLIC]
    asked = url.replace(":80/", "/")  # the default port is not written
    proxy = FakeSite({asked: page("<p>Open 9 to 5</p>")})
    try:
        got = get(url, policy(proxies={"http": proxy.origin}))
    finally:
        proxy.stop()
    assert got.body == b"<p>Open 9 to 5</p>"
    assert proxy.paths == [asked]


def test_a_redirect_to_another_port_is_refused_before_it_is_followed(dns):
    dns["shop.example"] = [PUBLIC]
    proxy = FakeSite(
        {
            "http://shop.example/go": redirect("http://shop.example:8080/admin"),
            "http://shop.example:8080/admin": page("<p>admin panel</p>"),
        }
    )
    try:
        with pytest.raises(Refused) as refused:
            get("http://shop.example/go", policy(proxies={"http": proxy.origin}))
    finally:
        proxy.stop()
    assert refused.value.reason == "port_not_allowed"
    assert proxy.paths == ["http://shop.example/go"]


def test_an_allowed_origin_on_another_port_is_read(site):
    """WEBSITE_IMPORT_ALLOWED_HOSTS names a host and port: either may be anything."""
    assert site.port not in (80, 443)
    assert get(site.origin + "/", policy(("127.0.0.1", site.port))).status == 200


def test_no_proxy_hosts_bypass_the_proxy(site):
    proxies = {"http": "http://127.0.0.1:9", "no": "127.0.0.1"}
    assert get(site.origin + "/", policy(("127.0.0.1", site.port), proxies=proxies)).status == 200
    assert site.paths == ["/"]


def test_too_many_redirects(site):
    site.routes["/loop"] = redirect("/loop")
    with pytest.raises(fetch.FetchFailed) as failed:
        get(site.origin + "/loop", policy(("127.0.0.1", site.port)))
    assert str(failed.value) == "more than 5 redirects"
    assert site.paths == ["/loop"] * 6
