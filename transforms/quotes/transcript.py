"""Transcripts: 'PENCE: Well, look, ...' turns of an interview or a debate printed in an article.

A paragraph that opens with a speaker label in capitals and a colon is that speaker's turn; paragraphs
without a label that lie between two turns carry the turn on (fragments of one attribution). It takes
two labelled paragraphs to make a transcript, so a lone "UPDATE:" or "WASHINGTON:" is none.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc

from transforms.cues import SPEECH
from transforms.quotes.model import Quote
from transforms.speakers import SpeakerResolver, proper_name

# the label may follow the quote mark that opens each paragraph of a quoted transcript ('"PENCE: Well, ...');
# it is in capitals ("PENCE", "CHRIS WALLACE") or a name the article gives ("Matthews", "Luciana Lopez")
LABEL = re.compile(r"^[ \t]*[\"“]?([A-Z][A-Z.'’\- ]{1,38}[A-Z.]|[A-Z][a-z'’\-]+(?: [A-Z][a-z.'’\-]+){0,2})"
                   r":[ \t]+(?=\S)", re.M)
NOT_SPEAKERS = {"UPDATE", "UPDATED", "BREAKING", "EXCLUSIVE", "WATCH", "VIDEO", "LIVE", "NOTE", "EDITOR'S NOTE",
                "CORRECTION", "PHOTOS", "RELATED", "READ MORE", "SEE ALSO", "Q", "A"}
MIN_TURNS = 2


def transcript_quotes(doc: Doc, text: str, resolver: SpeakerResolver) -> list[Quote]:
    """One direct quote per turn of a transcript, its speaker the label ("PENCE" -> "Mike Pence")."""
    names = {w for m in resolver.mentions if m.label in ("PERSON", "ORG") for w in m.text.split()}
    labels = [m for m in LABEL.finditer(text) if m.group(1).strip().upper() not in NOT_SPEAKERS
              and (m.group(1).isupper() or all(w in names for w in m.group(1).split()))]
    if len(labels) < MIN_TURNS:
        return []
    quotes = []
    for k, m in enumerate(labels):
        last_turn = k + 1 == len(labels)
        stop = len(text) if last_turn else labels[k + 1].start()
        parts = []
        for para in re.finditer(r"[^\n]+", text[m.end() : stop]):
            start, end = m.end() + para.start(), m.end() + para.end()
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                parts.append((start, end))
            if last_turn:
                break  # after the last turn, narration may follow: the turn is its own paragraph
        if not parts:
            continue
        speaker = doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
        if speaker is None:
            continue
        canonical = _named(resolver, m.group(1)) or resolver.resolve(speaker) or _as_name(m.group(1))
        quotes.append(Quote(parts[0][0], parts[-1][1], "direct", speaker.text, canonical, ":", SPEECH,
                            speaker.start_char, tuple(parts)))
    return quotes


def _named(resolver: SpeakerResolver, label: str) -> str | None:
    """The person of the article the label names by surname ("PENCE" -> "Mike Pence")."""
    words = label.replace(".", " ").split()
    for m in resolver.persons:
        if m.canonical.lower().split()[-1:] == [words[-1].lower()]:
            return m.canonical
    return None


def _as_name(label: str) -> str | None:
    """The label written as a name ("CHRIS WALLACE" -> "Chris Wallace")."""
    return proper_name(label.title()) if len(label.split()) <= 3 else None
