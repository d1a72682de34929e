"""Thin Beam wrappers around the pure text functions: each DoFn does one stage and dead-letters
whatever that stage cannot handle, tagged ERRORS, with the raw payload and the reason."""

from __future__ import annotations

import gc
import logging
import time
import traceback
from typing import Any

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from transforms.article import prepare_article
from transforms.memory import keep_freed_memory_for_reuse, release_free_memory
from transforms.parse import parse_input
from transforms.records import METRICS_NAMESPACE, StageError, error_row, utcnow

ERRORS = "errors"
ENTITIES = "entities"
QUOTES = "quotes"
LOG = logging.getLogger(__name__)
NAMESPACE = METRICS_NAMESPACE
# Parsing fragments the heap: hand free pages back now and then. Not often: each trim also returns the
# batch memory kept for reuse (keep_freed_memory_for_reuse), which the next batches fault in again.
TRIM_EVERY_ARTICLES = 500


def _unexpected(stage: str, exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno}" if last else ""
    return f"unexpected {type(exc).__name__}{where}: {exc}"


class ParseInput(beam.DoFn):
    """Raw input -> raw article (keeps the payload for later dead-lettering)."""

    def __init__(self, max_input_bytes: int):
        self.max_input_bytes = max_input_bytes
        self.inputs = Metrics.counter(NAMESPACE, "inputs")

    def process(self, raw: dict[str, Any]):
        self.inputs.inc()
        try:
            article = parse_input(raw, max_bytes=self.max_input_bytes)
        except StageError as exc:
            yield pvalue.TaggedOutput(ERRORS, error_row(raw, exc.stage, exc.reason))
            return
        except Exception as exc:  # noqa: BLE001 - any failure must become an errors row
            yield pvalue.TaggedOutput(ERRORS, error_row(raw, "parse", _unexpected("parse", exc)))
            return
        article["_raw"] = raw
        yield article


class CleanArticle(beam.DoFn):
    """Raw article -> cleaned articles row with id, hash, language and dt.

    Counts the HTML pages per extractor that gave their body (Beam counters `extractor_<name>`, e.g.
    extractor_trafilatura-baseline, extractor_trafilatura-precision+uncleaned)."""

    def __init__(self, pipeline_version: str):
        self.pipeline_version = pipeline_version
        self.clean_ms = Metrics.counter(NAMESPACE, "clean_ms")

    def process(self, article: dict[str, Any]):
        raw = article.pop("_raw")
        started = time.perf_counter()
        try:
            row = prepare_article(article, utcnow(), self.pipeline_version)
        except StageError as exc:
            yield pvalue.TaggedOutput(ERRORS, error_row(raw, exc.stage, exc.reason))
            return
        except Exception as exc:  # noqa: BLE001
            yield pvalue.TaggedOutput(ERRORS, error_row(raw, "clean", _unexpected("clean", exc)))
            return
        finally:
            self.clean_ms.inc(int((time.perf_counter() - started) * 1000))
        if row.get("extractor"):
            Metrics.counter(NAMESPACE, f"extractor_{row['extractor']}").inc()
        row["_raw"] = raw
        yield row


# Set only by the local streaming runner's adapter (pipeline/local_pubsub.py, AnnotatePool): a function
# (dofn, rows) -> AnnotateArticles.analyse's results for those rows, or None to analyse them here. Beam 2.77's
# local runner runs one bundle at a time on one thread, so the adapter has helper processes analyse the
# articles as soon as they are pulled. Never set on Dataflow, where each worker already runs one SDK process
# per core.
ANNOTATE_OFFLOAD = None


