"""The graph on TestPipeline: routing of articles, errors and duplicates, counted exactly."""

import json

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.graph import GraphConfig, ProcessArticles

GOOD = {"id": "a1", "title": "Budget passed", "published_at": "2026-11-20T10:00:00Z",
        "text": "The council passed the budget on Monday.\n\n“It was a hard choice,” Mayor Ann Lee said."}


def raw(obj, uri, fmt="json"):
    payload = json.dumps(obj).encode() if isinstance(obj, dict) else obj
    return {"source_uri": uri, "payload": payload, "format": fmt}


INPUTS = [
    raw(GOOD, "mem://1"),
    raw(GOOD, "mem://2"),  # same id: a duplicate
    raw(dict(GOOD, id="a2"), "mem://3"),  # same content, other id: a duplicate by content hash
    raw(b"{not json", "mem://4"),
    raw({"title": "no body"}, "mem://5"),
    raw(b"\xff\xfe\x00garbage", "mem://6", "txt"),
    raw({"id": "de1", "text": "Der Bürgermeister sagte am Montag, der Haushalt sei beschlossen worden."}, "mem://7"),
]


def test_routing_and_counts():
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create(INPUTS) | ProcessArticles(GraphConfig())
        articles = out["articles"] | "ids" >> beam.Map(
            lambda r: (r["article_id"], r["source_uri"], r["nlp_status"][:7]))
        assert_that(articles,
                    equal_to([("a1", "mem://1", "ok"), ("de1", "mem://7", "skipped")]), label="articles")
        assert_that(out["errors"] | "err" >> beam.Map(lambda r: (r["source_uri"], r["stage"])),
                    equal_to([("mem://4", "parse"), ("mem://5", "parse"), ("mem://6", "parse")]), label="errors")
        assert_that(out["duplicates"] | "dup" >> beam.Map(lambda r: (r["source_uri"], r["duplicate_of"])),
                    equal_to([("mem://2", "a1"), ("mem://3", "a1")]), label="duplicates")
        assert_that(out["quotes"] | "q" >> beam.Map(lambda r: (r["article_id"], r["speaker_canonical"], r["kind"])),
                    equal_to([("a1", "Ann Lee", "direct")]), label="quotes")
        people = out["entities"] | "e" >> beam.Filter(lambda r: r["label"] == "PERSON")
        assert_that(people | "p" >> beam.Map(lambda r: (r["article_id"], r["canonical"])),
                    equal_to([("a1", "Ann Lee")]), label="entities")


def test_errors_keep_the_whole_payload():
    bad = b'{"text": 5, "padding": "' + b"x" * 10_000 + b'"}'
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create([raw(bad, "mem://big")]) | ProcessArticles(GraphConfig())
        assert_that(out["errors"] | beam.Map(lambda r: (r["payload"] == bad, "must be a string" in r["error"],
                                                          r["dt"] is not None)),
                    equal_to([(True, True, True)]))


def test_row_lists_hold_the_same_rows_one_list_per_article():
    """Batch asks for entities and quotes as one list per article; flattened, they are the same rows."""
    second = dict(GOOD, id="a3", text="Tax rates rose on Friday.\n\n“We had no choice,” Treasurer Bo Park said.")
    inputs = [raw(GOOD, "mem://1"), raw(second, "mem://8")]

    def as_rows(pcoll, label):
        return pcoll | label >> beam.Map(lambda r: json.dumps(r, sort_keys=True, default=str))

    with TestPipeline(runner="FnApiRunner") as p:
        src = p | beam.Create(inputs)
        rows = src | "rows" >> ProcessArticles(GraphConfig())
        lists = src | "lists" >> ProcessArticles(GraphConfig(), row_lists=True)
        for table in ("entities", "quotes"):
            per_list = lists[table] | f"{table} per list" >> beam.Map(lambda rs: len({r["article_id"] for r in rs}))
            assert_that(per_list, equal_to([1, 1]), label=f"{table}: one article per list")
            flat = as_rows(lists[table] | f"flatten {table}" >> beam.FlatMap(lambda rs: rs), f"{table} flat")
            expected = beam.pvalue.AsList(as_rows(rows[table], f"{table} rows"))
            matched = flat | f"{table} vs rows" >> beam.combiners.ToList() | f"{table} compare" >> beam.Map(
                lambda got, want: sorted(got) == sorted(want) and len(got) > 0, expected)
            assert_that(matched, equal_to([True]), label=f"{table}: same rows")
