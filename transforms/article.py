"""From a parsed raw article to a cleaned `articles` row (everything but the NLP annotations)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from transforms.clean_text import clean_text, normalise_unicode, split_paragraphs
from transforms.ids import article_id, content_hash, plausible_article_url
from transforms.language import detect_language
from transforms.parse import parse_timestamp
from transforms.records import StageError

STAGE = "clean"
_WORD = re.compile(r"\w+")
UNCLEANED = "+uncleaned"  # extractor suffix: the cleaning rules would have removed the whole extraction
MIN_UNCLEANED_WORDS = 20  # an extraction the rules remove entirely is kept only with this many words


def prepare_article(raw: dict[str, Any], now: dt.datetime, pipeline_version: str) -> dict[str, Any]:
    """Clean a raw article into an articles row plus `dt`; StageError('clean', ...) if nothing is left.

    Fields given with the article win over what the page says about itself; the body's language
    is detected from the cleaned text (a page's `<html lang>` is only a last resort: templates
    often declare one language for every page). A URL the page gives for itself (canonical link,
    og:url) is used only where it plausibly names the article (transforms.ids.plausible_article_url):
    a home or section page would give every story of the site one id.

    `extractor` names the HTML extractor that gave the body (None for an article given as text). The
    cleaning rules never turn a real HTML extraction into nothing: when every line of it matched a
    noise rule (and it has MIN_UNCLEANED_WORDS words or more), the extraction is kept with only its
    Unicode and whitespace normalised, and `extractor` gets the suffix "+uncleaned" to say so.
    """
    title = raw.get("title")
    url = raw.get("url")
    published = raw.get("published_at")
    authors = list(raw.get("authors") or [])
    body = raw.get("text")
    page_language, truncated, extractor = None, False, None
    if not (body or "").strip() and raw.get("html"):
        from transforms.html_extract import extract_html  # trafilatura loads only where there is HTML

        page = extract_html(raw["html"], url=url)
        truncated = page.truncated
        body = page.text
        extractor = page.method if page.text else None
        title = title or page.title
        if not url and plausible_article_url(page.url, title):
            url = page.url
        authors = authors or page.authors
        page_language = page.language
        if published is None and page.published:
            try:
                published = parse_timestamp(page.published)
            except StageError:
                published = None
    cleaned = clean_text(body or "", title=title)
    if not cleaned.text.strip() and extractor:
        kept = "\n\n".join(split_paragraphs(normalise_unicode(body)))
        if len(_WORD.findall(kept)) >= MIN_UNCLEANED_WORDS:
            cleaned.text, extractor = kept, extractor + UNCLEANED
    if not cleaned.text.strip():
        if truncated:
            raise StageError(STAGE, "no article text: the HTML is nested deeper than the parser's limit (256 levels)")
        raise StageError(STAGE, "no article text left after cleaning (page furniture only?)")
    title = normalise_unicode(title).strip() if title else None
    authors = authors or cleaned.authors
    text = cleaned.text
    language = raw.get("language") or detect_language(text) or page_language
    digest = content_hash(text)
    return {
        "article_id": article_id(raw.get("id"), url, digest),
        "source_uri": raw["source_uri"],
        "url": url,
        "title": title or None,
        "text": text,
        "published_at": published,
        "ingested_at": now,
        "language": language or None,
        "word_count": len(_WORD.findall(text)),
        "content_hash": digest,
        "pipeline_version": pipeline_version,
        "model": None,
        "source": raw.get("source"),
        "authors": authors,
        "dateline": cleaned.dateline,
        "nlp_status": "pending",
        "duplicate_of": None,
        "extractor": extractor,
        "dt": (published or now).date().isoformat(),
    }
