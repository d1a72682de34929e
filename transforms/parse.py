"""Turn one raw input (bytes + format) into a raw article dict, or raise StageError('parse', why).

Validation is strict and explained: a user reading the `errors` table should see at once
whether a message was not JSON, missing its body, or carried a field of the wrong type.

HTML and text pages are read as browsers read them: a byte-order mark decides the encoding, stray
NUL and other control characters are removed (browsers ignore them) instead of refusing the page.
An HTML page that is UTF-8 but for a few stray bytes (3 valid non-ASCII characters or more per
invalid byte) is read as UTF-8 with U+FFFD for those; one that is not UTF-8 is decoded with the
charset it declares (<meta charset>, the http-equiv Content-Type, an XML declaration; labels as the
WHATWG Encoding standard reads them, "iso-8859-1" meaning windows-1252) or, when that one fails too,
with the charset detected from its bytes (charset-normalizer; windows-1252 preferred among equally
good answers, as browsers default to it). Plain-text files have no declaration: they must be UTF-8
(or carry a BOM).
Binary files are still refused, with the reason: a known file signature (images, PDF, archives,
executables, media) or more than 5% control bytes (16 at least).
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
from typing import Any

from transforms.records import RawInput, StageError

STAGE = "parse"
STRING_FIELDS = ("url", "title", "source", "language", "published_at", "html", "text")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # C0 controls but tab, newlines and form feed
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_:.\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_:.\-]+)""", re.I)
DETECT_BYTES = 262_144  # charset detection looks at this much of a page: bounded time on a 20 MB one
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
MIN_VALID_PER_INVALID = 3  # UTF-8 with this many valid non-ASCII characters per invalid byte is UTF-8
MAX_CONTROL_SHARE = 0.05  # more control bytes than this in the first 64 KB: binary, not text ...
MIN_BINARY_CONTROLS = 16  # ... if there are at least this many (a short note with two stray NULs is text)
_SNIFF_BYTES = 65536
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# File signatures of formats that are never article text (checked before any decoding).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"), (b"%PDF-", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (or Office file)"),
    (b"\x1f\x8b", "a gzip archive"), (b"BZh91AY&SY", "a bzip2 archive"), (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xfd7zXZ\x00", "an xz archive"), (b"Rar!\x1a\x07", "a RAR archive"), (b"\x28\xb5\x2f\xfd", "a zstd archive"),
    (b"\x7fELF", "an executable"), (b"MZ\x90\x00", "an executable"), (b"%!PS", "a PostScript document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Office document"), (b"SQLite format 3\x00", "a database file"),
    (b"OggS", "an audio or video file"), (b"ID3\x03", "an audio file"), (b"ID3\x04", "an audio file"),
    (b"fLaC", "an audio file"),
    (b"wOFF", "a font file"), (b"wOF2", "a font file"), (b"\x00asm", "a WebAssembly module"),
    (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"), (b"\x00\x00\x01\x00", "an icon image"),
)
# WHATWG Encoding standard: labels browsers read differently from Python's codec of the same name.
_WHATWG = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "l1": "cp1252",
    "us-ascii": "cp1252", "ascii": "cp1252", "iso-8859-9": "cp1254", "latin5": "cp1254", "tis-620": "cp874",
    "iso-8859-11": "cp874", "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "shift_jis": "cp932",
    "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "euc-kr": "cp949", "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs", "utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8", "unicode": "utf-8",
}


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
        article = _from_txt(_decode_plain_text(payload))
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
    """JSON: UTF-8 and nothing else, NUL bytes and control characters refused (not JSON text)."""
    if b"\x00" in payload[:_SNIFF_BYTES]:
        raise StageError(STAGE, "binary content: input contains NUL bytes, not text")
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StageError(STAGE, f"invalid UTF-8 at byte {exc.start}: {exc.reason}") from None
    sample = text[:4096]
    if sample and len(_CONTROL.findall(sample)) > MAX_CONTROL_SHARE * len(sample):
        raise StageError(STAGE, "binary content: more than 5% control characters")
    return text


