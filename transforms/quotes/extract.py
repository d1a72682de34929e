"""Who said what: the quotes of one parsed document, in three steps.

  1. Reported speech (`reported`): every cue outside quote marks with a source and a content. A content
     that is mostly inside quote marks hands its cue to those quotes; one that contains some quoted
     words is a partial quote.
  2. Direct quotes (`direct`): quote marks that belong together, each group with its attribution. An
     uncued quote right after a report carries it on ("He said the rules were unfair.¶“This is
     irresponsible.”": one attribution of two fragments).
  3. Transcript turns (`transcript`, "PENCE: Well, ...") replace the quote-mark quotes around and inside them.
  4. Attributions do not nest (as in PolNeAR and PARC): a candidate inside another one is dropped.
Every quote keeps its fragments (`Quote.parts`): the narration between them (the cue clause of "“A,” she
said. “B.”" or of "The plan, she said, is dead") is in none of them.
"""

from __future__ import annotations

from dataclasses import replace

from spacy.tokens import Doc, Token

from transforms.cues import cue_lemma
from transforms.entities import Mention
from transforms.quote_marks import find_quoted, quoted_mask
from transforms.quotes.direct import after_quote, direct_cue, direct_quotes, introduces, reports, runs_on
from transforms.quotes.model import Attribution, Quote, make_quote
from transforms.quotes.reported import MIN_REPORTED_WORDS, reported_candidate
from transforms.quotes.spans import next_start, opens_sentence, with_marks, word_count, words_inside
from transforms.quotes.transcript import transcript_quotes
from transforms.speakers import SpeakerResolver

# Words of reported speech after a quote that make it a partial quote rather than a direct one.
MIN_RESUMED_WORDS = 3


