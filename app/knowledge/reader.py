"""Pages are read (parsed, their main text found: `extract.page_text`) in a process of their own.

Reading a large page is seconds of CPU in lxml and trafilatura (3.8 s for a 1.5 MB page on a
2-core machine), all of it holding the GIL of the process that reads it. In a web process those
are seconds in which its other threads, the webhook's among them, wait to run. A reader process
has a GIL of its own: the importing thread only waits on a pipe, and the reader runs at
niceness `NICENESS` on every core, so on shared cores acknowledgements go first. It is bounded as
well: a reader not done (or not ready) when the import's time is up is killed (the page is skipped
as too slow), one that dies or fails on a page (a crash, an error of the extractor) leaves that
page skipped as unreadable, where it used to fail the whole import, and one interrupted between a
page and its answer is killed rather than lent again with that answer still to come. A reader
dies with the process that started it (Linux).

A reader takes about half a second to start (a fresh interpreter importing the extractor), so
each process keeps the readers it started for `IDLE_SECONDS` after an import, for the next one.
A reader is lent for one page at a time, and a process runs at most `MAX_READERS` (one a core):
imports at once share them page by page, a page waiting for a free one (up to its import's time
limit, then skipped as too slow) rather than each import starting an interpreter of its own.
Plain text needs no reading and never starts one. The import's extractive document (sorting
the pages' sentences: seconds too, for a large site) is written by a reader as well (`run`).
"""

from __future__ import annotations

import ctypes
import importlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable

from app import cpus
from app.knowledge.extract import PageText, page_text
from app.knowledge.fetch import FetchFailed, TimeUp

log = logging.getLogger(__name__)

UNREADABLE = "page_unreadable"
TOO_SLOW = "too slow: the time limit passed before it was read"
IDLE_SECONDS = 60.0  # a reader unused this long is stopped
NICENESS = 10  # as job workers by default (WORKER_NICE): below the web processes
READY = "ready"  # what a reader sends once it can read: its page function imported
STOP_SECONDS = 5.0  # a reader told to stop gets this long before it is killed
# Readers one process runs at once: more would only share the cores (a reader is one busy
# thread), each costing an interpreter's memory.
MAX_READERS = max(2, os.cpu_count() or 1)
WAITED = "too slow: the time limit passed while other imports' pages were read"
# What a reader runs on each page: "module:function", imported in the reader's own interpreter
# (tests name slower or failing ones).
READ = "app.knowledge.extract:page_text"


class Unreadable(FetchFailed):
    """The reader could not read the page (it failed on it, or died)."""

    def __init__(self, message: str):
        super().__init__(message, UNREADABLE)


def _load(spec: str) -> Callable:
    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)


def _settle() -> None:
    """The reader's place: below the web processes (NICENESS, whatever the importing process's
    own), on every core it may use (not the one a pinned web process is tied to, which it
    inherits: `WEB_PIN_CPUS`), and ended with the process that started it (Linux)."""
    cpus.lower(NICENESS)  # refused (None): still a process of its own
    try:
        os.sched_setaffinity(0, range(os.cpu_count() or 1))
    except (AttributeError, OSError):
        pass  # the platform cannot pin, or the container allows fewer cores: as they are
    try:
        # PR_SET_PDEATHSIG: killed when the importing process dies, even mid-page
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (AttributeError, OSError):
        pass  # not Linux: it ends at the end of its page, when its pipe breaks


def _serve(conn, read: str) -> None:
    """A reader's life: import its page function and say READY, then run each (function,
    arguments) sent and send back (True, its result) or (False, the name of its error)."""
    _settle()
    functions = {read: _load(read)}
    try:
        conn.send(READY)
        while True:
            spec, args = conn.recv()
            try:
                if spec not in functions:
                    functions[spec] = _load(spec)
                answer = (True, functions[spec](*args))
            except Exception as exc:  # the page's fault or the extractor's: it is unreadable
                answer = (False, type(exc).__name__)
            conn.send(answer)
    except (EOFError, OSError):
        return  # the importing process closed its end, or is gone: stop


class Reader:
    """One reader process and the pipe to it."""

    def __init__(self, read: str = READ):
        # spawn: a web process has threads (and a database pool) a fork would copy mid-use
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_serve, args=(child, read), name="page-reader", daemon=True
        )
        self.process.start()
        child.close()
        self.ready = False  # until it says so: a page sent before would wait in the pipe
        self.idle_since = time.monotonic()

    def call(self, spec: str, args: tuple, deadline: float):
        """`spec`'s function ("module:function") run by this reader on `args`; TimeUp (the
        reader killed) if it is not done by `deadline` (time.monotonic()), Unreadable if it
        failed or died."""
        try:
            if not self.ready:  # starting: a large page sent now would block until it reads
                self._wait(deadline)
                if self.conn.recv() != READY:
                    raise EOFError("not a reader")
                self.ready = True
            self.conn.send((spec, args))  # it waits for this: the send never blocks for long
            self._wait(deadline)
            ok, value = self.conn.recv()
        except (EOFError, OSError) as exc:  # it died (or was killed) with the page
            self.kill()
            log.warning("page reader died reading a page (%s)", type(exc).__name__)
            raise Unreadable("could not be read: the reader stopped") from None
        except BaseException:
            # TimeUp, or anything else between question and answer (an interruption, memory):
            # an answer may still come, and the next caller must not read it as theirs.
            self.kill()
            raise
        if not ok:
            log.warning("page reader failed on a page (%s)", value)
            raise Unreadable(f"could not be read ({value})")
        return value

    def _wait(self, deadline: float) -> None:
        if not self.conn.poll(max(0.0, deadline - time.monotonic())):
            raise TimeUp(TOO_SLOW)

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def stop(self) -> None:
        """Tell it to stop (its pipe closed), and kill it if it has not within STOP_SECONDS."""
        self.conn.close()
        self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


