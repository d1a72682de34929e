"""Named entities from a spaCy Doc, with one canonical name and one label per person or thing.

The small model often labels a bare surname ("Carney") as a place or misses it. Inside one
article a surname almost always refers back to the full name introduced earlier, so we link
surname and first-name mentions to the full PERSON name and make their labels agree.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from spacy.tokens import Doc, Span

NAME_LABELS = {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}
_POSSESSIVE = re.compile(r"(['’]s|['’])$")
_NAME_WORD = re.compile(r"^[A-Z][\w'’.-]*$")
HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "sen", "senator", "rep", "gov", "governor", "president", "sir",
              "dame", "lord", "lady", "prof", "gen", "col", "capt", "lt", "sgt", "rev", "judge", "justice", "mayor"}


@dataclass(frozen=True)
class Mention:
    start_char: int
    end_char: int
    text: str
    label: str
    canonical: str
    start_token: int
    end_token: int

    def as_row(self) -> dict:
        return {
            "text": self.text,
            "label": self.label,
            "start_char": self.start_char,
            "end_char": self.end_char,
            "canonical": self.canonical,
        }


def _name_words(text: str) -> list[str]:
    """The words of a name without a possessive and without leading honorifics ("Mrs. Clinton's" -> Clinton)."""
    words = [w for w in _POSSESSIVE.sub("", text).split() if w]
    while len(words) > 1 and words[0].rstrip(".").lower() in HONORIFICS:
        words = words[1:]
    return words


def _plain_canonical(text: str) -> str:
    text = _POSSESSIVE.sub("", text.strip())
    return re.sub(r"^(the|The)\s+", "", text)


def _is_full_name(words: list[str]) -> bool:
    return len(words) >= 2 and all(_NAME_WORD.match(w) for w in words)


def extract_entities(doc: Doc) -> list[Mention]:
    """All entity mentions of the doc, surnames linked to full names, labels consistent per name.

    A short mention ("Clinton", "Mrs. Clinton") goes to the most recent full name before it that ends
    or starts with it ("Hillary Clinton" after "Bill Clinton" was last named), else to the first one after it.
    """
    ents: list[Span] = list(doc.ents)
    known: set[str] = set()  # surnames and first names of full PERSON names
    for ent in ents:
        words = _name_words(ent.text)
        if ent.label_ == "PERSON" and _is_full_name(words):
            known.update((words[0], words[-1]))
    covered = {i for ent in ents for i in range(ent.start, ent.end)}
    spans = [(ent.start, ent.end, ent.label_) for ent in ents]
    # Surname mentions the model missed entirely.
    for tok in doc:
        if tok.i not in covered and tok.is_title and tok.text in known:
            spans.append((tok.i, tok.i + 1, "PERSON"))
    spans.sort()

    texts = [doc[start:end].text for start, end, _ in spans]
    names = [_name_words(text) for text in texts]
    full_at = [" ".join(w) if label == "PERSON" and _is_full_name(w) else None
               for (_, _, label), w in zip(spans, names, strict=True)]
    person_names = {f for f in full_at if f}
    canonical_of: list[str] = []
    for k, ((_, _, label), words, text) in enumerate(zip(spans, names, texts, strict=True)):
        key = " ".join(words)
        linked = None
        if words and label in NAME_LABELS and key not in person_names and (label == "PERSON" or len(words) == 1):
            linked = _link(words, full_at, k)
        if full_at[k] or key in person_names:
            canonical_of.append(key)
        elif linked:
            canonical_of.append(linked)
        else:
            canonical_of.append(_plain_canonical(text) if label in NAME_LABELS else text)

    votes: dict[str, Counter] = defaultdict(Counter)
    for (_, _, label), canonical in zip(spans, canonical_of, strict=True):
        votes[canonical][label] += 1
    label_of = {
        canonical: ("PERSON" if canonical in person_names else counter.most_common(1)[0][0])
        for canonical, counter in votes.items()
    }
    mentions = []
    for (start, end, _), canonical, text in zip(spans, canonical_of, texts, strict=True):
        start_char = doc[start].idx
        mentions.append(
            Mention(start_char, start_char + len(text), text, label_of[canonical], canonical, start, end)
        )
    return mentions


def _link(words: list[str], full_at: list[str | None], k: int) -> str | None:
    """The full name a partial one refers to: the nearest one before it, else the first one after it."""

    def fits(full: str) -> bool:
        parts = full.split()
        return words[-1] in (parts[-1], parts[0]) and all(w in parts for w in words)

    for full in reversed(full_at[:k]):
        if full and fits(full):
            return full
    return next((full for full in full_at[k + 1 :] if full and fits(full)), None)
