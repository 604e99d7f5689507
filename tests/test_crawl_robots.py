"""robots.txt as RFC 9309 reads it: fetched is parsed (any content type), the longest matching
rule wins, `*` and `$` are patterns, the group naming the import's token is the one obeyed, and
one longer than the parsing limit is obeyed up to it."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest

from app.knowledge.crawl import MAX_ROBOTS_BYTES, CrawlLimits, crawl
from app.knowledge.fetch import FetchPolicy
from tests.fake_site import FakeSite, Route, page

HOME = '<main><p>Welcome to the salon.</p><a href="/private/staff">Staff</a></main>'
STAFF = "<main><p>SECRET staff door code 4471</p></main>"
KEEP_OUT = "User-agent: *\nDisallow: /private/\n"
# A comment line taking up room: a robots.txt this long is a sitemap pasted in, or a mistake.
FILLER = "# " + "x" * 97 + "\n"


def crawl_site(robots: Route) -> tuple[list[str], dict]:
    """The paths a crawl of a site with this robots.txt requested, and its report."""
    site = FakeSite({"/robots.txt": robots, "/": page(HOME), "/private/staff": page(STAFF)})
    policy = FetchPolicy(
        allowed=frozenset({("127.0.0.1", site.port)}), proxies={}, user_agent="t", page_timeout=3.0
    )
    try:
        report = crawl(site.origin + "/", policy, CrawlLimits(max_pages=5, time_limit=10.0))
    finally:
        site.stop()
    return site.paths, report.as_dict()


def crawled(robots: str, content_type: str = "text/plain") -> list[str]:
    """The paths a crawl of a site with this robots.txt requested."""
    return crawl_site(page(robots, content_type=content_type))[0]


def comments(size: int, eol: str = "\n") -> str:
    """Comment lines of exactly `size` characters in all (`size` at least 100)."""
    line = "#" + "x" * (99 - len(eol)) + eol
    count = size // 100 - 1
    last = size - count * 100
    return line * count + "#" + "x" * (last - 1 - len(eol)) + eol


def endless_robots(head: str) -> Route:
    """`head`, then comment lines as good as without end, no Content-Length: read in full, it
    would outlast the page timeout."""
    block = FILLER.encode() * 1000

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        try:
            handler.wfile.write(head.encode())
            for _ in range(200_000):  # 20 GB
                handler.wfile.write(block)
        except OSError:
            pass  # the reader hung up, as it should

    return respond


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


@pytest.mark.parametrize(
    "robots",
    [
        # Its size announced: a rule past the limit is not read.
        page(KEEP_OUT + comments(MAX_ROBOTS_BYTES) + "Disallow: /\n", content_type="text/plain"),
        endless_robots(KEEP_OUT),  # not announced, and read only up to the limit
    ],
    ids=["announced", "streamed"],
)
def test_a_robots_txt_over_the_limit_is_obeyed_up_to_it(robots):
    paths, report = crawl_site(robots)
    assert paths == ["/robots.txt", "/"]
    origin = report["start_url"].removesuffix("/")
    assert report["robots_cut"] == [origin + "/robots.txt"]
    assert report["skipped"] == [
        {
            "url": origin + "/private/staff",
            "reason": "disallowed by robots.txt",
            "code": "robots_disallowed",
        }
    ]


def test_a_robots_txt_with_no_whole_line_within_the_limit_keeps_the_site_out():
    """Nothing of it can be read as a rule: the site is not imported rather than all of it."""
    paths, report = crawl_site(page("#" * (MAX_ROBOTS_BYTES + 10), content_type="text/plain"))
    assert paths == ["/robots.txt"]
    origin = report["start_url"].removesuffix("/")
    assert [(s["url"], s["code"]) for s in report["skipped"]][0] == (
        origin + "/robots.txt",
        "robots_unreadable",
    )
    assert {s["code"] for s in report["skipped"]} == {"robots_unreadable"}


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_a_rule_cut_at_the_limit_is_not_applied(eol):
    """Read in part, "Disallow: /private/staff" would be "Disallow: /": the whole site."""
    head = "User-agent: *" + eol
    read = "Disallow: /"
    robots = head + comments(MAX_ROBOTS_BYTES - len(head) - len(read), eol) + read
    assert len(robots) == MAX_ROBOTS_BYTES
    paths, report = crawl_site(page(robots + "private/staff" + eol, content_type="text/plain"))
    assert paths == ["/robots.txt", "/", "/private/staff"]
    assert report["skipped"] == []
