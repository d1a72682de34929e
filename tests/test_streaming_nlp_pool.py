"""The local runner's spaCy helpers (pipeline/local_pubsub.py, AnnotatePool): a batch spread over a helper
process and the runner's thread gives exactly the rows annotating it in one place gives; a helper that dies
costs nothing but time; uninstalling unhooks the annotate step and ends the helpers."""

import time

from apache_beam import pvalue

import transforms.beam_steps as steps
from pipeline.local_pubsub import ANNOTATE_MAX_HELPERS, AnnotatePool, annotate_helpers
from tests.test_streaming_memory_zone import batch
from transforms.beam_steps import AnnotateArticles
from transforms.nlp_defaults import DEFAULT_COMPONENTS, DEFAULT_MODEL

PARAMS = {"model": DEFAULT_MODEL, "components": tuple(DEFAULT_COMPONENTS), "batch_size": 8,
          "max_nlp_chars": 300_000, "row_lists": False}


def outputs(fn: AnnotateArticles, rows: list[dict]) -> list:
    """Every output, tagged, in a canonical order (the pool may return the chunks in another order)."""
    out = []
    for o in fn.process([dict(r) for r in rows]):
        tag, value = (o.tag, o.value) if isinstance(o, pvalue.TaggedOutput) else ("articles", o)
        out.append((tag, sorted(value.items())))
    return sorted(out, key=repr)


def test_a_batch_spread_over_a_helper_gives_the_same_rows():
    fn = AnnotateArticles(**PARAMS)
    fn.setup()
    rows = batch(7, n=12)
    here = outputs(fn, rows)
    pool = AnnotatePool(helpers=1)
    pool.install(PARAMS)
    try:
        assert pool.offload == steps.ANNOTATE_OFFLOAD
        deadline = time.monotonic() + 180
        while not pool.helpers[0].is_ready():
            assert time.monotonic() < deadline and not pool.helpers[0].broken, "the helper did not load the model"
            time.sleep(0.2)
        assert outputs(fn, rows) == here
        assert pool.batches_spread == 1
        # a helper that dies: its share is annotated here, the batch is whole, the helper is dropped
        pool.helpers[0].proc.kill()
        pool.helpers[0].proc.wait()
        assert outputs(fn, rows) == here
        assert pool.helpers == []
        assert outputs(fn, rows) == here  # no helper left: all annotated here
    finally:
        pool.uninstall()
    assert steps.ANNOTATE_OFFLOAD is None


def test_no_helpers_installs_nothing():
    pool = AnnotatePool(helpers=0)
    pool.install(PARAMS)
    assert steps.ANNOTATE_OFFLOAD is None and pool.helpers == []
    pool.uninstall()


def test_one_helper_per_core_beyond_the_first():
    # a stream's spaCy processes are --direct_num_workers (one per core by default, as for a batch run)
    assert annotate_helpers(1) == 0 and annotate_helpers(0) == 0
    assert annotate_helpers(2) == 1 and annotate_helpers(4) == 3
    assert annotate_helpers(100) == ANNOTATE_MAX_HELPERS


def test_a_local_stream_gets_one_spacy_process_per_core_unless_told():
    from apache_beam.options.pipeline_options import DirectOptions

    from pipeline.arguments import default_local_workers
    from pipeline.launch import pipeline_options

    told = pipeline_options(["--direct_num_workers=1"], "local", streaming=True)
    assert told.view_as(DirectOptions).direct_num_workers == 1
    default = pipeline_options([], "local", streaming=True)
    assert default.view_as(DirectOptions).direct_num_workers == default_local_workers()
