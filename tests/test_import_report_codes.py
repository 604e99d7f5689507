"""The website import report's codes: each skipped URL names why it was left unread, beside the
English words the report has always had, so the console can say it in the reader's language."""

from __future__ import annotations

import json
import socket
from urllib.parse import urljoin

import pytest

from app.knowledge.crawl import MAX_OTHER_SITE_LISTED, MAX_SKIPPED_LISTED, CrawlLimits, crawl
from app.knowledge.fetch import FetchPolicy
from tests.fake_site import FakeSite, endless, hang_up, page, redirect, stalled

ELSEWHERE = "http://127.0.0.1:9"  # another site (another port), never contacted
LIMITS = CrawlLimits(max_pages=10, max_page_bytes=100_000, time_limit=20.0)
ROBOTS_READ = "robots.txt of this site could not be read"


@pytest.fixture
def site():
    """A salon's site whose robots.txt keeps /private/ out."""
    server = FakeSite(
        {"/robots.txt": page("User-agent: *\nDisallow: /private/\n", content_type="text/plain")}
    )
    yield server
    server.stop()


def policy(port: int) -> FetchPolicy:
    """Fetching allowed from 127.0.0.1:`port` only, a page abandoned after a second."""
    allowed = frozenset({("127.0.0.1", port)})
    return FetchPolicy(allowed=allowed, proxies={}, user_agent="test", page_timeout=1.0)


def skipped(start_url: str, port: int) -> list[tuple[str, str, str]]:
    """(URL, code, English reason) of each URL the crawl of `start_url` skipped."""
    report = crawl(start_url, policy(port), LIMITS).as_dict()
    return [(s["url"], s["code"], s["reason"]) for s in report["skipped"]]


@pytest.mark.parametrize(
    "link, route, code, reason",
    [
        ("/x", page("gone", status=404), "http_error", "HTTP 404"),
        ("/x", page("PNG", content_type="image/png"), "not_a_page", "not a web page (image/png)"),
        ("/x", endless("<p>big</p>", 500_000), "page_too_large", "larger than 100000 bytes"),
        ("/x", hang_up, "site_unreachable", "the connection broke"),
        ("/x", "slow", "site_too_slow", "too slow: the time limit passed before it answered"),
        ("/x", redirect("/x"), "too_many_redirects", "more than 5 redirects"),
        ("/x", redirect(ELSEWHERE + "/"), "other_site", "on another site"),
        ("/x", redirect("ftp://example.com/"), "not_http",
         "only http and https URLs can be imported"),
        ("/x", redirect("http://who:pw@example.com/"), "url_credentials",
         "the URL must not contain a user name or password"),
        ("/x", redirect("/a b"), "bad_url", "the URL contains blanks or control characters"),
        ("/private/x", None, "robots_disallowed", "disallowed by robots.txt"),
        (ELSEWHERE + "/partners", None, "other_site", "on another site"),
    ],
)  # fmt: skip
def test_a_skipped_page_names_why(site, release, link, route, code, reason):
    site.routes["/"] = page(f'<main><p>Welcome.</p><a href="{link}">More</a></main>')
    path = urljoin(site.origin + "/", link).removeprefix(site.origin)
    if route is not None:
        site.routes[path] = stalled(release) if route == "slow" else route
    found = skipped(site.origin + "/", site.port)
    assert found == [(urljoin(site.origin + "/", link), code, reason)]


def test_a_robots_txt_that_fails_names_it_and_the_pages_it_kept_out(site):
    site.routes["/robots.txt"] = page("down", status=503)
    assert skipped(site.origin + "/", site.port) == [
        (site.origin + "/robots.txt", "robots_unreadable", "robots.txt unreadable: HTTP 503"),
        (site.origin + "/", "robots_unreadable", ROBOTS_READ),
    ]


def test_a_robots_txt_on_another_site_is_unreadable(site):
    site.routes["/robots.txt"] = redirect(ELSEWHERE + "/robots.txt")
    assert skipped(site.origin + "/", site.port) == [
        (site.origin + "/robots.txt", "robots_unreadable", "robots.txt refused: on another site"),
        (site.origin + "/", "robots_unreadable", ROBOTS_READ),
    ]


def test_a_site_that_is_down_names_its_pages_unreachable():
    with socket.socket() as probe:  # a port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    origin = f"http://127.0.0.1:{port}"
    assert skipped(origin + "/", port) == [
        (origin + "/robots.txt", "robots_unreadable", "robots.txt unreadable: cannot connect"),
        (origin + "/", "site_unreachable", ROBOTS_READ),
    ]


def test_a_site_whose_tls_fails_names_its_pages_tls_failed(site):
    origin = f"https://127.0.0.1:{site.port}"  # a plain HTTP server: no TLS handshake
    assert skipped(origin + "/", site.port) == [
        (origin + "/robots.txt", "robots_unreadable", "robots.txt unreadable: TLS failed"),
        (origin + "/", "tls_failed", ROBOTS_READ),
    ]


def links_report(site: FakeSite, hrefs: list[str]) -> dict:
    """The report of a crawl whose home page links to `hrefs`."""
    links = "".join(f'<a href="{href}">x</a>' for href in hrefs)
    site.routes["/"] = page(f"<main><p>Welcome.</p>{links}</main>")
    return crawl(site.origin + "/", policy(site.port), LIMITS).as_dict()


def test_links_to_other_sites_are_counted_the_first_few_listed(site):
    hrefs = [f"https://elsewhere{i}.example/" for i in range(2_000)]
    report = links_report(site, hrefs)
    assert [s["url"] for s in report["skipped"]] == hrefs[:MAX_OTHER_SITE_LISTED]
    assert report["other_site_links"] == 2_000
    assert report["skipped_omitted"] == 2_000 - MAX_OTHER_SITE_LISTED
    assert len(json.dumps(report)) < 10_000


def test_the_skipped_list_is_capped(site):
    report = links_report(site, [f"/private/{i}" for i in range(1_000)])
    assert len(report["skipped"]) == MAX_SKIPPED_LISTED
    assert report["skipped"][0]["code"] == "robots_disallowed"
    assert report["skipped_omitted"] == 1_000 - MAX_SKIPPED_LISTED
    assert report["other_site_links"] == 0
