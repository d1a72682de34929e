"""Streaming sink: each table as windowed Parquet, one file per window, dt= partition and trigger firing.

    <root>/<table>/dt=YYYY-MM-DD/part-<window start>-<window end>-<run id>-pane<index>-<shard>of<n>.parquet

Built on fileio.WriteToFiles with a pyarrow FileSink, because WriteToParquet in streaming can put
rows of several windows in one window's file (see the traps in the design brief). WriteToFiles
keeps a writer per (destination, window), and the destination here is the dt partition.

- Every record takes WriteToFiles' "spilled" path (max_writers_per_bundle=0, shards=1): rows are
  grouped per (dt, window) and written once per trigger firing, so a window is one file instead of
  one file per runner bundle (the DirectRunner's bundles are a single Pub/Sub pull of 10 messages).
- File names are deterministic: window, run id, pane index and shard. A later firing of the same
  window (a late pane) has the next pane index, so it gets a file of its own; a retried finalisation
  of the same pane (a worker lost after the move, the bundle re-run on Dataflow) produces the same
  name and overwrites the first attempt's file instead of leaving a second file with the same rows,
  which a random uid (the earlier naming) would do. The run id stays in the name because pane
  indexes restart with every job: without it a restarted stream would overwrite the late file of a
  window an earlier run had already published.
- WriteToFiles on local disk does not create the dt= folder, and a failed move is only logged at
  DEBUG while the file stays in the temp folder. The naming function creates the folder, and
  CountWrittenFiles opens every final file, so a file that did not arrive is an ERROR, not silence.
- WriteToFiles leaves each finished file under <root>/_temp/<run id>/ready/<table>/; CountWrittenFiles
  publishes it through the one commit layer (pipeline.commit.publish_file: one rename under the output
  root's lock, so a batch commit or backfill running beside the stream never misses it), then reports it.
  A file of a day a backfill has replaced is first checked against it: rows of articles the day holds are
  dropped, the rest of a past day go to today's dt= (pipeline/backfilled_days.py, under its lock).
- With the local runner, CountWrittenFiles also tells the Pub/Sub adapter which messages' rows a
  published file holds (pipeline/local_pubsub.py acknowledges them only then); on Dataflow nothing
  listens and nothing more is read.
"""

from __future__ import annotations

import logging
from typing import Any

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.value_provider import StaticValueProvider
from apache_beam.transforms.window import GlobalWindow

from pipeline.schemas import PARTITION_COLUMN, TABLES, partition_of, to_table
from pipeline.sinks import ROWS_PER_BATCH, ensure_dir, join
from pipeline.tally import Tally

LOG = logging.getLogger(__name__)
TEMP_DIR = "_temp"
READY_DIR = "ready"  # finished window files, before pipeline.commit.publish_file moves them into the table


def window_label(window: Any) -> str:
    """'20260101T100000Z-20260101T100100Z' for an interval window; safe in file names (no colons)."""
    if isinstance(window, GlobalWindow) or not hasattr(window, "start"):
        return "global"
    fmt = "%Y%m%dT%H%M%SZ"
    return f"{window.start.to_utc_datetime().strftime(fmt)}-{window.end.to_utc_datetime().strftime(fmt)}"


def window_count_name(label: str, what: str) -> str:
    """Tally name of a per-window count; the streaming driver reads these for the run record."""
    return f"window/{label}/{what}"


class ParquetRowSink(fileio.FileSink):
    """Rows (dicts) of one table -> one Parquet file with the table's schema, written in batches.
    row_lists: each record is a list of rows (one article's entities or quotes)."""

    def __init__(self, table: str, row_lists: bool = False):
        self.table = table
        self.row_lists = row_lists
        self._writer: pq.ParquetWriter | None = None
        self._rows: list[dict] = []

    def create_metadata(self, destination: str, full_file_name: str) -> fileio.FileMetadata:
        return fileio.FileMetadata(mime_type="application/vnd.apache.parquet",
                                   compression_type=CompressionTypes.UNCOMPRESSED)

    def open(self, fh) -> None:
        self._writer = pq.ParquetWriter(fh, TABLES[self.table], compression="zstd")
        self._rows = []

    def write(self, record: dict | list[dict]) -> None:
        if self.row_lists:
            self._rows.extend(record)
        else:
            self._rows.append(record)
        if len(self._rows) >= ROWS_PER_BATCH:
            self._write_batch()

    def _write_batch(self) -> None:
        if self._rows:
            self._writer.write_table(to_table(self.table, self._rows))
            self._rows = []

    def flush(self) -> None:
        """Called once, before WriteToFiles closes the file: write the rest and the Parquet footer."""
        if self._writer is None:
            return
        self._write_batch()
        self._writer.close()
        self._writer = None