def extract_quotes(doc: Doc, mentions: list[Mention], text: str | None = None,
                   single_quotes: bool = False) -> list[Quote]:
    """All quotes of a document, in text order, each with kind, cue and speaker (text: doc.text, if at hand;
    single_quotes: ‘…’ are quote marks too, as in headlines)."""
    text = doc.text if text is None else text
    marks = find_quoted(text, single=single_quotes)
    mask = quoted_mask(text, marks)
    resolver = SpeakerResolver(doc, mentions, mask)
    quotes: list[Quote] = []
    direct_attr: dict[int, Attribution] = {}

    partial_of: dict[int, int] = {}  # quote-mark index -> the partial quote of `quotes` that contains it
    after = {k: after_quote(doc, text, e, next_start(text, marks, k), mask) for k, (_s, e) in enumerate(marks)}
    after_cue = {a.cue.i: k for k, a in after.items() if a is not None and a.cue is not None}
    for tok in doc:
        if mask[tok.idx]:
            continue
        cand = reported_candidate(tok)
        if cand is None:
            continue
        start, end = cand.start, cand.end
        speaker = cand.attr.speaker_span
        if speaker is not None and mask[speaker.start_char]:
            # '“We will appeal,” Hale said, adding ...' parsed with 'adding' under the quoted verb: the
            # speaker is whoever said the quote, not its subject "We"
            k = next(k for k, (s, e) in enumerate(marks) if s <= speaker.start_char < e)
            said = after[k] or direct_cue(doc, text, marks, mask, k)
            attr = replace(cand.attr, speaker_span=said.speaker_span if said is not None else None,
                           antecedent=said.antecedent if said is not None else None)
            cand = replace(cand, attr=attr)
        overlapping = [k for k, (s, e) in enumerate(marks) if s < end and start < e]
        if tok.i in after_cue and after_cue[tok.i] in overlapping and (
                reports(doc, start, marks[after_cue[tok.i]][0]) or opens_sentence(text, marks[after_cue[tok.i]][0])):
            # 'Clinton suggested the plan was unserious - “Again, we need the details,” she said': the cue
            # is the quote's; what comes before it is another report or another sentence
            continue
        opens = next((k for k in overlapping if marks[k][0] > tok.idx), None)
        if opens is not None and introduces(doc, tok, marks[opens][0]):
            # 'Asked about it, Adelson said, “They have got to win.”': the verb introduces the quote
            for k in overlapping:
                if k >= opens:
                    direct_attr.setdefault(k, cand.attr)
            continue
        if overlapping and start >= marks[overlapping[0]][0] - 2:
            # '“...,” X said': judge what stands before the cue; '“...,” X said' is a direct quote
            upto = tok.idx if start < tok.idx < end else end
            # but '“You squeezed employees,” to drive up the stock price, she said' goes on after the quote:
            # a partial quote
            after_last = marks[overlapping[-1]][1]
            goes_on = min(upto, end) > after_last and word_count(doc, after_last, min(upto, end)) >= MIN_RESUMED_WORDS
            if tok.idx >= marks[overlapping[-1]][1]:
                upto = min(upto, marks[overlapping[-1]][1])
            words = word_count(doc, start, upto)
            if words and not goes_on and words_inside(doc, start, upto, mask) >= 0.8 * words:
                for k in overlapping:
                    if marks[k][0] < upto:
                        direct_attr.setdefault(k, cand.attr)
                continue
        words = word_count(doc, start, end)
        if words < MIN_REPORTED_WORDS:
            continue
        inside = words_inside(doc, start, end, mask)
        if not inside:
            if cand.construction == "clause-before" and not _ends_with_said(tok):
                continue  # 'An impossible combination, they complain.' holds only when quoted
            quotes.append(make_quote(resolver, start, end, "indirect", cand.attr, cand.parts))
            continue
        start, end = with_marks(text, min(start, marks[overlapping[0]][0]), max(end, marks[overlapping[-1]][1]))
        # should the partial quote lose to a longer one, its quoted words still count as a quote
        quoted = tuple(marks[overlapping[0] : overlapping[-1] + 1])
        fallback = make_quote(resolver, quoted[0][0], quoted[-1][1], "direct", cand.attr, quoted)
        parts = ((start, cand.parts[0][1]), (cand.parts[1][0], end)) if cand.parts else ()
        quotes.append(make_quote(resolver, start, end, "partial", cand.attr, parts, fallback))
        for k in overlapping:
            partial_of[k] = len(quotes) - 1

    directs = direct_quotes(doc, text, marks, direct_attr, after, partial_of, quotes, resolver, mask)
    reported = sorted(range(len(quotes)), key=lambda j: (quotes[j].end_char, quotes[j].end_char - quotes[j].start_char))
    for quote in directs:
        if quote.cue is None:
            before = [j for j in reported if quotes[j].end_char <= quote.start_char]
            if before and runs_on(doc, text, quotes[before[-1]], quote):
                # 'He said the rules were unfair.¶“This is extremely irresponsible.”': the report goes on
                # in quote marks, and it is all one (mixed) attribution of two fragments
                report = quotes[before[-1]]
                quotes[before[-1]] = replace(report, end_char=quote.end_char, kind="partial",
                                             parts=(*report.pieces(), *quote.pieces()),
                                             fallback=report.fallback or quote)
                continue
        quotes.append(quote)
    turns = transcript_quotes(doc, text, resolver)
    if turns:  # a transcript's turns are its quotes: the quote marks around them or inside them are none
        spans = [piece for turn in turns for piece in turn.pieces()]
        quotes = [q for q in quotes if not any(s - 2 <= q.start_char < e or s <= q.end_char <= e for s, e in spans)]
    return _univocal(quotes + turns)


def _ends_with_said(cue: Token) -> bool:
    """'Those who take on debt struggle, even with a good job, he said.': a plain "said" that ends the
    sentence reports what stands before it, however the parser hung that."""
    return cue_lemma(cue.lower_) == "say" and all(t.is_punct or t.is_space for t in cue.doc[cue.i + 1 : cue.sent.end])


def _univocal(quotes: list[Quote]) -> list[Quote]:
    """Each word belongs to at most one quote: quotes first, then longer reported speech wins."""
    priority = {"direct": 0, "partial": 1, "indirect": 2}
    kept: list[Quote] = []

    def clashes(q: Quote) -> bool:
        length = q.end_char - q.start_char
        for o in kept:
            overlap = sum(max(0, min(e, q.end_char) - max(s, q.start_char)) for s, e in o.pieces())
            if overlap > 0.5 * length or overlap > 0 and o.kind == q.kind == "direct":
                return True
        return False

    for q in sorted(quotes, key=lambda q: (priority[q.kind], q.start_char - q.end_char)):
        if not clashes(q):
            kept.append(q)
        elif q.fallback is not None and not clashes(q.fallback):
            kept.append(q.fallback)
    return sorted(kept, key=lambda q: (q.start_char, q.end_char))
