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
