"""Main text and metadata from an HTML page: trafilatura, then our choice between candidates.

Method (measured on a news extraction benchmark, see bench/extraction.py and README "Cleaning"):
  1. metadata (title, authors, canonical URL, published date) from the whole page, with the
     fields-we-need subset of trafilatura's metadata steps and htmldate;
  2. elements that can never hold article text (scripts, styles, head, navigation, footers, form
     controls, media) are dropped before extraction: trafilatura's own cleaning drops them too, but
     only after several whole-tree passes that then cost a third more time;
  3. trafilatura in precision mode (favor_precision, tables kept, comments dropped): on news pages
     it drops the related-story blocks, teasers and footers that balanced mode lets through. It runs
     first without trafilatura's comparison with readability/jusText (`fast`), which costs a fifth of
     the cleaning time and changed no page of the benchmark; the comparison runs (a second, full
     precision pass) where trafilatura's own tests would call the result doubtful (DOUBTFUL_BODY):
     less than a short article, no paragraph text, more tables than paragraphs, page furniture left
     in the body, or a page laid out with tables (old pages, where readability helps most);
  4. when that leaves less than a short article, trafilatura in balanced mode (it has its own
     recall escalation and fallbacks) and the page's JSON-LD `articleBody`, if any, are tried too,
     and the longest is kept only if it is clearly longer (so one stray block cannot win);
  5. when all of that still gives (next to) nothing (under MIN_BODY_CHARS), trafilatura in recall
     mode, then trafilatura's `baseline` (embedded JSON, <article>, the page's paragraphs, at last the
     whole body's text), each kept only if clearly longer: baseline never returns nothing for a page
     with text. Measured on the benchmark pages as the only extractor (then clean_text), it
     scores F1 0.879 at 4 ms/page where jusText scores 0.807 at 21 ms/page (its stop-word density
     drops short paragraphs and whole <br>-separated stories), so jusText is not in the chain;
     readability (trafilatura's own copy) already runs inside trafilatura's fallbacks in step 4.
The extractor that gave the body is recorded (ExtractedPage.method -> the articles `extractor` column).
Everything after that (noise lines, bylines, repeated captions) is transforms.clean_text's job.

Old pages: a <table> used for layout (a cell holding a story, not a datum) is turned into plain
blocks before extraction, or trafilatura renders the whole page as one table row of text with the
navigation cells in it; a page that trafilatura's loader refuses ("parsed tree length: 1", e.g. a
page with no <head> whose first 50 characters do not say "html") is parsed by lxml directly.

Safety: the page is parsed once, locally, by lxml's HTML parser (libxml2: no DTD loading, no
external entities, no network); trafilatura never fetches anything when given a tree. The input
size is bounded upstream (--max_input_bytes, checked in transforms.parse); here a tree with more
than MAX_ELEMENTS elements is refused, and libxml2's own depth limit flattens absurd nesting.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import json
import re
import statistics
from dataclasses import dataclass, field
from typing import Any

import trafilatura
from htmldate import find_date
from lxml import etree
from lxml.html import HtmlElement, document_fromstring
from trafilatura.metadata import examine_meta, extract_author, extract_meta_json, extract_title, extract_url
from trafilatura.utils import HTML_PARSER, INVALID_XML_CHARS, load_html

from transforms.clean_text import noise_category
from transforms.library_logs import demote_library_logs
from transforms.records import StageError

demote_library_logs()

MAX_ELEMENTS = 200_000  # real news pages have a few thousand; this bounds the work per page
MIN_CONFIDENT_CHARS = 500  # a precision extraction shorter than this is double-checked
LONGER_FACTOR = 2.0  # a fallback candidate must be this much longer to replace the first choice
MIN_BODY_CHARS = 250  # less than this after trafilatura's modes: the page's text is too little, try baseline
LAYOUT_CELL_CHARS = 300  # a table cell with this much text of its own holds a story: the table is layout
LAYOUT_MEDIAN_CHARS = 80  # so do cells of this much text (median; one paragraph per row), 300 in all
_TABLE_PARTS = ("thead", "tbody", "tfoot", "tr", "td", "th", "caption")
_LAYOUT_ATTRIBUTES = ("width", "height", "colspan", "rowspan", "valign", "align", "cellpadding", "cellspacing")
# Extractor names, as written to the articles `extractor` column.
PRECISION, BALANCED, JSON_LD, RECALL, BASELINE = (
    "trafilatura-precision", "trafilatura-balanced", "json-ld", "trafilatura-recall", "trafilatura-baseline")
NEVER_TEXT = (  # trafilatura deletes these before extracting anyway (its MANUALLY_CLEANED)
    "head", "script", "style", "noscript", "template", "svg", "canvas", "picture", "video", "audio", "source",
    "track", "iframe", "object", "embed", "link", "select", "option", "button", "input", "textarea",
    "nav", "footer", "aside", "menu",
)

_BLOCK_BREAK = re.compile(r"\n+")
# A line break inside a sentence: old pages hard-wrap paragraphs with <br>, which extraction turns into
# line breaks like any block boundary. A line of MIN_WRAPPED_CHARS or more (or ending with a comma) that
# does not end a sentence, followed by one starting in lower case, is joined with it (unless that one is a
# line of page furniture by itself, "copyright ...": cleaning must still see it alone).
MIN_WRAPPED_CHARS = 40
_SENTENCE_END = tuple('.!?:;…"”’\'»)]|')
_DOCUMENT_START = re.compile(r"<\s*(html|body|head|!doctype)\b", re.I)
_AUTHOR_SPLIT = re.compile(r";|,|\band\b|&")
_TAGS = re.compile(r"<[^>]+>")
_JSON_LD = "script[@type='application/ld+json']"
# Elements that make trafilatura call an extracted body unclean and try jusText (its external.SANITIZED_XPATH,
# trafilatura 2.3; copied, not imported: it is not part of trafilatura's API).
_UNCLEAN_BODY = etree.XPath(
    ".//aside|.//audio|.//button|.//fencedframe|.//fieldset|.//figure|.//footer|.//iframe|.//input|.//label"
    "|.//link|.//nav|.//noindex|.//noscript|.//object|.//option|.//select|.//source|.//svg|.//time")


@dataclass
class ExtractedPage:
    text: str
    title: str | None = None
    published: str | None = None
    authors: list[str] = field(default_factory=list)
    url: str | None = None
    language: str | None = None
    method: str = "none"  # the extractor that gave the body: PRECISION ... BASELINE ('none': no text)
    truncated: bool = False  # the parser hit its nesting limit and dropped what lay deeper


def parse_html(html: str) -> HtmlElement | None:
    """lxml tree of a page or of a bare fragment (a JSON `html` field may hold just "<p>..</p>")."""
    return _parse(html)[0]


def _parse(html: str) -> tuple[HtmlElement | None, bool]:
    """(tree, truncated): truncated when libxml2 stopped at its depth limit (256 levels)."""
    if not _DOCUMENT_START.search(html[:4096]):
        html = f"<html><body><div>{html}</div></body></html>"
    tree = load_html(html)  # trafilatura's loader: encoding repairs, then lxml with HTML_PARSER
    if tree is None and html.strip():  # refused as "not valid HTML": parse it as a browser would
        tree = _parse_document(html)
    truncated = any(e.type_name == "ERR_RESOURCE_LIMIT" for e in HTML_PARSER.error_log)
    if tree is None:
        return None, truncated
    if len(html) > 3 * MAX_ELEMENTS:  # below that the page cannot hold MAX_ELEMENTS tags: skip the count
        size = sum(1 for _ in tree.iter())
        if size > MAX_ELEMENTS:
            raise StageError("clean", f"HTML has {size} elements, over the limit of {MAX_ELEMENTS}")
    return tree, truncated


def _parse_document(html: str) -> HtmlElement | None:
    """lxml's HTML parser on the whole string, always giving an <html> root (None if it finds nothing)."""
    html = INVALID_XML_CHARS.sub("", html)  # lxml refuses a str with NUL or control characters
    try:
        try:
            return document_fromstring(html, parser=HTML_PARSER)
        except ValueError:  # a str with an XML encoding declaration: lxml wants bytes then
            return document_fromstring(html.encode("utf-8", "surrogatepass"), parser=HTML_PARSER)
    except etree.ParserError:  # "Document is empty"
        return None


