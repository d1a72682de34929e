"""Near-duplicates: MinHash/LSH finds syndicated copies with small edits, marks the later copy only."""

import datetime as dt
import json

import apache_beam as beam
import numpy as np
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.graph import GraphConfig, ProcessArticles
from transforms.dedup import DUPLICATES, DeduplicateBatch
from transforms.near_duplicates import (
    DEFAULT_THRESHOLD,
    NUM_PERM,
    SEED,
    MarkNearDuplicates,
    _hash32,
    find_near_duplicates,
    lsh_bands,
    order_key,
    shingles,
    signature,
    similarity,
)

STORY = (
    "The city council approved a new budget on Monday after a long debate about spending on roads, "
    "schools and public transport. The mayor said the plan would cut waiting times at clinics and "
    "add two hundred new buses by the end of next year. Opposition members argued that the tax rise "
    "hidden in the plan would hurt small businesses, and they promised to challenge it in court. "
    "Residents who attended the meeting were divided, with some cheering the investment in transit "
    "and others worried about rents. The budget takes effect in January and will be reviewed in June. "
    "Council staff will publish a quarterly report on the bus purchases, and an independent auditor "
    "will check the clinic figures before the review. The finance committee chair thanked the public "
    "for more than four thousand written comments, many of which asked for safer cycle lanes near "
    "schools; a pilot scheme for three streets was added to the plan in the final week of talks. "
    "Neighbouring towns are watching closely, since several of them share the regional bus network "
    "and will have to decide next spring whether to match the new timetable and its later services."
)
# A syndicated copy: another outlet's intro line, one sentence trimmed, one word changed.
SYNDICATED = "From our partners at the Daily Ledger. " + STORY.replace(
    " Residents who attended the meeting were divided, with some cheering the investment in transit "
    "and others worried about rents.", "").replace("two hundred", "200")
OTHER = (
    "Heavy snow closed the mountain pass for the third time this winter, stranding dozens of trucks "
    "overnight. Road crews worked through the night to clear drifts that reached three metres in places, "
    "and the police asked drivers to avoid the route until Thursday. Ski resorts in the valley welcomed "
    "the snowfall after a dry December, but warned of avalanche risk on the higher slopes this weekend."
)
T0 = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)


def row(article_id: str, text: str, published: dt.datetime | None) -> dict:
    return {"article_id": article_id, "text": text, "published_at": published, "duplicate_of": None,
            "source_uri": f"mem://{article_id}"}


def test_signatures_see_through_small_edits_but_not_other_stories():
    assert similarity(signature(STORY), signature(SYNDICATED)) >= 0.6
    assert similarity(signature(STORY), signature(OTHER)) < 0.1
    assert similarity(signature(STORY), signature(STORY.upper().replace(",", " ,"))) == 1.0
    assert signature("Too short to compare.") is None
    assert b"the city council approved a" in shingles(STORY)


def test_signature_and_default_bands_are_datasketchs():
    """Our MinHash skips importing datasketch (and scipy) in workers; the numbers must still be its."""
    from datasketch import MinHash, MinHashLSH

    for text in (STORY, SYNDICATED, OTHER):
        reference = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=_hash32)
        reference.update_batch(shingles(text))
        assert (signature(text) == reference.hashvalues).all()
    assert lsh_bands(DEFAULT_THRESHOLD) == tuple(MinHashLSH(threshold=DEFAULT_THRESHOLD, num_perm=NUM_PERM).hashranges)
    assert lsh_bands(0.5) == tuple(MinHashLSH(threshold=0.5, num_perm=NUM_PERM).hashranges)


def test_the_later_copy_points_at_the_earlier_one():
    items = [("b", ("2026-11-21", "b"), SYNDICATED), ("a", ("2026-11-20", "a"), STORY),
             ("c", ("2026-11-20", "c"), OTHER)]
    assert find_near_duplicates(items, threshold=0.6) == {"b": "a"}
    # Publication order decides, not the ids or the input order.
    swapped = [("b", ("2026-11-19", "b"), SYNDICATED), ("a", ("2026-11-20", "a"), STORY)]
    assert find_near_duplicates(swapped, threshold=0.6) == {"a": "b"}
    assert find_near_duplicates(items, threshold=0.95) == {}


def test_order_key_puts_undated_articles_last_and_breaks_ties_by_id():
    assert order_key(row("z", "", T0)) < order_key(row("a", "", None))
    assert order_key(row("a", "", T0)) < order_key(row("b", "", T0))