class Readers:
    """A process's readers, at most `limit` at once: each lent for a page (or a document), kept
    for the next for `idle` seconds."""

    def __init__(self, idle: float = IDLE_SECONDS, read: str = READ, limit: int = MAX_READERS):
        self.idle, self.read_spec = idle, read
        self.limit = max(1, int(limit))
        self._free: list[Reader] = []
        self._started = 0  # readers started and not yet known to be gone: free or lent
        self._waiting = 0  # callers waiting for one
        self._lock = threading.Condition()  # notified when a reader is given back or gone
        self._pid = os.getpid()
        self._timer: threading.Timer | None = None

    def borrow(self, deadline: float | None = None) -> Reader:
        """A reader of this process: a free one still alive, or a new one while fewer than
        `limit` are started; otherwise the first given back. TimeUp if none is free by
        `deadline` (time.monotonic())."""
        with self._lock:
            if self._pid != os.getpid():  # forked since: the readers (and timer) are the parent's
                self._free, self._timer, self._started = [], None, 0
                self._pid = os.getpid()
            while True:
                while self._free:
                    reader = self._free.pop()
                    if reader.alive:
                        return reader
                    self._started -= 1
                if self._started < self.limit:
                    self._started += 1
                    break
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeUp(WAITED)
                self._waiting += 1
                try:
                    self._lock.wait(left)
                finally:
                    self._waiting -= 1
        try:
            return Reader(self.read_spec)
        except BaseException:
            self._gone(1)
            raise

    def give_back(self, reader: Reader) -> None:
        """Keep a reader for the next page (a dead one is dropped); it stops if still unused
        after `idle` seconds. Each reader borrowed is given back once."""
        if not reader.alive:
            self._gone(1)
            return
        reader.idle_since = time.monotonic()
        with self._lock:
            self._free.append(reader)
            self._lock.notify()
            if self._timer is None:
                self._arm(self.idle)

    def stop_idle(self, now: float | None = None) -> int:
        """Stop the free readers unused for `idle` seconds at `now`; return how many."""
        now = time.monotonic() if now is None else now
        with self._lock:
            old = [r for r in self._free if now - r.idle_since >= self.idle]
            self._free = [r for r in self._free if r not in old]
        for reader in old:
            reader.stop()
        self._gone(len(old))
        return len(old)

    def stop_all(self) -> None:
        """Stop every free reader (tests, shutdown)."""
        with self._lock:
            free, self._free = self._free, []
        for reader in free:
            reader.stop()
        self._gone(len(free))

    def call(self, spec: str, args: tuple, deadline: float):
        """`spec`'s function run on `args` by a reader lent for it (see `Reader.call`), waiting
        for one up to `deadline` while `limit` are busy."""
        reader = self.borrow(deadline)
        try:
            return reader.call(spec, args, deadline)
        finally:
            self.give_back(reader)  # one killed on the way is dropped

    @property
    def free(self) -> int:
        with self._lock:
            return len(self._free)

    @property
    def started(self) -> int:
        """Readers started and not known to be gone (free or lent)."""
        with self._lock:
            return self._started

    @property
    def waiting(self) -> int:
        """Callers waiting for a reader (all `limit` busy)."""
        with self._lock:
            return self._waiting

    def _gone(self, count: int) -> None:
        """`count` readers ended (or never started): room for as many new ones."""
        if count:
            with self._lock:
                self._started = max(0, self._started - count)
                self._lock.notify(count)

    def _arm(self, seconds: float) -> None:
        """With `_lock` held: look for idle readers in `seconds`."""
        self._timer = threading.Timer(seconds, self._on_timer)
        self._timer.daemon = True
        self._timer.start()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
        self.stop_idle()
        with self._lock:
            if self._free and self._timer is None:  # given back since: when the first is idle
                first = min(r.idle_since for r in self._free)
                self._arm(max(0.0, first + self.idle - time.monotonic()))


READERS = Readers()


class PageReading:
    """The pages of one crawl, each read by one of `readers` (lent for that page alone)."""

    def __init__(self, readers: Readers):
        self.readers = readers

    def read(
        self, url: str, body: bytes, charset: str | None, content_type: str, deadline: float
    ) -> PageText:
        """The page's text, title, footer and links (see `extract.page_text`)."""
        if content_type == "text/plain":
            return page_text(url, body, charset, content_type)  # nothing to parse
        args = (url, body, charset, content_type)
        return self.readers.call(self.readers.read_spec, args, deadline)


def run(spec: str, args: tuple, timeout: float, readers: Readers | None = None):
    """`spec`'s function ("module:function") run on `args` by one of this process's readers
    (`Reader.call`: TimeUp after `timeout` seconds, Unreadable if it failed or died)."""
    return (readers or READERS).call(spec, args, time.monotonic() + timeout)
