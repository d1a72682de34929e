"""Every user-facing option of the pipeline, declared once and without importing Beam.

NewsPipelineOptions (pipeline.options), the CLI, the Flex Template metadata and the tests all read
add_pipeline_arguments, so an option cannot exist in one place and be missing in another; keeping it free of
Beam lets the CLI answer --help, --version and its pre-flight checks in well under a second.
"""

from __future__ import annotations

import os

from transforms.nlp_defaults import DEFAULT_COMPONENTS, DEFAULT_MODEL

LOCAL_RUNNER = "local"


def add_pipeline_arguments(parser) -> None:
    """Every option of the pipeline itself (NewsPipelineOptions declares exactly these)."""
    parser.add_argument(
        "--input", action="append", default=None,
        help="File glob to read (repeatable): local path or gs://, .txt .html .htm .json .jsonl, "
             "each optionally .gz.")
    parser.add_argument(
        "--output", help="Output root: the tables are written under OUTPUT/<table>/dt=YYYY-MM-DD/.")
    parser.add_argument(
        "--model", default=DEFAULT_MODEL,
        help="Installed spaCy model package to use (e.g. en_core_web_sm, en_core_web_trf).")
    parser.add_argument(
        "--nlp_components", default=",".join(DEFAULT_COMPONENTS),
        help="Comma-separated spaCy components to keep; all others are excluded at load time.")
    parser.add_argument(
        "--nlp_batch_size", type=int, default=32,
        help="Most articles per nlp.pipe batch in the annotate step (Beam sizes the batches up to this).")
    parser.add_argument(
        "--max_input_bytes", type=int, default=20_000_000,
        help="Largest accepted input (after gunzip); larger inputs become errors rows.")
    parser.add_argument(
        "--max_nlp_chars", type=int, default=300_000,
        help="Longest article text given to spaCy; longer articles are kept without entities and quotes, "
             "with the reason in nlp_status (the parser needs about 1 GB per 100k characters).")
    parser.add_argument(
        "--input_subscription", default=None,
        help="Streaming: Pub/Sub subscription to read, projects/P/subscriptions/S. Message data is the "
             "article JSON; attributes fill fields the JSON lacks.")
    parser.add_argument(
        "--input_topic", default=None,
        help="Streaming: Pub/Sub topic to read, projects/P/topics/T, through a temporary subscription "
             "(only messages published after the start are read; prefer --input_subscription).")
    parser.add_argument(
        "--window_seconds", type=int, default=60,
        help="Streaming: length of the fixed event-time windows; each table gets one Parquet file per "
             "window and dt partition when the window closes (plus one per late firing).")
    parser.add_argument(
        "--timestamp_attribute", default=None,
        help="Streaming: message attribute holding the event time (RFC 3339 or epoch milliseconds). "
             "Event time is this attribute when present, else the article's published_at, else the "
             "publish time. A malformed value sends the message to errors.")
    parser.add_argument(
        "--allowed_lateness_seconds", type=int, default=600,
        help="Streaming late-data policy: rows whose window closed at most this long ago are still written "
             "in that window (as an extra file); later rows, and rows dated over one window ahead, are "
             "written in the window of their arrival. Nothing is dropped.")
    parser.add_argument(
        "--dead_letter_topic", default=None,
        help="Streaming: also publish every errors row to this topic (projects/P/topics/T): data is the "
             "original message data, attributes are the original ones plus error_stage, error, "
             "error_source_uri and original_message_id.")
    parser.add_argument(
        "--dedup_horizon_seconds", type=int, default=86400,
        help="Streaming: a message with the article_id (or content hash) of one seen less than this long "
             "ago is a duplicate (redelivery, republished article) and gives no row. State is kept "
             "in memory per key for this long.")
    parser.add_argument(
        "--shards_per_partition", type=int, default=0,
        help="Batch: Parquet files per table and dt partition. 0: one per partition and worker bundle, "
             "written where the rows are made (fastest; a bundle keeps at most 64 files open per table, "
             "so an archive spanning more days gets more, smaller files); N: exactly N, at the cost of "
             "one more shuffle of all rows (for many-day archives, and on Dataflow to avoid small files).")
    parser.add_argument(
        "--run_key", default=None,
        help="A label for the run, part of its run id and file names (letters, digits, '-', '_'). What a "
             "rerun reads and replaces is decided by the ingest ledger, not by this key.")
    parser.add_argument(
        "--reprocess", action="store_true",
        help="Batch: read every listed file again, even those the ledger (OUTPUT/_ledger/) says were "
             "ingested, and replace exactly their earlier rows. Without it a rerun reads only new or "
             "changed files.")
    parser.add_argument(
        "--follow_symlinks", action="store_true",
        help="Batch: read files that input patterns reach through a symbolic link (by default a symlink "
             "becomes an errors row and is not read).")
    parser.add_argument(
        "--max_record_bytes", type=int, default=20_000_000,
        help="Largest JSONL record (one line, after gunzip); a larger line becomes an errors row and the "
             "file's other records are still read.")
    parser.add_argument(
        "--records_per_pass", type=int, default=5_000,
        help="Local batch runs: inputs (files, JSONL records) per pass. A larger input runs in several passes "
             "of the same job (a large JSONL split by lines) with one commit at the end, so memory stays "
             "bounded however large the input (near-copies are marked within a pass; exact duplicates across "
             "passes are still dropped). Dataflow always runs in one pass.")
    parser.add_argument(
        "--force", action="store_true",
        help="Backfill: replace a day even when its new result looks abnormal (no articles where the day "
             "has some, or a far higher share of errors).")
    parser.add_argument(
        "--partition_date", default=None,
        help="Backfill one day (YYYY-MM-DD, or 'yesterday'/'today' in UTC): {date} (or {yyyy}/{mm}/{dd}) in "
             "--input becomes that day, every row is filed under dt=DAY, and each table's dt=DAY partition "
             "is replaced whole at the end of the job (staged, then swapped in), so a re-run replaces "
             "rather than adds and a failed run leaves the previous data.")


def add_run_arguments(parser) -> None:
    """The `run` subcommand's options: the pipeline's own and the runner."""
    add_pipeline_arguments(parser)
    parser.add_argument("--runner", default=LOCAL_RUNNER,
                        help="Beam runner. 'local' picks the in-process runner for the mode (FnApiRunner for "
                             "batch, BundleBasedDirectRunner for streaming) and never touches the network; "
                             "DataflowRunner for production.")


def parse_run_arguments(argv: list[str]):
    """(namespace of the run options, the Beam options left over), as `run` parses them."""
    import argparse

    parser = argparse.ArgumentParser(allow_abbrev=False)
    add_run_arguments(parser)
    return parser.parse_known_args(argv)


def default_local_workers() -> int:
    """Worker processes of a local batch run: one per core (spaCy is CPU-bound), at most 4 to bound memory."""
    return max(1, min(os.cpu_count() or 1, 4))


def split_components(value: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in value.split(",") if c.strip())
