"""Deterministic identities: the same article always gets the same id, in a stream or a backfill."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from transforms.clean_text import paragraph_key

_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid|ocid|smid|sr_share)$", re.I)
# A last path segment that names a site's front or section page, not a story: "index.html", "default.aspx".
_INDEX_PAGE = re.compile(r"^(index|default|home|main|start|front|welcome)(\.\w{2,5})?$", re.I)
_PAGE_EXTENSION = re.compile(r"\.(s?html?|php\d?|aspx?|jsp|cfm|cgi|pl|cms|stm|ece|xml)$", re.I)
_WORD = re.compile(r"[^\W_]+")
_DATE_PATH = re.compile(r"/(19|20)\d\d/[01]?\d/")
MIN_SLUG_WORDS = 4  # "latest-sport-news" is a section; "niners-hire-martz-to-turn-offense-around" a story


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, no trailing slash."""
    parts = urlsplit(url.strip())
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)))
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower() or "https", host, path, query, ""))


def plausible_article_url(url: str | None, title: str | None = None) -> bool:
    """Whether a URL a page gives for itself (canonical link, og:url) can name that article.

    Broken canonical tags are common: many pages declare the site's home page or their section page,
    and such a URL would give every story of the site one article_id. A URL names an article when it
    is absolute http(s) and its path looks like a story's (an index page such as "index.html" is judged
    by its folder): the last segment carries a digit ("story-48123456") or a page extension
    ("ferry.html"), or the path is dated ("/2008/01/story"), or a segment is a slug of MIN_SLUG_WORDS
    words or more, or the last one shares two words with the title; a non-tracking query ("/?p=123",
    "/article.php?id=9") counts too. A root, an index page or a short section path ("/sport/",
    "/latest-sport-news/") does not.
    """
    if not url:
        return False
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return False
    query = [(k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)]
    segments = [s for s in parts.path.split("/") if s]
    if segments and _INDEX_PAGE.match(segments[-1]):  # ".../2019/11/18/story/index.html": judge the folder
        segments.pop()
    if not segments or query:
        return bool(query)
    last = segments[-1]
    if any(ch.isdigit() for ch in last) or _PAGE_EXTENSION.search(last) or _DATE_PATH.search(parts.path):
        return True
    if any(len(_WORD.findall(segment)) >= MIN_SLUG_WORDS for segment in segments):
        return True
    title_words = {w.lower() for w in _WORD.findall(title or "")}
    return len({w.lower() for w in _WORD.findall(last) if len(w) > 2} & title_words) >= 2


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def content_hash(text: str) -> str:
    """Hash of the cleaned body, insensitive to quote style, whitespace and case."""
    return _digest(paragraph_key(text))


def article_id(given_id: str | None, url: str | None, text_hash: str) -> str:
    """The given id, else a hash of the normalised URL, else the content hash of the cleaned text."""
    if given_id:
        return given_id
    if url:
        return "u" + _digest(normalise_url(url))
    return "c" + text_hash
