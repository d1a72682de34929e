"""The local runner's Pub/Sub adapter (pipeline/local_pubsub.py) without a broker: when a pulled message may
be acknowledged (only once its rows, or its errors row, are published, or it was counted as a duplicate),
redeliveries, the Beam version check, and how a restarted run finds what a killed run wrote."""

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import local_pubsub as lp
from pipeline.local_pubsub import AckLedger, check_beam_version, written_by_crashed_runs
from pipeline.schemas import TABLES

SUB = "projects/news-test/subscriptions/articles"


def uri(n: int) -> str:
    return f"pubsub://{SUB}/{n}"


def test_nothing_is_acknowledged_on_pull():
    ledger = AckLedger()
    ledger.pulled_copy(uri(1), "ack-1")
    ledger.settle_articles(True)
    assert ledger.take_ackable() == [] and ledger.outstanding() == 1 and ledger.held_ack_ids() == ["ack-1"]


def test_errors_and_duplicates_are_acknowledged_once_reported():
    ledger = AckLedger()
    for n in (1, 2):
        ledger.pulled_copy(uri(n), f"ack-{n}")
    ledger.event(lp.ERROR_PUBLISHED, [uri(1)])
    ledger.event(lp.DUPLICATE_COUNTED, [uri(2)])
    assert sorted(ledger.take_ackable()) == ["ack-1", "ack-2"]
    assert ledger.outstanding() == 0 and ledger.take_ackable() == []


def test_an_article_waits_for_all_its_entities_and_quotes_rows():
    ledger = AckLedger()
    ledger.pulled_copy(uri(1), "ack-1")
    ledger.event(lp.ROWS_EMITTED, [("entities", "a1"), ("entities", "a1"), ("quotes", "a1")])
    ledger.event(lp.ARTICLE_PUBLISHED, [(uri(1), "a1")])
    ledger.settle_articles(True)
    assert ledger.take_ackable() == []  # its entities and quote are still in open windows
    ledger.event(lp.ROWS_PUBLISHED, [("entities", "a1"), ("entities", "a1")])
    ledger.settle_articles(True)
    assert ledger.take_ackable() == []  # the quote is not published yet
    ledger.event(lp.ROWS_PUBLISHED, [("quotes", "a1")])
    ledger.settle_articles(False)  # the step counting emitted rows still has work: its counts may be short
    assert ledger.take_ackable() == []
    ledger.settle_articles(True)
    assert ledger.take_ackable() == ["ack-1"] and ledger.outstanding() == 0


def test_a_redelivered_copy_is_acknowledged_only_when_every_copy_is_accounted_for():
    """The lease lapsed (an outage): Pub/Sub redelivers with a new ack id. The copy that arrives second is
    counted as a duplicate first; acking then would lose the first copy if the run died before its rows."""
    ledger = AckLedger()
    assert ledger.pulled_copy(uri(1), "ack-1a") is False
    assert ledger.pulled_copy(uri(1), "ack-1b") is True
    ledger.event(lp.DUPLICATE_COUNTED, [uri(1)])
    ledger.settle_articles(True)
    assert ledger.take_ackable() == [] and ledger.outstanding() == 1
    ledger.event(lp.ARTICLE_PUBLISHED, [(uri(1), "a1")])
    ledger.settle_articles(True)
    assert sorted(ledger.take_ackable()) == ["ack-1a", "ack-1b"]
    assert ledger.redelivered == 1


def test_a_failed_acknowledgement_is_retried():
    ledger = AckLedger()
    ledger.pulled_copy(uri(1), "ack-1")
    ledger.event(lp.ERROR_PUBLISHED, [uri(1)])
    ready = ledger.take_ackable()
    ledger.give_back(ready)
    assert ledger.unacknowledged() == 1 and ledger.take_ackable() == ["ack-1"]


