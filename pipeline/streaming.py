"""The streaming job: Pub/Sub in, the batch graph, windowed Parquet out, and a clean stop.

    Pub/Sub -> raw inputs stamped with event time -> fixed windows -> ProcessArticles (streaming dedup)
            -> four tables as windowed Parquet (+ errors to the dead-letter topic)

Late data. A row keeps its event-time window while that window closed no more than
--allowed_lateness_seconds ago (late rows are written as extra files of their window). A row that
is later than that, or dated more than one window into the future, is written in the window of its
arrival instead: the DirectRunner's watermark follows the wall clock, so anything else would be
dropped without a trace (a backlog, or articles whose published_at is days old). Its columns
(published_at, dt) are unchanged; only the file it lands in differs. Nothing is dropped.

Acknowledging (local runner). The DirectRunner's own reader acks on pull; with the local runner its
pull is replaced by pipeline/local_pubsub.py (the one adapter for that runner), which acknowledges a
message only once its rows (or its errors row) are published by the windowed sink, or it was counted
as a duplicate, and extends the ack deadlines of the messages waiting in open windows. A crash loses
nothing: the next run gets what was not acknowledged. On Dataflow none of that is installed: the
runner acknowledges after its own checkpoint.

Stopping. On SIGTERM/SIGINT the driver stops the pulls, lets the watermark close the open windows,
waits until every message read is in Parquet (articles, errors) or counted as a duplicate and is
acknowledged, then stops the runner and writes the run record. Messages not pulled stay in the
subscription. A second signal stops at once; what was not acknowledged is redelivered to the next run.

Beam 2.77 traps met here (all verified): the DirectRunner's Pub/Sub pull blocks up to 30 s on an
empty subscription and only then moves the watermark (the local adapter's within 6 s);
its user metrics keep only a step's first bundle (pipeline/tally.py); Python's Reshuffle drops late
rows (transforms/windowing.py); and the continuation trigger of a processing-time trigger never
fires on it (WindowByEventTime).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import signal
import sys
import threading
import time
from typing import Any

import apache_beam as beam
from apache_beam.transforms import trigger as triggers
from apache_beam.transforms import window as windows
from apache_beam.utils.timestamp import Duration, Timestamp

from pipeline.graph import ROW_LIST_TABLES, GraphConfig, ProcessArticles
from pipeline.local_pubsub import DUPLICATE_COUNTED, ROWS_EMITTED
from pipeline.pubsub_io import PublishDeadLetters, ReadArticleMessages
from pipeline.run_record import versions, write_record
from pipeline.schemas import TABLES
from pipeline.sinks import ensure_dir, join
from pipeline.tally import Tally, forget, snapshot
from pipeline.windowed_sink import TEMP_DIR, WriteWindowedParquet, window_count_name, window_label
from transforms.dedup import DUPLICATES, DropRepeatedArticles

LOG = logging.getLogger(__name__)
# A row is re-windowed when its window closed more than allowed lateness ago, less this margin for
# the time the row takes to reach the sink's GroupByKey.
LATENESS_MARGIN_SECONDS = 5
# The DirectRunner's Pub/Sub read blocks up to 30 s in a pull when the subscription is empty, and
# the watermark (hence window firing) only moves when a pull returns (the local adapter's: 6 s at most).
PULL_BLOCK_SECONDS = 30
# The local runner's adapter learns from these pass-through steps how many entities and quotes rows
# each article has, to acknowledge its message once all of them are published (pipeline/local_pubsub.py).
EMITTED_STEPS = {"entities": "Emitted entities", "quotes": "Emitted quotes"}


@dataclasses.dataclass(frozen=True)
class StreamingSettings:
    output: str
    run_id: str
    subscription: str | None = None
    topic: str | None = None
    window_seconds: int = 60
    allowed_lateness_seconds: int = 600
    late_firing_seconds: int = 5
    timestamp_attribute: str | None = None
    dead_letter_topic: str | None = None
    dedup_horizon_seconds: int = 86400

    @property
    def source(self) -> str:
        return self.subscription or self.topic or ""

    def drain_timeout(self) -> float:
        """Long enough for a pull in flight, the last window to close and a late firing."""
        return PULL_BLOCK_SECONDS + self.window_seconds + self.late_firing_seconds + 60


def placement(event: Timestamp, now: Timestamp, window_seconds: int, allowed_lateness_seconds: int) -> Timestamp:
    """The timestamp a row is windowed by: its event time, or `now` if that window is out of reach."""
    size = int(window_seconds * 1_000_000)
    window_end = (event.micros // size + 1) * size
    deadline = window_end + int((allowed_lateness_seconds - LATENESS_MARGIN_SECONDS) * 1_000_000)
    if deadline < now.micros or event.micros > now.micros + size:
        return now
    return event


class _PlaceInWindow(beam.DoFn):
    """Keeps the event time unless the row would be dropped as too late (see the module docstring)."""

    def __init__(self, window_seconds: int, allowed_lateness_seconds: int, run_id: str | None = None):
        self.window_seconds = window_seconds
        self.allowed_lateness_seconds = allowed_lateness_seconds
        self.tally = Tally(run_id)

    def process(self, raw, timestamp=beam.DoFn.TimestampParam):
        placed = placement(timestamp, Timestamp.now(), self.window_seconds, self.allowed_lateness_seconds)
        if placed == timestamp:
            yield raw
            return
        self.tally.inc("rewindowed_by_arrival")
        LOG.debug("%s: event time %s is out of the lateness policy, windowed by arrival",
                  raw.get("source_uri"), timestamp)
        yield windows.TimestampedValue(raw, placed)


class CountPerWindow(beam.DoFn):
    """Counts elements per window under `what`, for the per-window lines of the run record."""

    def __init__(self, what: str, run_id: str | None = None):
        self.what = what
        self.tally = Tally(run_id)

    def process(self, element, w=beam.DoFn.WindowParam):
        self.tally.inc(f"counted/{self.what}")
        self.tally.inc(window_count_name(window_label(w), self.what), metric=False)
        if self.what == DUPLICATES:
            self.tally.report(DUPLICATE_COUNTED, [element["source_uri"]])  # its message may be acknowledged
        yield element


class ReportEmitted(beam.DoFn):
    """Pass-through of one article's rows of `table` (a list): tells the local runner's adapter they were made."""

    def __init__(self, table: str, run_id: str | None = None):
        self.table = table
        self.tally = Tally(run_id)

    def process(self, rows: list[dict[str, Any]]):
        self.tally.report(ROWS_EMITTED, [(self.table, row["article_id"]) for row in rows])
        yield rows


class DropCrashCopies(beam.DoFn):
    """Local runner, after a crash: leaves out rows of `table` that a crashed run of this stream already published.

    A run killed after publishing a file and before acknowledging its messages gets them redelivered: without
    this, the restarted run writes their rows a second time. The keys are what the crashed runs' files hold
    (pipeline.local_pubsub.crashed_copies): article_ids for articles, entities and quotes, source_uris for
    errors. Per table, so an article whose articles row was published but not its quotes (the kill fell
    between the two files) gets its quotes now and its articles row once. A row left out is reported as
    published (its message is acknowledged once all of its rows are accounted for) and an articles or errors
    row is counted as a duplicate, so the run record still reconciles. The keys are dropped from memory
    `horizon_seconds` after the run starts (--dedup_horizon_seconds): later copies are not duplicates the
    stream removes, as for its stateful dedup. Not installed on Dataflow (its runner checkpoints; no kill
    leaves published rows unacknowledged in the same way).
    """

    def __init__(self, table: str, keys: set[str], horizon_seconds: float, run_id: str | None = None):
        self.table = table
        self.keys = frozenset(keys)
        self.until = time.time() + horizon_seconds  # built when the run starts
        self.tally = Tally(run_id)

    def process(self, element, w=beam.DoFn.WindowParam):
        """element: an articles or errors row, or one article's list of entities or quotes rows."""
        if self.keys and time.time() > self.until:
            self.keys = frozenset()
        row = element[0] if self.table in ROW_LIST_TABLES else element
        key = row["source_uri"] if self.table == "errors" else row["article_id"]
        if key not in self.keys:
            yield element
            return
        from pipeline import local_pubsub as lp

        self.tally.inc(f"crash_copies_removed/{self.table}")
        if self.table in ("articles", "errors"):
            self.tally.inc(f"counted/{DUPLICATES}")
            self.tally.inc(window_count_name(window_label(w), DUPLICATES), metric=False)
        if self.table == "articles":
            self.tally.report(lp.ARTICLE_PUBLISHED, [(row["source_uri"], row["article_id"])])
        elif self.table == "errors":
            self.tally.report(lp.ERROR_PUBLISHED, [row["source_uri"]])
        else:
            self.tally.report(lp.ROWS_PUBLISHED, [(self.table, r["article_id"]) for r in element])