def test_beam_transform_matches_the_in_memory_index():
    rows = [row("a", STORY, T0), row("b", SYNDICATED, T0 + dt.timedelta(hours=2)), row("c", OTHER, T0),
            row("d", STORY + " Updated with a correction at noon.", T0 + dt.timedelta(hours=5)),
            row("e", "Short brief.", T0)]
    expected = find_near_duplicates([(r["article_id"], order_key(r), r["text"]) for r in rows], threshold=0.6)
    assert expected == {"b": "a", "d": "a"}
    with TestPipeline(runner="FnApiRunner") as p:
        marked = p | beam.Create(rows) | MarkNearDuplicates(threshold=0.6)
        assert_that(marked | beam.Map(lambda r: (r["article_id"], r["duplicate_of"])),
                    equal_to([("a", None), ("b", "a"), ("c", None), ("d", "a"), ("e", None)]))


def test_a_windows_members_give_the_pairs_that_bucket_grouping_gives():
    """A stream groups a window's members under one key and buckets them in memory (one element per article
    through the GroupByKey instead of one per band): the pairs are those of one GroupByKey per bucket."""
    from transforms.near_duplicates import _bucket_pairs, _window_pairs, band_keys, lsh_member

    rows = [row("a", STORY, T0), row("b", SYNDICATED, T0 + dt.timedelta(hours=2)), row("c", OTHER, T0),
            row("d", STORY + " Updated with a correction at noon.", T0 + dt.timedelta(hours=5)),
            row("f", OTHER.replace("third", "fourth"), T0 + dt.timedelta(hours=1))]
    members = [lsh_member(r) for r in rows]
    bands = lsh_bands(0.6)
    buckets: dict = {}
    for m in members:
        for key in band_keys(np.frombuffer(m[2], dtype=np.uint32), bands):
            buckets.setdefault(key, []).append(m)
    per_bucket = sorted(p for item in buckets.items() for p in _bucket_pairs(item, 0.6))
    per_window = sorted(_window_pairs((b"", members), 0.6, bands))
    assert per_window == per_bucket
    earliest: dict = {}
    for later, earlier in per_window:  # the join keeps the earliest original of each copy
        earliest[later] = min(earliest.get(later, earlier), earlier)
    assert {later: earlier[1] for later, earlier in earliest.items()} == {"b": "a", "d": "a", "f": "c"}


def test_batch_dedup_drops_exact_copies_and_marks_near_copies_of_the_survivor():
    def cleaned(article_id, uri, text, published):
        return dict(row(article_id, text, published), source_uri=uri, content_hash=str(hash(text)))

    rows = [cleaned("a", "mem://1", STORY, T0), cleaned("a", "mem://0", STORY, T0),  # same id: mem://0 wins
            cleaned("a2", "mem://2", STORY, T0),  # same content, other id: dropped
            cleaned("b", "mem://3", SYNDICATED, T0 + dt.timedelta(hours=2)), cleaned("c", "mem://4", OTHER, T0)]
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create(rows) | DeduplicateBatch(near_duplicate_threshold=0.6)
        assert_that(out["articles"] | beam.Map(lambda r: (r["source_uri"], r["duplicate_of"])),
                    equal_to([("mem://0", None), ("mem://3", "a"), ("mem://4", None)]), label="kept")
        assert_that(out[DUPLICATES] | beam.Map(lambda d: (d["source_uri"], d["duplicate_of"])),
                    equal_to([("mem://1", "a"), ("mem://2", "a")]), label="dropped")


def test_threshold_is_validated():
    with pytest.raises(ValueError):
        MarkNearDuplicates(threshold=0)


def test_graph_marks_near_copies_and_keeps_them():
    def raw(ident, text, published):
        payload = json.dumps({"id": ident, "title": "Budget", "text": text, "published_at": published}).encode()
        return {"source_uri": f"mem://{ident}", "payload": payload, "format": "json"}

    inputs = [raw("orig", STORY, "2026-11-20T08:00:00Z"), raw("copy", SYNDICATED, "2026-11-20T11:00:00Z"),
              raw("snow", OTHER, "2026-11-20T09:00:00Z")]
    config = GraphConfig(near_duplicate_threshold=0.6)
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create(inputs) | ProcessArticles(config)
        assert_that(out["articles"] | beam.Map(lambda r: (r["article_id"], r["duplicate_of"], r["nlp_status"])),
                    equal_to([("orig", None, "ok"), ("copy", "orig", "ok"), ("snow", None, "ok")]))
