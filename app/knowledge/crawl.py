"""Crawl a business's own site: same site only, robots.txt obeyed, pages, bytes and time capped."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from protego import Protego

from app.knowledge import fetch, guard, reader
from app.knowledge.extract import PageText
from app.knowledge.fetch import FetchFailed, FetchPolicy, TimeUp, TooLarge
from app.knowledge.guard import Refused, Target
from app.knowledge.reader import PageReading, Readers

# The product token robots.txt rules may name to allow or refuse the import.
ROBOTS_AGENT = "BookingBotImport"
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
# RFC 9309 2.5: a parsing limit of at least 500 KiB. A longer robots.txt is read up to it, back to
# its last whole line (a rule cut short could say more or less than it does), and obeyed as that.
MAX_ROBOTS_BYTES = 500 * 1024
# Why a crawl stops early: its code -> its English words (given the limit).
STOPS = {
    "time_limit": "time limit reached",
    "page_limit": "page limit ({}) reached",
    "byte_limit": "byte limit ({}) reached",
}
OTHER_SITE = "other_site"
# The report is stored with the version and sent with every read of it: a page with thousands of
# links (off the site, or kept out by robots.txt) is counted past these, not listed.
MAX_OTHER_SITE_LISTED = 20
MAX_SKIPPED_LISTED = 200
ROBOTS_UNREADABLE = "robots_unreadable"
# Fetch failures of robots.txt that say the whole site cannot be reached (down, too slow, its TLS
# broken): an import that read nothing gives these reasons rather than robots_unreadable.
SITE_DOWN = frozenset({"site_unreachable", "site_too_slow", "tls_failed"})


@dataclass(frozen=True)
class CrawlLimits:
    """How much one import may read."""

    max_pages: int = 20
    max_page_bytes: int = 2_000_000
    max_total_bytes: int = 10_000_000
    time_limit: float = 30.0


@dataclass
class CrawlReport:
    """The pages read, the URLs skipped (with why) and why the crawl stopped early, if it did;
    `failure` is the reason code of the start URL left unread (not stored: an import that read
    nothing is refused with it).

    Beside their English words, codes the console words: each skipped URL's `code` is the
    `reason` of the Refused or FetchFailed that left it unread (robots_unreadable for a robots.txt
    that could not be read), `stopped_code` a key of STOPS. Reports stored before the codes have
    none.

    Links to other sites are counted in `other_site_links`, the first MAX_OTHER_SITE_LISTED of
    them listed as skipped; at most MAX_SKIPPED_LISTED URLs are listed in all, and
    `skipped_omitted` counts the skipped URLs not listed.

    `robots_cut` lists each robots.txt longer than MAX_ROBOTS_BYTES: obeyed up to that, the rest
    of it unread.
    """

    start_url: str
    pages: list[PageText] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    stopped: str | None = None
    stopped_code: str | None = None
    requests: int = 0
    bytes_read: int = 0
    failure: str | None = None
    other_site_links: int = 0
    skipped_omitted: int = 0
    robots_cut: list[str] = field(default_factory=list)

    def skip(self, url: str, reason: str, code: str) -> None:
        """Note a URL left unread: `reason` in English, `code` naming it."""
        if len(self.skipped) < MAX_SKIPPED_LISTED:
            self.skipped.append({"url": url, "reason": reason, "code": code})
        else:
            self.skipped_omitted += 1

    def skip_other_site(self, url: str) -> None:
        """Note a link to another site: counted, and listed while there are few."""
        self.other_site_links += 1
        if self.other_site_links <= MAX_OTHER_SITE_LISTED:
            self.skip(url, "on another site", OTHER_SITE)
        else:
            self.skipped_omitted += 1

    def stop(self, reason: str, code: str) -> None:
        """Note why the crawl stopped early: `reason` in English, `code` naming it."""
        self.stopped, self.stopped_code = reason, code

    def as_dict(self) -> dict:
        """The report as stored with the document version (no page text)."""
        return {
            "start_url": self.start_url,
            "pages": [{"url": p.url, "title": p.title, "chars": len(p.text)} for p in self.pages],
            "skipped": self.skipped,
            "skipped_omitted": self.skipped_omitted,
            "other_site_links": self.other_site_links,
            "stopped": self.stopped,
            "stopped_code": self.stopped_code,
            "robots_cut": self.robots_cut,
            "requests": self.requests,
            "bytes_read": self.bytes_read,
        }


class Crawl:
    """One crawl of one site: its queue, its robots.txt rules per origin, its limits."""

    def __init__(
        self,
        start_url: str,
        policy: FetchPolicy,
        limits: CrawlLimits,
        readers: Readers | None = None,
    ):
        self.policy, self.limits = policy, limits
        # Pages are read in a process of their own (by default this process's readers).
        self.pages = PageReading(readers or reader.READERS)
        self.deadline = time.monotonic() + limits.time_limit
        self.site = guard.parse(start_url)
        self.report = CrawlReport(self.site.url)
        self.robots: dict[str, Protego | None] = {}
        self.unread: dict[str, str] = {}  # origin -> the reason code of its unread robots.txt
        self.out_of_bytes = False

    def run(self) -> CrawlReport:
        """Read the site breadth-first from its start URL until done or a limit is reached."""
        queue, seen = deque([self.site.url]), {self.site.url}
        page_deadline = min(self.deadline, time.monotonic() + self.policy.page_timeout)
        try:
            fetch.check(self.site, self.policy, deadline=page_deadline)  # Refused: nothing to do
        except TimeUp as exc:  # its name did not resolve in time, as a first page too slow
            self._give_up(self.site.url, exc)
            queue.clear()
        while queue:
            limit = self._limit_reached()
            if limit:
                self.report.stop(*limit)
                break
            url = queue.popleft()
            try:
                self.allow(guard.parse(url))
                page = self._read(url)
            except (Refused, FetchFailed) as exc:  # TimeUp included: the loop checks the time
                self._give_up(url, exc)
                continue
            self.report.pages.append(page)
            for link in page.links:
                self._enqueue(link, queue, seen)
        if self.report.stopped is None and time.monotonic() >= self.deadline:
            self.report.stop(STOPS["time_limit"], "time_limit")
        return self.report

    def _give_up(self, url: str, exc: Refused | FetchFailed) -> None:
        """Skip `url`; for the start URL, keep the reason code an import that read nothing gives."""
        self.report.skip(url, str(exc), exc.reason)
        if url == self.site.url:
            self.report.failure = exc.reason

    def allow(self, target: Target) -> None:
        """Refused unless `target` is on the site and its origin's robots.txt allows it."""
        if not guard.same_site(target, self.site):
            raise Refused("on another site", OTHER_SITE)
        rules = self._robots(target)
        if rules is None:
            reason = self.unread[_origin(target)]
            raise Refused("robots.txt of this site could not be read", reason)
        if not rules.can_fetch(target.url, ROBOTS_AGENT):
            raise Refused("disallowed by robots.txt", "robots_disallowed")

    def _limit_reached(self) -> tuple[str, str] | None:
        """(English words, code) of the limit that ends the crawl now, if one does."""
        if time.monotonic() >= self.deadline:
            return STOPS["time_limit"], "time_limit"
        if self.report.requests >= self.limits.max_pages:
            return STOPS["page_limit"].format(self.limits.max_pages), "page_limit"
        if self.out_of_bytes or self.report.bytes_read >= self.limits.max_total_bytes:
            return STOPS["byte_limit"].format(self.limits.max_total_bytes), "byte_limit"
        return None

    def _read(self, url: str) -> PageText:
        self.report.requests += 1
        left = self.limits.max_total_bytes - self.report.bytes_read
        budget = min(self.limits.max_page_bytes, left)
        try:
            resp = fetch.get(
                url,
                self.policy,
                deadline=self.deadline,
                max_bytes=budget,
                types=PAGE_TYPES,
                allow=self.allow,
            )
        except TooLarge:
            if budget == left:  # what is left of the import's bytes, not this page's limit
                self.out_of_bytes = True
            raise
        self.report.bytes_read += len(resp.body)
        return self.pages.read(
            resp.url, resp.body, resp.charset, resp.content_type, deadline=self.deadline
        )

    def _enqueue(self, link: str, queue: deque, seen: set) -> None:
        try:
            target = guard.parse(link)
        except Refused:
            return
        if target.url in seen:
            return
        seen.add(target.url)
        if not guard.same_site(target, self.site):
            self.report.skip_other_site(target.url)
            return
        queue.append(target.url)

    def _robots(self, target: Target) -> Protego | None:
        """The rules of `target`'s origin, fetched once; None when they cannot be read.

        As RFC 9309 says: a robots.txt that was read is parsed whatever its content type; a
        missing one (4xx) allows everything; an unreachable one (5xx, network, time, another
        site) allows nothing. Why it could not be read is kept in `unread`: the site's own
        failure when the site could not be reached at all.
        """
        origin = _origin(target)
        if origin in self.robots:
            return self.robots[origin]
        self.robots[origin] = None  # while it is being read, and for good if it cannot be
        url = origin + "/robots.txt"
        try:
            text = self._robots_text(url)
        except FetchFailed as exc:
            self.report.skip(url, f"robots.txt unreadable: {exc}", ROBOTS_UNREADABLE)
            self.unread[origin] = exc.reason if exc.reason in SITE_DOWN else ROBOTS_UNREADABLE
            return None
        except Refused as exc:
            self.report.skip(url, f"robots.txt refused: {exc}", ROBOTS_UNREADABLE)
            self.unread[origin] = ROBOTS_UNREADABLE
            return None
        self.robots[origin] = Protego.parse(text)
        return self.robots[origin]

    def _robots_text(self, url: str) -> str:
        """The robots.txt at `url`, "" when there is none (a 4xx); its whole lines within
        MAX_ROBOTS_BYTES when it is longer (noted in the report)."""
        try:
            resp = fetch.get(
                url,
                self.policy,
                deadline=self.deadline,
                max_bytes=MAX_ROBOTS_BYTES,
                types=None,  # servers label robots.txt many ways; RFC 9309 reads it all the same
                allow=self._on_site,
                cut=True,
            )
        except FetchFailed as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return ""
            raise
        body = resp.body
        if resp.cut:
            # RFC 9309 ends a line with CR, LF or both: a CR just before the cut ends one too.
            end = max(body.rfind(b"\n"), body.rfind(b"\r")) + 1
            if not end:  # not one whole line within the limit: no rule could be read
                raise FetchFailed(
                    f"no whole line within its first {MAX_ROBOTS_BYTES} bytes", ROBOTS_UNREADABLE
                )
            body = body[:end]
            self.report.robots_cut.append(url)
        # RFC 9309: UTF-8, whatever the header says; a byte order mark is not part of a rule.
        return body.decode("utf-8-sig", errors="replace")

    def _on_site(self, target: Target) -> None:
        if not guard.same_site(target, self.site):
            raise Refused("on another site", OTHER_SITE)


def _origin(target: Target) -> str:
    return f"{target.scheme}://{target.host_header}"


def crawl(
    start_url: str, policy: FetchPolicy, limits: CrawlLimits, readers: Readers | None = None
) -> CrawlReport:
    """Read the site of `start_url`; Refused when the start URL itself may not be fetched.
    Its pages are read by `readers` (app.knowledge.reader)."""
    return Crawl(start_url, policy, limits, readers).run()