def test_outcomes_of_messages_this_run_did_not_pull_are_ignored():
    ledger = AckLedger()
    ledger.event(lp.ERROR_PUBLISHED, [uri(9)])
    ledger.event(lp.ARTICLE_PUBLISHED, [(uri(8), "a8")])
    ledger.settle_articles(True)
    assert ledger.take_ackable() == [] and ledger.outstanding() == 0


def test_the_adapter_checks_the_beam_version_it_was_written_against():
    assert check_beam_version(f"{lp.WRITTEN_AGAINST}.0") is None
    assert check_beam_version(f"{lp.WRITTEN_AGAINST}.3rc1") is None
    line = check_beam_version("2.78.0")
    assert line.startswith("error: pipeline/local_pubsub.py") and "2.78.0" in line and "\n" not in line
    assert check_beam_version("2.7") is not None and check_beam_version("2.770.0") is not None


def _articles_file(root, run_id: str, uris: list[str]) -> None:
    folder = root / "articles" / "dt=2026-03-01"
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    rows = [{"article_id": u[-1], "source_uri": u, "text": "t", "ingested_at": now, "word_count": 1,
             "content_hash": "h", "pipeline_version": "0", "nlp_status": "ok"} for u in uris]
    columns = {f.name: [r.get(f.name) for r in rows] for f in TABLES["articles"]}
    pq.write_table(pa.Table.from_pydict(columns, schema=TABLES["articles"]),
                   folder / f"part-20260301T100000Z-20260301T100100Z-{run_id}-pane000-000of001.parquet")


def test_a_restart_finds_what_killed_runs_of_the_stream_wrote(tmp_path):
    _articles_file(tmp_path, "20260301T100000000000Z-key1", [uri(1), uri(2)])  # killed: no run record
    _articles_file(tmp_path, "20260301T090000000000Z-key1", [uri(3)])  # stopped cleanly
    _articles_file(tmp_path, "20260301T100000000000Z-other", [uri(4)])  # another stream
    _articles_file(tmp_path, "20260301T110000000000Z-key1", [uri(5)])  # this run
    (tmp_path / "_runs").mkdir()
    (tmp_path / "_runs" / "run-20260301T090000000000Z-key1.json").write_text("{}")
    found = written_by_crashed_runs(str(tmp_path), "key1", "20260301T110000000000Z-key1")
    assert found == {uri(1), uri(2)}


def test_a_restart_leaves_out_the_rows_a_crashed_run_published(tmp_path):
    """A killed run published the articles rows of messages 1 and 2 and the quotes of article 1 only (killed
    between the two files). The restarted run leaves out what is there, keeps what is not (article 2's quotes),
    counts the articles left out as duplicates and reports them as published, so their messages are acked."""
    from apache_beam.transforms.window import IntervalWindow

    from pipeline.streaming import DropCrashCopies
    from pipeline.tally import forget, listen, snapshot, unlisten

    killed = "20260301T100000000000Z-key1"
    _articles_file(tmp_path, killed, [uri(1), uri(2)])
    quotes = tmp_path / "quotes" / "dt=2026-03-01"
    quotes.mkdir(parents=True)
    rows = [{"article_id": "1", "text": "q", "kind": "direct", "start_char": 0, "end_char": 1}]
    pq.write_table(pa.Table.from_pylist(rows, schema=TABLES["quotes"]),
                   quotes / f"part-20260301T100000Z-20260301T100100Z-{killed}-pane000-000of001.parquet")
    found = lp.crashed_copies(str(tmp_path), "key1", "20260301T110000000000Z-key1")
    assert found == {"articles": {"1", "2"}, "entities": set(), "quotes": {"1"}, "errors": set(),
                     "messages": {uri(1), uri(2)}}

    run = "restart-1"
    heard: list = []
    listen(run, lambda kind, keys: heard.append((kind, keys)))
    try:
        w = IntervalWindow(0, 60)
        articles = DropCrashCopies("articles", found["articles"], 3600, run)
        kept = [r for n in (1, 2, 3) for r in articles.process({"article_id": str(n), "source_uri": uri(n)}, w)]
        assert [r["article_id"] for r in kept] == ["3"]
        quotes_step = DropCrashCopies("quotes", found["quotes"], 3600, run)
        # one article's quotes rows travel as one list
        kept = [rows for n in (1, 2) for rows in quotes_step.process([{"article_id": str(n)}], w)]
        assert kept == [[{"article_id": "2"}]]  # the crashed run had not published article 2's quotes
        assert heard == [(lp.ARTICLE_PUBLISHED, [(uri(1), "1")]), (lp.ARTICLE_PUBLISHED, [(uri(2), "2")]),
                         (lp.ROWS_PUBLISHED, [("quotes", "1")])]
        counts = snapshot(run)
        assert counts["counted/duplicates"] == 2 and counts["crash_copies_removed/articles"] == 2
        assert counts["window/19700101T000000Z-19700101T000100Z/duplicates"] == 2
        expired = DropCrashCopies("articles", found["articles"], 0, run)
        expired.until -= 1  # past the dedup horizon: a copy is no longer left out
        assert [r["article_id"] for r in expired.process({"article_id": "1", "source_uri": uri(1)}, w)] == ["1"]
    finally:
        unlisten(run)
        forget(run)