def _refuse_binary(payload: bytes) -> None:
    """StageError for a file that is not text: a known binary signature or too many control bytes."""
    head = payload[:16]
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            raise StageError(STAGE, f"binary content: the input is {what}, not text")
    sample = payload[:_SNIFF_BYTES]
    if any(sample.startswith(bom) for bom, _ in _BOMS):
        return
    controls = len(sample.translate(None, _NOT_CONTROL_BYTES))
    if controls >= MIN_BINARY_CONTROLS and controls > MAX_CONTROL_SHARE * len(sample):
        raise StageError(STAGE, f"binary content: {controls} of the first {len(sample)} bytes are control bytes "
                                f"({sample.count(0)} NUL), not text")


def _without_controls(text: str, payload: bytes | None = None) -> str:
    """Stray NUL and other control characters removed, as browsers ignore them (tab and newlines stay).

    With the payload of an ASCII-compatible encoding (every one but the BOM-marked UTF-16/32), a text
    whose bytes hold no control byte is returned at once: a byte scan costs a tenth of a regex search."""
    if payload is not None and not payload.translate(None, _NOT_CONTROL_BYTES):
        return text
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def _decode_bom(payload: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if payload.startswith(bom):
            try:
                return payload.decode(encoding)
            except UnicodeDecodeError as exc:
                raise StageError(STAGE, f"invalid {encoding.upper()} after its byte-order mark at byte {exc.start}: "
                                        f"{exc.reason}") from None
    return None


def _bom_or_utf8(payload: bytes) -> tuple[str | None, UnicodeDecodeError | None]:
    """(text, None) when the bytes carry a BOM or are UTF-8, else (None, the UTF-8 error); binary is refused.
    Stray control characters are removed from the text."""
    _refuse_binary(payload)
    text = _decode_bom(payload)
    if text is not None:
        return _without_controls(text), None
    try:
        return _without_controls(payload.decode("utf-8"), payload), None
    except UnicodeDecodeError as exc:
        return None, exc


def _decode_plain_text(payload: bytes) -> str:
    """A .txt file: BOM or UTF-8, stray control characters removed, binary files refused."""
    text, exc = _bom_or_utf8(payload)
    if text is None:
        raise StageError(STAGE, f"invalid UTF-8 at byte {exc.start}: {exc.reason}") from None
    return text


def declared_charset(payload: bytes) -> str | None:
    """The charset an HTML page declares in its first 8 KB, as a Python codec name (None if none or unknown)."""
    head = payload[:8192]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if not match:
        return None
    label = match.group(1).decode("ascii").strip().lower()
    label = _WHATWG.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _decode_html(payload: bytes) -> str:
    """BOM, else UTF-8, else the declared charset, else the detected one (see the module docstring)."""
    text, utf8_error = _bom_or_utf8(payload)
    if text is not None:
        return text
    lenient = payload.decode("utf-8", errors="replace")
    invalid = lenient.count("\ufffd")
    if len(_NON_ASCII.findall(lenient)) - invalid >= MIN_VALID_PER_INVALID * invalid:
        return _without_controls(lenient, payload)  # UTF-8 with a few stray bytes: U+FFFD for them, as browsers do
    declared = declared_charset(payload)
    if declared and declared != "utf-8":
        try:
            return _without_controls(payload.decode(declared), payload)
        except UnicodeDecodeError:
            pass
    detected = detect_charset(payload)
    if detected is None:
        named = f"declared {declared}, " if declared else ""
        raise StageError(STAGE, f"not text in any charset ({named}invalid UTF-8 at byte {utf8_error.start})")
    return _without_controls(payload.decode(detected, errors="replace"), payload)


def detect_charset(payload: bytes) -> str | None:
    """The charset charset-normalizer finds most plausible; windows-1252 among equally good answers."""
    from charset_normalizer import from_bytes

    from transforms.library_logs import demote_library_logs

    demote_library_logs(("charset_normalizer",))
    matches = list(from_bytes(payload[:DETECT_BYTES]))
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        if match.encoding == "cp1252" and match.chaos <= best.chaos + 0.01 and match.coherence >= best.coherence - 0.01:
            return "cp1252"
    return best.encoding


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
