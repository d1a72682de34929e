"""The one place that defines the output tables: their pyarrow schemas and partition column.

Every writer and every test goes through these schemas, so a column cannot drift between
the batch sink, the streaming sink and the readers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

PARTITION_COLUMN = "dt"
_TS = pa.timestamp("us", tz="UTC")

ARTICLES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("title", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("published_at", _TS),
        pa.field("ingested_at", _TS, nullable=False),
        pa.field("language", pa.string()),
        pa.field("word_count", pa.int32(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("pipeline_version", pa.string(), nullable=False),
        pa.field("model", pa.string()),
        pa.field("source", pa.string()),
        pa.field("authors", pa.list_(pa.string())),
        pa.field("dateline", pa.string()),  # "NAIROBI, Kenya": taken off the body's first paragraph
        pa.field("nlp_status", pa.string(), nullable=False),
        pa.field("duplicate_of", pa.string()),
        pa.field("extractor", pa.string()),  # which HTML extractor gave the text (null for text input)
    ]
)

ENTITIES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("start_char", pa.int32(), nullable=False),
        pa.field("end_char", pa.int32(), nullable=False),
        pa.field("canonical", pa.string(), nullable=False),
    ]
)

QUOTES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("start_char", pa.int32(), nullable=False),
        pa.field("end_char", pa.int32(), nullable=False),
        pa.field("speaker", pa.string()),
        pa.field("speaker_canonical", pa.string()),
        pa.field("cue", pa.string()),
        pa.field("attribution_id", pa.string()),  # fragments of one quotation share it
        pa.field("cue_type", pa.string()),  # speech / thought / ...
        pa.field("in_title", pa.bool_()),  # offsets index articles.title instead of articles.text
    ]
)

ERRORS = pa.schema(
    [
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("error", pa.string(), nullable=False),
        pa.field("payload", pa.binary(), nullable=False),  # bounded: a prefix of a large input
        pa.field("payload_bytes", pa.int64()),  # size of the whole input
        pa.field("payload_sha256", pa.string()),  # of the whole input
        pa.field("payload_truncated", pa.bool_()),
        pa.field("ingested_at", _TS, nullable=False),
        pa.field("message_id", pa.string()),
        pa.field("attributes", pa.map_(pa.string(), pa.string())),
    ]
)

TABLES: Mapping[str, pa.Schema] = {
    "articles": ARTICLES,
    "entities": ENTITIES,
    "quotes": QUOTES,
    "errors": ERRORS,
}


def partition_of(row: Mapping[str, Any]) -> str:
    """The dt= value of a row: set upstream on every row as `dt`, always a YYYY-MM-DD string."""
    value = row[PARTITION_COLUMN]
    dt.date.fromisoformat(value)  # refuses anything that could escape the partition folder
    return value


def to_table(name: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows (dicts, possibly with extra keys such as `dt`) as a table with the table's exact schema."""
    schema = TABLES[name]
    rows = list(rows)
    columns = {f.name: [r.get(f.name) for r in rows] for f in schema}
    return pa.Table.from_pydict(columns, schema=schema)
