"""A website import reads its pages in a reader process (app.knowledge.reader), not in the
process that imports: the CPU a page takes is not the web process's GIL; a reader still busy when
the import's time is up is killed, one that dies or fails on a page leaves that page unreadable."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime

import pytest

from app.knowledge import importer, reader
from app.knowledge.crawl import CrawlLimits, CrawlReport, crawl
from app.knowledge.extract import PageText
from app.knowledge.fetch import FetchPolicy, TimeUp
from app.knowledge.reader import NICENESS, TOO_SLOW, WAITED, Readers
from tests.fake_site import FakeSite, page

LIMITS = CrawlLimits(max_pages=10, max_page_bytes=100_000, time_limit=20.0)


def html(text: str, *links: str) -> str:
    return (
        f"<main><h1>{text}</h1><p>{text} at the salon.</p>"
        + "".join(f'<a href="{link}">{link}</a>' for link in links)
        + "</main>"
    )


@pytest.fixture
def site():
    """Home links to /slow, /bad, /broken and /prices (a robots.txt allowing all)."""
    server = FakeSite(
        {
            "/robots.txt": page("User-agent: *\nAllow: /\n", content_type="text/plain"),
            "/": page(html("Home", "/slow", "/bad", "/broken", "/prices")),
            "/prices": page(html("Prices")),
            "/slow": page(html("Slow")),
            "/bad": page(html("Bad")),
            "/broken": page(html("Broken")),
        }
    )
    yield server
    server.stop()


@pytest.fixture
def readers(request):
    """Readers running `tests.page_readers:<the test's parameter>`, all stopped afterwards."""
    made: list[Readers] = []

    def make(name: str, idle: float = 60.0, limit: int = 4) -> Readers:
        made.append(Readers(idle=idle, read=f"tests.page_readers:{name}", limit=limit))
        return made[-1]

    yield make
    for each in made:
        each.stop_all()


def policy(site: FakeSite) -> FetchPolicy:
    return FetchPolicy(
        allowed=frozenset({("127.0.0.1", site.port)}), proxies={}, user_agent="t", page_timeout=5
    )


def read(site: FakeSite, readers: Readers, *paths: str, limits: CrawlLimits = LIMITS):
    """The crawl's report of a site whose home links to `paths` only."""
    site.routes["/"] = page(html("Home", *paths))
    return crawl(site.origin + "/", policy(site), limits, readers)


def pids(report) -> dict[str, tuple[int, int]]:
    """Each page read: its path -> (the reader's pid, its niceness), from the title."""
    found = {}
    for p in report.pages:
        pid, nice = p.title.split()
        found[p.url.rsplit("/", 1)[1] or "/"] = (int(pid), int(nice))
    return found


