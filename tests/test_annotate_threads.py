"""Beam's SDK harness runs bundles on several threads of one worker process, all sharing the cached model:
annotating must stay correct when batches run at the same time (each batch's memory zone is exclusive)."""

from __future__ import annotations

import datetime as dt
import threading

from transforms.article import prepare_article
from transforms.beam_steps import ERRORS, AnnotateArticles
from transforms.nlp_defaults import DEFAULT_COMPONENTS, DEFAULT_MODEL
from transforms.parse import parse_input

TEXTS = [
    "“We will rebuild the harbour,” Mayor Ann Lee said on Monday in Lisbon.",
    "Tom Becker, the minister, told reporters that the Zorblatt{n} bridge would open in May.",
    "The Quuxley{n} Institute said prices rose. “It is a hard year,” Grace Mensah added.",
]


def rows(n: int) -> list[dict]:
    out = []
    for i in range(n):
        text = TEXTS[i % len(TEXTS)].format(n=i)  # new words: strings a memory zone adds, then drops
        raw = {"source_uri": f"mem://{i}", "payload": f"Story {i}\n\n{text}".encode(), "format": "txt"}
        row = prepare_article(parse_input(raw, 1_000_000), dt.datetime.now(dt.UTC), "test")
        row["_raw"] = raw
        out.append(row)
    return out


def test_concurrent_batches_on_one_model_all_succeed():
    workers = [AnnotateArticles(DEFAULT_MODEL, DEFAULT_COMPONENTS, 8, row_lists=True) for _ in range(3)]
    for w in workers:
        w.setup()
    assert len({id(w.nlp) for w in workers}) == 1  # one model per process, as in a worker
    errors: list = []
    done: list = []

    def run(worker: AnnotateArticles, offset: int) -> None:
        for k in range(6):
            batch = rows(4)
            for i, r in enumerate(batch):
                r["article_id"] = f"t{offset}-{k}-{i}"
            for out in worker.process(batch):
                tag = getattr(out, "tag", None)
                (errors if tag == ERRORS else done).append(out)

    failures: list = []

    def guarded(worker: AnnotateArticles, offset: int) -> None:
        try:
            run(worker, offset)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(w, n)) for n, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert failures == []
    assert [e.value["error"] for e in errors] == []
    assert sum(1 for d in done if isinstance(d, dict) and d.get("nlp_status") == "ok") == 3 * 6 * 4
