"""A day written by the stream, then re-written by a backfill while the stream keeps publishing: the backfill's
copy wins, and no instant shows an article twice (pipeline/backfilled_days.py).

The stream side is the real windowed sink's publishing step (CountWrittenFiles, as WriteWindowedParquet runs
it) fed with window files; the backfill is the real `backfill` command (in-process, FnApiRunner), so its commit
and the stream's publications race for real. A reader polls the articles table all along.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import random
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
from apache_beam.io.fileio import FileResult
from apache_beam.transforms.window import IntervalWindow
from apache_beam.utils.timestamp import Timestamp
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

from pipeline import backfilled_days as bd
from pipeline.cli import main
from pipeline.schemas import to_table
from pipeline.sinks import read_table
from pipeline.tally import forget, snapshot
from pipeline.windowed_sink import TEMP_DIR, CountWrittenFiles, WindowedFileNaming
from tests.corpus import article_text

DAY = "2026-11-01"
RUN = "stream-s1"  # the stream's run id
ARCHIVED = [f"b-{i}" for i in range(80)]  # what the raw archive holds for DAY (and the stream sees too)


def article_row(aid: str, k: int) -> dict:
    when = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    return {"article_id": aid, "source_uri": f"pubsub://projects/p/subscriptions/s/{aid}", "text": f"text of {aid}",
            "ingested_at": when, "published_at": when, "word_count": 3, "content_hash": f"h-{aid}",
            "pipeline_version": "test", "nlp_status": "ok", "dt": DAY}


def entity_row(aid: str) -> dict:
    return {"article_id": aid, "text": "Ann Lee", "label": "PERSON", "start_char": 0, "end_char": 7,
            "canonical": "Ann Lee", "dt": DAY}


def publish_window_file(root: Path, table: str, rows: list[dict], k: int, day: str = DAY) -> list[dict]:
    """One window file of the stream, written where WriteToFiles leaves it, then published by the sink's step."""
    ready = root / TEMP_DIR / RUN / "ready" / table
    start = Timestamp.from_utc_datetime(dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)) + 5 * k
    window = IntervalWindow(start, start + 5)
    pane = PaneInfo(True, True, PaneInfoTiming.ON_TIME, 0, 0)
    name = WindowedFileNaming(str(ready), RUN)(window, pane, 0, 1, "", day)
    pq.write_table(to_table(table, rows), ready / name)
    sink = CountWrittenFiles(str(ready), table, RUN, str(root))
    return list(sink.process(FileResult(name, 0, 1, window, pane, day)))


def visible_ids(root: Path) -> list[tuple[str, str]]:
    """(dt, article_id) of every row a reader of ROOT/articles/*/*.parquet sees, from one table version."""
    while True:
        version = os.path.realpath(root / "articles")
        try:
            return [(p.parent.name, a) for p in sorted(Path(version).glob("dt=*/*.parquet"))
                    for a in pq.read_table(p, columns=["article_id"]).column("article_id").to_pylist()]
        except (FileNotFoundError, OSError):  # an old version pruned while we read it: read the new one
            continue


