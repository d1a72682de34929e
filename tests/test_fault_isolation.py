"""A message that makes a step fail (a bug, a parser crash) becomes an errors row; the rest flows on.

The same ProcessArticles graph runs in batch and streaming, so this holds for the stream too
(the streaming sink also publishes errors rows to --dead_letter_topic).
"""

import json

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

import transforms.annotate as annotate
from pipeline.graph import GraphConfig, ProcessArticles


def _inputs():
    texts = ["The mayor said the budget would pass on Monday.", "POISON makes the rules crash, said the mayor.",
             "The council said the vote was delayed until Friday."]
    return [{"source_uri": f"mem://{i}", "payload": json.dumps({"id": f"a{i}", "text": t}).encode(),
             "format": "json"} for i, t in enumerate(texts)]


def test_a_crash_in_the_rules_dead_letters_only_that_article(monkeypatch):
    real = annotate.rows_from_doc

    def crashing(doc, *args, **kwargs):
        if "POISON" in doc.text:
            raise RuntimeError("simulated bug in the quote rules")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(annotate, "rows_from_doc", crashing)  # AnnotateArticles looks it up per batch
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create(_inputs()) | ProcessArticles(GraphConfig())
        assert_that(out["articles"] | "ids" >> beam.Map(lambda r: r["article_id"]), equal_to(["a0", "a2"]),
                    label="articles")
        assert_that(out["errors"] | "errs" >> beam.Map(
            lambda e: (e["source_uri"], e["stage"], "simulated bug" in e["error"], b"POISON" in e["payload"])),
            equal_to([("mem://1", "annotate", True, True)]), label="errors")