def unwrap_layout_tables(tree: HtmlElement) -> int:
    """Turn layout tables into plain blocks (table, rows and cells become <div>); returns how many.

    A table is layout when one of its own cells (not a nested table's) has LAYOUT_CELL_CHARS of text
    outside nested tables, or its cells' median is LAYOUT_MEDIAN_CHARS (a paragraph per row), or it
    holds another table: a data table's cells hold data (a name, a figure, a short note). Layout tables
    are how pages were built before CSS, and trafilatura reads them as data, one row of text per table
    row, so the story ends in one line with the navigation cells beside it.
    """
    layout: set[HtmlElement] = set()
    for table in tree.iter("table"):
        outer = _closest_table(table)
        if outer is not None:
            layout.add(outer)
    lengths: dict[HtmlElement, list[int]] = {}  # table -> text length of each of its own cells
    for cell in tree.iter("td", "th"):
        table = _closest_table(cell)
        if table is None or table in layout:
            continue
        length = _own_text_length(cell)
        if length >= LAYOUT_CELL_CHARS:
            layout.add(table)
        lengths.setdefault(table, []).append(length)
    layout.update(table for table, found in lengths.items() if table not in layout
                  and sum(found) >= LAYOUT_CELL_CHARS and statistics.median(found) >= LAYOUT_MEDIAN_CHARS)
    # All parts first: once an outer table is renamed, its parts would seem to belong to no table.
    parts = [el for el in tree.iter(*_TABLE_PARTS) if _closest_table(el) in layout]
    for el in [*layout, *parts]:
        el.tag = "div"
        for attr in _LAYOUT_ATTRIBUTES:
            el.attrib.pop(attr, None)
    return len(layout)


