"""Who said what: direct, partial and reported speech with speaker attribution, from a parsed Doc.

Rules run on spaCy's dependency parse (no tagger or lemmatizer needed):
  * direct quotes come from quote marks; the speaker is the subject of the nearest reporting verb
    outside the marks in the same sentence, else the previous quote's speaker in the paragraph,
    else the person the previous paragraph was about ("Carney also floated ... \n\n “We are ...”");
  * reported speech is the clausal complement of a reporting verb ("X said (that) ...",
    "..., X said", "X told reporters ...", "X accused Y of ...", "according to X, ...");
    if it contains quote marks it is a partial quote.
Speakers are resolved to canonical names by `transforms.speakers`.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from transforms.cues import ADDRESSEE, BELIEF, TARGETED, cue_lemma
from transforms.entities import Mention
from transforms.quote_marks import find_quoted, quoted_mask
from transforms.speakers import SpeakerResolver

SUBJECTS = {"nsubj", "nsubjpass", "csubj"}
MIN_DIRECT_WORDS = 4
MIN_REPORTED_WORDS = 3
_TRAIL = " \t\n,;:—–-"


@dataclass
class Quote:
    start_char: int
    end_char: int
    kind: str
    speaker: str | None
    speaker_canonical: str | None
    cue: str | None
    speaker_start: int | None = None

    def as_row(self, text: str) -> dict:
        return {
            "text": text[self.start_char : self.end_char],
            "kind": self.kind,
            "start_char": self.start_char,
            "end_char": self.end_char,
            "speaker": self.speaker,
            "speaker_canonical": self.speaker_canonical,
            "cue": self.cue,
        }


@dataclass
class Attribution:
    cue: Token | None
    subject: Token | None  # head token of the speaker mention
    speaker_span: Span | None


def extract_quotes(doc: Doc, mentions: list[Mention]) -> list[Quote]:
    """All quotes of a document, in text order, each with kind, cue and speaker."""
    text = doc.text
    marks = find_quoted(text)
    mask = quoted_mask(text, marks)
    resolver = SpeakerResolver(doc, mentions, mask)
    quotes: list[Quote] = []
    consumed: set[int] = set()
    direct_attr: dict[int, Attribution] = {}

    for cue in doc:
        if mask[cue.idx] if cue.idx < len(mask) else False:
            continue
        found = _reported(cue)
        if found is None:
            continue
        attr, content = found
        span = _trim(doc, content)
        if span is None:
            continue
        start, end = span
        inside = _words_inside(doc, start, end, mask)
        words = _word_count(doc, start, end)
        overlapping = [k for k, (s, e) in enumerate(marks) if s < end and start < e]
        if words and inside >= 0.8 * words and overlapping and start >= marks[overlapping[0]][0] - 1:
            for k in overlapping:
                direct_attr.setdefault(k, attr)
            continue
        if words < MIN_REPORTED_WORDS:
            continue
        kind = "partial" if inside else "indirect"
        if kind == "partial":
            consumed.update(overlapping)
            start = min([start] + [marks[k][0] - 1 for k in overlapping if marks[k][0] - 1 < start])
            end = max([end] + [min(marks[k][1] + 1, len(text)) for k in overlapping if text[marks[k][1]:marks[k][1] + 1]
                               in "”\"»“"])
        quotes.append(_make(resolver, doc, start, end, kind, attr))

    previous: Quote | None = None
    for k, (start, end) in enumerate(marks):
        if k in consumed:
            continue
        attr = direct_attr.get(k) or _nearest_cue(doc, marks, mask, k)
        words = _word_count(doc, start, end)
        if attr is None and words < MIN_DIRECT_WORDS:
            continue  # scare quotes, titles, nicknames
        if attr is None:
            quote = _inherit(resolver, doc, start, end, previous)
        else:
            quote = _make(resolver, doc, start, end, "direct", attr)
        quotes.append(quote)
        previous = quote
    quotes.sort(key=lambda q: (q.start_char, q.end_char))
    return _dedupe(quotes)


def _make(resolver: SpeakerResolver, doc: Doc, start: int, end: int, kind: str, attr: Attribution) -> Quote:
    speaker = attr.speaker_span.text if attr.speaker_span is not None else None
    canonical = resolver.resolve(attr.speaker_span) if attr.speaker_span is not None else None
    return Quote(
        start,
        end,
        kind,
        speaker,
        canonical,
        attr.cue.text if attr.cue is not None else None,
        attr.speaker_span.start_char if attr.speaker_span is not None else None,
    )


def _inherit(resolver: SpeakerResolver, doc: Doc, start: int, end: int, previous: Quote | None) -> Quote:
    """A quote with no cue of its own: same paragraph as the last quote -> same speaker;
    otherwise the person the previous paragraph ended on, if it names or refers to one."""
    para_start = doc.text.rfind("\n", 0, start) + 1
    if previous is not None and previous.end_char >= para_start - 2 and previous.speaker:
        return Quote(start, end, "direct", previous.speaker, previous.speaker_canonical, None, previous.speaker_start)
    span = resolver.previous_paragraph_speaker(para_start)
    if span is None:
        return Quote(start, end, "direct", None, None, None)
    return Quote(start, end, "direct", span.text, resolver.resolve(span), None, span.start_char)


def _dedupe(quotes: list[Quote]) -> list[Quote]:
    """Drop a quote nested inside a longer one of the same speaker (a verb inside a reported clause)."""
    out: list[Quote] = []
    for q in sorted(quotes, key=lambda q: (q.start_char, -q.end_char)):
        if any(o.start_char <= q.start_char and q.end_char <= o.end_char for o in out):
            continue
        out.append(q)
    return sorted(out, key=lambda q: (q.start_char, q.end_char))


# ----------------------------------------------------------------------------- reported speech
def _subject(verb: Token) -> Token | None:
    for child in verb.children:
        if child.dep_ in SUBJECTS:
            return child
    if verb.dep_ in ("advcl", "xcomp", "conj", "pcomp") and verb.head is not verb:
        for child in verb.head.children:
            if child.dep_ in ("nsubj", "csubj"):
                return child
    return None


def speaker_span(subj: Token) -> Span:
    """The speaker mention as written: the subject's left modifiers and the head itself."""
    doc = subj.doc
    start = max(subj.left_edge.i, subj.sent.start)
    while start < subj.i and (doc[start].is_punct or doc[start].is_space):
        start += 1
    end = subj.i + 1
    while end < len(doc) and doc[end].dep_ in ("compound", "flat") and doc[end].head.i == subj.i:
        end += 1
    # drop a relative clause or a long left-hand modifier chain
    for tok in doc[start:end]:
        if tok.dep_ in ("relcl", "acl") and tok.i < subj.i:
            start = tok.right_edge.i + 1
    return doc[start:end]


