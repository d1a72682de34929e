"""Plain-data records passed between pipeline steps (dicts, so Beam pickles them cheaply).

A *raw input* is one unit read from a source: a file, a JSONL line or a Pub/Sub message.
A *raw article* is a parsed input with typed fields. Both keep the raw payload so that a
failure at any later stage can still dead-letter the exact bytes that came in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, TypedDict

FORMATS = ("json", "txt", "html")
METRICS_NAMESPACE = "news_pipeline"  # Beam counters of every stage live here
ERROR_PAYLOAD_BYTES = 1_000_000  # an errors row keeps this much of its input, plus the whole size and sha256


class RawInput(TypedDict, total=False):
    source_uri: str
    payload: bytes
    format: str  # one of FORMATS
    attributes: dict[str, str] | None
    message_id: str | None
    publish_time: str | None  # RFC 3339, from the transport (Pub/Sub publish time)
    read_error: str | None  # set by a source that could read the bytes but not decode them (corrupt gzip)
    payload_bytes: int | None  # whole size of the input when payload holds only its first bytes
    payload_sha256: str | None  # sha256 of the whole input, set with payload_bytes


class StageError(Exception):
    """A failure that dead-letters one input: carries the stage name and a readable reason."""

    def __init__(self, stage: str, reason: str):
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def error_row(raw: RawInput | dict[str, Any], stage: str, reason: str, now: dt.datetime | None = None) -> dict:
    """An `errors` table row for one input: its first ERROR_PAYLOAD_BYTES, its whole size and sha256."""
    now = now or utcnow()
    payload = raw.get("payload", b"")
    if isinstance(payload, str):
        payload = payload.encode("utf-8", "surrogatepass")
    payload = bytes(payload)
    size, digest = raw.get("payload_bytes"), raw.get("payload_sha256")
    if size is None or not digest:  # the payload is the whole input
        size, digest = len(payload), hashlib.sha256(payload).hexdigest()
    attrs = raw.get("attributes") or None
    return {
        "source_uri": str(raw.get("source_uri") or "unknown"),
        "stage": stage,
        "error": reason[:2000],
        "payload": payload[:ERROR_PAYLOAD_BYTES],
        "payload_bytes": int(size),
        "payload_sha256": digest,
        "payload_truncated": int(size) > min(len(payload), ERROR_PAYLOAD_BYTES),
        "ingested_at": now,
        "message_id": raw.get("message_id"),
        "attributes": {str(k): str(v) for k, v in attrs.items()} if attrs else None,
        "dt": now.date().isoformat(),
    }