def test_the_direct_runner_forgets_keys_whose_state_is_empty():
    """Beam's DirectRunner keeps a state object per key for ever and scans them all for due timers; the
    adapter drops the empty ones before each scan (a stream's memory grew ~5 KB per article without it)."""
    from apache_beam.runners.direct.clock import RealClock
    from apache_beam.runners.direct.evaluation_context import DirectUnmergedState
    from apache_beam.runners.direct.watermark_manager import _TransformWatermarks
    from apache_beam.transforms.timeutil import TimeDomain
    from apache_beam.transforms.trigger import _ListStateTag, _ReadModifyWriteStateTag
    from apache_beam.transforms.window import GlobalWindow
    from apache_beam.utils.timestamp import Timestamp

    window, kept = GlobalWindow(), _ListStateTag("kept")
    cleared, holding, falsy, timed, fresh = (DirectUnmergedState() for _ in range(5))
    cleared.add_state(window, kept, b"id-1")
    cleared.clear_state(window, kept)
    cleared.set_timer(window, "expiry", TimeDomain.WATERMARK, Timestamp(10))
    cleared.clear_timer(window, "expiry", TimeDomain.WATERMARK)
    cleared.get_state(window, kept)  # reading leaves an empty list behind
    holding.add_state(window, kept, b"")
    falsy.add_state(window, _ReadModifyWriteStateTag("count"), 0)
    timed.set_timer(window, "expiry", TimeDomain.WATERMARK, Timestamp(10 ** 9))
    states = {b"cleared": cleared, b"holding": holding, b"falsy": falsy, b"timed": timed, b"fresh": fresh}
    watermarks = _TransformWatermarks(RealClock(), states, "step")
    undo = lp.prune_empty_keyed_states()
    try:
        watermarks.extract_transform_timers()
    finally:
        undo()
    assert set(states) == {b"holding", b"falsy", b"timed"}
    states[b"fresh"] = DirectUnmergedState()
    watermarks.extract_transform_timers()  # undone: Beam's own scan again, which keeps every key
    assert b"fresh" in states


