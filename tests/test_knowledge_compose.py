"""The imported document stays within MAX_DOCUMENT_CHARS however long the pages' titles and URLs
are, and keeps the facts: the sources list is capped, the sections get what is left."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.knowledge import compose
from app.knowledge.extract import MAX_TITLE_CHARS, PageText, page_text

NOW = datetime(2026, 5, 1, tzinfo=UTC)
FACT = "Haircut costs 25 euros."
START = "https://salon.example/"


def pages(count: int, title: str = "Salon", path: str = "p", text: str = FACT) -> list[PageText]:
    return [PageText(f"{START}{path}{i}", title, text, "", []) for i in range(count)]


def write(kind: str, found: list[PageText]) -> str:
    if kind == "model":
        return compose.from_model("Demo", START, found, NOW, "## Services and prices\n- " + FACT)
    return compose.extractive("Demo", START, found, NOW)


def test_a_page_title_is_cut_to_its_limit():
    body = f"<html><head><title>Salon {'very ' * 2000}</title></head><body><p>Hi.</p></body>"
    title = page_text(START, body.encode(), "utf-8", "text/html").title
    assert len(title) == MAX_TITLE_CHARS
    assert title.startswith("Salon very") and title.endswith("…")


@pytest.mark.parametrize("kind", ["extractive", "model"])
@pytest.mark.parametrize(
    "found",
    [
        pages(5, title="T" * 10_000),
        pages(50, path="x" * 1_900 + "/"),
        pages(5_000),
    ],
)
def test_the_document_fits_and_keeps_the_facts(kind, found):
    document = write(kind, found)
    assert len(document) <= compose.MAX_DOCUMENT_CHARS
    assert FACT in document


def test_the_sources_list_says_how_many_pages_it_leaves_out():
    listed = compose.sources(pages(5_000))
    assert len(listed) <= compose.MAX_SOURCES_CHARS
    assert listed.startswith(f"Sources:\n- {START}p0 (Salon)\n")
    assert listed.splitlines()[-1].startswith("- … and ")
    assert listed.splitlines()[-1].endswith(" more")


def last_fact(document: str, found: list[PageText]) -> str:
    """The last line before the sources list, which must close the document."""
    assert document.endswith("\n\n" + compose.sources(found))
    return document.removesuffix(compose.sources(found)).rstrip().splitlines()[-1]


def test_long_extractive_sections_are_cut_at_whole_lines():
    lines = [f"Haircut number {i} costs {i} euros, washed and styled." for i in range(2_000)]
    found = pages(3, text="\n".join(lines))
    document = compose.extractive("Demo", START, found, NOW)
    assert len(document) <= compose.MAX_DOCUMENT_CHARS
    assert last_fact(document, found) in {f"- {line}" for line in lines}


def test_a_long_model_document_is_cut_at_whole_lines():
    found = pages(3)
    text = "## Services and prices\n" + "- Haircut: 25 euros\n" * 5_000
    document = compose.from_model("Demo", START, found, NOW, text)
    assert len(document) <= compose.MAX_DOCUMENT_CHARS
    assert last_fact(document, found) == "- Haircut: 25 euros"
