"""Quotes in a headline: the same rules as the body, plus the headline's own way of attributing.

  * "Pence: Gennifer Flowers Won't Be at Debate" / "Sanders: Clinton needs to 'get away from it'": a
    name (or a poll) before a colon says what follows it;
  * headlines quote in single marks ("Bill Clinton calls Obamacare ‘crazy system’"), which the body
    keeps for quotes inside quotes.
Rows of title quotes have `in_title` set and offsets into `articles.title`; their speakers resolve to
the names the body uses ("Pence" -> "Mike Pence" where the body names him so).
"""

from __future__ import annotations

from dataclasses import replace

from spacy.tokens import Doc, Span

from transforms.cues import EVIDENCE, SPEECH
from transforms.entities import Mention
from transforms.quote_marks import find_quoted, quoted_mask
from transforms.quotes.extract import extract_quotes
from transforms.quotes.model import Quote
from transforms.quotes.reported import POLL_NOUNS
from transforms.quotes.spans import CLOSE_MARKS, OPEN_MARKS
from transforms.speakers import SpeakerResolver, link_to_body, proper_name

# Section labels a headline starts with that say nothing: "The Latest: Trump urges ...", "Watch: ...".
LABELS = {"the latest", "latest", "update", "updated", "breaking", "breaking news", "exclusive", "watch", "video",
          "live", "analysis", "opinion", "editorial", "review", "explainer", "photos", "fact check", "factcheck",
          "podcast", "quiz", "recap", "timeline", "letters", "obituary", "q&a", "correction", "listen"}
SPEAKING = ("PERSON", "ORG", "NORP", "GPE")
MAX_SOURCE_TOKENS = 6


def title_quotes(doc: Doc, mentions: list[Mention], title: str, body: list[Mention] | None = None) -> list[Quote]:
    """The quotes of a headline parsed as `doc` (title: its text), speakers named as in the body."""
    quotes = extract_quotes(doc, mentions, title, single_quotes=True)
    colon = colon_quote(doc, mentions, title, body)
    if colon is not None:
        quotes = [q for q in quotes if q.end_char <= colon.start_char] + [colon]
    if body:
        quotes = [_named_as_in_body(q, body) for q in quotes]
    return quotes


def colon_quote(doc: Doc, mentions: list[Mention], title: str, body: list[Mention] | None = None) -> Quote | None:
    """'Pence: Gennifer Flowers Won't Be at Debate' -> Pence says the rest. The part before the colon is
    the source when it is a name ("Politifact", or "Pence" where the body names him), holds one ("Obama on
    Climate Change", "A lesson from Loretta Lynch") or is a poll; a section label ("The Latest") or a
    title-case phrase ("Stealth Over Health") is none."""
    marks = find_quoted(title, single=True)
    mask = quoted_mask(title, marks)
    colon = next((t for t in doc if t.text == ":" and not mask[t.idx]), None)
    if colon is None or colon.i == 0 or colon.i > MAX_SOURCE_TOKENS + 2:
        return None
    before = doc[: colon.i]
    if before.text.lower().strip() in LABELS:
        return None
    start = colon.idx + 1
    end = len(title.rstrip())
    while start < end and title[start].isspace():
        start += 1
    while end > start and title[end - 1] in " .;,":
        end -= 1
    while end > start and title[end - 1] in CLOSE_MARKS and not mask[end - 2]:
        end -= 1
    if sum(1 for t in doc[colon.i + 1 :] if t.is_alpha) < 3:
        return None
    speaker, cue_type = _source(before, mentions, body or [])
    if speaker is None:
        return None
    words = [i for i in range(start, end) if title[i].isalnum()]
    inside = sum(1 for i in words if mask[i])
    kind = "direct" if inside == len(words) else "partial" if inside else "indirect"
    if kind == "direct":
        start, end = start + (title[start] in OPEN_MARKS + "‘'"), end - (title[end - 1] in CLOSE_MARKS + "’'")
    canonical = SpeakerResolver(doc, mentions, mask).resolve(speaker)
    if canonical is None and cue_type == SPEECH and all(t.is_title or t.is_upper or t.is_punct for t in speaker):
        canonical = proper_name(speaker.text)  # "Pence": a name the model missed in a title-case headline
    return Quote(start, end, kind, speaker.text, canonical, ":", cue_type, speaker.start_char)


def _source(before: Span, mentions: list[Mention], body: list[Mention]) -> tuple[Span | None, str]:
    """The source named before a headline's colon, and the kind of attribution it makes."""
    if before.root.lower_ in POLL_NOUNS:
        return before, EVIDENCE  # "Poll: Wealthy Voters Abandon Republican Party"
    names = [m for m in mentions if m.label in SPEAKING and before.start_char <= m.start_char
             and m.end_char <= before.end_char]
    words = [t for t in before if not t.is_punct]
    if names and len(words) > 3:
        name = min(names, key=lambda m: (m.label != "PERSON", m.start_char))  # "Obama on Climate Change"
        return before.doc.char_span(name.start_char, name.end_char, alignment_mode="expand"), SPEECH
    named_in_body = {w for m in body if m.label in SPEAKING for w in m.text.lower().split()}
    if names or 1 <= len(words) <= 3 and all((t.is_title or t.is_upper) and t.lower_ in named_in_body for t in words):
        return before, SPEECH  # "Pence", "Rush Limbaugh", "Politifact"
    return None, SPEECH


def _named_as_in_body(quote: Quote, body: list[Mention]) -> Quote:
    return replace(quote, speaker_canonical=link_to_body(quote.speaker_canonical, body))
