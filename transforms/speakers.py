"""Resolve a speaker mention to a canonical name: names, pronouns, descriptions, earlier paragraphs.

  * a mention containing a named entity -> that entity's canonical name ("Carney" -> "Mark Carney");
  * he/she -> the most recent person, preferring people who were the subject of a recent sentence;
  * a description ("the Ukrainian president", "the ministry") -> the person whose title or appositive
    shares its head noun, scored on its modifiers ("Ukrainian" ~ "Ukraine's"), or the organisation
    whose name contains it.
"""

from __future__ import annotations

import bisect
import re

from spacy.tokens import Doc, Span, Token

from transforms.entities import Mention

PERSONAL = {"he", "she", "him", "her", "i"}
GROUP = {"it"}
SPEAKING_LABELS = ("PERSON", "ORG", "GPE", "NORP")
ORG_NOUNS = {"company", "firm", "group", "organisation", "organization", "agency", "department", "ministry",
             "campaign", "committee", "party", "council", "court", "government", "union", "bank", "office",
             "administration", "board", "authority", "commission", "team", "club", "police", "school",
             "university", "hospital", "service", "network", "newspaper", "airline", "league", "federation"}
_PREFIX = 5
MAX_MENTION_TOKENS = 25


def mention_span(head: Token) -> Span:
    """The mention as written: the whole noun phrase around its head, appositions and relative clauses
    included ("Vin Weber, a lobbyist and former congressman"), as attribution corpora mark sources. A
    phrase the parser made implausibly long falls back to the head with its left modifiers and name parts."""
    doc = head.doc
    start = head.left_edge.i
    end = head.right_edge.i + 1
    while end > head.i + 1 and (doc[end - 1].is_punct or doc[end - 1].is_space):
        end -= 1
    while start < head.i and (doc[start].is_punct or doc[start].is_space):
        start += 1
    if end - start <= MAX_MENTION_TOKENS:
        return doc[start:end]
    for tok in doc[start : head.i]:
        if tok.text in (",", "(", ")", "—", "–", "--") or tok.dep_ in ("relcl", "acl", "appos"):
            start = tok.i + 1
    while start < head.i and (doc[start].is_punct or doc[start].is_space):
        start += 1
    end = head.i + 1
    while end < len(doc) and doc[end].dep_ in ("compound", "flat") and doc[end].head.i == head.i:
        end += 1
    return doc[start:end]


def _stem(word: str) -> str:
    return re.sub(r"['’]s$", "", word.lower())[:_PREFIX]


class SpeakerResolver:
    def __init__(self, doc: Doc, mentions: list[Mention], mask: bytearray):
        self.doc = doc
        self.mask = mask
        self.mentions = [m for m in mentions if m.label in SPEAKING_LABELS]
        self.persons = [m for m in self.mentions if m.label == "PERSON" and not mask[m.start_char]]
        self.person_starts = [m.start_char for m in self.persons]
        self.titles = self._titles()

    # ------------------------------------------------------------------ public
    def resolve(self, span: Span | None) -> str | None:
        if span is None or not len(span):
            return None
        named = self._entity_in(span)
        if named is not None:
            return named.canonical
        head = span.root
        word = head.lower_
        if word in PERSONAL:
            return self._recent_person(span.start_char)
        if word in GROUP:
            org = self._recent(span.start_char, ("ORG",))
            return org.canonical if org else None
        return self._describe(span)

    def previous_paragraph_speaker(self, para_start: int) -> Span | None:
        """The person the previous paragraph ended on: subject of its last sentence, if a person."""
        doc = self.doc
        prev_end = para_start - 1
        while prev_end > 0 and doc.text[prev_end - 1].isspace():
            prev_end -= 1
        if prev_end <= 0:
            return None
        last = doc.char_span(max(0, prev_end - 1), prev_end, alignment_mode="expand")
        if last is None:
            return None
        sent = last[0].sent
        for tok in sent:
            if tok.dep_ in ("nsubj", "nsubjpass") and tok.head.dep_ == "ROOT" and not self.mask[tok.idx]:
                span = mention_span(tok)
                if tok.lower_ in PERSONAL or (self._entity_in(span) and self._entity_in(span).label == "PERSON"):
                    return span
        return None

    # ------------------------------------------------------------------ helpers
    def _entity_in(self, span: Span) -> Mention | None:
        head = span.root.idx
        inside = [m for m in self.mentions if m.start_char <= head < m.end_char]
        if not inside:
            return None
        inside.sort(key=lambda m: (m.label != "PERSON", not (m.start_char <= head < m.end_char), -m.end_char))
        return inside[0]

    def _recent(self, before: int, labels: tuple[str, ...]) -> Mention | None:
        best = None
        for m in self.mentions:
            if m.start_char >= before:
                break
            if m.label in labels and not self.mask[m.start_char]:
                best = m
        return best

    def _recent_person(self, before: int) -> str | None:
        i = bisect.bisect_left(self.person_starts, before)
        if i == 0:
            return None
        doc = self.doc
        here = doc.char_span(before, before + 1, alignment_mode="expand")
        sent_start = here[0].sent.start if here is not None and len(here) else 0
        # a person who is the subject of this or one of the two previous sentences wins
        window_start = sent_start
        for _ in range(2):
            if window_start > 0:
                window_start = doc[window_start - 1].sent.start
        for m in reversed(self.persons[:i]):
            if m.start_token < window_start:
                break
            head = doc[m.end_token - 1]
            if head.dep_ in ("nsubj", "nsubjpass") or doc[m.start_token].dep_ in ("nsubj", "nsubjpass"):
                return m.canonical
        return self.persons[i - 1].canonical

    def _titles(self) -> dict[str, set[str]]:
        """canonical person -> words of their titles and appositives ("ukraine", "president")."""
        doc = self.doc
        out: dict[str, set[str]] = {}
        for m in self.persons:
            head = doc[m.end_token - 1]
            words: set[str] = set()
            start = m.start_token
            while start > 0 and (doc[start - 1].dep_ in ("compound", "amod", "poss", "case", "nmod", "punct")
                                 and doc[start - 1].text not in ",(“\"" and doc[start - 1].head.i >= start - 1):
                start -= 1
                words.add(doc[start].lower_)
            for child in head.children:
                if child.dep_ == "appos":
                    words.update(t.lower_ for t in child.subtree if t.is_alpha)
            if head.dep_ == "appos":
                words.update(t.lower_ for t in head.head.subtree if t.is_alpha and t.i < m.start_token)
            words = {w for w in words if w.isalpha() and w not in ("the", "a", "an", "of", "s")}
            if words:
                out.setdefault(m.canonical, set()).update(words)
        return out

    def _describe(self, span: Span) -> str | None:
        words = [t.lower_ for t in span if t.is_alpha and t.lower_ not in ("the", "a", "an")]
        if not words:
            return None
        head = span.root.lower_
        if head in ORG_NOUNS:
            for m in reversed([m for m in self.mentions if m.start_char < span.start_char and m.label == "ORG"]):
                if head in m.text.lower() or head in ("company", "firm", "group", "campaign"):
                    return m.canonical
            return None
        best: tuple[int, int, str] | None = None
        order = {m.canonical: i for i, m in enumerate(self.persons) if m.start_char < span.start_char}
        for canonical, title in self.titles.items():
            if head not in title or canonical not in order:
                continue
            stems = {_stem(w) for w in title}
            score = sum(1 for w in words if w != head and _stem(w) in stems)
            cand = (score, order[canonical], canonical)
            if best is None or cand > best:
                best = cand
        return best[2] if best else None