def _closest_table(el: HtmlElement) -> HtmlElement | None:
    return next(el.iterancestors("table"), None)


def _own_text_length(cell: HtmlElement) -> int:
    """Characters of text in a cell, not counting nested tables (stops counting at LAYOUT_CELL_CHARS)."""
    total = len((cell.text or "").strip())
    stack = list(cell)
    while stack and total < LAYOUT_CELL_CHARS:
        el = stack.pop()
        total += len((el.tail or "").strip())
        if el.tag == "table" or not isinstance(el.tag, str):
            continue
        total += len((el.text or "").strip())
        stack.extend(el)
    return total


def page_metadata(tree: HtmlElement, url: str | None = None) -> dict[str, Any]:
    """Title, authors, canonical URL, published date and declared language of a page.

    The steps of trafilatura.metadata.extract_metadata that give these fields (meta tags, then
    JSON-LD, then the page itself), without the sitename/categories/tags/licence passes it also runs.
    """
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:  # a bare handle, as trafilatura also judges
        meta.author = None
    with contextlib.suppress(Exception):  # malformed JSON-LD must not lose the page
        meta = extract_meta_json(tree, meta)
    meta.title = meta.title or extract_title(tree)
    meta.author = meta.author or extract_author(tree)
    meta.url = meta.url or extract_url(tree, url)
    meta.date = find_date(tree, url=meta.url, original_date=True, extensive_search=True)
    meta.clean_and_trim()
    return {
        "title": meta.title or None,
        "published": meta.date or None,
        "authors": [a.strip() for a in _AUTHOR_SPLIT.split(meta.author or "") if a.strip()],
        "url": meta.url or None,
        "language": _primary_subtag(tree.get("lang")),
    }


def _primary_subtag(lang: str | None) -> str | None:
    """'en-US' -> 'en', the form language detection gives; None for anything not a language tag."""
    primary = (lang or "").strip().split("-")[0].split("_")[0].lower()
    return primary if 2 <= len(primary) <= 3 and primary.isalpha() else None


