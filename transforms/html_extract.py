"""Main text and metadata from an HTML page: trafilatura, then our choice between candidates.

Method (measured on a news extraction benchmark, see bench/extraction.py and README "Cleaning"):
  1. trafilatura in precision mode (favor_precision, tables kept, comments dropped): on news pages
     it drops the related-story blocks, teasers and footers that balanced mode lets through;
  2. when that leaves less than a short article, trafilatura in balanced mode (it has its own
     recall escalation and fallbacks) and the page's JSON-LD `articleBody`, if any, are tried too,
     and the longest is kept only if it is clearly longer (so one stray block cannot win).
Everything after that (noise lines, bylines, repeated captions) is transforms.clean_text's job.

Safety: the page is parsed once, locally, by lxml's HTML parser (libxml2: no DTD loading, no
external entities, no network); trafilatura never fetches anything when given a tree. The input
size is bounded upstream (--max_input_bytes, checked in transforms.parse); here a tree with more
than MAX_ELEMENTS elements is refused, and libxml2's own depth limit flattens absurd nesting.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import trafilatura
from lxml.html import HtmlElement
from trafilatura.utils import HTML_PARSER, load_html

from transforms.records import StageError

MAX_ELEMENTS = 200_000  # real news pages have a few thousand; this bounds the work per page
MIN_CONFIDENT_CHARS = 500  # a precision extraction shorter than this is double-checked
LONGER_FACTOR = 2.0  # a fallback candidate must be this much longer to replace the first choice

_BLOCK_BREAK = re.compile(r"\n+")
_DOCUMENT_START = re.compile(r"<\s*(html|body|head|!doctype)\b", re.I)
_AUTHOR_SPLIT = re.compile(r";|,|\band\b|&")
_TAGS = re.compile(r"<[^>]+>")
_DATE_PARAMS = {"original_date": True, "extensive_search": True}


@dataclass
class ExtractedPage:
    text: str
    title: str | None = None
    published: str | None = None
    authors: list[str] = field(default_factory=list)
    url: str | None = None
    language: str | None = None
    method: str = "none"  # which candidate the body came from: precision, balanced, json-ld
    truncated: bool = False  # the parser hit its nesting limit and dropped what lay deeper


def parse_html(html: str) -> HtmlElement | None:
    """lxml tree of a page or of a bare fragment (a JSON `html` field may hold just "<p>..</p>")."""
    return _parse(html)[0]


def _parse(html: str) -> tuple[HtmlElement | None, bool]:
    """(tree, truncated): truncated when libxml2 stopped at its depth limit (256 levels)."""
    if not _DOCUMENT_START.search(html[:4096]):
        html = f"<html><body><div>{html}</div></body></html>"
    tree = load_html(html)  # trafilatura's loader: encoding repairs, then lxml with HTML_PARSER
    truncated = any(e.type_name == "ERR_RESOURCE_LIMIT" for e in HTML_PARSER.error_log)
    if tree is None:
        return None, truncated
    size = sum(1 for _ in tree.iter())
    if size > MAX_ELEMENTS:
        raise StageError("clean", f"HTML has {size} elements, over the limit of {MAX_ELEMENTS}")
    return tree, truncated


def _trafilatura(tree: HtmlElement, url: str | None, precision: bool, metadata: bool):
    return trafilatura.bare_extraction(
        tree,
        url=url,
        favor_precision=precision,
        with_metadata=metadata,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        date_extraction_params=_DATE_PARAMS,
    )


def _body_text(doc: Any) -> str:
    """One paragraph per extracted block, blank-line separated."""
    return _BLOCK_BREAK.sub("\n\n", (doc.text or "").strip()) if doc is not None else ""


def json_ld_body(tree: HtmlElement) -> str:
    """The longest schema.org `articleBody` in the page's JSON-LD, as plain paragraphs ('' if none)."""
    bodies: list[str] = []
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            stack: list[Any] = [json.loads(script.text or "")]
        except (ValueError, RecursionError):
            continue
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                body = node.get("articleBody")
                if isinstance(body, str):
                    bodies.append(body)
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    if not bodies:
        return ""
    body = max(bodies, key=len)
    if "<" in body:  # some sites put the HTML of the body there
        body = _TAGS.sub("\n", body)
    body = html_lib.unescape(body)
    return _BLOCK_BREAK.sub("\n\n", body.strip())


def extract_html(html: str, url: str | None = None) -> ExtractedPage:
    """Body paragraphs (blank-line separated) plus title, date, authors and canonical URL."""
    tree, truncated = _parse(html)
    if tree is None:
        return ExtractedPage(text="", truncated=truncated)
    doc = _trafilatura(tree, url, precision=True, metadata=True)
    text, method = _body_text(doc), "precision"
    if len(text) < MIN_CONFIDENT_CHARS:
        balanced = _trafilatura(tree, url, precision=False, metadata=doc is None)
        doc = doc if doc is not None else balanced
        candidates = [(_body_text(balanced), "balanced"), (json_ld_body(tree), "json-ld")]
        best, best_method = max(candidates, key=lambda c: len(c[0]))
        if len(best) > LONGER_FACTOR * len(text):
            text, method = best, best_method
    if doc is None:
        return ExtractedPage(text=text, method=method if text else "none", truncated=truncated)
    authors = [a.strip() for a in _AUTHOR_SPLIT.split(doc.author or "") if a.strip()]
    return ExtractedPage(
        text=text,
        title=(doc.title or None),
        published=(doc.date or None),
        authors=authors,
        url=(doc.url or None),
        language=(doc.language or None),
        method=method,
        truncated=truncated,
    )
