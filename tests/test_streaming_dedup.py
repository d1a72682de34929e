"""Streaming dedup on a TestStream (BundleBasedDirectRunner): one row per article across windows,
duplicates reported, the input's windows restored, and keys forgotten after the horizon of event
time; on the SDK that Dataflow's workers run, its expiry timer holds no watermark in the past."""

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import trigger, userstate, window
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.utils.timestamp import Timestamp

from transforms.dedup import DUPLICATES, DropRepeatedArticles, _FirstCopyWins

BASE = 1_800_000_000  # seconds; any instant works, windows are 10 s


def row(article_id: str, content: str, uri: str) -> dict:
    return {"article_id": article_id, "content_hash": content, "source_uri": uri}


def at(seconds: float, value: dict) -> window.TimestampedValue:
    return window.TimestampedValue(value, Timestamp(BASE + seconds))


def streaming_options() -> PipelineOptions:
    return PipelineOptions(runner="BundleBasedDirectRunner", streaming=True)


def windowed(pcoll, label):
    """(value, window start offset) pairs, to check that the input's windows come back."""

    class WithWindow(beam.DoFn):
        def process(self, element, w=beam.DoFn.WindowParam):
            yield element["source_uri"], int(w.start) - BASE

    return pcoll | label >> beam.ParDo(WithWindow())


def test_one_row_per_article_and_content_across_windows():
    stream = (
        TestStream()
        .advance_watermark_to(Timestamp(BASE))
        .add_elements([at(1, row("a", "h1", "m1")), at(2, row("b", "h2", "m2"))])
        .add_elements([at(3, row("a", "h1", "m3"))])  # redelivery in the same window
        .advance_watermark_to(Timestamp(BASE + 15))
        .add_elements([at(16, row("a", "h1", "m4")),  # republished in a later window
                       at(17, row("c", "h2", "m5")),  # same content as b, other id
                       at(18, row("d", "h4", "m6"))])
        .advance_watermark_to_infinity()
    )
    with beam.Pipeline(options=streaming_options()) as p:
        rows = (p | stream | beam.WindowInto(window.FixedWindows(10), trigger=trigger.AfterWatermark(),
                                            accumulation_mode=trigger.AccumulationMode.DISCARDING))
        out = rows | DropRepeatedArticles(3600)
        assert_that(windowed(out["articles"], "kept"), equal_to([("m1", 0), ("m2", 0), ("m6", 10)]), label="kept")
        assert_that(out[DUPLICATES] | beam.Map(lambda d: (d["source_uri"], d["article_id"], d["duplicate_of"])),
                    equal_to([("m3", "a", "a"), ("m4", "a", "a"), ("m5", "c", "b")]), label="duplicates")
        assert_that(windowed(out[DUPLICATES], "dup windows"), equal_to([("m3", 0), ("m4", 10), ("m5", 10)]),
                    label="duplicate windows")


def test_keys_are_forgotten_after_the_horizon_of_event_time():
    stream = (
        TestStream()
        .advance_watermark_to(Timestamp(BASE))
        .add_elements([at(1, row("a", "h1", "m1"))])
        .add_elements([at(2, row("a", "h1", "m2"))])  # within the horizon: a duplicate
        .advance_processing_time(3600)  # wall-clock time alone forgets nothing
        .add_elements([at(3, row("a", "h1", "m3"))])  # still a duplicate
        .advance_watermark_to(Timestamp(BASE + 62))  # the watermark passes first copy (1) + 60 s: state cleared
        .add_elements([at(63, row("a", "h1", "m4"))])  # a new row again
        .advance_watermark_to_infinity()
    )
    with beam.Pipeline(options=streaming_options()) as p:
        rows = p | stream | beam.WindowInto(window.FixedWindows(10))
        out = rows | DropRepeatedArticles(60)
        assert_that(out["articles"] | beam.Map(lambda r: r["source_uri"]), equal_to(["m1", "m4"]), label="kept")
        assert_that(out[DUPLICATES] | beam.Map(lambda r: r["source_uri"]), equal_to(["m2", "m3"]),
                    label="duplicates")


@pytest.fixture
def timer_holds(monkeypatch):
    """Every user timer the SDK harness sets, as the bundle processor builds it (fire and hold timestamps).

    Records the real userstate.Timer that bundle_processor.OutputTimer.set creates (the code Dataflow's
    Python workers run) and passes it on unchanged."""
    made = []
    real = userstate.Timer

    def recording(*args, **kwargs):
        timer = real(*args, **kwargs)
        made.append(timer)
        return timer

    monkeypatch.setattr(userstate, "Timer", recording)
    return made


def test_expiry_timer_holds_no_watermark_in_the_past(timer_holds):
    """On Dataflow a user timer holds the output watermark at its hold timestamp until it fires. A
    processing-time timer's hold is the input element's timestamp, which would keep every downstream
    window (and its Parquet files) waiting for the whole horizon; the expiry timer must be event time,
    holding at first copy + horizon."""
    assert _FirstCopyWins.EXPIRY.time_domain == TimeDomain.WATERMARK
    horizon = 86400
    with beam.Pipeline(options=PipelineOptions(runner="FnApiRunner")) as p:
        stamped = p | beam.Create([(5, row("a", "h1", "m1")), (7, row("b", "h2", "m2")),
                                   (9, row("a", "h1", "m3"))]) | beam.Map(
            lambda e: window.TimestampedValue(e[1], Timestamp(BASE + e[0])))
        out = stamped | DropRepeatedArticles(horizon)
        assert_that(out["articles"] | beam.Map(lambda r: r["source_uri"]), equal_to(["m1", "m2"]))
    # (the runner decodes each timer into a Timer too: count distinct ones)
    expiry = {(t.user_key, t.fire_timestamp, t.hold_timestamp) for t in timer_holds if not t.clear_bit}
    assert {(k, fire) for k, fire, _ in expiry} == {
        ("a", Timestamp(BASE + 5 + horizon)), ("h1", Timestamp(BASE + 5 + horizon)),
        ("b", Timestamp(BASE + 7 + horizon)), ("h2", Timestamp(BASE + 7 + horizon))}  # by id and by content
    for _, fire, hold in expiry:
        assert hold == fire  # ahead of the watermark, not the row's own (past) timestamp
