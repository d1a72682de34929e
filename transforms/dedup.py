"""Exact duplicates: one row per article_id and per content hash; near-copies marked.

Batch (DeduplicateBatch, deciding with DropExactDuplicates on small key records) picks the kept copy
deterministically; streaming (DropRepeatedArticles) keeps the first copy to arrive within a horizon.
In batch, two inputs with one article_id but different content are different stories (a page whose
canonical URL names its site's home page, a reused id): both are kept, the later gets a distinct id
(distinct_id) and the clash is reported on ID_CLASHES, never counted as a duplicate.
"""

from __future__ import annotations

import re
from typing import Any

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.coders import StrUtf8Coder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import GlobalWindows
from apache_beam.typehints import KV
from apache_beam.utils.timestamp import Duration, Timestamp

from transforms.near_duplicates import lsh_member, mark_copy, near_copy_originals
from transforms.records import METRICS_NAMESPACE
from transforms.windowing import restore_windowing

DUPLICATES = "duplicates"
ID_CLASHES = "id_clashes"  # batch: inputs given a distinct article_id because another story had theirs
ID_CLASHES_COUNTER = "article_id_clashes"  # the Beam counter of the same, in METRICS_NAMESPACE


def distinct_id(article_id: str, content_hash: str) -> str:
    """The id of a story whose article_id another story with different content already holds."""
    return f"{article_id}-c{content_hash[:12]}"


_LINE = re.compile(r"^(.*)#L(\d+)$")


def source_order(source_uri: str) -> tuple[str, int]:
    """Inputs in reading order: by file, then a JSONL file's records by line number (so line 9 comes before
    line 10, as a local run in passes reads them: pipeline.passes)."""
    found = _LINE.match(source_uri)
    return (found.group(1), int(found.group(2))) if found else (source_uri, 0)


def _one_per_id(item):
    """One article_id's records -> one per distinct content; the same content again is a DUPLICATE.

    Different content under one id is a clash, not a copy: the content of the record first in reading order
    (source_order) keeps the id, every other content gets distinct_id (deterministic: the same inputs give
    the same ids in every run) and an ID_CLASHES record."""
    article_id, rows = item
    by_content: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: source_order(r["source_uri"])):
        by_content.setdefault(row["content_hash"], []).append(row)
    for n, (digest, copies) in enumerate(by_content.items()):  # in order of each content's first source URI
        kept = copies[0]
        if n:
            new_id = distinct_id(article_id, digest)
            member = kept.get("member")
            kept = dict(kept, article_id=new_id, member=(member[0], new_id, member[2]) if member else member)
            Metrics.counter(METRICS_NAMESPACE, ID_CLASHES_COUNTER).inc()
            yield pvalue.TaggedOutput(ID_CLASHES, {"article_id": new_id, "source_uri": kept["source_uri"],
                                                   "clashed_with": article_id, "content_hash": digest})
        yield kept
        for dup in copies[1:]:
            yield pvalue.TaggedOutput(DUPLICATES, {"article_id": kept["article_id"], "source_uri": dup["source_uri"],
                                                   "duplicate_of": kept["article_id"]})


def _keep_first(item):
    """Keep the first copy in reading order (source_order); report the others as duplicates of it."""
    _, rows = item
    rows = sorted(rows, key=lambda r: (source_order(r["source_uri"]), r["article_id"]))
    yield rows[0]
    for dup in rows[1:]:
        yield pvalue.TaggedOutput(
            DUPLICATES,
            {"article_id": dup["article_id"], "source_uri": dup["source_uri"], "duplicate_of": rows[0]["article_id"]},
        )