class _SinkForTable:
    """WriteToFiles calls sink(destination) for a fresh sink per file."""

    def __init__(self, table: str, row_lists: bool = False):
        self.table = table
        self.row_lists = row_lists

    def __call__(self, destination: str) -> ParquetRowSink:
        return ParquetRowSink(self.table, self.row_lists)


def partition_of_list(rows: list[dict[str, Any]]) -> str:
    """The dt= value of one article's rows (they share it)."""
    return partition_of(rows[0])


# WriteToFiles' shards per (destination, window, pane); the file names below rely on it being 1.
SHARDS = 1


class WindowedFileNaming:
    """File name for one (window, dt, pane) file of a table; creates the dt= folder first (see module doc).

    Deterministic, so that a retried finalisation overwrites rather than duplicates (see the module
    docstring). The pane index is the firing's (PaneInfo.index, counted per window and dt by the
    runner and kept on a retry). The shard is the sink's one shard (SHARDS): fileio passes the file's
    position among the temp files it moves together, which depends on how a retry groups them, so
    it is not used.
    """

    def __init__(self, table_root: str, run_id: str):
        self.table_root = table_root
        self.run_id = run_id

    def __call__(self, window, pane, shard_index, total_shards, compression, destination) -> str:
        folder = f"{PARTITION_COLUMN}={destination}"
        ensure_dir(join(self.table_root, folder))
        if pane is None:  # not on this sink's path (every record is spilled to the sharded write)
            raise ValueError(f"no pane info for a file of window {window_label(window)}: cannot name it")
        return (f"{folder}/part-{window_label(window)}-{self.run_id}-pane{int(pane.index):03d}-"
                f"000of{SHARDS:03d}.parquet")


# What a published file tells the local runner's Pub/Sub adapter, per table (see CountWrittenFiles._report).
KEY_COLUMNS = {"articles": ("source_uri", "article_id"), "errors": ("source_uri",), "entities": ("article_id",),
               "quotes": ("article_id",)}


