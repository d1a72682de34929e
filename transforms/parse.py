"""Turn one raw input (bytes + format) into a raw article dict, or raise StageError('parse', why).

Validation is strict and explained: a user reading the `errors` table should see at once
whether a message was not JSON, missing its body, or carried a field of the wrong type.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from transforms.records import RawInput, StageError

STAGE = "parse"
STRING_FIELDS = ("url", "title", "source", "language", "published_at", "html", "text")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)


def parse_input(raw: RawInput, max_bytes: int = 20_000_000, max_json_depth: int = 64) -> dict[str, Any]:
    """Parse a raw input of any format into a raw article; raises StageError on bad input."""
    payload = raw.get("payload") or b""
    if raw.get("read_error"):
        raise StageError("read", raw["read_error"])
    if len(payload) > max_bytes:
        raise StageError(STAGE, f"input is {len(payload)} bytes, over the limit of {max_bytes} (--max_input_bytes)")
    fmt = raw.get("format", "json")
    if fmt == "json":
        article = _from_json(payload, max_json_depth)
        for key, value in (raw.get("attributes") or {}).items():
            if key in STRING_FIELDS + ("id",) and article.get(key) in (None, ""):
                article[key] = value
        if article.get("published_at") is None and (raw.get("attributes") or {}).get("published_at"):
            article["published_at"] = raw["attributes"]["published_at"]
    elif fmt == "txt":
        article = _from_txt(_decode_text(payload))
    elif fmt == "html":
        article = {"html": _decode_html(payload)}
    else:
        raise StageError(STAGE, f"unknown input format {fmt!r}")
    article["published_at"] = parse_timestamp(article.get("published_at"))
    article["source_uri"] = raw.get("source_uri") or "unknown"
    article["message_id"] = raw.get("message_id")
    if not (article.get("text") or "").strip() and not (article.get("html") or "").strip():
        raise StageError(STAGE, "article has no text: body is empty or whitespace only")
    return article


def _decode_text(payload: bytes) -> str:
    if b"\x00" in payload[:65536]:
        raise StageError(STAGE, "binary content: input contains NUL bytes, not text")
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StageError(STAGE, f"invalid UTF-8 at byte {exc.start}: {exc.reason}") from None
    sample = text[:4096]
    if sample and len(_CONTROL.findall(sample)) > 0.05 * len(sample):
        raise StageError(STAGE, "binary content: more than 5% control characters")
    return text


def _decode_html(payload: bytes) -> str:
    """HTML may legitimately be in a declared legacy charset; anything else must be UTF-8."""
    try:
        return _decode_text(payload)
    except StageError as exc:
        match = _META_CHARSET.search(payload[:4096])
        if not match or b"\x00" in payload[:65536]:
            raise exc from None
        try:
            return payload.decode(match.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            raise exc from None


def _from_txt(text: str) -> dict[str, Any]:
    """Plain text: the first non-empty line is the title, the rest is the body."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            return {"title": line.strip(), "text": "\n".join(lines[i + 1 :])}
    return {"text": ""}


def _depth(value: Any, limit: int) -> int:
    stack, deepest = [(value, 1)], 0
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


def _from_json(payload: bytes, max_depth: int) -> dict[str, Any]:
    text = _decode_text(payload)
    try:
        obj = json.loads(text)
    except RecursionError:
        raise StageError(STAGE, "invalid JSON: nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise StageError(STAGE, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(obj, dict):
        raise StageError(STAGE, f"article JSON must be an object, got {type(obj).__name__}")
    if _depth(obj, max_depth) > max_depth:
        raise StageError(STAGE, f"article JSON is nested deeper than {max_depth} levels")
    if "text" not in obj and "html" not in obj:
        raise StageError(STAGE, "article JSON has neither 'text' nor 'html'")
    article: dict[str, Any] = {}
    for key in STRING_FIELDS:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            raise StageError(STAGE, f"field '{key}' must be a string, got {type(value).__name__}")
        article[key] = _valid_unicode(value)
    ident = obj.get("id")
    if ident is not None and (isinstance(ident, bool) or not isinstance(ident, str | int)):
        raise StageError(STAGE, f"field 'id' must be a string or integer, got {type(ident).__name__}")
    article["id"] = _valid_unicode(str(ident)) if ident is not None and str(ident).strip() else None
    authors = obj.get("authors")
    if isinstance(authors, str):
        authors = [authors]
    if authors is not None and not (isinstance(authors, list) and all(isinstance(a, str) for a in authors)):
        raise StageError(STAGE, "field 'authors' must be a string or a list of strings")
    article["authors"] = [_valid_unicode(a) for a in authors or []]
    return article


def _valid_unicode(value: str | None) -> str | None:
    """JSON escapes can carry lone surrogates ("\\ud800"), which no UTF-8 writer accepts: replace them."""
    return _SURROGATE.sub("\ufffd", value) if value else value


def parse_timestamp(value: Any) -> dt.datetime | None:
    """RFC 3339 / ISO 8601 (or a bare date) as an aware UTC datetime; StageError if unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise StageError(STAGE, f"field 'published_at' is not an RFC 3339 timestamp: {str(value)[:80]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    if not 1900 <= parsed.year <= 2200:
        raise StageError(STAGE, f"field 'published_at' is out of range: {value!r}")
    return parsed.astimezone(dt.UTC)
