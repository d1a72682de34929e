"""Pub/Sub in and out: article messages as raw inputs with their event time, errors to a dead-letter topic.

Event time of a message, first that applies:
  1. the `--timestamp_attribute` attribute (RFC 3339 or epoch milliseconds), when configured and present;
  2. the article's `published_at` (message data, else a `published_at` attribute);
  3. the Pub/Sub publish time (what the source stamps).
The timestamp attribute is read here rather than by ReadFromPubSub(timestamp_attribute=...): Beam's
reader raises on a malformed value and takes the whole stream down, here it dead-letters one message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any

import apache_beam as beam
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import Timestamp

from pipeline.tally import Tally
from transforms.parse import parse_timestamp
from transforms.records import RawInput, StageError

LOG = logging.getLogger(__name__)
# Pub/Sub limits: attribute values up to 1024 bytes, keys up to 256 bytes, at most 100 attributes.
MAX_ATTRIBUTE_VALUE_BYTES = 1024
MAX_ATTRIBUTES = 100


def source_uri(source: str, message_id: str | None) -> str:
    """`pubsub://projects/P/subscriptions/S/<message_id>` (or .../topics/T/... when reading a topic)."""
    return f"pubsub://{source}/{message_id or 'unknown'}"


def _rfc3339(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Timestamp):
        return value.to_rfc3339()
    return str(value)


def message_to_raw(message: Any, source: str) -> RawInput:
    """A PubsubMessage (data, attributes, message_id, publish_time) as the graph's raw input record."""
    message_id = getattr(message, "message_id", None) or None
    return {
        "source_uri": source_uri(source, message_id),
        "payload": bytes(message.data or b""),
        "format": "json",
        "attributes": {str(k): str(v) for k, v in (message.attributes or {}).items()} or None,
        "message_id": message_id,
        "publish_time": _rfc3339(getattr(message, "publish_time", None)),
    }


def parse_timestamp_attribute(value: str) -> Timestamp:
    """Epoch milliseconds or RFC 3339, as Beam's Pub/Sub reader accepts; StageError('read', why) otherwise."""
    text = value.strip()
    try:
        if text.lstrip("-").isdigit():
            parsed = dt.datetime.fromtimestamp(int(text) / 1000, tz=dt.UTC)
            parsed = parse_timestamp(parsed.isoformat())  # same 1900-2200 range check as published_at
        else:
            parsed = parse_timestamp(text)
    except (StageError, ValueError, OverflowError, OSError):
        parsed = None
    if parsed is None:
        raise StageError("read", f"timestamp attribute is neither RFC 3339 nor epoch milliseconds: {value[:80]!r}")
    return Timestamp.from_utc_datetime(parsed)


def _published_at(raw: RawInput) -> Timestamp | None:
    """The article's own published_at, read leniently: anything unreadable is the parse stage's to report."""
    value = None
    try:
        obj = json.loads(raw.get("payload") or b"")
        if isinstance(obj, dict):
            value = obj.get("published_at")
    except (ValueError, RecursionError):
        pass
    if value in (None, ""):
        value = (raw.get("attributes") or {}).get("published_at")
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = parse_timestamp(value)
    except StageError:
        return None
    return Timestamp.from_utc_datetime(parsed) if parsed else None


def event_time(raw: RawInput, timestamp_attribute: str | None) -> Timestamp | None:
    """Event time of a message (see the module docstring); None means keep the publish time.

    Raises StageError('read', ...) when the configured timestamp attribute is present but malformed.
    """
    attributes = raw.get("attributes") or {}
    if timestamp_attribute and timestamp_attribute in attributes:
        return parse_timestamp_attribute(attributes[timestamp_attribute])
    return _published_at(raw)


class MessageToRawInput(beam.DoFn):
    """PubsubMessage -> raw input, re-stamped with its event time."""

    def __init__(self, source: str, timestamp_attribute: str | None, run_id: str | None = None):
        self.source = source
        self.timestamp_attribute = timestamp_attribute
        self.tally = Tally(run_id)

    def process(self, message):
        self.tally.inc("messages_read")
        raw = message_to_raw(message, self.source)
        try:
            when = event_time(raw, self.timestamp_attribute)
        except StageError as exc:
            raw["read_error"] = exc.reason  # the parse stage turns this into an errors row
            when = None
        yield TimestampedValue(raw, when) if when is not None else raw


class ReadArticleMessages(beam.PTransform):
    """A subscription (or a topic, through a temporary subscription) -> timestamped raw inputs."""

    def __init__(self, subscription: str | None = None, topic: str | None = None,
                 timestamp_attribute: str | None = None, run_id: str | None = None):
        super().__init__()
        if bool(subscription) == bool(topic):
            raise ValueError("give exactly one of subscription or topic")
        self.subscription, self.topic = subscription, topic
        self.timestamp_attribute = timestamp_attribute
        self.run_id = run_id

    def expand(self, pbegin):
        from apache_beam.io.gcp.pubsub import ReadFromPubSub

        return (
            pbegin
            | "Pull" >> ReadFromPubSub(subscription=self.subscription, topic=self.topic, with_attributes=True)
            | "To raw input" >> beam.ParDo(MessageToRawInput(self.subscription or self.topic,
                                                              self.timestamp_attribute, self.run_id))
        )


def _fit_attribute(value: str) -> str:
    data = value.encode("utf-8")
    if len(data) <= MAX_ATTRIBUTE_VALUE_BYTES:
        return value
    return data[: MAX_ATTRIBUTE_VALUE_BYTES - 3].decode("utf-8", "ignore") + "..."


def dead_letter_attributes(error: Mapping[str, Any]) -> dict[str, str]:
    """The original attributes plus why the message failed, within Pub/Sub's attribute limits."""
    extra = {
        "error_stage": error.get("stage") or "unknown",
        "error": error.get("error") or "",
        "error_source_uri": error.get("source_uri") or "",
    }
    if error.get("message_id"):
        extra["original_message_id"] = error["message_id"]
    original = {k: v for k, v in (error.get("attributes") or {}).items() if k not in extra}
    keep = list(original.items())[: MAX_ATTRIBUTES - len(extra)]
    return {k: _fit_attribute(str(v)) for k, v in [*keep, *extra.items()]}


class PublishDeadLetters(beam.DoFn):
    """errors rows -> the dead-letter topic: data is the original payload, attributes say why.

    A failed publish is logged and counted, never raised: the row is already in the errors table,
    and a crash here would stop the stream.
    """

    def __init__(self, topic: str, run_id: str | None = None):
        self.topic = topic
        self.tally = Tally(run_id)
        self.client = None
        self.pending: list = []

    def setup(self):
        from google.cloud import pubsub_v1

        self.client = pubsub_v1.PublisherClient()

    def start_bundle(self):
        self.pending = []

    def process(self, error: dict[str, Any]):
        future = self.client.publish(self.topic, bytes(error.get("payload") or b""), **dead_letter_attributes(error))
        self.pending.append((future, error.get("source_uri")))

    def finish_bundle(self):
        for future, uri in self.pending:
            try:
                future.result(timeout=60)
                self.tally.inc("dead_letters_published")
            except Exception as exc:  # noqa: BLE001 - see the class docstring
                self.tally.inc("dead_letters_failed")
                LOG.error("could not publish %s to dead-letter topic %s: %s", uri, self.topic, exc)
        self.pending = []

    def teardown(self):
        if self.client is not None:
            self.client.stop()
