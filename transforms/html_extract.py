"""Main text and metadata from an HTML page, with trafilatura.

Parsing is local and safe: trafilatura parses with lxml's HTML parser (no DTDs, no external
entities, no network); we bound the input size before it gets there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import trafilatura

_BLOCK_BREAK = re.compile(r"\n+")


@dataclass
class ExtractedPage:
    text: str
    title: str | None = None
    published: str | None = None
    authors: list[str] = field(default_factory=list)
    url: str | None = None
    language: str | None = None


def extract_html(html: str, url: str | None = None) -> ExtractedPage:
    """Body paragraphs (blank-line separated) plus title, date, authors and canonical URL."""
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=False,
        deduplicate=False,
    )
    if doc is None:
        return ExtractedPage(text="")
    text = _BLOCK_BREAK.sub("\n\n", (doc.text or "").strip())
    authors = [a.strip() for a in re.split(r";|,|\band\b", doc.author or "") if a.strip()]
    return ExtractedPage(
        text=text,
        title=(doc.title or None),
        published=(doc.date or None),
        authors=authors,
        url=(doc.url or None),
        language=(doc.language or None),
    )