def fixed_windows(window_seconds: int, allowed_lateness_seconds: int, late: triggers.TriggerFn) -> beam.WindowInto:
    """Fixed event-time windows firing when the watermark passes their end, then on `late` for late rows."""
    return beam.WindowInto(
        windows.FixedWindows(window_seconds),
        trigger=triggers.AfterWatermark(late=late),
        allowed_lateness=Duration(seconds=allowed_lateness_seconds),
        accumulation_mode=triggers.AccumulationMode.DISCARDING)


class WindowByEventTime(beam.PTransform):
    """Raw inputs -> fixed event-time windows that fire when the watermark passes, late rows at once.

    Late rows fire on every element (AfterCount(1)) inside the graph: a processing-time late trigger
    hands the GroupByKeys after the first one Beam's continuation trigger
    (_AfterSynchronizedProcessingTime), which never fires on the BundleBasedDirectRunner, and the
    late rows would wait forever. Batching late rows into fewer files is the sink's job (fire_files).
    """

    def __init__(self, window_seconds: int, allowed_lateness_seconds: int, run_id: str | None = None):
        super().__init__()
        if window_seconds <= 0 or allowed_lateness_seconds < 0:
            raise ValueError("window_seconds must be positive and allowed_lateness_seconds not negative")
        self.window_seconds = window_seconds
        self.allowed_lateness_seconds = allowed_lateness_seconds
        self.run_id = run_id

    def expand(self, raw):
        return (
            raw
            | "Keep or re-window" >> beam.ParDo(_PlaceInWindow(self.window_seconds, self.allowed_lateness_seconds,
                                                             self.run_id))
            | "Fixed windows" >> fixed_windows(self.window_seconds, self.allowed_lateness_seconds,
                                               triggers.AfterCount(1))
            | "Count inputs" >> beam.ParDo(CountPerWindow("inputs", self.run_id))
        )


