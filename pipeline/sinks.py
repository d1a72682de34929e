"""Sinks: the four tables as Hive-partitioned Parquet (`<root>/<table>/dt=YYYY-MM-DD/*.parquet`).

Batch writes are idempotent: file names are derived from the run key (a hash of the inputs), each
file is written under a hidden temporary name and renamed into place, and files of an earlier run
with the same key that this run did not rewrite are deleted. Re-running the same input replaces
files instead of adding rows, and readers never see a half-written file.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import posixpath
import time
import uuid
import zlib
from collections.abc import Iterable

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipeline.schemas import TABLES, partition_of, to_table
from transforms.records import METRICS_NAMESPACE as NAMESPACE

LOG = logging.getLogger(__name__)
ROWS_PER_BATCH = 5000


def join(root: str, *parts: str) -> str:
    return FileSystems.join(root, *parts) if "://" in root else posixpath.join(root, *parts)


def partition_dir(root: str, table: str, dt_value: str) -> str:
    return join(root, table, f"dt={dt_value}")


def ensure_dir(path: str) -> None:
    if "://" in path:
        return  # object stores have no folders
    with contextlib.suppress(OSError):  # already there (Beam raises IOError for an existing folder)
        FileSystems.mkdirs(path)


def write_parquet(table_name: str, rows: Iterable[dict], final_path: str) -> int:
    """Write rows with the table's schema to final_path atomically (temp file, then rename)."""
    schema = TABLES[table_name]
    folder = posixpath.dirname(final_path)
    ensure_dir(folder)
    tmp_path = join(folder, f".{posixpath.basename(final_path)}.{uuid.uuid4().hex}.tmp")
    count = 0
    with FileSystems.create(tmp_path) as raw, pq.ParquetWriter(raw, schema, compression="zstd") as writer:
        batch: list[dict] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= ROWS_PER_BATCH:
                writer.write_table(to_table(table_name, batch))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(to_table(table_name, batch) if batch else schema.empty_table())
            count += len(batch)
    # rename replaces an existing file in one step (os.rename locally, copy-over on GCS): no gap for readers
    FileSystems.rename([tmp_path], [final_path])
    return count


class WritePartitionedBatch(beam.PTransform):
    """Rows of one table -> one file per (dt partition, shard); outputs the paths written.

    row_lists: the elements are lists of rows of one article each (same dt and article_id), as
    AnnotateArticles emits them in batch; they are grouped whole and flattened while writing."""

    def __init__(self, root: str, table: str, run_key: str, shards: int = 1, row_lists: bool = False):
        super().__init__()
        self.root, self.table, self.run_key, self.shards = root, table, run_key, max(1, shards)
        self.row_lists = row_lists

    def expand(self, rows):
        root, table, run_key, shards, row_lists = self.root, self.table, self.run_key, self.shards, self.row_lists

        def key(element):
            row = element[0] if row_lists else element
            shard = zlib.crc32((row.get("article_id") or row["source_uri"]).encode()) % shards if shards > 1 else 0
            return (partition_of(row), shard), element

        write_ms = Metrics.counter(NAMESPACE, "write_ms")

        def write(item) -> Iterable[str]:
            (dt_value, shard), group = item
            path = join(partition_dir(root, table, dt_value), f"part-{run_key}-{shard:05d}.parquet")
            started = time.perf_counter()
            write_parquet(table, itertools.chain.from_iterable(group) if row_lists else group, path)
            write_ms.inc(int((time.perf_counter() - started) * 1000))
            yield path

        return (
            rows
            | "Key by partition" >> beam.Map(key)
            | "Group by partition" >> beam.GroupByKey()
            | "Write files" >> beam.FlatMap(write)
        )


def stale_files(root: str, run_key: str, written: set[str]) -> list[str]:
    """Files of an earlier run with the same key that this run did not write, and temporary files
    that a killed run of the same key left behind."""
    out = []
    for table in TABLES:
        for name in (f"part-{run_key}-*.parquet", f".part-{run_key}-*.tmp"):
            for result in FileSystems.match([join(root, table, "dt=*", name)]):
                out.extend(m.path for m in result.metadata_list if m.path not in written)
    return out


def remove_stale(written: list[str], root: str, run_key: str) -> list[str]:
    stale = stale_files(root, run_key, set(written))
    if stale:
        LOG.info("removing %d file(s) of an earlier run of the same inputs", len(stale))
        FileSystems.delete(stale)
    return stale


def read_table(root: str, table: str) -> pa.Table:
    """A whole table back, with its schema and the dt partition column (for tests and tools)."""
    import pyarrow.dataset as ds

    path = join(root, table)
    dataset = ds.dataset(path, format="parquet", partitioning="hive", schema=TABLES[table].append(
        pa.field("dt", pa.string())))
    return dataset.to_table()
