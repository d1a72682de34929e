"""The pipeline graph, shared by batch and streaming: raw inputs in, four tables of rows out.

    raw inputs -> parse -> clean -> dedup -> mark near-copies -> reshuffle -> batch -> annotate (one spaCy pass)
         \\___________ any failure, with stage + reason + raw payload ___________> errors

Batch decides dedup and near-copies on small key records and applies them after the reshuffle
(transforms.dedup.DeduplicateBatch); a stream dedups with per-key state and marks copies per window.
"""

from __future__ import annotations

import dataclasses

import apache_beam as beam

from pipeline import pipeline_version as code_version
from transforms.beam_steps import ENTITIES, ERRORS, QUOTES, AnnotateArticles, CleanArticle, ParseInput
from transforms.dedup import DUPLICATES, ID_CLASHES, DeduplicateBatch
from transforms.near_duplicates import DEFAULT_THRESHOLD, MarkNearDuplicates
from transforms.nlp_defaults import DEFAULT_COMPONENTS, DEFAULT_MODEL
from transforms.windowing import InGlobalWindow

# The tables ProcessArticles(row_lists=True) gives as one list of rows per article.
ROW_LIST_TABLES = (ENTITIES, QUOTES)


@dataclasses.dataclass(frozen=True)
class GraphConfig:
    model: str = DEFAULT_MODEL
    components: tuple[str, ...] = DEFAULT_COMPONENTS
    nlp_batch_size: int = 32
    max_input_bytes: int = 20_000_000
    max_nlp_chars: int = 300_000
    near_duplicate_threshold: float = DEFAULT_THRESHOLD  # 0 turns near-duplicate marking off
    pipeline_version: str = dataclasses.field(default_factory=code_version)


class ProcessArticles(beam.PTransform):
    """Raw inputs -> {'articles', 'entities', 'quotes', 'errors', 'duplicates'} PCollections of rows (and, in
    batch, 'id_clashes': one record per input given a distinct article_id)."""

    def __init__(self, config: GraphConfig, dedup: beam.PTransform | None = None, row_lists: bool = False):
        """dedup: the streaming dedup (DropRepeatedArticles); None for a bounded input.
        row_lists: 'entities' and 'quotes' hold one list of rows per article (see AnnotateArticles)."""
        super().__init__()
        self.config = config
        self.dedup = dedup
        self.row_lists = row_lists

    def expand(self, raw_inputs):
        cfg = self.config
        parsed = raw_inputs | "Parse" >> beam.ParDo(ParseInput(cfg.max_input_bytes)).with_outputs(
            ERRORS, main="articles")
        cleaned = parsed.articles | "Clean" >> beam.ParDo(CleanArticle(cfg.pipeline_version)).with_outputs(
            ERRORS, main="articles")
        if self.dedup is None:
            if not raw_inputs.is_bounded:
                raise ValueError("an unbounded input needs a streaming dedup (DropRepeatedArticles)")
            deduped = cleaned.articles | "Dedup" >> DeduplicateBatch(cfg.near_duplicate_threshold)
            spread = deduped["articles"]
        else:
            deduped = cleaned.articles | "Dedup" >> self.dedup
            unique = deduped["articles"]
            # Near-copies are marked (duplicate_of), not dropped. Grouping needs an end: in streaming this
            # is per window, and skipped for a stream left in the global window.
            windowed = unique.is_bounded or not isinstance(unique.windowing.windowfn, beam.window.GlobalWindows)
            if cfg.near_duplicate_threshold and windowed:
                unique = unique | "Near duplicates" >> MarkNearDuplicates(cfg.near_duplicate_threshold)
            # Without a reshuffle all work stays on the worker that read the messages.
            spread = unique | "Spread work" >> InGlobalWindow(beam.Reshuffle())  # Reshuffle drops a window's late rows
        annotated = (
            spread
            | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=cfg.nlp_batch_size)
            | "Annotate" >> beam.ParDo(
                AnnotateArticles(cfg.model, cfg.components, cfg.nlp_batch_size, cfg.max_nlp_chars, self.row_lists)
            ).with_outputs(ERRORS, ENTITIES, QUOTES, main="articles")
        )
        errors = (parsed[ERRORS], cleaned[ERRORS], annotated[ERRORS]) | "All errors" >> beam.Flatten()
        outputs = {
            "articles": annotated.articles,
            "entities": annotated[ENTITIES],
            "quotes": annotated[QUOTES],
            "errors": errors,
            DUPLICATES: deduped[DUPLICATES],
        }
        if self.dedup is None:  # batch: inputs whose article_id was made distinct (counted, not reconciled)
            outputs[ID_CLASHES] = deduped[ID_CLASHES]
        return outputs