def fire_files(settings: StreamingSettings) -> beam.WindowInto:
    """The same windows again right before a sink, so that late rows arriving within
    late_firing_seconds of each other share one file instead of one file per runner bundle."""
    return fixed_windows(settings.window_seconds, settings.allowed_lateness_seconds,
                         triggers.AfterProcessingTime(settings.late_firing_seconds))


def build_streaming(p: beam.Pipeline, settings: StreamingSettings, config: GraphConfig,
                    local_acks: bool = False, crash_copies: dict[str, set[str]] | None = None) -> dict[str, Any]:
    """The streaming graph on p; returns the written-files PCollections by table.

    local_acks: add the steps through which the local runner's adapter learns how many entities and
    quotes rows each article has (pipeline/local_pubsub.py); not on Dataflow.
    crash_copies: with local_acks, what crashed runs of this stream published, by table
    (pipeline.local_pubsub.crashed_copies): those rows are left out (DropCrashCopies)."""
    for table in TABLES:
        ensure_dir(join(settings.output, table))
    run_id = settings.run_id
    raw = p | "Read Pub/Sub" >> ReadArticleMessages(settings.subscription, settings.topic,
                                                     settings.timestamp_attribute, run_id)
    windowed = raw | "Window" >> WindowByEventTime(settings.window_seconds, settings.allowed_lateness_seconds, run_id)
    # Entities and quotes travel as one list per article: each element costs the runner's triggers and
    # GroupByKeys the same, and an article has ~70 of those rows (docs/performance.md).
    tables = dict(windowed | "Process" >> ProcessArticles(config, dedup=DropRepeatedArticles(
        settings.dedup_horizon_seconds), row_lists=True))
    if local_acks:
        for name, label in EMITTED_STEPS.items():
            tables[name] = tables[name] | label >> beam.ParDo(ReportEmitted(name, run_id))
        for name in TABLES:
            if crash_copies and crash_copies.get(name):
                tables[name] = tables[name] | f"Leave out {name} a crashed run wrote" >> beam.ParDo(
                    DropCrashCopies(name, crash_copies[name], settings.dedup_horizon_seconds, run_id))
    written = {
        name: tables[name]
        | f"Fire {name} files" >> fire_files(settings)
        | f"Write {name}" >> WriteWindowedParquet(settings.output, name, settings.run_id,
                                                  row_lists=name in ROW_LIST_TABLES)
        for name in TABLES
    }
    _ = tables[DUPLICATES] | "Count duplicates" >> beam.ParDo(CountPerWindow(DUPLICATES, run_id))
    if settings.dead_letter_topic:
        _ = tables["errors"] | "Dead-letter topic" >> beam.ParDo(PublishDeadLetters(settings.dead_letter_topic, run_id))
    return written


