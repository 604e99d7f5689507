"""A fetched page's main text (trafilatura), title, footer and links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag

import lxml.html
import trafilatura
from lxml import etree

# Links to files that are not pages: never fetched.
NOT_PAGES = re.compile(
    r"\.(?:pdf|jpe?g|png|gif|webp|svg|ico|css|js|json|xml|zip|gz|mp[34]|mov|avi|docx?|xlsx?|pptx?)$",
    re.I,
)
MAX_FOOTER_CHARS = 600
# A <title> says what the page is in a line: a longer one is cut (the report and the document's
# sources list show it).
MAX_TITLE_CHARS = 120


@dataclass(frozen=True)
class PageText:
    """What a page says and where it points."""

    url: str
    title: str
    text: str  # main content as light markdown: "# heading", "- item", paragraphs
    footer: str  # <footer> and <address> text, where addresses and hours often are
    links: list[str]
    link_texts: frozenset[str] = frozenset()  # what the links say (menus), lower case


def page_text(url: str, body: bytes, charset: str | None, content_type: str) -> PageText:
    """Read one page; plain text pages are their own text."""
    if content_type == "text/plain":
        return PageText(url, "", _decode(body, charset).strip(), "", [])
    tree = _parse(body, charset)
    if tree is None:
        return PageText(url, "", "", "", [])
    title = tree.findtext(".//title") or ""
    footer = _footer(tree)
    link_texts = frozenset(
        " ".join(a.text_content().split()).casefold() for a in tree.iterfind(".//a[@href]")
    )
    links = _links(tree, url)
    text = (
        trafilatura.extract(
            etree.tostring(tree, encoding="unicode"),
            url=url,
            output_format="markdown",
            include_formatting=True,
            include_tables=True,
            include_links=False,
            include_images=False,
            include_comments=False,
            favor_recall=True,
        )
        or ""
    )
    title = clip(" ".join(title.split()), MAX_TITLE_CHARS)
    return PageText(url, title, _plain(text), footer, links, link_texts)


def clip(text: str, limit: int) -> str:
    """`text`, or its first `limit` - 1 characters and "…" when it is longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        return body.decode("utf-8", errors="replace")


def _parse(body: bytes, charset: str | None):
    if not body.strip():
        return None
    try:
        parser = lxml.html.HTMLParser(encoding=charset) if charset else None
        return lxml.html.document_fromstring(body, parser=parser)
    except (etree.ParserError, LookupError, ValueError):
        try:
            return lxml.html.document_fromstring(_decode(body, charset))
        except (etree.ParserError, ValueError):
            return None


def _links(tree, url: str) -> list[str]:
    """Absolute http(s) links of the page, in order, without fragments or file downloads."""
    try:
        tree.make_links_absolute(url, resolve_base_href=True)
    except ValueError:
        return []
    found = []
    for element in tree.iterfind(".//a[@href]"):
        href, _ = urldefrag(element.get("href", "").strip())
        if href.lower().startswith(("http://", "https://")) and not NOT_PAGES.search(
            href.split("?", 1)[0]
        ):
            found.append(href)
    return list(dict.fromkeys(found))


def _footer(tree) -> str:
    parts = []
    for element in tree.iterfind(".//footer"):
        parts.append(" ".join(element.text_content().split()))
    for element in tree.iterfind(".//address"):
        parts.append(" ".join(element.text_content().split()))
    text = " · ".join(dict.fromkeys(p for p in parts if p))
    return text[:MAX_FOOTER_CHARS]


def _plain(markdown: str) -> str:
    """Trafilatura's markdown without emphasis marks; headings and list items kept."""
    text = re.sub(r"(\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))", "", markdown)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