def _reported(cue: Token) -> tuple[Attribution, list[Token]] | None:
    lemma = cue_lemma(cue.text)
    if cue.lower_ == "according" and cue.dep_ == "prep":
        return _according(cue)
    if lemma is None or cue.pos_ in ("NOUN", "ADJ"):
        return None
    if cue.dep_ in ("amod", "compound", "nsubj", "dobj", "pobj", "aux"):
        return None
    subj = _subject(cue)
    if subj is None or subj.dep_ == "nsubjpass" and subj.head is cue:
        return None
    if subj.lower_ in ("it", "that", "this", "which", "what"):
        return None
    content: list[Token] = []
    for child in cue.children:
        if child.dep_ == "ccomp" or (child.dep_ == "xcomp" and lemma in ADDRESSEE):
            content.extend(child.subtree)
    if not content and lemma in TARGETED:
        obj = [c for c in cue.children if c.dep_ == "dobj"]
        prep = [c for c in cue.children if c.dep_ == "prep" and c.lower_ in ("of", "for") and c.i > cue.i]
        if obj and prep:
            content = [t for t in cue.doc[obj[0].left_edge.i : prep[-1].right_edge.i + 1]]
    if not content and lemma == "deny":
        obj = [c for c in cue.children if c.dep_ == "dobj"]
        if obj:
            content = list(obj[0].subtree)
    if not content and cue.dep_ in ("parataxis", "ccomp", "advcl") and cue.head.i < cue.i and lemma not in BELIEF:
        head = cue.head
        content = [t for t in head.subtree if t.i < cue.i and t not in set(cue.subtree)]
    if not content:
        return None
    return Attribution(cue, subj, speaker_span(subj)), content