# ---- reading the counters back while the pipeline runs -------------------------------------------


def read_counters(run_id: str) -> dict[str, int]:
    """This run's counts so far (see pipeline/tally.py for why not the runner's metrics)."""
    return snapshot(run_id)


def stream_counts(counters: dict[str, int]) -> dict[str, int]:
    """The run record's counts: inputs = articles + errors + duplicates once everything is flushed."""
    return {
        "inputs": counters.get("messages_read", 0),
        "articles": counters.get("rows_written/articles", 0),
        "errors": counters.get("rows_written/errors", 0),
        "duplicates": counters.get(f"counted/{DUPLICATES}", 0),
        "entities": counters.get("rows_written/entities", 0),
        "quotes": counters.get("rows_written/quotes", 0),
        "rewindowed_by_arrival": counters.get("rewindowed_by_arrival", 0),
        "dead_letters_published": counters.get("dead_letters_published", 0),
        "dead_letters_failed": counters.get("dead_letters_failed", 0),
        "files_missing": counters.get("files_missing", 0),
        "acknowledged": counters.get("messages_acked", 0),
        "redelivered_in_run": counters.get("redelivered_in_run", 0),
        "redelivered_written": counters.get("redelivered_written", 0),
        # rows a crashed run had published, left out this time (DropCrashCopies): messages, then all rows
        "crash_copies_removed": counters.get("crash_copies_removed/articles", 0)
        + counters.get("crash_copies_removed/errors", 0),
        "crash_copy_rows_removed": sum(v for k, v in counters.items() if k.startswith("crash_copies_removed/")),
        "pull_retries": counters.get("pull_retries", 0),
        # a backfill replaced the day (pipeline/backfilled_days.py): its copy won / rows filed under today
        "duplicates_of_backfill": counters.get("dropped_for_backfill/articles", 0),
        "rerouted_from_backfilled_day": counters.get("rerouted_from_backfilled_day/articles", 0),
    }


def pending(counts: dict[str, int]) -> int:
    return counts["inputs"] - counts["articles"] - counts["errors"] - counts["duplicates"]


def per_window(counters: dict[str, int]) -> list[dict[str, Any]]:
    """[{window, inputs, articles, errors, duplicates, entities, quotes, reconciles}] sorted by window."""
    rows: dict[str, dict[str, Any]] = {}
    for name, value in counters.items():
        if name.startswith("window/"):
            _, label, what = name.split("/", 2)
            rows.setdefault(label, {"window": label})[what] = value
    out = []
    for label in sorted(rows):
        row = {k: rows[label].get(k, 0) for k in ("inputs", "articles", "errors", DUPLICATES, "entities", "quotes")}
        row = {"window": label, **row}
        row["reconciles"] = row["inputs"] == row["articles"] + row["errors"] + row[DUPLICATES]
        out.append(row)
    return out


# ---- the driver -----------------------------------------------------------------------------------


class _BeamNoise(logging.Filter):
    """Drops two Beam warnings that are wrong for this graph; real problems are reported by our own checks.

    - fileio calls a temp file "orphaned" when a later pane of the same window is simply not moved yet;
      a file that really failed to move is an ERROR from CountWrittenFiles.
    - Flatten warns that its inputs' windowing differs when the only difference is the continuation
      trigger Beam itself gives the outputs of a GroupByKey (_AfterSynchronizedProcessingTime).
    """

    LOGGERS = ("apache_beam.io.fileio", "apache_beam.transforms.core")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "may be left orphaned" in message:
            return False
        return not ("must have the same window" in message and "_AfterSynchronizedProcessingTime" in message)

    def install(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)

    def uninstall(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeFilter(self)


class _Stopper:
    """SIGTERM/SIGINT: first one asks for a drain, a second one for an immediate stop."""

    def __init__(self):
        self.requested = threading.Event()
        self.forced = threading.Event()
        self.signal_name: str | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum, _frame) -> None:
        if self.requested.is_set():
            self.forced.set()
            print("stopping now without waiting for the flush", file=sys.stderr, flush=True)
            return
        self.signal_name = signal.Signals(signum).name
        self.requested.set()