class CountWrittenFiles(beam.DoFn):
    """FileResult -> {table, window, dt, path, rows}: opens each final file to count what is visible.

    Counting what is in Parquet (not what was sent to the writer) is what lets the streaming driver
    know that everything read has been flushed, and catches a file the move left behind.
    """

    def __init__(self, table_root: str, table: str, run_id: str | None = None, root: str | None = None):
        self.table_root = table_root  # where WriteToFiles leaves finished files (not yet published)
        self.table = table
        self.root = root  # the output root the files are published to (pipeline.commit.publish_file)
        self.tally = Tally(run_id)

    def process(self, result):
        path = join(self.table_root, result.file_name)
        label = window_label(result.window)
        try:
            with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
                rows = pq.ParquetFile(fh).metadata.num_rows
        except Exception as exc:  # noqa: BLE001 - a missing file must be reported, not crash the stream
            self.tally.inc("files_missing")
            LOG.error("%s: file %s of window %s is not in place (left in %s?): %s", self.table, path, label,
                      TEMP_DIR, exc)
            return
        if rows == 0:  # an empty trigger firing: no file is better than an empty one
            from pipeline.commit import delete_files

            delete_files([path])  # literally: Beam's delete would read a local path as a pattern
            return
        if self.root is not None:  # the one commit layer publishes it (one rename, under the root's lock)
            from pipeline.backfilled_days import backfill_lock
            from pipeline.commit import publish_file

            # Decided and published under the shared side of the backfill lock: a backfill's commit of this
            # day happens wholly before or wholly after (pipeline/backfilled_days.py).
            with backfill_lock(self.root, exclusive=False):
                path, rel, rows = self._against_backfills(path, result.file_name, result.destination, rows, label)
                if path is None:
                    return  # every row was already in the backfilled day
                path = publish_file(self.root, self.table, path, rel)
        self._report(path)
        self.tally.inc(f"rows_written/{self.table}", rows)
        self.tally.inc("files_written")
        self.tally.inc(window_count_name(label, self.table), rows, metric=False)
        LOG.info("%s: window %s dt=%s: %d row(s) -> %s", self.table, label, result.destination, rows, path)
        yield {"table": self.table, "window": label, "dt": result.destination, "path": path, "rows": rows}


    def _against_backfills(self, path: str, rel: str, day: str, rows: int,
                           label: str) -> tuple[str | None, str, int]:
        """A file for a day a backfill has replaced: rows of articles that day holds are dropped (the backfill's
        copy wins), the rest go to today's dt= when the day is past (rules 2 and 3 of
        pipeline/backfilled_days.py). Returns (file to publish or None, its name under the table, its rows)."""
        from pipeline import backfilled_days as bd

        backfilled = bd.backfilled_days(self.root)
        if day not in backfilled:
            return path, rel, rows
        target = bd.target_day(day, backfilled, bd.today())
        if self.table != "errors":
            import pyarrow as pa
            import pyarrow.compute as pc

            held = bd.day_article_ids(self.root, day)
            with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
                table = pq.read_table(fh)
            dropped = pc.is_in(table.column("article_id"), value_set=pa.array(sorted(held), pa.string()))
            gone = table.filter(dropped)
            if gone.num_rows:
                self._dropped_for_backfill(gone, label)
                kept = table.filter(pc.invert(dropped))
                from pipeline.commit import delete_files

                if kept.num_rows == 0:
                    delete_files([path])
                    return None, rel, 0
                trimmed = path[:-len(".parquet")] + "-kept.parquet"
                with FileSystems.create(trimmed) as fh:
                    pq.write_table(kept, fh, compression="zstd")
                delete_files([path])
                path, rows = trimmed, kept.num_rows
        if target != day:
            self.tally.inc(f"rerouted_from_backfilled_day/{self.table}", rows)
            LOG.warning("%s: %d row(s) for dt=%s, which a backfill replaced, go to dt=%s", self.table, rows, day,
                        target)
            rel = bd.rerouted_name(rel, day, target)
        return path, rel, rows

    def _dropped_for_backfill(self, gone, label: str) -> None:
        """Rows the backfilled day already holds: counted (articles as duplicates) and reported as published, so
        that their messages are acknowledged (pipeline/local_pubsub.py)."""
        from pipeline import local_pubsub as lp

        n = gone.num_rows
        ids = gone.column("article_id").to_pylist()
        self.tally.inc(f"dropped_for_backfill/{self.table}", n)
        if self.table == "articles":
            from transforms.dedup import DUPLICATES

            self.tally.inc(f"counted/{DUPLICATES}", n)
            self.tally.inc(window_count_name(label, DUPLICATES), n, metric=False)
            self.tally.report(lp.ARTICLE_PUBLISHED, zip(gone.column("source_uri").to_pylist(), ids, strict=True))
        else:
            self.tally.report(lp.ROWS_PUBLISHED, [(self.table, a) for a in ids])
        LOG.info("%s: %d row(s) of article(s) the backfilled day already holds were not written again", self.table, n)

    def _report(self, path: str) -> None:
        """With the local runner's Pub/Sub adapter listening: which messages' rows this published file holds,
        so that they can be acknowledged (pipeline/local_pubsub.py). Nothing listens on Dataflow."""
        if not self.tally.listened:
            return
        from pipeline import local_pubsub as lp

        columns = KEY_COLUMNS[self.table]
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
            table = pq.read_table(fh, columns=list(columns))
        values = [table.column(c).to_pylist() for c in columns]
        if self.table == "articles":
            self.tally.report(lp.ARTICLE_PUBLISHED, zip(*values, strict=True))
        elif self.table == "errors":
            self.tally.report(lp.ERROR_PUBLISHED, values[0])
        else:
            self.tally.report(lp.ROWS_PUBLISHED, [(self.table, a) for a in values[0]])


class WriteWindowedParquet(beam.PTransform):
    """Windowed rows of one table -> Parquet files per (window, dt, firing); outputs what was written.

    The input's trigger decides when files appear; it must discard fired panes (DISCARDING), or
    each firing would rewrite the rows of the earlier ones.
    """

    def __init__(self, root: str, table: str, run_id: str, row_lists: bool = False):
        """row_lists: each element is one article's list of rows (entities, quotes), not one row."""
        super().__init__()
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        self.root, self.table, self.run_id, self.row_lists = root, table, run_id, row_lists

    def expand(self, rows):
        # Finished files wait under the run's temp folder until the commit layer publishes them.
        ready = join(self.root, TEMP_DIR, self.run_id, READY_DIR, self.table)
        files = rows | "Write files" >> fileio.WriteToFiles(
            path=ready,
            file_naming=WindowedFileNaming(ready, self.run_id),
            destination=partition_of_list if self.row_lists else partition_of,
            sink=_SinkForTable(self.table, self.row_lists),
            shards=SHARDS,
            max_writers_per_bundle=0,
            temp_directory=StaticValueProvider(str, join(self.root, TEMP_DIR, self.run_id, self.table)),
        )
        return files | "Count written" >> beam.ParDo(CountWrittenFiles(ready, self.table, self.run_id, self.root))
