import datetime as dt
import json

import pytest

from transforms.parse import parse_input, parse_timestamp
from transforms.records import StageError


def raw(payload, fmt="json", **extra):
    if isinstance(payload, dict):
        payload = json.dumps(payload).encode()
    return {"source_uri": "mem://x", "payload": payload, "format": fmt, **extra}


def test_json_article_fields_are_typed():
    art = parse_input(raw({"id": 7, "text": "Body.", "title": "T", "authors": "A B",
                           "published_at": "2026-11-20T09:30:00+01:00"}))
    assert art["id"] == "7"
    assert art["authors"] == ["A B"]
    assert art["published_at"] == dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)


def test_pubsub_attributes_fill_missing_fields():
    art = parse_input(raw({"text": "Body."}, attributes={"url": "https://x.test/a", "published_at": "2026-11-01"}))
    assert art["url"] == "https://x.test/a"
    assert art["published_at"].date() == dt.date(2026, 11, 1)


def test_txt_first_nonempty_line_is_title():
    art = parse_input(raw(b"\n\nThe Title\n\nBody one.\n\nBody two.", fmt="txt"))
    assert art["title"] == "The Title"
    assert "The Title" not in art["text"] and "Body two." in art["text"]


@pytest.mark.parametrize(
    ("payload", "fmt", "reason"),
    [
        (b'{"text": "unterminated', "json", "invalid JSON"),
        (b'{"title": "no body"}', "json", "neither 'text' nor 'html'"),
        (b'{"text": "   \\n\\t "}', "json", "no text"),
        (b"", "txt", "no text"),
        (b"\x00\x01\x02\xff\xfe binary" * 8, "txt", "binary content"),
        (b"caf\xe9 au lait is not UTF-8", "txt", "invalid UTF-8"),
        (b'{"text": 42}', "json", "field 'text' must be a string, got int"),
        (b'{"text": "x", "authors": [1, 2]}', "json", "'authors' must be"),
        (b'{"text": "x", "published_at": "yesterday"}', "json", "not an RFC 3339"),
        (b'["a", "list"]', "json", "must be an object"),
        (b'{"text": "x", "id": {"nested": true}}', "json", "'id' must be"),
        (b"[" * 100_000, "json", "invalid JSON"),
    ],
)
def test_bad_input_gets_a_readable_reason(payload, fmt, reason):
    with pytest.raises(StageError) as err:
        parse_input(raw(payload, fmt=fmt))
    assert err.value.stage == "parse"
    assert reason in err.value.reason


def test_oversized_input_is_refused():
    with pytest.raises(StageError, match="over the limit"):
        parse_input(raw(b"x" * 101, fmt="txt"), max_bytes=100)


def test_timestamp_without_zone_is_utc():
    assert parse_timestamp("2026-11-20T10:00:00").tzinfo == dt.UTC
