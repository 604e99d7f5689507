"""Page readers for tests of app.knowledge.reader: each runs in a reader process, as
`extract.page_text` does, and is named there as "tests.page_readers:NAME"."""

from __future__ import annotations

import os
import time
from dataclasses import replace

from app.knowledge.extract import page_text


def with_pid(url, body, charset, content_type):
    """The page as read, its title the reader's process id and niceness."""
    page = page_text(url, body, charset, content_type)
    return replace(page, title=f"{os.getpid()} {os.getpriority(os.PRIO_PROCESS, 0)}")


def hangs_on_slow(url, body, charset, content_type):
    """A page whose URL says "slow" is never done; the others as read, titled with the pid."""
    if "slow" in url:
        time.sleep(600)
    return with_pid(url, body, charset, content_type)


def dies_on_bad(url, body, charset, content_type):
    """The reader dies on a page whose URL says "bad" (as on a crash)."""
    if "bad" in url:
        os._exit(3)
    return with_pid(url, body, charset, content_type)


def fails_on_broken(url, body, charset, content_type):
    """An error on a page whose URL says "broken" (as the extractor's own could be)."""
    if "broken" in url:
        raise ValueError("no such thing as this page")
    return with_pid(url, body, charset, content_type)


def compose_with_pid(name, start_url, pages, now):
    """An extractive document saying which process wrote it."""
    return f"written by {os.getpid()} from {len(pages)} pages"


def compose_fails(name, start_url, pages, now):
    raise RuntimeError("cannot write it")


def compose_hangs(name, start_url, pages, now):
    time.sleep(600)
