"""Deterministic identities: the same article always gets the same id, in a stream or a backfill."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from transforms.clean_text import paragraph_key

_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid|ocid|smid|sr_share)$", re.I)


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, no trailing slash."""
    parts = urlsplit(url.strip())
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)))
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower() or "https", host, path, query, ""))


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