def test_a_groupbykeys_finished_windows_are_forgotten(monkeypatch):
    """Beam's trigger driver keeps the pane counters of every key and window of a GroupByKey for ever (a stream
    grew by one state per article in its near-copy join and its Reshuffle). The adapter drops a window once it
    has expired (the step's input watermark past its end plus the allowed lateness), or at once in a Reshuffle,
    whose panes nobody reads; never one that still buffers elements, holds the watermark or waits on a timer.
    So the states stay bounded however many keys the stream sees."""
    from types import SimpleNamespace

    from apache_beam.runners.direct.clock import RealClock
    from apache_beam.runners.direct.evaluation_context import DirectUnmergedState
    from apache_beam.runners.direct.watermark_manager import _TransformWatermarks
    from apache_beam.transforms import trigger, window
    from apache_beam.transforms.core import Windowing
    from apache_beam.utils.timestamp import Duration, Timestamp
    from apache_beam.utils.windowed_value import WindowedValue

    fixed = Windowing(window.FixedWindows(5), triggerfn=trigger.AfterWatermark(late=trigger.AfterCount(1)),
                      accumulation_mode=trigger.AccumulationMode.DISCARDING, allowed_lateness=Duration(seconds=60))
    reshuffle = Windowing(window.GlobalWindows(), triggerfn=trigger.Always(),
                          accumulation_mode=trigger.AccumulationMode.DISCARDING)

    def grouped(windowing, *elements: tuple[float, float]) -> DirectUnmergedState:
        """A key's state after the trigger driver took each (timestamp, watermark) element."""
        driver, state = trigger.create_trigger_driver(windowing, clock=RealClock()), DirectUnmergedState()
        for ts, watermark in elements:
            wv = WindowedValue("row", Timestamp(ts), windowing.windowfn.assign(
                window.WindowFn.AssignContext(Timestamp(ts))))
            list(driver.process_elements(state, [wv], Timestamp(watermark), Timestamp(watermark)))
        return state

    def step(windowing, label: str) -> SimpleNamespace:
        return SimpleNamespace(transform=SimpleNamespace(windowing=windowing), full_label=label)

    monkeypatch.setattr(lp, "PRUNE_EVERY_SECONDS", 0)  # look on every scan (the runner: every 5 s)
    undo = lp.prune_empty_keyed_states()
    try:
        states = {b"fired": grouped(fixed, (1, 10)),  # window [0, 5), fired once the watermark passed its end
                  b"buffered": grouped(fixed, (101, 100)),  # window [100, 105): the watermark has not passed it
                  b"two windows": grouped(fixed, (1, 10), (201, 210))}
        assert all(s.global_state for s in states.values())  # pane counters: never "empty"
        join = _TransformWatermarks(RealClock(), states, step(fixed, "Process/Near duplicates/Join/GroupByKey"))
        join._input_watermark = Timestamp(64)  # window [0, 5) expires after 5 + 60
        join.extract_transform_timers()
        assert set(states) == {b"fired", b"buffered", b"two windows"}
        join._input_watermark = Timestamp(66)
        join.extract_transform_timers()
        assert set(states) == {b"buffered", b"two windows"}
        assert list(states[b"two windows"].global_state["window_ids"]) == [window.IntervalWindow(200, 205)]
        join._input_watermark = Timestamp(10 ** 6)  # every window expired; the buffered one still holds its row
        join.extract_transform_timers()
        assert set(states) == {b"buffered"}

        shuffled = {b"k1": grouped(reshuffle, (1, 10)), b"k2": grouped(reshuffle, (2, 10))}
        spread = _TransformWatermarks(RealClock(), shuffled, step(reshuffle, "Spread work/Step/ReshufflePerKey/GBK"))
        spread.extract_transform_timers()
        assert shuffled == {}  # the global window never expires, but a Reshuffle's panes are never read

        other = {b"k1": grouped(reshuffle, (1, 10))}  # the same state in any other global-window GroupByKey stays
        _TransformWatermarks(RealClock(), other, step(reshuffle, "Group by partition")).extract_transform_timers()
        assert set(other) == {b"k1"}

        bounded: dict = {}  # a stream: 20 new keys every 5 s window, the watermark following
        tw = _TransformWatermarks(RealClock(), bounded, step(fixed, "Join"))
        for w in range(200):
            for k in range(20):
                bounded[f"{w}-{k}".encode()] = grouped(fixed, (w * 5 + 1, w * 5 + 6))
            tw._input_watermark = Timestamp(w * 5 + 6)
            tw.extract_transform_timers()
        assert len(bounded) <= 20 * (60 // 5 + 2)  # the windows within the allowed lateness, not all 4,000 keys
    finally:
        undo()
