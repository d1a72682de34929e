"""The local runner's spaCy helpers (pipeline/local_pubsub.py, AnnotatePool): articles analysed by a helper as
soon as they are pulled give exactly the rows the annotate step computes itself; whatever the helpers do not
have (another text, never pulled, a helper that dies) is analysed on the runner's thread; uninstalling unhooks
the annotate step and ends the helpers."""

import json
import time

from apache_beam import pvalue

import transforms.beam_steps as steps
from pipeline.local_pubsub import ANNOTATE_MAX_HELPERS, AnnotatePool, annotate_helpers
from pipeline.pubsub_io import message_to_raw
from transforms.article import prepare_article
from transforms.beam_steps import AnnotateArticles
from transforms.nlp_defaults import DEFAULT_COMPONENTS, DEFAULT_MODEL
from transforms.parse import parse_input
from transforms.records import utcnow

PARAMS = {"model": DEFAULT_MODEL, "components": tuple(DEFAULT_COMPONENTS), "batch_size": 8,
          "max_nlp_chars": 300_000, "row_lists": False}
MAX_BYTES, VERSION = 1_000_000, "test"


class Message:
    """What the adapter pulls (the fields pubsub_io.message_to_raw reads)."""

    def __init__(self, message_id: str, article: dict):
        self.message_id, self.data = message_id, json.dumps(article).encode()
        self.attributes, self.publish_time = {}, None


def pulled(n: int, k: int = 0) -> list[dict]:
    """Raw inputs of n pulled messages, as the adapter hands them to prefetch()."""
    raws = []
    for i in range(n):
        name = f"Zorblax{k}x{i} Quintavell{k}y{i}"
        article = {"id": f"a{k}-{i}", "title": f"“We will build it,” says {name}",
                   "text": f"{name} opened the Vantrexo{k}z{i} bridge in Ulmbridge on Monday.\n\n"
                           f"“It took years,” {name} said. Critics said the cost was too high."}
        raws.append(message_to_raw(Message(f"m{k}-{i}", article), "projects/p/subscriptions/s"))
    return raws


def cleaned(raws: list[dict]) -> list[dict]:
    """The rows the graph's Parse and Clean steps make of them (the annotate step's input)."""
    rows = []
    for raw in raws:
        row = prepare_article(parse_input(raw, max_bytes=MAX_BYTES), utcnow(), VERSION)
        row["_raw"] = raw
        rows.append(row)
    return rows


def outputs(fn: AnnotateArticles, rows: list[dict]) -> list:
    """Every output, tagged, in a canonical order."""
    out = []
    for o in fn.process([dict(r) for r in rows]):
        tag, value = (o.tag, o.value) if isinstance(o, pvalue.TaggedOutput) else ("articles", o)
        out.append((tag, sorted((k, v) for k, v in value.items() if k != "ingested_at")))
    return sorted(out, key=repr)


def settled(pool: AnnotatePool, timeout: float = 180) -> None:
    """Wait until the helpers have answered for everything queued."""
    deadline = time.monotonic() + timeout
    while pool._queue or any(p.state == "sent" for p in pool._pulled.values()):
        assert time.monotonic() < deadline, "the helpers did not answer"
        time.sleep(0.1)


def started(pool: AnnotatePool) -> None:
    deadline = time.monotonic() + 180
    while not all(h.is_ready() for h in pool.helpers):
        assert time.monotonic() < deadline and not any(h.broken for h in pool.helpers), "no model in a helper"
        time.sleep(0.2)


def test_rows_from_the_helpers_are_the_rows_computed_here():
    fn = AnnotateArticles(**PARAMS)
    fn.setup()
    raws = pulled(6)
    rows = cleaned(raws)
    here = outputs(fn, rows)
    assert any(tag == "quotes" for tag, _ in here) and any(tag == "entities" for tag, _ in here)
    pool = AnnotatePool(helpers=1)
    pool.install(PARAMS, MAX_BYTES, VERSION)
    try:
        assert pool.offload == steps.ANNOTATE_OFFLOAD
        started(pool)
        pool.prefetch(raws)
        settled(pool)
        assert outputs(fn, rows) == here
        assert (pool.from_helpers, pool.analysed_here) == (6, 0)
        # each answer is used once: the same rows again (a redelivered copy) are analysed here
        assert outputs(fn, rows) == here
        assert (pool.from_helpers, pool.analysed_here) == (6, 6)
    finally:
        pool.uninstall()
    assert steps.ANNOTATE_OFFLOAD is None and pool.helpers == []


def test_what_the_helpers_did_not_see_is_analysed_here():
    fn = AnnotateArticles(**PARAMS)
    fn.setup()
    raws = pulled(4, k=1)
    rows = cleaned(raws)
    changed = dict(rows[0], text=rows[0]["text"] + " More words nobody sent to a helper.")
    expected = outputs(fn, [changed, *rows[1:]]) + outputs(fn, cleaned(pulled(2, k=2)))
    pool = AnnotatePool(helpers=1)
    pool.install(PARAMS, MAX_BYTES, VERSION)
    try:
        started(pool)
        pool.prefetch(raws)
        settled(pool)
        # another text under the same message (the helper's answer does not fit it), and two never pulled
        got = outputs(fn, [changed, *rows[1:]]) + outputs(fn, cleaned(pulled(2, k=2)))
        assert sorted(got, key=repr) == sorted(expected, key=repr)
        assert (pool.from_helpers, pool.analysed_here) == (3, 3)
    finally:
        pool.uninstall()


def test_a_helper_that_dies_costs_only_time():
    fn = AnnotateArticles(**PARAMS)
    fn.setup()
    raws = pulled(5, k=3)
    rows = cleaned(raws)
    here = outputs(fn, rows)
    pool = AnnotatePool(helpers=1)
    pool.install(PARAMS, MAX_BYTES, VERSION)
    try:
        started(pool)
        pool.helpers[0].proc.kill()
        pool.helpers[0].proc.wait()
        pool.prefetch(raws)
        deadline = time.monotonic() + 30
        while pool.helpers:  # its feeder finds it gone and drops it
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert outputs(fn, rows) == here
        assert pool.analysed_here == 5
    finally:
        pool.uninstall()


def test_no_helpers_installs_nothing():
    pool = AnnotatePool(helpers=0)
    pool.install(PARAMS, MAX_BYTES, VERSION)
    pool.prefetch(pulled(1))
    assert steps.ANNOTATE_OFFLOAD is None and pool.helpers == [] and not pool._pulled
    pool.uninstall()


def test_one_helper_per_core():
    # a stream's spaCy processes are --direct_num_workers (one per core by default, as for a batch run);
    # 1 means the runner's thread does it all
    assert annotate_helpers(1) == 0 and annotate_helpers(0) == 0
    assert annotate_helpers(2) == 2 and annotate_helpers(4) == 4
    assert annotate_helpers(100) == ANNOTATE_MAX_HELPERS


def test_a_local_stream_gets_one_spacy_process_per_core_unless_told():
    from apache_beam.options.pipeline_options import DirectOptions

    from pipeline.arguments import default_local_workers
    from pipeline.launch import pipeline_options

    told = pipeline_options(["--direct_num_workers=1"], "local", streaming=True)
    assert told.view_as(DirectOptions).direct_num_workers == 1
    default = pipeline_options([], "local", streaming=True)
    assert default.view_as(DirectOptions).direct_num_workers == default_local_workers()