class AnnotateArticles(beam.DoFn):
    """Batches of cleaned articles -> articles, entities and quotes rows, one spaCy pass each.

    The model is loaded once per worker process in setup(). An article whose language is not the
    model's skips NER and quotes with the reason in `nlp_status` instead of producing garbage.
    With row_lists, ENTITIES and QUOTES carry one list of rows per article (none when empty) instead
    of one element per row: a batch job moves ~40 times fewer elements between its stages.
    """

    def __init__(self, model: str, components: tuple[str, ...], batch_size: int, max_nlp_chars: int = 300_000,
                 row_lists: bool = False):
        self.row_lists = row_lists
        self.model = model
        self.components = tuple(components)
        self.batch_size = batch_size
        self.max_nlp_chars = max_nlp_chars
        self.nlp = None
        self.model_version = model
        self.articles_since_trim = 0
        self.nlp_ms = Metrics.counter(NAMESPACE, "annotate_spacy_ms")
        self.rows_ms = Metrics.counter(NAMESPACE, "annotate_rules_ms")

    def setup(self):
        # spaCy is imported here, not at module level: the launching process and the stages before
        # this one never need it.
        from transforms.nlp_model import load_model

        release_free_memory()  # what the earlier stages left behind in this worker, before the model
        keep_freed_memory_for_reuse()
        self.nlp = load_model(self.model, self.components)
        # Language.meta is rebuilt (labels of every component) on each access: read it once.
        self.model_version = f"{self.nlp.meta.get('name')}-{self.nlp.meta.get('version')}"
        # The model's objects live as long as the worker: move them out of the collector's sight,
        # or every full collection rescans them (about 5% of the spaCy step's CPU time).
        gc.freeze()

    def process(self, batch: list[dict[str, Any]]):
        """The outputs of one batch: articles rows (with nlp_status), and their entities and quotes rows."""
        todo = []
        for row in batch:
            skipped = self.skip_reason(row)
            if skipped:
                row["nlp_status"] = skipped
                yield self._article(row)
            else:
                todo.append(row)
        if not todo:
            return
        offload = ANNOTATE_OFFLOAD
        # only ever set by the local runner's adapter (pipeline/local_pubsub.py): it may hold rows already
        analysed = offload(self, todo) if offload is not None else None
        if analysed is None:
            analysed = self.analyse([r["text"] for r in todo], [r.get("title") or None for r in todo])
        for row, result in zip(todo, analysed, strict=True):
            if isinstance(result, BaseException):
                yield pvalue.TaggedOutput(ERRORS, error_row(row["_raw"], "annotate", _unexpected("annotate", result)))
                continue
            row["nlp_status"] = "ok"
            row["model"] = self.model_version
            for tag, rows in zip((ENTITIES, QUOTES), result, strict=True):
                for r in rows:
                    r.update(article_id=row["article_id"], dt=row["dt"])
                    if "attribution_id" in r:  # fragments of one quotation: unique across articles
                        r["attribution_id"] = f"{row['article_id']}:{r['attribution_id']}"
                if self.row_lists:
                    if rows:
                        yield pvalue.TaggedOutput(tag, rows)
                else:
                    for r in rows:
                        yield pvalue.TaggedOutput(tag, r)
            yield self._article(row)

    def skip_reason(self, row: dict[str, Any]) -> str | None:
        """Why the article gets no spaCy pass (its `nlp_status`), or None."""
        lang = (row.get("language") or "").split("-")[0].lower()
        if lang and lang != self.nlp.lang:
            return f"skipped: language '{lang}' is not the model's '{self.nlp.lang}'"
        if len(row["text"]) > self.max_nlp_chars:
            # spaCy's parser needs about 1 GB per 100k characters: keep the article, skip NLP.
            return f"skipped: text has {len(row['text'])} characters, over --max_nlp_chars {self.max_nlp_chars}"
        return None

    def analyse(self, texts: list[str], titles: list[str | None]) -> list[tuple[list, list] | BaseException]:
        """(entity rows, quote rows) per text and its title, from one spaCy pass; an article that fails
        gets its exception instead. Plain data in and out: the local runner's helper processes call this."""
        from transforms.annotate import docs_with_titles, rows_from_doc
        from transforms.nlp_model import exclusive_use

        nlp = self.nlp
        self.articles_since_trim += len(texts)
        if self.articles_since_trim >= TRIM_EVERY_ARTICLES:
            self.articles_since_trim = 0
            release_free_memory()
        results: list[tuple[list, list] | BaseException] = []
        # A long-running worker (a stream) meets new words forever, and spaCy keeps every string and
        # lexeme it has seen in the shared vocab: memory would grow without bound. Inside a memory zone
        # the strings and lexemes a batch adds are dropped when the batch ends. Only plain rows (Python
        # strings and ints) leave this block, never a Doc, Span or hash of a transient string.
        # The zone is exclusive: the model is shared by the worker's threads (see exclusive_use).
        with exclusive_use(nlp), nlp.memory_zone():
            started = time.perf_counter()
            try:
                # one nlp.pipe call parses each article's text and its headline (headline quotes)
                docs = docs_with_titles(nlp, texts, titles, self.batch_size)
            except Exception:  # noqa: BLE001 - retry one by one so one bad article cannot sink a batch
                docs = [(None, None)] * len(texts)
            self.nlp_ms.inc(int((time.perf_counter() - started) * 1000))
            for text, title, (doc, title_doc) in zip(texts, titles, docs, strict=True):
                try:
                    if doc is None:
                        doc = nlp(text)
                        title_doc = nlp(title) if title else None
                    started = time.perf_counter()
                    results.append(rows_from_doc(doc, text, title_doc, title))
                    self.rows_ms.inc(int((time.perf_counter() - started) * 1000))
                except Exception as exc:  # noqa: BLE001 - the article becomes an errors row
                    results.append(exc)
        return results

    def _article(self, row: dict[str, Any]) -> dict[str, Any]:
        row = dict(row)
        row.pop("_raw", None)
        return row