def _progress(counts: dict[str, int]) -> str:
    return (f"read={counts['inputs']} articles={counts['articles']} errors={counts['errors']} "
            f"duplicates={counts['duplicates']} pending={pending(counts)} entities={counts['entities']} "
            f"quotes={counts['quotes']}")


def _drain(run_id: str, adapter, stopper: _Stopper, timeout: float, failed: threading.Event) -> dict[str, int]:
    """Stop pulling, then wait until everything read is written or counted as a duplicate, and acknowledged."""
    adapter.closed.set()
    deadline = time.monotonic() + timeout
    counts = stream_counts(read_counters(run_id))
    while time.monotonic() < deadline and not stopper.forced.is_set() and not failed.is_set() and not adapter.fatal:
        counts = stream_counts(read_counters(run_id))
        # A pull in flight may still bring messages: it must end before we do.
        if pending(counts) == 0 and adapter.in_flight() == 0 and adapter.unacknowledged() == 0:
            return stream_counts(read_counters(run_id))
        time.sleep(0.25)
    return counts


def run_streaming(options, settings: StreamingSettings, config: GraphConfig, progress_seconds: float = 10) -> int:
    """Run until SIGTERM/SIGINT (local runner) and write the run record; submit and return otherwise."""
    from apache_beam.options.pipeline_options import DirectOptions, StandardOptions

    from pipeline.preflight_dataflow import refuse_unready_dataflow

    refused = refuse_unready_dataflow(options)  # e.g. no --sdk_container_image: workers could not import us
    if refused:
        return refused
    started = time.time()
    runner = options.view_as(StandardOptions).runner or ""
    if "DirectRunner" not in str(runner):
        # Dataflow (or another runner) reads, acknowledges and checkpoints Pub/Sub itself: nothing to adapt.
        p = beam.Pipeline(options=options)
        build_streaming(p, settings, config)
        p.run()
        print(f"streaming job submitted to {runner}; it runs until drained or cancelled there")
        return 0
    from pipeline.local_pubsub import (
        AnnotatePool,
        LocalPubSub,
        LocalPubSubError,
        annotate_helpers,
        check_beam_version,
        crashed_copies,
    )

    problem = check_beam_version()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    noise = _BeamNoise()
    noise.install()
    stopper = _Stopper()
    run_key = settings.run_id.split("-", 1)[1]
    cancel: threading.Thread | None = None
    # spaCy over the machine's cores: the local runner runs one bundle at a time, on one thread
    pool = AnnotatePool(annotate_helpers(options.view_as(DirectOptions).direct_num_workers or 1))
    crashed = crashed_copies(settings.output, run_key, settings.run_id, settings.dedup_horizon_seconds)
    adapter = LocalPubSub(settings.source, settings.run_id, settled_steps=tuple(EMITTED_STEPS.values()),
                          written_before=crashed["messages"], on_pulled=pool.prefetch)
    try:
        p = beam.Pipeline(options=options)
        build_streaming(p, settings, config, local_acks=True, crash_copies=crashed)
        try:
            adapter.install()
        except LocalPubSubError as exc:
            print(exc, file=sys.stderr)
            return 2
        pool.install({"model": config.model, "components": tuple(config.components),
                      "batch_size": config.nlp_batch_size, "max_nlp_chars": config.max_nlp_chars,
                      "row_lists": True}, config.max_input_bytes, config.pipeline_version)
        stopper.install()
        result = p.run()
        print(f"streaming run {settings.run_id}: reading {settings.source} -> {settings.output} "
              f"({settings.window_seconds}s windows, spaCy helper processes: {len(pool.helpers)}); SIGTERM or "
              "Ctrl-C to stop", file=sys.stderr, flush=True)
        failed, error = threading.Event(), []

        def watch() -> None:
            try:
                result.wait_until_finish()
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                LOG.error("the streaming pipeline failed", exc_info=True)
                error.append(exc)
            failed.set()

        threading.Thread(target=watch, name="pipeline-watch", daemon=True).start()
        last_line, last_print = "", 0.0
        while not stopper.requested.is_set() and not failed.is_set() and not adapter.fatal:
            stopper.requested.wait(0.5)
            counts = stream_counts(read_counters(settings.run_id))
            line = _progress(counts)
            first_read = counts["inputs"] and not last_line
            if line != last_line and (first_read or time.monotonic() - last_print >= progress_seconds):
                print(f"[streaming] {line}", file=sys.stderr, flush=True)
                last_line, last_print = line, time.monotonic()
        if failed.is_set() or adapter.fatal:
            print(adapter.fatal or f"error: the streaming pipeline stopped: "
                                   f"{error[0] if error else 'finished unexpectedly'}", file=sys.stderr)
            adapter.stop()
            cancel = threading.Thread(target=result.cancel, name="pipeline-cancel", daemon=True)
            cancel.start()
            cancel.join(timeout=15)
            counts = stream_counts(read_counters(settings.run_id))
            return _finish(settings, config, counts, read_counters(settings.run_id), started, "failed", 1)
        counts = stream_counts(read_counters(settings.run_id))
        print(f"{stopper.signal_name}: flushing {pending(counts)} message(s) in flight "
              f"(up to {settings.drain_timeout():.0f}s; signal again to stop now)", file=sys.stderr, flush=True)
        counts = _drain(settings.run_id, adapter, stopper, settings.drain_timeout(), failed)
        adapter.stop()  # acknowledges what is ready, stops the pulls, the lease and ack threads
        cancel = threading.Thread(target=result.cancel, name="pipeline-cancel", daemon=True)
        cancel.start()
        cancel.join(timeout=15)
        counters = read_counters(settings.run_id)
        counts = stream_counts(counters)
        left = pending(counts)
        unacked = adapter.unacknowledged()
        if left or unacked:
            print(f"warning: {left} message(s) read but not written, {unacked} not acknowledged: Pub/Sub "
                  f"redelivers them to the next run", file=sys.stderr)
        return _finish(settings, config, counts, counters, started, stopper.signal_name or "stopped",
                       0 if left == 0 and unacked == 0 else 1)
    finally:
        stopper.uninstall()
        pool.uninstall()
        if cancel is None or not cancel.is_alive():
            adapter.uninstall()  # Beam's reader back (it acks on pull: only once the runner has stopped)
        else:
            adapter.stop()
        noise.uninstall()