def _according(cue: Token) -> tuple[Attribution, list[Token]] | None:
    """'According to X, Y' -> X says Y (unless a reporting verb already governs Y)."""
    to = next((c for c in cue.children if c.lower_ == "to"), None)
    pobj = next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
    if pobj is None or cue_lemma(cue.head.text):
        return None
    clause = cue.head
    skip = set(cue.subtree)
    content = [t for t in clause.subtree if t not in skip]
    return Attribution(cue, pobj, speaker_span(pobj)), content


def _trim(doc: Doc, tokens: list[Token]) -> tuple[int, int] | None:
    """Character span of the content tokens without a leading 'that' or trailing punctuation."""
    if not tokens:
        return None
    tokens = sorted(tokens, key=lambda t: t.i)
    first, last = tokens[0].i, tokens[-1].i
    while first <= last and (doc[first].dep_ == "mark" and doc[first].lower_ in ("that", "whether", "if")
                             or doc[first].is_punct and doc[first].text not in "“\"«„" or doc[first].is_space):
        first += 1
    while last >= first and (doc[last].is_punct and doc[last].text not in "”\"»" or doc[last].is_space):
        last -= 1
    if first > last:
        return None
    start, end = doc[first].idx, doc[last].idx + len(doc[last].text)
    text = doc.text
    while end > start and text[end - 1] in _TRAIL:
        end -= 1
    return (start, end) if end > start else None


def _word_count(doc: Doc, start: int, end: int) -> int:
    span = doc.char_span(start, end, alignment_mode="expand")
    return sum(1 for t in span if t.is_alpha or t.like_num) if span is not None else 0


def _words_inside(doc: Doc, start: int, end: int, mask: bytearray) -> int:
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return 0
    return sum(1 for t in span if (t.is_alpha or t.like_num) and mask[t.idx])


# ----------------------------------------------------------------------------- direct quotes
def _nearest_cue(doc: Doc, marks: list[tuple[int, int]], mask: bytearray, k: int) -> Attribution | None:
    """The reporting verb outside the marks closest to quote k, within its sentence(s) and paragraph,
    and not closer to a neighbouring quote."""
    start, end = marks[k]
    text = doc.text
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end < 0 else para_end
    lo = max(para_start, marks[k - 1][1] if k > 0 else 0)
    hi = min(para_end, marks[k + 1][0] if k + 1 < len(marks) else len(text))
    first = doc.char_span(start, end, alignment_mode="expand")
    if first is None:
        return None
    sent_lo = first[0].sent.start_char
    sent_hi = first[-1].sent.end_char
    # "... reinforced,” Carney told reporters." is often split after the closing mark.
    after = doc.char_span(end, min(hi, end + 200), alignment_mode="expand")
    if after is not None and len(after):
        sent_hi = max(sent_hi, next(iter(after)).sent.end_char if after[0].is_punct else sent_hi)
        for tok in after:
            if not tok.is_punct:
                sent_hi = max(sent_hi, tok.sent.end_char)
                break
    window_lo, window_hi = max(lo, sent_lo), min(hi, sent_hi)
    best: tuple[int, Attribution] | None = None
    for tok in doc.char_span(window_lo, window_hi, alignment_mode="expand") or []:
        if mask[tok.idx] or cue_lemma(tok.text) is None:
            continue
        subj = _subject(tok)
        if subj is None or mask[subj.idx] or subj.dep_ == "nsubjpass":
            continue
        distance = min(abs(tok.idx - end), abs(start - tok.idx))
        if best is None or distance < best[0]:
            best = (distance, Attribution(tok, subj, speaker_span(subj)))
    # "X said:" right before the quote
    if best is None:
        before = doc.char_span(window_lo, start, alignment_mode="contract")
        if before is not None and len(before) >= 2 and before[-1].text in ":“\"" and before[-2].text == ":":
            for tok in reversed(list(before)):
                if cue_lemma(tok.text) and _subject(tok) is not None:
                    subj = _subject(tok)
                    return Attribution(tok, subj, speaker_span(subj))
    return best[1] if best else None
