"""Exact duplicates: one row per article_id and per content hash, chosen deterministically."""

from __future__ import annotations

import apache_beam as beam
from apache_beam import pvalue

DUPLICATES = "duplicates"


def _keep_first(item):
    """Keep the copy with the smallest source URI; report the others as duplicates of it."""
    _, rows = item
    rows = sorted(rows, key=lambda r: (r["source_uri"], r["article_id"]))
    yield rows[0]
    for dup in rows[1:]:
        yield pvalue.TaggedOutput(
            DUPLICATES,
            {"article_id": dup["article_id"], "source_uri": dup["source_uri"], "duplicate_of": rows[0]["article_id"]},
        )


class DropExactDuplicates(beam.PTransform):
    """Batch dedup: group by article_id, then by content hash. Outputs main + DUPLICATES."""

    def expand(self, articles):
        by_id = (
            articles
            | "Key by id" >> beam.Map(lambda r: (r["article_id"], r))
            | "Group by id" >> beam.GroupByKey()
            | "One per id" >> beam.FlatMap(_keep_first).with_outputs(DUPLICATES, main="articles")
        )
        by_hash = (
            by_id.articles
            | "Key by content" >> beam.Map(lambda r: (r["content_hash"], r))
            | "Group by content" >> beam.GroupByKey()
            | "One per content" >> beam.FlatMap(_keep_first).with_outputs(DUPLICATES, main="articles")
        )
        duplicates = (by_id[DUPLICATES], by_hash[DUPLICATES]) | "All duplicates" >> beam.Flatten()
        return {"articles": by_hash.articles, DUPLICATES: duplicates}
