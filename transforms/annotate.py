"""One spaCy pass per article serves both entities and quotes; out come plain rows, never Docs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from transforms.entities import extract_entities
from transforms.quotes import extract_quotes


def rows_from_doc(doc: Doc, text: str | None = None) -> tuple[list[dict], list[dict]]:
    """(entity rows, quote rows) of one parsed article; offsets index doc.text.

    text: the string the doc was made from, if at hand (spaCy keeps it exactly, and Doc.text
    rebuilds it by joining every token)."""
    mentions = extract_entities(doc)
    text = doc.text if text is None else text
    quotes = extract_quotes(doc, mentions, text)
    return [m.as_row() for m in mentions], [q.as_row(text) for q in quotes]


def annotate_texts(nlp: Language, texts: Iterable[str], batch_size: int = 32) -> Iterator[tuple[list, list]]:
    """rows_from_doc for each text, through nlp.pipe in batches."""
    for doc in nlp.pipe(texts, batch_size=batch_size):
        yield rows_from_doc(doc)
