"""Streaming building blocks without a broker: message -> raw input, event time, the late-data
policy, dead-letter attributes, and the counts the run record reconciles."""

import datetime as dt
import json

import pytest
from apache_beam.io.gcp.pubsub import PubsubMessage
from apache_beam.utils.timestamp import Timestamp

from pipeline.pubsub_io import (
    MAX_ATTRIBUTE_VALUE_BYTES,
    dead_letter_attributes,
    event_time,
    message_to_raw,
    parse_timestamp_attribute,
)
from pipeline.streaming import pending, per_window, placement, stream_counts
from transforms.parse import parse_input
from transforms.records import StageError

SUB = "projects/news-test/subscriptions/articles"
NOW = Timestamp.from_utc_datetime(dt.datetime(2026, 5, 1, 12, 0, 30, tzinfo=dt.UTC))


def message(data: bytes, attributes: dict | None = None, message_id: str = "42") -> PubsubMessage:
    return PubsubMessage(data, attributes or {}, message_id=message_id,
                         publish_time=dt.datetime(2026, 5, 1, 12, 0, 0, tzinfo=dt.UTC))


def test_message_becomes_the_graphs_raw_input():
    raw = message_to_raw(message(b'{"text": "t"}', {"source": "wire"}), SUB)
    assert raw == {"source_uri": f"pubsub://{SUB}/42", "payload": b'{"text": "t"}', "format": "json",
                   "attributes": {"source": "wire"}, "message_id": "42", "publish_time": "2026-05-01T12:00:00Z"}
    assert message_to_raw(message(b"x"), SUB)["attributes"] is None


def test_attributes_fill_fields_the_json_lacks():
    raw = message_to_raw(message(json.dumps({"text": "Body.", "title": "Own"}).encode(),
                                 {"title": "Attr", "url": "https://x.test/a", "source": "wire"}), SUB)
    article = parse_input(raw)
    assert (article["title"], article["url"], article["source"]) == ("Own", "https://x.test/a", "wire")
    assert article["message_id"] == "42" and article["source_uri"] == f"pubsub://{SUB}/42"


def test_event_time_precedence():
    published = json.dumps({"text": "t", "published_at": "2026-04-30T08:00:00Z"}).encode()
    raw = message_to_raw(message(published, {"ts": "1777636800000"}), SUB)
    assert event_time(raw, "ts") == Timestamp(1777636800)  # the configured attribute wins
    assert event_time(raw, None) == Timestamp.from_rfc3339("2026-04-30T08:00:00Z")  # then published_at
    attr_only = message_to_raw(message(b'{"text": "t"}', {"published_at": "2026-04-29T00:00:00+02:00"}), SUB)
    assert event_time(attr_only, None) == Timestamp.from_rfc3339("2026-04-28T22:00:00Z")
    for data in (b'{"text": "t"}', b"{not json", b'{"text": "t", "published_at": "soon"}', b"\xff\xfe"):
        assert event_time(message_to_raw(message(data), SUB), "ts") is None  # publish time is kept


def test_timestamp_attribute_formats():
    assert parse_timestamp_attribute("2026-05-01T12:00:00.5Z") == Timestamp(1777636800.5)
    assert parse_timestamp_attribute(" 1777636800000 ") == Timestamp(1777636800)
    for bad in ("yesterday", "", "12:00", "9" * 40):
        with pytest.raises(StageError) as info:
            parse_timestamp_attribute(bad)
        assert info.value.stage == "read" and "timestamp attribute" in info.value.reason


def test_a_malformed_timestamp_attribute_dead_letters_the_message():
    raw = message_to_raw(message(b'{"text": "t"}', {"ts": "not a time"}), SUB)
    with pytest.raises(StageError):
        event_time(raw, "ts")


@pytest.mark.parametrize(("event_offset", "kept"), [
    (0, True),  # on time
    (-300, True),  # its window closed 270 s ago: within 600 s of lateness
    (-700, False),  # beyond the allowed lateness: windowed by arrival
    (50, True),  # a little ahead (clock skew): within one window
    (3600, False),  # an hour ahead: windowed by arrival
])
def test_placement_policy(event_offset, kept):
    event = NOW + event_offset
    placed = placement(event, NOW, window_seconds=60, allowed_lateness_seconds=600)
    assert placed == (event if kept else NOW)


def test_placement_with_no_lateness_moves_rows_of_closed_windows():
    assert placement(NOW - 29, NOW, 60, 0) == NOW - 29  # same window as now: not late
    assert placement(NOW - 31, NOW, 60, 0) == NOW  # previous window already closed


def test_dead_letter_attributes_keep_the_originals_within_limits():
    error = {"stage": "parse", "error": "é" * 2000, "source_uri": f"pubsub://{SUB}/7", "message_id": "7",
             "attributes": {"source": "wire", "error": "theirs"}}
    attrs = dead_letter_attributes(error)
    assert attrs["source"] == "wire" and attrs["error_stage"] == "parse" and attrs["original_message_id"] == "7"
    assert attrs["error"].startswith("éé") and len(attrs["error"].encode()) <= MAX_ATTRIBUTE_VALUE_BYTES
    many = dict(error, attributes={f"k{i}": "v" for i in range(150)})
    assert len(dead_letter_attributes(many)) == 100


def test_counts_reconcile_overall_and_per_window():
    counters = {"messages_read": 10, "rows_written/articles": 6, "rows_written/errors": 3, "counted/duplicates": 1,
                "window/A/inputs": 7, "window/A/articles": 4, "window/A/errors": 2, "window/A/duplicates": 1,
                "window/B/inputs": 3, "window/B/articles": 2, "window/B/errors": 0, "window/B/entities": 5}
    counts = stream_counts(counters)
    assert pending(counts) == 0  # 10 read = 6 articles + 3 errors + 1 duplicate
    windows = per_window(counters)
    assert [(w["window"], w["reconciles"]) for w in windows] == [("A", True), ("B", False)]
    assert windows[1]["entities"] == 5