def trafilatura_pass(tree: HtmlElement, url: str | None, precision: bool, recall: bool = False,
                 compare: bool = False) -> str:
    """One trafilatura pass as paragraphs. In precision mode the pass runs first without the comparison
    with external extractors, then again with it if the result is doubtful (or `compare` is set)."""
    def run(fast: bool):
        return trafilatura.bare_extraction(
            tree,
            url=url,
            fast=fast,
            favor_precision=precision,
            favor_recall=recall,
            with_metadata=False,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            deduplicate=False,
        )

    doc = run(fast=precision and not compare)
    if precision and not compare and (doc is None or doubtful_body(doc.body, doc.text or "")):
        doc = run(fast=False)
    return _paragraphs(doc.text or "") if doc is not None else ""


def doubtful_body(body: etree._Element, text: str) -> bool:
    """trafilatura's own reasons to compare its extraction with readability's and jusText's that can be
    judged without running them: little text, no paragraph text, tables outnumbering paragraphs, or page
    furniture left in the body. (The one it cannot judge alone, readability finding twice the text, is
    the price of skipping the comparison on confident pages.)"""
    if len(text) < MIN_CONFIDENT_CHARS or _UNCLEAN_BODY(body):
        return True
    return not body.xpath(".//p//text()") or len(body.findall(".//table")) > len(body.findall(".//p"))


def _paragraphs(text: str) -> str:
    """Extracted text as blank-line separated paragraphs, lines broken inside a sentence joined again."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        last = out[-1] if out else ""
        if (last and line[0].islower() and not last.endswith(_SENTENCE_END)
                and (len(last) >= MIN_WRAPPED_CHARS or last.endswith(",")) and noise_category(line) is None):
            out[-1] = f"{last} {line}"
        else:
            out.append(line)
    return "\n\n".join(out)


def json_ld_body(tree: HtmlElement) -> str:
    """The longest schema.org `articleBody` in the page's JSON-LD, as plain paragraphs ('' if none)."""
    return _json_ld_body([script.text for script in tree.iterfind(f".//{_JSON_LD}")])


def _json_ld_body(scripts: list[str | None]) -> str:
    bodies: list[str] = []
    for script in scripts:
        try:
            stack: list[Any] = [json.loads(script or "")]
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
    return _BLOCK_BREAK.sub("\n\n", html_lib.unescape(body).strip())


def extract_html(html: str, url: str | None = None) -> ExtractedPage:
    """Body paragraphs (blank-line separated) plus title, date, authors and canonical URL."""
    tree, truncated = _parse(html)
    if tree is None:
        return ExtractedPage(text="", truncated=truncated)
    meta = page_metadata(tree, url)
    ld_scripts = [script.text for script in tree.iterfind(f".//{_JSON_LD}")]
    etree.strip_elements(tree, *NEVER_TEXT, with_tail=False)
    layout_tables = unwrap_layout_tables(tree)
    text, method = trafilatura_pass(tree, url, precision=True, compare=layout_tables > 0), PRECISION
    if len(text) < MIN_CONFIDENT_CHARS:
        candidates = [(trafilatura_pass(tree, url, precision=False), BALANCED), (_json_ld_body(ld_scripts), JSON_LD)]
        best, best_method = max(candidates, key=lambda c: len(c[0]))
        if len(best) > LONGER_FACTOR * len(text):
            text, method = best, best_method
    for fallback, name in ((lambda: trafilatura_pass(tree, url, precision=False, recall=True), RECALL),
                           (lambda: _baseline(tree), BASELINE)):
        if len(text) >= MIN_BODY_CHARS:
            break
        best = fallback()
        if len(best) > LONGER_FACTOR * len(text):
            text, method = best, name
    return ExtractedPage(text=text, method=method if text else "none", truncated=truncated, **meta)


def _baseline(tree: HtmlElement) -> str:
    """trafilatura.baseline: embedded JSON bodies, <article>, the page's paragraphs, else all its text."""
    _, text, _ = trafilatura.baseline(tree)  # works on a copy of the tree
    return _paragraphs(text)