def _finish(settings: StreamingSettings, config: GraphConfig, counts: dict[str, int], counters: dict[str, int],
            started: float, stopped_by: str, code: int) -> int:
    from pipeline.run_record import RUNS_DIR, summary_line

    record = {
        "run_id": settings.run_id, "mode": "streaming", "input": settings.source, "output": settings.output,
        "window_seconds": settings.window_seconds, "allowed_lateness_seconds": settings.allowed_lateness_seconds,
        "dedup_horizon_seconds": settings.dedup_horizon_seconds, "timestamp_attribute": settings.timestamp_attribute,
        "dead_letter_topic": settings.dead_letter_topic, "model": config.model,
        "components": list(config.components), "versions": versions(), "stopped_by": stopped_by,
        "counts": counts, "unflushed": pending(counts), "files_written": counters.get("files_written", 0),
        "windows": per_window(counters), "seconds": time.time() - started,
    }
    write_record(settings.output, record)
    forget(settings.run_id)
    _remove_temp(settings)
    print(f"run {settings.run_id}: {summary_line(record)}")
    print(f"tables under {settings.output}: articles/ entities/ quotes/ errors/ (dt= partitions, one file per "
          f"window); run record {RUNS_DIR}/run-{settings.run_id}.json")
    return code


def _remove_temp(settings: StreamingSettings) -> None:
    """Remove this run's temp folder once every file left it; report what did not (object stores: no folders)."""
    import os
    import shutil

    folder = join(settings.output, TEMP_DIR, settings.run_id)
    if "://" in folder or not os.path.isdir(folder):
        return
    left = [os.path.join(d, f) for d, _, files in os.walk(folder) for f in files]
    if left:
        LOG.warning("%d temporary file(s) were not moved into the tables; they stay in %s", len(left), folder)
        return
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.rmdir(join(settings.output, TEMP_DIR))  # only if no other run is using it
