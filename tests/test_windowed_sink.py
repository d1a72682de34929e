"""The windowed Parquet sink on a TestStream: one file per (window, dt, firing), named after its window,
never a row of one window in another's file, late rows in a file of their own window, dt folders
created, nothing left in the temp folder."""

import datetime as dt
import io
import re
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import trigger, window
from apache_beam.utils.timestamp import Timestamp

from pipeline.schemas import TABLES
from pipeline.sinks import read_table
from pipeline.windowed_sink import TEMP_DIR, ParquetRowSink, WindowedFileNaming, WriteWindowedParquet, window_label

BASE = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
NAME = re.compile(r"^part-(\d{8}T\d{6}Z)-(\d{8}T\d{6}Z)-run-1-pane(\d{3})-(\d{3})of(\d{3})\.parquet$")


def error(uri: str, seconds: int, day: str = "2026-03-01") -> window.TimestampedValue:
    """An errors row whose event time is BASE + seconds; its dt is given separately (ingest date)."""
    when = BASE + dt.timedelta(seconds=seconds)
    row = {"source_uri": uri, "stage": "parse", "error": "invalid JSON", "payload": uri.encode(),
           "ingested_at": when, "dt": day, "message_id": uri, "attributes": {"k": uri}}
    return window.TimestampedValue(row, Timestamp.from_utc_datetime(when))


def window_start(path: Path) -> dt.datetime:
    return dt.datetime.strptime(NAME.match(path.name).group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def test_files_per_window_partition_and_firing(tmp_path):
    start = Timestamp.from_utc_datetime(BASE)
    stream = (
        TestStream()
        .advance_watermark_to(start)
        .add_elements([error("w0-a", 1), error("w0-b", 30), error("w0-c", 59, day="2026-02-28"), error("w1-a", 61)])
        .advance_watermark_to(start + 125)  # windows [0,60) and [60,120) close
        .add_elements([error("w0-late", 10)])  # late but within the allowed lateness
        .add_elements([error("w2-a", 130)])
        .advance_watermark_to_infinity()
    )
    with beam.Pipeline(options=PipelineOptions(runner="BundleBasedDirectRunner", streaming=True)) as p:
        rows = p | stream | beam.WindowInto(
            window.FixedWindows(60), trigger=trigger.AfterWatermark(late=trigger.AfterCount(1)),
            allowed_lateness=600, accumulation_mode=trigger.AccumulationMode.DISCARDING)
        written = rows | WriteWindowedParquet(str(tmp_path), "errors", "run-1")
        assert_that(written | beam.Map(lambda f: (f["window"][:16], f["dt"], f["rows"])), equal_to([
            ("20260301T100000Z", "2026-03-01", 2),
            ("20260301T100000Z", "2026-02-28", 1),
            ("20260301T100100Z", "2026-03-01", 1),
            ("20260301T100000Z", "2026-03-01", 1),  # the late pane: a file of its own, same window
            ("20260301T100200Z", "2026-03-01", 1),
        ]))

    files = sorted((tmp_path / "errors").rglob("*.parquet"))
    assert len(files) == 5
    assert {f.parent.name for f in files} == {"dt=2026-03-01", "dt=2026-02-28"}
    for f in files:
        match = NAME.match(f.name)
        assert match, f.name
        begin = window_start(f)
        assert dt.datetime.strptime(match.group(2), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC) == begin + dt.timedelta(
            seconds=60)
        for ingested in pq.read_table(f).column("ingested_at").to_pylist():
            assert begin <= ingested < begin + dt.timedelta(seconds=60), (f.name, ingested)
    late = [f for f in files if "w0-late" in pq.read_table(f).column("source_uri").to_pylist()]
    assert len(late) == 1 and pq.read_table(late[0]).num_rows == 1
    # named by pane: the on-time firings are pane 0, the late one of the same window and dt pane 1
    assert NAME.match(late[0].name).group(3) == "001"
    assert sorted(NAME.match(f.name).group(3) for f in files) == ["000", "000", "000", "000", "001"]

    table = read_table(str(tmp_path), "errors")
    assert sorted(table.column("source_uri").to_pylist()) == ["w0-a", "w0-b", "w0-c", "w0-late", "w1-a", "w2-a"]
    by_uri = {r["source_uri"]: r for r in table.to_pylist()}
    assert by_uri["w0-c"]["dt"] == "2026-02-28"
    assert by_uri["w1-a"]["payload"] == b"w1-a" and dict(by_uri["w1-a"]["attributes"]) == {"k": "w1-a"}
    leftovers = [p for p in (tmp_path / TEMP_DIR).rglob("*") if p.is_file()]
    assert leftovers == []


def test_parquet_row_sink_writes_the_table_schema_in_batches(monkeypatch):
    import pipeline.windowed_sink as sink_module

    monkeypatch.setattr(sink_module, "ROWS_PER_BATCH", 3)
    sink = ParquetRowSink("quotes")
    buffer = io.BytesIO()
    buffer.close = lambda: None  # keep the bytes readable after the writer closes its sink
    sink.open(buffer)
    rows = [{"article_id": f"a{i}", "text": "q", "kind": "direct", "start_char": i, "end_char": i + 1,
             "speaker": None, "speaker_canonical": None, "cue": "said", "dt": "2026-03-01"} for i in range(7)]
    for r in rows:
        sink.write(r)
    sink.flush()
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    assert table.schema.equals(TABLES["quotes"])
    assert table.column("start_char").to_pylist() == list(range(7))
    assert pq.ParquetFile(io.BytesIO(buffer.getvalue())).metadata.num_row_groups == 3


def test_file_names_are_deterministic_so_a_retried_finalisation_overwrites(tmp_path):
    """The same (window, pane, dt) always gives the same name, whatever position fileio gives the temp
    file among those it moves together: a retried finalisation replaces its first attempt's file instead
    of leaving a second one with the same rows. Another pane of the window gets another name."""
    from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

    naming = WindowedFileNaming(str(tmp_path / "articles"), "run-1")
    w = window.IntervalWindow(Timestamp.from_utc_datetime(BASE), Timestamp.from_utc_datetime(BASE) + 60)
    on_time = PaneInfo(True, False, PaneInfoTiming.ON_TIME, 0, 0)
    late = PaneInfo(False, False, PaneInfoTiming.LATE, 1, 1)
    first = naming(w, on_time, 0, 1, "", "2026-03-01")
    assert first == "dt=2026-03-01/part-20260301T100000Z-20260301T100100Z-run-1-pane000-000of001.parquet"
    assert naming(w, on_time, 1, 2, "", "2026-03-01") == first  # a retry grouping two temp files
    assert naming(w, late, 0, 1, "", "2026-03-01") != first
    assert naming(w, on_time, 0, 1, "", "2026-02-28") != first
    assert (tmp_path / "articles" / "dt=2026-03-01").is_dir()
    assert WindowedFileNaming(str(tmp_path / "articles"), "run-2")(w, on_time, 0, 1, "", "2026-03-01") != first


def test_window_label_is_safe_in_file_names():
    w = window.IntervalWindow(Timestamp.from_utc_datetime(BASE), Timestamp.from_utc_datetime(BASE) + 60)
    assert window_label(w) == "20260301T100000Z-20260301T100100Z"
    assert window_label(window.GlobalWindow()) == "global"
