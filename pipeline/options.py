"""Every user-facing option of the pipeline, in one PipelineOptions class.

The CLI, the Flex Template metadata and the tests all read this class, so an option cannot
exist in one place and be missing in another.
"""

from __future__ import annotations

import os

from apache_beam.options.pipeline_options import PipelineOptions

from transforms.nlp_model import DEFAULT_COMPONENTS, DEFAULT_MODEL

LOCAL_RUNNER = "local"


class NewsPipelineOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
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
            help="Articles per nlp.pipe batch in the annotate step.")
        parser.add_argument(
            "--max_input_bytes", type=int, default=20_000_000,
            help="Largest accepted input (after gunzip); larger inputs become errors rows.")
        parser.add_argument(
            "--max_nlp_chars", type=int, default=300_000,
            help="Longest article text given to spaCy; longer articles are kept without entities and quotes, "
                 "with the reason in nlp_status (the parser needs about 1 GB per 100k characters).")
        parser.add_argument(
            "--shards_per_partition", type=int, default=1,
            help="Parquet files per table and dt partition in batch mode (raise for very large partitions).")
        parser.add_argument(
            "--run_key", default=None,
            help="Name stem of this run's output files; defaults to a hash of the --input patterns, "
                 "so re-running the same inputs replaces the same files.")
        parser.add_argument(
            "--partition_date", default=None,
            help="Backfill one day (YYYY-MM-DD, or 'yesterday'/'today' in UTC): {date} (or {yyyy}/{mm}/{dd}) in "
                 "--input becomes that day, every row is filed under dt=DAY, and each table's dt=DAY partition "
                 "is replaced whole at the end of the job (staged, then swapped in), so a re-run replaces "
                 "rather than adds and a failed run leaves the previous data.")


def default_local_workers() -> int:
    """Worker processes of a local batch run: one per core (spaCy is CPU-bound), at most 4 to bound memory."""
    return max(1, min(os.cpu_count() or 1, 4))


def split_components(value: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in value.split(",") if c.strip())
