"""The batch graph in streaming mode on a TestStream: late rows (within the allowed lateness) come
out of every table in their own window, duplicates across windows give one row."""

import json

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import trigger, window
from apache_beam.utils.timestamp import Timestamp

from pipeline.graph import GraphConfig, ProcessArticles
from pipeline.streaming import fixed_windows
from transforms.dedup import DUPLICATES, DropRepeatedArticles
from transforms.windowing import InGlobalWindow

BASE = 1_800_000_000


def raw(i: int, seconds: int, article_id: str | None = None) -> window.TimestampedValue:
    text = (f"Mayor Ann Lee{i} opened bridge number {i} on Monday.\n\n"
            f"“It took {i} years,” Lee{i} said.")
    payload = json.dumps({"id": article_id or f"a{i}", "text": text}).encode()
    return window.TimestampedValue({"source_uri": f"m{i}", "payload": payload, "format": "json"},
                                   Timestamp(BASE + seconds))


def with_window(label: str):
    class Tag(beam.DoFn):
        def process(self, row, w=beam.DoFn.WindowParam):
            yield row["article_id"], int(w.start) - BASE

    return label >> beam.ParDo(Tag())


def test_late_rows_reach_every_table_in_their_window():
    stream = (
        TestStream()
        .advance_watermark_to(Timestamp(BASE))
        .add_elements([raw(1, 1), raw(2, 2)])
        .advance_watermark_to(Timestamp(BASE + 100))  # window [0, 10) is closed: what follows is late
        .add_elements([raw(3, 5), raw(4, 6, article_id="a1"), raw(5, 95)])
        .advance_watermark_to_infinity()
    )
    options = PipelineOptions(runner="BundleBasedDirectRunner", streaming=True)
    with beam.Pipeline(options=options) as p:
        rows = p | stream | fixed_windows(10, 600, trigger.AfterCount(1))
        out = rows | ProcessArticles(GraphConfig(near_duplicate_threshold=0), dedup=DropRepeatedArticles(3600))
        expected = [("a1", 0), ("a2", 0), ("a3", 0), ("a5", 90)]
        assert_that(out["articles"] | with_window("articles"), equal_to(expected), label="articles")
        people = out["entities"] | beam.Filter(lambda r: r["label"] == "PERSON")
        assert_that(people | with_window("entities") | beam.Distinct(), equal_to(expected), label="entities")
        assert_that(out["quotes"] | with_window("quotes"), equal_to(expected), label="quotes")
        assert_that(out[DUPLICATES] | beam.Map(lambda d: d["source_uri"]), equal_to(["m4"]), label="duplicates")


def test_in_global_window_is_a_pass_through_for_batch():
    with beam.Pipeline(options=PipelineOptions(runner="FnApiRunner")) as p:
        out = p | beam.Create([1, 2, 3]) | InGlobalWindow(beam.Reshuffle())
        assert_that(out, equal_to([1, 2, 3]))
