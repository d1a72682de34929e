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
    return [w for w in _POSSESSIVE.sub("", text).split() if w]


def _plain_canonical(text: str) -> str:
    text = _POSSESSIVE.sub("", text.strip())
    return re.sub(r"^(the|The)\s+", "", text)


def extract_entities(doc: Doc) -> list[Mention]:
    """All entity mentions of the doc, surnames linked to full names, labels consistent per name."""
    ents: list[Span] = list(doc.ents)
    full_names: dict[str, str] = {}  # surname or first name -> full name (most recent wins)
    for ent in ents:
        words = _name_words(ent.text)
        if ent.label_ == "PERSON" and len(words) >= 2 and all(_NAME_WORD.match(w) for w in words):
            full = " ".join(words)
            full_names[words[-1]] = full
            full_names.setdefault(words[0], full)
    covered = {i for ent in ents for i in range(ent.start, ent.end)}
    spans = [(ent.start, ent.end, ent.label_) for ent in ents]
    # Surname mentions the model missed entirely.
    for tok in doc:
        if tok.i not in covered and tok.text in full_names and tok.is_title and tok.text != full_names[tok.text]:
            spans.append((tok.i, tok.i + 1, "PERSON"))
    spans.sort()

    canonical_of: list[str] = []
    for start, end, label in spans:
        text = doc[start:end].text
        words = _name_words(text)
        key = " ".join(words)
        if label in NAME_LABELS and words and (key in full_names.values() or (len(words) == 1 and key in full_names)):
            canonical_of.append(key if key in full_names.values() else full_names[key])
        elif label == "PERSON" and words and words[-1] in full_names and all(w in full_names[words[-1]] for w in words):
            canonical_of.append(full_names[words[-1]])
        else:
            canonical_of.append(_plain_canonical(text) if label in NAME_LABELS else text)

    person_names = set(full_names.values())
    votes: dict[str, Counter] = defaultdict(Counter)
    for (_, _, label), canonical in zip(spans, canonical_of, strict=True):
        votes[canonical][label] += 1
    label_of = {
        canonical: ("PERSON" if canonical in person_names else counter.most_common(1)[0][0])
        for canonical, counter in votes.items()
    }
    mentions = []
    for (start, end, _), canonical in zip(spans, canonical_of, strict=True):
        span = doc[start:end]
        mentions.append(
            Mention(span.start_char, span.end_char, span.text, label_of[canonical], canonical, start, end)
        )
    return mentions
