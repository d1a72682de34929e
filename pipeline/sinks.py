"""Sinks: the four tables as Hive-partitioned Parquet (`<root>/<table>/dt=YYYY-MM-DD/*.parquet`).

Batch writes go to hidden temporary files (`.part-<run id>-<uuid>.tmp`) under the run's staging folder; the
run's last step publishes them, with everything else the run changes, through the one commit protocol
(pipeline.commit), so a killed run leaves nothing readers see and readers never see a half-written file.

By default (shards=0) each bundle writes its own rows where they are made, one file per table and dt
partition it holds (a worker's share on the local runner): nothing is shuffled to be written. shards=N
groups every partition's rows into exactly N files instead, at the cost of moving all rows once more.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
import zlib
from collections.abc import Iterable

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindows

from pipeline.commit import join  # the one literal path join (also imported from here)
from pipeline.schemas import TABLES, partition_of, to_table
from transforms.records import METRICS_NAMESPACE as NAMESPACE

LOG = logging.getLogger(__name__)
ROWS_PER_BATCH = 5000  # rows per Parquet row group
MAX_BUFFERED_ROWS = 20000  # over all open files of a bundle: bounds a worker's memory with many partitions
MAX_OPEN_FILES = 64  # per table and bundle: bounds file handles (and upload buffers) with many partitions


def partition_dir(root: str, table: str, dt_value: str) -> str:
    return join(root, table, f"dt={dt_value}")


def ensure_dir(path: str) -> None:
    if "://" in path:
        return  # object stores have no folders
    with contextlib.suppress(OSError):  # already there (Beam raises IOError for an existing folder)
        FileSystems.mkdirs(path)


class _TempParquetFile:
    """One table's rows of one partition, written in row groups to a hidden temporary file.

    PartitionedFiles opens one only for a row it then holds, so every file it closes has rows."""

    def __init__(self, table: str, folder: str, file_key: str):
        ensure_dir(folder)
        self.table, self.path = table, join(folder, f".part-{file_key}-{uuid.uuid4().hex}.tmp")
        self.rows: list[dict] = []
        self._raw = FileSystems.create(self.path)
        self._writer = pq.ParquetWriter(self._raw, TABLES[table], compression="zstd")

    def flush(self) -> None:
        if self.rows:
            self._writer.write_table(to_table(self.table, self.rows))
            self.rows = []

    def close(self) -> str:
        self.flush()
        self._writer.close()
        self._raw.close()
        return self.path


class PartitionedFiles:
    """Rows of one table -> one temporary file per dt partition; close() gives their paths.

    Rows are buffered per file up to a row group (ROWS_PER_BATCH), and all buffers are flushed when
    together they reach MAX_BUFFERED_ROWS, so memory stays bounded however many partitions a bundle holds.
    At most MAX_OPEN_FILES are open: a new partition beyond that completes the least recently used file,
    and that partition's later rows start another one (more, smaller files, never a handle shortage)."""

    def __init__(self, root: str, table: str, file_key: str):
        self.root, self.table, self.file_key = root, table, file_key
        self._files: dict[str, _TempParquetFile] = {}  # least recently used first
        self._done: list[str] = []
        self._buffered = 0
        self.seconds = 0.0  # time spent converting and writing

    def add(self, row: dict) -> None:
        dt_value = partition_of(row)
        file = self._files.get(dt_value)
        if file is None:
            started = time.perf_counter()
            if len(self._files) >= MAX_OPEN_FILES:
                oldest = self._files.pop(next(iter(self._files)))
                self._buffered -= len(oldest.rows)
                self._done.append(oldest.close())
            file = self._files[dt_value] = _TempParquetFile(
                self.table, partition_dir(self.root, self.table, dt_value), self.file_key)
            self.seconds += time.perf_counter() - started
        elif len(self._files) > 1:
            self._files[dt_value] = self._files.pop(dt_value)  # now the most recently used
        file.rows.append(row)
        self._buffered += 1
        if len(file.rows) >= ROWS_PER_BATCH or self._buffered >= MAX_BUFFERED_ROWS:
            started = time.perf_counter()
            for f in self._files.values() if self._buffered >= MAX_BUFFERED_ROWS else (file,):
                self._buffered -= len(f.rows)
                f.flush()
            self.seconds += time.perf_counter() - started

    def close(self) -> list[str]:
        started = time.perf_counter()
        paths = self._done + [f.close() for f in self._files.values()]
        self._files, self._done, self._buffered = {}, [], 0
        self.seconds += time.perf_counter() - started
        return paths


class _WriteBundleFiles(beam.DoFn):
    """Rows (or lists of rows) -> temporary files of this bundle, their paths output at the bundle's end."""

    def __init__(self, root: str, table: str, file_key: str, row_lists: bool):
        self.root, self.table, self.file_key, self.row_lists = root, table, file_key, row_lists
        self.write_ms = Metrics.counter(NAMESPACE, "write_ms")
        self._files: PartitionedFiles | None = None

    def start_bundle(self):
        self._files = PartitionedFiles(self.root, self.table, self.file_key)

    def process(self, element):
        for row in element if self.row_lists else (element,):
            self._files.add(row)

    def finish_bundle(self):
        paths = self._files.close()
        self.write_ms.inc(int(self._files.seconds * 1000))
        for path in paths:
            yield GlobalWindows.windowed_value(path)


class WritePartitionedBatch(beam.PTransform):
    """Rows of one table -> temporary Parquet files per dt partition; outputs their paths (see publish).

    shards=0: each bundle writes the rows it holds (no shuffle); shards=N: N files per partition, rows
    spread by article_id. row_lists: the elements are lists of rows of one article each (same dt and
    article_id), as AnnotateArticles emits them in batch."""

    def __init__(self, root: str, table: str, file_key: str, shards: int = 0, row_lists: bool = False):
        super().__init__()
        self.root, self.table, self.file_key, self.shards = root, table, file_key, max(0, shards)
        self.row_lists = row_lists

    def expand(self, rows):
        root, table, file_key, shards, row_lists = self.root, self.table, self.file_key, self.shards, self.row_lists
        if not shards:
            return rows | "Write bundle files" >> beam.ParDo(_WriteBundleFiles(root, table, file_key, row_lists))

        def key(element):
            row = element[0] if row_lists else element
            shard = zlib.crc32((row.get("article_id") or row["source_uri"]).encode()) % shards if shards > 1 else 0
            return (partition_of(row), shard), element

        write_ms = Metrics.counter(NAMESPACE, "write_ms")

        def write(item) -> Iterable[str]:
            _, group = item
            files = PartitionedFiles(root, table, file_key)
            for element in group:
                for row in element if row_lists else (element,):
                    files.add(row)
            yield from files.close()
            write_ms.inc(int(files.seconds * 1000))

        return (
            rows
            | "Key by partition" >> beam.Map(key)
            | "Group by partition" >> beam.GroupByKey()
            | "Write files" >> beam.FlatMap(write)
        )


def read_table(root: str, table: str) -> pa.Table:
    """A whole table back, with its schema and the dt partition column (for tests and tools)."""
    import pyarrow.dataset as ds

    path = join(root, table)
    dataset = ds.dataset(path, format="parquet", partitioning="hive", schema=TABLES[table].append(
        pa.field("dt", pa.string())))
    return dataset.to_table()
