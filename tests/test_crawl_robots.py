"""robots.txt as RFC 9309 reads it: fetched is parsed (any content type), the longest matching
rule wins, `*` and `$` are patterns, and the group naming the import's token is the one obeyed."""

from __future__ import annotations

import pytest

from app.knowledge.crawl import CrawlLimits, crawl
from app.knowledge.fetch import FetchPolicy
from tests.fake_site import FakeSite, page

HOME = '<main><p>Welcome to the salon.</p><a href="/private/staff">Staff</a></main>'
STAFF = "<main><p>SECRET staff door code 4471</p></main>"


def crawled(robots: str, content_type: str = "text/plain") -> list[str]:
    """The paths a crawl of a site with this robots.txt requested."""
    site = FakeSite(
        {
            "/robots.txt": page(robots, content_type=content_type),
            "/": page(HOME),
            "/private/staff": page(STAFF),
        }
    )
    policy = FetchPolicy(
        allowed=frozenset({("127.0.0.1", site.port)}), proxies={}, user_agent="t", page_timeout=3.0
    )
    try:
        crawl(site.origin + "/", policy, CrawlLimits(max_pages=5, time_limit=10.0))
    finally:
        site.stop()
    return site.paths


@pytest.mark.parametrize("content_type", ["application/octet-stream", "text/x-robots", ""])
def test_a_robots_txt_of_any_content_type_is_obeyed(content_type):
    paths = crawled("User-agent: *\nDisallow: /private/\n", content_type)
    assert paths == ["/robots.txt", "/"]


@pytest.mark.parametrize(
    "robots",
    [
        "User-agent: *\nAllow: /\nDisallow: /private/\n",  # the longest match wins
        "User-agent: *\nDisallow: /*staff\n",
        "User-agent: *\nDisallow: /private/staff$\n",
        "User-agent: *\nDisallow:\n\nUser-agent: BookingBotImport\nDisallow: /private/\n",
        "User-agent: bookingbotimport\nDisallow: /private/\n",  # tokens in any case
    ],
)
def test_a_rule_as_rfc_9309_reads_it_keeps_the_page_out(robots):
    assert crawled(robots) == ["/robots.txt", "/"]


@pytest.mark.parametrize(
    "robots",
    [
        "User-agent: *\nDisallow: /private/\nAllow: /private/staff\n",
        "User-agent: *\nDisallow: /*staff$x\n",
        "User-agent: *\nDisallow: /\n\nUser-agent: BookingBotImport\nAllow: /\n",
        "User-agent: OtherBot\nDisallow: /\n",
        "\ufeffUser-agent: *\nDisallow: /elsewhere/\n",  # a byte order mark is not a rule
    ],
)
def test_a_rule_as_rfc_9309_reads_it_lets_the_page_in(robots):
    assert crawled(robots) == ["/robots.txt", "/", "/private/staff"]
