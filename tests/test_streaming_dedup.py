"""Streaming dedup on a TestStream (BundleBasedDirectRunner): one row per article across windows,
duplicates reported, the input's windows restored, and keys forgotten after the horizon."""

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import trigger, window
from apache_beam.utils.timestamp import Timestamp

from transforms.dedup import DUPLICATES, DropRepeatedArticles

BASE = 1_800_000_000  # seconds; any instant works, windows are 10 s


def row(article_id: str, content: str, uri: str) -> dict:
    return {"article_id": article_id, "content_hash": content, "source_uri": uri}


def at(seconds: float, value: dict) -> window.TimestampedValue:
    return window.TimestampedValue(value, Timestamp(BASE + seconds))


def frozen_clock() -> float:
    """The TestStream clock starts at 0; timers set from this clock fire as it is advanced."""
    return 0.0


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
        out = rows | DropRepeatedArticles(3600, clock=frozen_clock)
        assert_that(windowed(out["articles"], "kept"), equal_to([("m1", 0), ("m2", 0), ("m6", 10)]), label="kept")
        assert_that(out[DUPLICATES] | beam.Map(lambda d: (d["source_uri"], d["article_id"], d["duplicate_of"])),
                    equal_to([("m3", "a", "a"), ("m4", "a", "a"), ("m5", "c", "b")]), label="duplicates")
        assert_that(windowed(out[DUPLICATES], "dup windows"), equal_to([("m3", 0), ("m4", 10), ("m5", 10)]),
                    label="duplicate windows")


def test_keys_are_forgotten_after_the_horizon():
    stream = (
        TestStream()
        .advance_watermark_to(Timestamp(BASE))
        .add_elements([at(1, row("a", "h1", "m1"))])
        .add_elements([at(2, row("a", "h1", "m2"))])  # within the horizon: a duplicate
        .advance_processing_time(61)  # the 60 s horizon passes: state is cleared
        .add_elements([at(3, row("a", "h1", "m3"))])  # a new row again
        .advance_watermark_to_infinity()
        .advance_processing_time(61)
    )
    with beam.Pipeline(options=streaming_options()) as p:
        rows = p | stream | beam.WindowInto(window.FixedWindows(10))
        out = rows | DropRepeatedArticles(60, clock=frozen_clock)
        assert_that(out["articles"] | beam.Map(lambda r: r["source_uri"]), equal_to(["m1", "m3"]), label="kept")
        assert_that(out[DUPLICATES] | beam.Map(lambda r: r["source_uri"]), equal_to(["m2"]), label="duplicates")