class DropExactDuplicates(beam.PTransform):
    """Batch dedup: group by article_id (same content: duplicates; different content: distinct ids, see
    _one_per_id), then by content hash. Outputs main + DUPLICATES + ID_CLASHES.

    Works on any dicts with article_id, content_hash and source_uri: whole rows or key records."""

    def expand(self, articles):
        by_id = (
            articles
            | "Key by id" >> beam.Map(lambda r: (r["article_id"], r))
            | "Group by id" >> beam.GroupByKey()
            | "One per id" >> beam.FlatMap(_one_per_id).with_outputs(DUPLICATES, ID_CLASHES, main="articles")
        )
        by_hash = (
            by_id.articles
            | "Key by content" >> beam.Map(lambda r: (r["content_hash"], r))
            | "Group by content" >> beam.GroupByKey()
            | "One per content" >> beam.FlatMap(_keep_first).with_outputs(DUPLICATES, main="articles")
        )
        duplicates = (by_id[DUPLICATES], by_hash[DUPLICATES]) | "All duplicates" >> beam.Flatten()
        return {"articles": by_hash.articles, DUPLICATES: duplicates, ID_CLASHES: by_id[ID_CLASHES]}


def key_record(row: dict[str, Any], with_signature: bool) -> dict[str, Any]:
    """What the dedup decisions need from a row: about 1% of its size (no text, no raw payload)."""
    return {"source_uri": row["source_uri"], "article_id": row["article_id"], "content_hash": row["content_hash"],
            "member": lsh_member(row) if with_signature else None}


def _keep_unique(row: dict[str, Any], dropped: dict[str, str], renamed: dict[str, str],
                 originals: dict[str, tuple] | None = None):
    """The row unless it lost an exact-duplicate decision; clashing ids made distinct; near-copies get
    duplicate_of."""
    if row["source_uri"] not in dropped:
        if row["source_uri"] in renamed:
            row = dict(row, article_id=renamed[row["source_uri"]])
        yield mark_copy(row, originals) if originals else row


class DeduplicateBatch(beam.PTransform):
    """Batch: cleaned rows -> {'articles': unique rows spread over the workers, DUPLICATES: dropped copies,
    ID_CLASHES: one record per input whose article_id was made distinct (count them in the run record)}.

    Whole rows (text and raw payload) are the bulk of the data, and on the local runner every shuffle
    of them costs time and worker memory. So the decisions are made on small key records (exact
    duplicates by id then content, near-copies by MinHash/LSH) and reach the rows as side inputs,
    after the one reshuffle that spreads the NLP work: rows travel once. Source URIs are unique per
    batch input (a file, or a file's line), so they say which rows lost.
    """

    def __init__(self, near_duplicate_threshold: float):
        super().__init__()
        self.threshold = near_duplicate_threshold

    def expand(self, rows):
        keys = rows | "Key records" >> beam.Map(key_record, bool(self.threshold))
        exact = keys | "Exact duplicates" >> DropExactDuplicates()
        dropped = exact[DUPLICATES] | "Dropped inputs" >> beam.Map(lambda d: (d["source_uri"], d["duplicate_of"]))
        renamed = exact[ID_CLASHES] | "Renamed inputs" >> beam.Map(lambda c: (c["source_uri"], c["article_id"]))
        side = {"dropped": beam.pvalue.AsDict(dropped), "renamed": beam.pvalue.AsDict(renamed)}
        if self.threshold:
            members = exact["articles"] | "LSH members" >> beam.FlatMap(lambda k: [k["member"]] if k["member"] else [])
            side["originals"] = beam.pvalue.AsDict(near_copy_originals(members, self.threshold))
        unique = (
            rows
            # Without a reshuffle all work stays on the worker that read the files.
            | "Spread work" >> beam.Reshuffle()
            | "Keep unique, mark near-copies" >> beam.FlatMap(_keep_unique, **side)
        )
        return {"articles": unique, DUPLICATES: exact[DUPLICATES], ID_CLASHES: exact[ID_CLASHES]}


