"""One spaCy pass per article serves both entities and quotes; out come plain rows, never Docs.

A headline is parsed in the same `nlp.pipe` call as its article's text (one more, short, Doc in the
same batch: `docs_with_titles`), so headline quotes cost no second pass over the article."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from transforms.entities import extract_entities
from transforms.quote_marks import find_quoted, quoted_mask
from transforms.quotes import extract_quotes, quote_rows, title_quotes


def rows_from_doc(doc: Doc, text: str | None = None, title_doc: Doc | None = None,
                  title: str | None = None) -> tuple[list[dict], list[dict]]:
    """(entity rows, quote rows) of one parsed article; offsets index doc.text, or the title for quote
    rows with `in_title` (title_doc: the parsed headline, if any; title: its text).

    text: the string the doc was made from, if at hand (spaCy keeps it exactly, and Doc.text
    rebuilds it by joining every token)."""
    mentions = extract_entities(doc)
    text = doc.text if text is None else text
    quotes = extract_quotes(doc, mentions, text)
    rows: list[dict] = []
    if title_doc is not None:
        title = title_doc.text if title is None else title
        found = title_quotes(title_doc, extract_entities(title_doc), title, mentions)
        rows += quote_rows(found, title, quoted_mask(title, find_quoted(title, single=True)), in_title=True)
    rows += quote_rows(quotes, text, quoted_mask(text, find_quoted(text)))
    return [m.as_row() for m in mentions], rows


def docs_with_titles(nlp: Language, texts: list[str], titles: list[str | None],
                     batch_size: int = 32) -> list[tuple[Doc, Doc | None]]:
    """(text Doc, title Doc or None) per article, from one nlp.pipe call over texts and titles together."""
    stream = [s for text, title in zip(texts, titles, strict=True) for s in ((text, title) if title else (text,))]
    docs = iter(nlp.pipe(stream, batch_size=batch_size))
    return [(next(docs), next(docs) if title else None) for title in titles]


def annotate_texts(nlp: Language, texts: Iterable[str], batch_size: int = 32,
                   titles: Iterable[str | None] | None = None) -> Iterator[tuple[list, list]]:
    """rows_from_doc for each text (and its title, if given), through nlp.pipe in batches."""
    texts = list(texts)
    titles = list(titles) if titles is not None else [None] * len(texts)
    for text, title, (doc, title_doc) in zip(texts, titles, docs_with_titles(nlp, texts, titles, batch_size),
                                             strict=True):
        yield rows_from_doc(doc, text, title_doc, title)
