"""Reference document endpoints: read (any version), edit, import from the website, list versions;
and the business's model usage per month against its budget."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from app import usage
from app.admin import access
from app.admin.blueprint import bp
from app.admin.fields import BAD, text
from app.admin.wire import ApiError, invalid, json_body, ok, query_int, reject_unknown
from app.agent.prompts import reference_excerpt
from app.knowledge import guard
from app.knowledge.compose import MAX_DOCUMENT_CHARS
from app.knowledge.conflicts import find_conflicts
from app.knowledge.importer import ImportFailed, import_website
from app.storage import audit, businesses, knowledge
from app.storage.db import transaction


@bp.get("/businesses/<int:business_id>/reference-document")
def get_reference_document(business_id: int):
    """The current (or `?version=`) document, with its conflicts with the settings."""
    access.require_business(business_id)
    version = query_int("version", 0, 0, 2**31 - 1) or None
    document = knowledge.get_version(business_id, version)
    if document is None and version is not None:
        raise ApiError(404, "no such version")
    return ok(_shown(businesses.get_business(business_id), document))


@bp.get("/businesses/<int:business_id>/reference-document/versions")
def list_reference_versions(business_id: int):
    """Every version, newest first, without its text."""
    access.require_business(business_id)
    return ok({"versions": knowledge.list_versions(business_id)})


@bp.put("/businesses/<int:business_id>/reference-document")
def update_reference_document(business_id: int):
    """Save an edited document as a new version (owner); the bot's next turn uses it."""
    access.require_business(business_id, owner=True)
    data = json_body()
    reject_unknown(data, {"content"})
    errors: dict[str, str] = {}
    content = text(0, MAX_DOCUMENT_CHARS)(data.get("content"), "content", errors)
    if content is BAD:
        raise invalid(errors)
    with transaction() as conn:
        version = knowledge.add_version(
            conn, business_id, content, "edit", user_id=access.user_id()
        )
        _audit(conn, business_id, "edit", {"version": version, "chars": len(content)})
    return ok(_shown(businesses.get_business(business_id), knowledge.get_version(business_id)))


@bp.post("/businesses/<int:business_id>/reference-document/import")
def import_reference_document(business_id: int):
    """Crawl the business's website now and store what it says as a new version (owner).

    A refused URL (400 naming `url`) or a site of which no page could be read (422) carries the
    `reason` code of why, for the console to say in the reader's language.
    """
    access.require_business(business_id, owner=True)
    data = json_body()
    reject_unknown(data, {"url"})
    errors: dict[str, str] = {}
    url = text(1, guard.MAX_URL_LENGTH)(data.get("url"), "url", errors)
    if url is BAD:
        raise invalid(errors, reason="bad_url")
    try:
        guard.parse(url)
    except guard.Refused as exc:
        raise invalid({"url": str(exc)}, reason=exc.reason) from None
    business = businesses.get_business(business_id)

    def audited(conn, version: int) -> None:
        _audit(conn, business_id, "import", {"version": version, "url": url})

    try:
        result = import_website(
            current_app.config, business, url, user_id=access.user_id(), on_saved=audited
        )
    except ImportFailed as exc:
        if exc.field:
            raise invalid({exc.field: str(exc)}, reason=exc.reason) from None
        raise ApiError(422, str(exc), reason=exc.reason) from None
    return ok(_shown(business, knowledge.get_version(business_id, result.version)), 201)


@bp.get("/businesses/<int:business_id>/usage")
def get_usage(business_id: int):
    """Tokens and estimated cost per month, and the budget (owner)."""
    access.require_business(business_id, owner=True)
    months = query_int("months", 12, 1, 120)
    business = businesses.get_business(business_id)
    prices = current_app.config["MODEL_PRICES"]
    return ok(usage.summary(business, datetime.now(UTC), prices, months))


def _shown(business: dict, document: dict | None) -> dict:
    """A version as the console shows it: text, origin, conflicts, what the prompt gets."""
    limit = current_app.config["REFERENCE_DOC_PROMPT_CHARS"]
    content = document["content"] if document else ""
    return {
        "version": document["version"] if document else None,
        "source": document["source"] if document else None,
        "source_url": document["source_url"] if document else None,
        "created_at": document["created_at"] if document else None,
        "created_by": document["created_by"] if document else None,
        "report": document["report"] if document else None,
        "content": content,
        "conflicts": find_conflicts(business, content),
        "prompt_chars": limit,
        "in_prompt_chars": len(reference_excerpt(content, limit)),
        "shortened_in_prompt": len(content.strip()) > limit,
    }


def _audit(conn, business_id: int, action: str, after: dict) -> None:
    audit.record(
        conn,
        user_id=access.user_id(),
        business_id=business_id,
        action=action,
        entity="reference_document",
        entity_id=business_id,
        after=after,
    )