def test_backfill_wins_over_the_stream_and_no_instant_shows_both(tmp_path):
    out, raw = tmp_path / "out", tmp_path / "raw"
    rng = random.Random(5)
    (raw / DAY).mkdir(parents=True)
    for i, aid in enumerate(ARCHIVED):
        (raw / DAY / f"{aid}.json").write_text(json.dumps(
            {"id": aid, "title": f"Story {aid}", "text": article_text(i, rng),
             "published_at": f"{DAY}T09:00:00Z"}), encoding="utf-8")
    forget(RUN)

    # The stream wrote part of the day before any backfill: b-0, b-1 and s-0, s-1 (not in the archive).
    for k in range(2):
        publish_window_file(out, "articles", [article_row(f"b-{k}", k), article_row(f"s-{k}", k)], k)
        publish_window_file(out, "entities", [entity_row(f"b-{k}"), entity_row(f"s-{k}")], k)
    assert sorted(a for _, a in visible_ids(out)) == ["b-0", "b-1", "s-0", "s-1"]

    seen_twice: list[list[str]] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            ids = [a for _, a in visible_ids(out)]
            if len(ids) != len(set(ids)):
                seen_twice.append(sorted({a for a in ids if ids.count(a) > 1}))

    def stream() -> None:
        # Keeps publishing files of the day while the backfill runs: each holds an archived article the
        # backfill also has, and one the archive lacks.
        k = 2
        while not done.is_set():
            archived = [article_row(f"b-{k}", k)] if k < len(ARCHIVED) else []
            publish_window_file(out, "articles", [*archived, article_row(f"s-{k}", k)], k)
            k += 1
            time.sleep(0.2)

    threads = [threading.Thread(target=reader), threading.Thread(target=stream)]
    for t in threads:
        t.start()
    try:
        with contextlib.redirect_stdout(io.StringIO()) as printed, contextlib.redirect_stderr(io.StringIO()):
            rc = main(["backfill", "--start", DAY, "--end", DAY, "--input", str(raw / "{date}" / "*.json"),
                       "--output", str(out), "--direct_num_workers=1"])
        assert rc == 0, printed.getvalue()
        time.sleep(0.5)
    finally:
        done.set()
        for t in threads:
            t.join(timeout=60)
    assert seen_twice == [], f"both copies visible at some instant: {seen_twice[:3]}"

    # After the backfill: a late window file of the day, with an article the day holds and a new one.
    today = bd.today()
    publish_window_file(out, "articles", [article_row("b-1", 90), article_row("late-1", 90)], 90)
    publish_window_file(out, "entities", [entity_row("b-1"), entity_row("late-1")], 90)
    assert publish_window_file(out, "articles", [article_row("b-3", 91)], 91) == []  # wholly held: no file

    rows = visible_ids(out)
    ids = [a for _, a in rows]
    assert len(ids) == len(set(ids)), "an article is in the table twice"
    by_day: dict[str, set[str]] = {}
    for day, aid in rows:
        by_day.setdefault(day, set()).add(aid)
    assert by_day[f"dt={DAY}"] == set(ARCHIVED)  # exactly the archive: the stream's files of the day replaced
    later = by_day.get(f"dt={today}", set())
    assert "late-1" in later and all(a.startswith(("s-", "late-")) for a in later)  # new articles, arrival day
    assert {"s-0", "s-1"}.isdisjoint(later)  # written before the backfill: replaced with the rest of the day
    assert all("-dt20261101-" in p.name for p in (out / "articles" / f"dt={today}").glob("*.parquet"))
    entities = read_table(str(out), "entities").to_pylist()
    assert {(e["dt"], e["article_id"]) for e in entities if e["article_id"] in ("b-1", "late-1")} == {
        (DAY, "b-1"), (today, "late-1")}
    counts = snapshot(RUN)
    assert counts["dropped_for_backfill/articles"] >= 2  # b-1 and b-3 at least (and any published after commit)
    assert counts["counted/duplicates"] == counts["dropped_for_backfill/articles"]
    assert counts["dropped_for_backfill/entities"] == 1
    assert counts["rerouted_from_backfilled_day/articles"] == len(later)
    forget(RUN)


def test_where_the_stream_files_rows_of_a_backfilled_day():
    assert bd.target_day("2026-11-01", {"2026-11-01"}, "2026-12-07") == "2026-12-07"
    assert bd.target_day("2026-11-02", {"2026-11-01"}, "2026-12-07") == "2026-11-02"  # not backfilled
    assert bd.target_day("2026-12-07", {"2026-12-07"}, "2026-12-07") == "2026-12-07"  # today stays today
    assert bd.rerouted_name("dt=2026-11-01/part-A-B-stream-x-pane001-000of001.parquet", "2026-11-01",
                            "2026-12-07") == "dt=2026-12-07/part-A-B-stream-x-pane001-dt20261101-000of001.parquet"