class _FirstCopyWins(beam.DoFn):
    """Keyed (key, row) -> the first row per key; later copies within the horizon are DUPLICATES.

    State lives in the global window and is cleared `horizon` seconds of event time after the first
    copy's timestamp, so memory stays bounded by the keys seen within one horizon.

    Why an event-time timer (TimeDomain.REAL_TIME), not a processing-time one: a user timer holds the
    step's output watermark at its hold timestamp until it fires. For a processing-time timer the SDK
    (bundle_processor.OutputTimer.set) makes that hold the *input element's* timestamp, i.e. in the past;
    on Dataflow every downstream window (near-copies, the Parquet files) would then wait out the whole
    horizon (24 h by default) before firing. An event-time timer's hold is its firing time, first
    copy + horizon, which is ahead of the watermark and holds nothing back (the local runner's tests
    never showed the difference; tests/test_streaming_dedup.py checks the hold the SDK computes).

    Rows reach this step with timestamps within the allowed lateness of the watermark (the streaming
    graph re-stamps older ones by arrival, pipeline/streaming.py), so first copy + horizon is a real
    horizon, not a timer that fires at once.
    """

    KEPT = ReadModifyWriteStateSpec("kept", StrUtf8Coder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, horizon_seconds: float):
        self.horizon_seconds = horizon_seconds

    def expiry_time(self, timestamp: Timestamp) -> Timestamp:
        """When a key first seen at `timestamp` (event time) is forgotten: the timer's firing and hold time."""
        return timestamp + Duration(seconds=self.horizon_seconds)

    def process(self, item, timestamp=beam.DoFn.TimestampParam, kept=beam.DoFn.StateParam(KEPT),
                expiry=beam.DoFn.TimerParam(EXPIRY)):
        _, row = item
        first = kept.read()
        if first is None:
            kept.write(row["article_id"])
            expiry.set(self.expiry_time(timestamp))
            yield row
            return
        yield pvalue.TaggedOutput(
            DUPLICATES, {"article_id": row["article_id"], "source_uri": row["source_uri"], "duplicate_of": first})

    @on_timer(EXPIRY)
    def expire(self, kept=beam.DoFn.StateParam(KEPT)):
        kept.clear()


class DropRepeatedArticles(beam.PTransform):
    """Streaming dedup: the first copy per article_id, then per content hash, within a horizon.

    Redelivered messages and republished articles give one row. The batch dedup groups in the
    global window and would wait forever on a stream; this one keeps per-key state instead. The
    state must see every window, so it runs in the global window and the input's windowing
    (window fn, trigger, lateness) is restored on both outputs. Outputs main + DUPLICATES, like
    DropExactDuplicates. The first copy to arrive wins (a stream has no "smallest URI" to wait for).
    A key is forgotten horizon_seconds of event time after its first copy (see _FirstCopyWins).
    """

    def __init__(self, horizon_seconds: float):
        super().__init__()
        if horizon_seconds <= 0:
            raise ValueError("the dedup horizon must be positive")
        self.horizon_seconds = horizon_seconds

    def expand(self, articles):
        windowing = articles.windowing
        by_id = (
            articles
            | "Global window" >> beam.WindowInto(GlobalWindows())
            | "Key by id" >> beam.Map(lambda r: (r["article_id"], r)).with_output_types(KV[str, Any])
            | "First per id" >> beam.ParDo(_FirstCopyWins(self.horizon_seconds)).with_outputs(
                DUPLICATES, main="articles")
        )
        by_hash = (
            by_id.articles
            | "Key by content" >> beam.Map(lambda r: (r["content_hash"], r)).with_output_types(KV[str, Any])
            | "First per content" >> beam.ParDo(_FirstCopyWins(self.horizon_seconds)).with_outputs(
                DUPLICATES, main="articles")
        )
        duplicates = (by_id[DUPLICATES], by_hash[DUPLICATES]) | "All duplicates" >> beam.Flatten()
        return {
            "articles": by_hash.articles | "Restore windows" >> restore_windowing(windowing),
            DUPLICATES: duplicates | "Restore windows of duplicates" >> restore_windowing(windowing),
        }