def gone(pid: int) -> bool:
    """The process has ended and been reaped (its parent joined it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_pages_are_read_in_a_lowered_process_of_their_own_kept_for_the_next_import(site, readers):
    mine = readers("with_pid")
    first = pids(read(site, mine, "/prices"))
    assert set(first) == {"/", "prices"}
    [(pid, nice)] = set(first.values())  # one reader read both pages
    assert pid != os.getpid() and nice == NICENESS
    assert mine.free == 1  # kept for the next import
    again = pids(read(site, mine, "/prices"))
    assert set(again.values()) == {(pid, nice)}


def test_an_idle_reader_is_stopped(site, readers):
    mine = readers("with_pid", idle=60.0)
    [(pid, _)] = set(pids(read(site, mine)).values())
    assert mine.stop_idle(now=time.monotonic() + 30) == 0  # not idle long enough
    assert mine.stop_idle(now=time.monotonic() + 61) == 1
    assert mine.free == 0 and gone(pid)
    # The next import starts another.
    [(other, _)] = set(pids(read(site, mine)).values())
    assert other != pid


def test_a_page_still_being_read_when_the_time_is_up_is_skipped_and_its_reader_killed(
    site, readers
):
    mine = readers("hangs_on_slow")
    read(site, mine)  # a reader started (and ready) before the import the test times
    started = time.monotonic()
    report = read(site, mine, "/slow", "/prices", limits=CrawlLimits(time_limit=5.0))
    assert time.monotonic() - started < 60  # not the reader's 600 s
    assert [p.url for p in report.pages] == [site.origin + "/"]
    assert report.skipped == [
        {"url": site.origin + "/slow", "reason": TOO_SLOW, "code": "site_too_slow"}
    ]
    assert report.stopped_code == "time_limit"
    assert mine.free == 0 and mine.started == 0  # the killed reader is not kept
    assert gone(int(report.pages[0].title.split()[0]))  # it read the home page, then hung


def test_an_idle_reader_is_stopped_by_the_timer(site, readers):
    mine = readers("with_pid", idle=1.0)
    [(pid, _)] = set(pids(read(site, mine)).values())
    deadline = time.monotonic() + 60
    while (mine.free or not gone(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for the timer's thread to take it and stop it
    assert mine.free == 0 and gone(pid)


def test_a_reader_not_ready_by_the_deadline_is_killed_without_the_page_blocking(readers):
    mine = Readers(read="tests.page_readers_never_ready:read")
    slow = mine.borrow()
    body = b"<p>" + b"x" * 2_000_000 + b"</p>"  # more than a pipe holds: a send would block
    outcome: list = []

    def call() -> None:
        try:
            slow.call(mine.read_spec, ("http://x/", body, "utf-8", "text/html"),
                      time.monotonic() + 1.0)  # fmt: skip
        except TimeUp as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    caller.join(60)
    assert not caller.is_alive(), "the call blocked past its deadline"
    assert [str(e) for e in outcome] == [TOO_SLOW]
    assert not slow.alive


def test_a_reader_left_between_question_and_answer_is_not_lent_again(site, readers):
    mine = readers("with_pid")
    [(pid, _)] = set(pids(read(site, mine)).values())
    lent = mine.borrow()

    class Interrupted(BaseException):
        pass

    def interrupted(timeout=None):
        raise Interrupted

    lent.conn.poll = interrupted  # as an interruption while it reads
    with pytest.raises(Interrupted):
        lent.call(mine.read_spec, (site.origin + "/", b"<p>A</p>", "utf-8", "text/html"), 1e9)
    mine.give_back(lent)
    assert mine.free == 0 and gone(pid)  # its answer, still coming, goes to nobody
    assert set(pids(read(site, mine))) == {"/"}  # a new reader reads on


def test_a_document_the_reader_has_not_written_in_time_fails_the_import(monkeypatch):
    monkeypatch.setattr(importer, "COMPOSE", "tests.page_readers:compose_hangs")
    monkeypatch.setattr(importer, "COMPOSE_SECONDS", 2.0)
    page = PageText("http://x/", "Home", "Open daily.", "", [])
    report = CrawlReport("http://x/", pages=[page])
    business = {"id": 1, "name": "Salon"}
    with pytest.raises(TimeUp):  # not written again here, as slowly, holding the GIL
        importer.write_document({}, business, report, datetime.now(UTC))


@pytest.mark.parametrize(
    "reads, path, reason, same_reader",
    [
        # it dies on the page (a crash): a new reader reads on
        ("dies_on_bad", "/bad", "could not be read: the reader stopped", False),
        # the extractor fails on it: the same reader reads on
        ("fails_on_broken", "/broken", "could not be read (ValueError)", True),
    ],
)
def test_a_page_the_reader_dies_or_fails_on_is_unreadable_and_the_next_is_read(
    site, readers, reads, path, reason, same_reader
):
    report = read(site, readers(reads), path, "/prices")
    assert report.skipped == [
        {"url": site.origin + path, "reason": reason, "code": "page_unreadable"}
    ]
    read_by = pids(report)
    assert set(read_by) == {"/", "prices"}
    assert (read_by["/"] == read_by["prices"]) is same_reader
    assert gone(read_by["/"][0]) is not same_reader


def test_plain_text_needs_no_reader(site, readers):
    mine = readers("dies_on_bad")
    site.routes["/notes.txt"] = page("Open on Sundays.", content_type="text/plain")
    report = crawl(site.origin + "/notes.txt", policy(site), LIMITS, mine)
    assert [p.text for p in report.pages] == ["Open on Sundays."]
    assert mine.free == 0  # none was started


def test_a_start_page_the_reader_cannot_read_is_a_422_page_unreadable(
    app, api, world, site, readers, monkeypatch
):
    monkeypatch.setattr(reader, "READERS", readers("fails_on_broken"))
    app.config["WEBSITE_IMPORT_ALLOWED_HOSTS"] = frozenset({("127.0.0.1", site.port)})
    app.config["WEBSITE_IMPORT_PROXIES"] = {}
    path = f"/businesses/{world.business_id}/reference-document/import"
    resp = api("POST", path, json={"url": site.origin + "/broken"})
    assert resp.status_code == 422
    assert resp.get_json()["reason"] == "page_unreadable"
    assert resp.get_json()["message"].endswith("could not be read (ValueError)")


def test_the_extractive_document_is_written_by_a_reader(app, api, world, site, monkeypatch):
    monkeypatch.setattr(importer, "COMPOSE", "tests.page_readers:compose_with_pid")
    app.config["WEBSITE_IMPORT_ALLOWED_HOSTS"] = frozenset({("127.0.0.1", site.port)})
    app.config["WEBSITE_IMPORT_PROXIES"] = {}
    app.config["OPENAI_API_KEY"] = ""  # written extractively
    path = f"/businesses/{world.business_id}/reference-document/import"
    resp = api("POST", path, json={"url": site.origin + "/prices"})
    assert resp.status_code == 201
    content = resp.get_json()["content"]
    assert content.startswith("written by ") and content.endswith(" from 1 pages")
    assert int(content.split()[2]) != os.getpid()


def test_a_reader_failing_to_write_the_document_leaves_it_written_here(
    app, api, world, site, monkeypatch, caplog
):
    monkeypatch.setattr(importer, "COMPOSE", "tests.page_readers:compose_fails")
    app.config["WEBSITE_IMPORT_ALLOWED_HOSTS"] = frozenset({("127.0.0.1", site.port)})
    app.config["WEBSITE_IMPORT_PROXIES"] = {}
    app.config["OPENAI_API_KEY"] = ""
    path = f"/businesses/{world.business_id}/reference-document/import"
    resp = api("POST", path, json={"url": site.origin + "/prices"})
    assert resp.status_code == 201
    assert "Prices at the salon." in resp.get_json()["content"]
    assert "the reader failed (could not be read (RuntimeError))" in caplog.text


def until(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


def test_imports_at_once_share_the_process_s_readers_page_by_page(site, readers):
    mine = readers("with_pid", limit=1)
    [(pid, _)] = set(pids(read(site, mine)).values())
    lent = mine.borrow()  # another import's page, being read
    assert mine.started == 1
    reports: list = []
    other = threading.Thread(target=lambda: reports.append(read(site, mine, "/prices")))
    other.start()
    until(lambda: mine.waiting == 1)  # waits for the one reader rather than starting another
    assert mine.started == 1
    mine.give_back(lent)
    other.join(60)
    assert not other.is_alive()
    assert set(pids(reports[0]).values()) == {(pid, NICENESS)}  # both pages, by that reader
    assert mine.started == 1 and mine.free == 1


def test_a_page_still_waiting_for_a_reader_when_the_time_is_up_is_skipped(site, readers):
    mine = readers("with_pid", limit=1)
    lent = mine.borrow()
    report = read(site, mine, limits=CrawlLimits(time_limit=1.0))
    assert report.pages == []
    assert report.skipped == [{"url": site.origin + "/", "reason": WAITED, "code": "site_too_slow"}]
    assert mine.started == 1 and mine.waiting == 0
    mine.give_back(lent)


def test_a_reader_that_dies_makes_room_for_another(site, readers):
    mine = readers("dies_on_bad", limit=1)
    report = read(site, mine, "/bad", "/prices")
    assert [p.url.rsplit("/", 1)[1] for p in report.pages] == ["", "prices"]
    assert [s["code"] for s in report.skipped] == ["page_unreadable"]
    assert mine.started == 1 and mine.free == 1  # the one that read /prices after /bad
