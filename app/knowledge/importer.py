"""Import a business's website as the next version of its reference document."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from app import usage
from app.knowledge import compose, reader
from app.knowledge.conflicts import find_conflicts
from app.knowledge.crawl import CrawlLimits, CrawlReport, crawl
from app.knowledge.fetch import FetchPolicy
from app.knowledge.guard import Refused
from app.storage import knowledge
from app.storage.db import transaction

log = logging.getLogger(__name__)
USER_AGENT = "Mozilla/5.0 (compatible; BookingBotImport/1.0; reads a business's own site)"
# The extractive document is written in a reader process too (seconds of CPU for a large site,
# more below busy web processes); here only if the reader fails. Its work is bounded by the
# crawl's bytes: a reader still writing after COMPOSE_SECONDS is broken, and the import fails.
COMPOSE = "app.knowledge.compose:extractive"
COMPOSE_SECONDS = 600.0


class ImportFailed(Exception):
    """Nothing was imported; the message says why in one line, `reason` names it (a code the admin
    API hands on for the console to word). `field` names a bad input."""

    def __init__(self, message: str, reason: str, field: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class ImportResult:
    """The stored version and what the import saw."""

    version: int
    content: str
    report: dict
    conflicts: list[dict]


def fetch_policy(config) -> FetchPolicy:
    """The fetcher's settings from the app config."""
    return FetchPolicy(
        allowed=config["WEBSITE_IMPORT_ALLOWED_HOSTS"],
        proxies=dict(config["WEBSITE_IMPORT_PROXIES"]),
        user_agent=USER_AGENT,
        page_timeout=config["WEBSITE_IMPORT_PAGE_TIMEOUT"],
    )


def crawl_limits(config) -> CrawlLimits:
    """The crawl's limits from the app config."""
    return CrawlLimits(
        max_pages=config["WEBSITE_IMPORT_MAX_PAGES"],
        max_page_bytes=config["WEBSITE_IMPORT_MAX_PAGE_BYTES"],
        max_total_bytes=config["WEBSITE_IMPORT_MAX_TOTAL_BYTES"],
        time_limit=config["WEBSITE_IMPORT_TIME_LIMIT"],
    )


def import_website(
    config,
    business: dict,
    url: str,
    *,
    user_id: int | None = None,
    on_saved: Callable[[object, int], None] | None = None,
) -> ImportResult:
    """Crawl `url`, write the document, store it as a new version; ImportFailed if nothing was read.

    `on_saved(conn, version)` runs in the storing transaction (the admin API audits there).
    """
    try:
        report = crawl(url, fetch_policy(config), crawl_limits(config))
    except Refused as exc:
        raise ImportFailed(f"{url} cannot be imported: {exc}", exc.reason, field="url") from None
    if not report.pages:
        # Without a failure of the start URL, a limit stopped the crawl before it was read.
        reason = report.failure or "site_unreadable"
        raise ImportFailed(f"no page of {report.start_url} could be read: {_why(report)}", reason)
    now = datetime.now(UTC)
    content, method = write_document(config, business, report, now)
    stored = {**report.as_dict(), "written_by": method}
    with transaction() as conn:
        version = knowledge.add_version(
            conn,
            business["id"],
            content,
            "import",
            source_url=report.start_url,
            report=stored,
            user_id=user_id,
        )
        if on_saved:
            on_saved(conn, version)
    return ImportResult(version, content, stored, find_conflicts(business, content))


def write_document(config, business: dict, report: CrawlReport, now: datetime):
    """(text, "model" | "extractive"): the model writes it when one is configured and the
    business is within its budget; otherwise, or when the model fails, the pages' own sentences."""
    name, pages, start = business["name"], report.pages, report.start_url
    if config.get("OPENAI_API_KEY") and not usage.over_budget(business, now):
        from app.agent import llm

        model = llm.get_chat_model(config)
        try:
            answer = model.invoke(compose.model_messages(name, pages))
        except Exception as exc:  # the extractive document is always there to fall back on
            log.warning(
                "reference document: the model failed (%s); writing it extractively",
                type(exc).__name__,
            )
        else:
            call = usage.from_message(answer, config.get("OPENAI_MODEL", ""))
            if call:
                usage.record(business["id"], None, [call], purpose="import")
            text = answer.content if isinstance(answer.content, str) else ""
            if text.strip():
                return compose.from_model(name, start, pages, now, text), "model"
    return _extractive(name, start, pages, now), "extractive"


def _extractive(name: str, start_url: str, pages: list, now: datetime) -> str:
    """`compose.extractive`, run by a reader process (app.knowledge.reader); in this process
    when the reader fails (not when it is slow: here it would be as slow, holding the GIL)."""
    try:
        return reader.run(COMPOSE, (name, start_url, pages, now), COMPOSE_SECONDS)
    except reader.Unreadable as exc:
        log.warning("reference document: the reader failed (%s); writing it here", exc)
        return compose.extractive(name, start_url, pages, now)


def _why(report: CrawlReport) -> str:
    reasons = [f"{s['url']}: {s['reason']}" for s in report.skipped[:3]]
    return "; ".join(reasons) or (report.stopped or "no page found")
