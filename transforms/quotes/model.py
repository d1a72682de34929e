"""The row model: immutable quotes and attributions, and the table rows they become.

A `Quote` is one attribution: its content is one or more fragments (`parts`) of the text, e.g. the two
pieces of "“A,” she said. “B.”". Each fragment becomes one row of the quotes table; the rows of one
quote share an `attribution_id`, speaker, cue and cue_type. Nothing is changed once made: a rule that
extends a quote makes a new one (`dataclasses.replace`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from spacy.tokens import Span, Token

from transforms.cues import SPEECH, cue_lemma, direct_cue_type

if TYPE_CHECKING:
    from transforms.speakers import SpeakerResolver


@dataclass(frozen=True)
class Attribution:
    """Who a content is attributed to, through which cue."""

    cue: Token | None
    cue_text: str | None
    speaker_span: Span | None
    antecedent: Span | None = None  # what a relative pronoun speaker ("who") refers to
    cue_type: str = SPEECH


@dataclass(frozen=True)
class Candidate:
    """Reported speech found at a cue: the attribution and the character span of its content."""

    attr: Attribution
    start: int
    end: int
    construction: str
    parts: tuple[tuple[int, int], ...] = ()  # the content on both sides of a cue inside it


@dataclass(frozen=True)
class Quote:
    start_char: int
    end_char: int
    kind: str  # direct / partial / indirect
    speaker: str | None
    speaker_canonical: str | None
    cue: str | None
    cue_type: str = SPEECH
    speaker_start: int | None = None
    parts: tuple[tuple[int, int], ...] = ()  # the fragments of the quote, narration left out
    fallback: Quote | None = None  # what to keep instead if this quote loses to an overlapping one

    def pieces(self) -> tuple[tuple[int, int], ...]:
        return self.parts or ((self.start_char, self.end_char),)


def make_quote(resolver: SpeakerResolver, start: int, end: int, kind: str, attr: Attribution | None,
               parts: tuple[tuple[int, int], ...] = (), fallback: Quote | None = None) -> Quote:
    """A quote of `attr` over text[start:end] (its fragments `parts`), its speaker resolved.

    Words in quote marks were said unless the cue says thought or found ("“...,” he thought"); reported
    speech keeps the cue_type its construction gave it."""
    if attr is None:
        return Quote(start, end, kind, None, None, None, SPEECH, None, parts, fallback)
    if kind == "direct":
        kind_of_cue = direct_cue_type(cue_lemma(attr.cue.text)) if attr.cue is not None else SPEECH
    else:
        kind_of_cue = attr.cue_type
    span = attr.speaker_span
    if span is None:
        return Quote(start, end, kind, None, None, attr.cue_text, kind_of_cue, None, parts, fallback)
    canonical = resolver.resolve(attr.antecedent if attr.antecedent is not None else span,
                                 speech=kind_of_cue == SPEECH)
    return Quote(start, end, kind, span.text, canonical, attr.cue_text, kind_of_cue, span.start_char, parts, fallback)


def quote_rows(quotes: list[Quote], text: str, mask: bytearray, in_title: bool = False) -> list[dict]:
    """Table rows of quotes over `text`: one per fragment, `text[start_char:end_char]` exactly.

    A fragment wholly inside quote marks is `direct`; other fragments keep their quote's kind. The
    attribution_id is local to the article ("b" body or "t" title, then the first and last offsets);
    the annotate step prefixes it with the article id."""
    rows = []
    for q in quotes:
        pieces = q.pieces()
        attribution_id = f"{'t' if in_title else 'b'}{pieces[0][0]}-{pieces[-1][1]}"
        for start, end in pieces:
            inside = all(mask[i] or not text[i].isalnum() for i in range(start, end))
            rows.append({
                "text": text[start:end],
                "kind": "direct" if inside and q.kind != "indirect" else q.kind,
                "start_char": start,
                "end_char": end,
                "speaker": q.speaker,
                "speaker_canonical": q.speaker_canonical,
                "cue": q.cue,
                "cue_type": q.cue_type,
                "attribution_id": attribution_id,
                "in_title": in_title,
            })
    return rows
