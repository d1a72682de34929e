"""The batch job: files in, four Parquet tables and a run record out."""

from __future__ import annotations

import hashlib
import re
import time

import apache_beam as beam
from apache_beam.pvalue import AsDict, AsSingleton

from pipeline.backfill import staging_root, swap_partitions, with_partition
from pipeline.graph import ROW_LIST_TABLES, GraphConfig, ProcessArticles
from pipeline.run_record import versions, write_record
from pipeline.schemas import TABLES
from pipeline.sinks import WritePartitionedBatch, ensure_dir, join, publish, remove_stale
from pipeline.sources import ReadArticleFiles
from transforms.dedup import DUPLICATES

RUN_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def checked_run_key(value: str) -> str:
    """Run keys become file names: letters, digits, '-' and '_' only, so no key can leave its folder."""
    if not RUN_KEY.match(value):
        raise ValueError(f"run key {value!r} must match {RUN_KEY.pattern}")
    return value


def default_run_key(patterns: list[str]) -> str:
    """Same inputs -> same key -> same file names, so a re-run replaces instead of adding."""
    return hashlib.sha256("\n".join(sorted(set(patterns))).encode()).hexdigest()[:12]


def build_batch(p: beam.Pipeline, patterns: list[str], output: str, config: GraphConfig, run_key: str,
                run_id: str, shards: int = 0, started: float | None = None,
                partition_date: str | None = None) -> None:
    """The batch graph. Tables are written as temporary files and published by the last step (see
    pipeline.sinks). With partition_date (a backfilled day, see pipeline.backfill) every row is filed
    under that dt, files are written to a staging root and each table's partition is swapped in at the end."""
    started = started or time.time()
    checked_run_key(run_key)
    # A backfill's files are named after the run, so its swap can tell them from the ones it replaces.
    write_root, file_key = (staging_root(output, run_id), run_id) if partition_date else (output, run_key)
    for table in TABLES:
        if not partition_date:  # a backfill's staging folders appear with its first file, not before
            ensure_dir(join(output, table))
    raw = p | "Read files" >> ReadArticleFiles(patterns, config.max_input_bytes)
    # entities and quotes come as one list of rows per article: far fewer elements to move between stages
    tables = raw | "Process" >> ProcessArticles(config, row_lists=True)
    extra_counts = {}
    if partition_date:
        extra_counts["published_other_day"] = tables["articles"] | "Published another day" >> beam.Filter(
            lambda row, day: row["dt"] != day, partition_date)
        tables = {name: pcoll | f"File {name} under the day" >> (
                      beam.Map(lambda rows, day: [with_partition(r, day) for r in rows], partition_date)
                      if name in ROW_LIST_TABLES else beam.Map(with_partition, partition_date))
                  for name, pcoll in tables.items()}
    written = [
        tables[name] | f"Write {name}" >> WritePartitionedBatch(
            write_root, name, file_key, shards, row_lists=name in ROW_LIST_TABLES)
        for name in TABLES
    ]
    paths = written | "All files" >> beam.Flatten() | "File list" >> beam.combiners.ToList()
    counted = {
        "inputs": raw,
        "articles": tables["articles"],
        "errors": tables["errors"],
        "duplicates": tables[DUPLICATES],
        "entities": tables["entities"],
        "quotes": tables["quotes"],
        **extra_counts,
    }
    # One keyed count instead of one Count.Globally per table: fewer transforms to build and stages to run.
    counts = AsDict(
        [pcoll | f"Name {name}" >> beam.Map(lambda e, name=name, listed=name in ROW_LIST_TABLES:
                                             (name, len(e) if listed else 1))
         for name, pcoll in counted.items()]
        | "Counted" >> beam.Flatten()
        | "Count" >> beam.CombinePerKey(sum)
    )
    base = {"run_id": run_id, "run_key": run_key, "inputs": list(patterns), "output": output,
            "mode": "batch", "model": config.model, "components": list(config.components),
            "versions": versions()}

    def finish(_, temp_files, counted_values):
        count_values = {name: counted_values.get(name, 0) for name in counted}
        files = publish(temp_files, file_key)
        if partition_date:
            swapped = swap_partitions(output, run_id, partition_date)
            replaced = sum(t["removed"] for t in swapped.values())
            base.update(partition_date=partition_date, swapped=swapped)
        else:
            replaced = len(remove_stale(files, output, run_key))
        record = dict(base, counts=count_values, files_written=len(files), files_replaced_or_removed=replaced,
                      seconds=time.time() - started)
        yield write_record(output, record)

    _ = p | "Run record start" >> beam.Create([None]) | "Run record" >> beam.FlatMap(
        finish, temp_files=AsSingleton(paths), counted_values=counts)
