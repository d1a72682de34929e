"""Quote marks and direct quotes: which marks hold a quotation, which belong together, and who said it.

Quoted spans come from `transforms.quote_marks`. Each gets the cue that governs it, else the verb right
after it ("“...,” Trump barked"), else the clause before a colon, else the nearest reporting verb of its
sentence. Marks that belong together become one `Quote` with one fragment per quoted span: "“A,” he
said. “B.”" is one attribution of two fragments, the narration between them in neither. A quote with
no cue of its own continues the previous one in its paragraph; otherwise it goes to whoever the
previous paragraph was about. Scare quotes, titles and slogans are no quotes.
"""

from __future__ import annotations

from dataclasses import replace

from spacy.tokens import Doc, Token

from transforms.cues import CLAUSE, SPEECH, cue_lemma
from transforms.quotes.model import Attribution, Quote, make_quote
from transforms.quotes.reported import RELATIVE, VERBAL, source
from transforms.quotes.spans import (
    CLOSE_MARKS,
    OPEN_MARKS,
    SUBJECTS,
    cue_clause,
    opens_sentence,
    paragraph,
    phrase,
    with_marks,
    word_count,
)
from transforms.speakers import SpeakerResolver, mention_span

PRONOUN_SPEAKERS = {"he", "she", "they", "i", "we"}
MIN_DIRECT_WORDS = 4


def direct_quotes(doc: Doc, text: str, marks: list[tuple[int, int]], direct_attr: dict[int, Attribution],
                  after: dict[int, Attribution | None], partial_of: dict[int, int], reported: list[Quote],
                  resolver: SpeakerResolver, mask: bytearray) -> list[Quote]:
    """One quote per group of quote marks that belong together, each with its attribution.

    partial_of maps a quote mark to the partial quote of `reported` that holds it; a partial quote that
    goes on in the next quote marks is replaced there by one with that fragment added."""
    groups: list[tuple[int, int, Attribution | None]] = []  # (first mark, last mark, attribution)
    titles: set[int] = set()
    for k, (start, end) in enumerate(marks):
        if k in partial_of:
            continue
        if (after[k] is None and k not in direct_attr and not opens_sentence(text, start)
                and _is_title(doc, text, start, end)):
            # '“A,” Flynn said on “Fox and Friends.” “B.”': a title inside the narration is no quote, and
            # the fragments on either side of it still belong together
            titles.add(k)
            continue
        attr = after[k] or direct_attr.get(k) or direct_cue(doc, text, marks, mask, k)
        previous_mark = k - 1
        while previous_mark in titles:
            previous_mark -= 1
        if (attr is None and k - 1 in partial_of
                and _continues(doc, text, reported[partial_of[k - 1]], marks[k - 1][1], start)):
            # 'Biden “has a lot of roles,” said Doyle. “He has that appeal.”': the partial quote goes on
            j = partial_of[k - 1]
            quote = reported[j]
            reported[j] = replace(quote, end_char=with_marks(text, start, end)[1],
                                  parts=(*quote.pieces(), (start, end)), fallback=None)
            partial_of[k] = j
            continue
        if groups:
            g_first, g_last, g_attr = groups[-1]
            gap_start, gap_end = marks[g_last][1], start
            same_cue = attr is None or g_attr is None or _cue_index(attr) == _cue_index(g_attr)
            if (g_last == previous_mark and same_cue and "\n" not in text[gap_start:gap_end]
                    and not _is_title(doc, text, start, end)  # '..., he said on “Fox and Friends.”'
                    and gap_ok(doc, gap_start, gap_end, attr or g_attr)
                    and (word_count(doc, gap_start, gap_end) <= word_count(doc, marks[g_first][0], gap_start)
                         + word_count(doc, start, end) or _resumes(text, marks[g_last], start, end))):
                groups[-1] = (g_first, k, g_attr or attr)
                continue
            if (g_last == previous_mark and attr is None and g_attr is not None and "\n" in text[gap_start:gap_end]
                    and not text[text.find("\n", gap_start, gap_end) : gap_end].strip(OPEN_MARKS + " \t\n")
                    and gap_ok(doc, gap_start, text.find("\n", gap_start, gap_end), g_attr)
                    and _stands_alone(doc, text, [(start, end)]) and _closed(text, end)
                    and text[start - 1] == text[marks[g_first][0] - 1]):
                # '“A,” he said.¶“B.”': a quote that goes on in the next paragraph with no cue of its own (and
                # in the same quote marks: a stray '"' opening a paragraph of narration is no quote)
                groups[-1] = (g_first, k, g_attr)
                continue
            if (g_last == previous_mark and attr is None and "\n" not in text[gap_start:gap_end]
                    and _stands_alone(doc, text, [(start, end)])
                    and (g_attr is not None or _stands_alone(doc, text, marks[g_first : g_last + 1]))):
                # '“A,” said Robin Maynard, half joking. He holds two degrees. “B.”': A and B are two fragments
                # of one attribution (the narration between them in neither)
                groups[-1] = (g_first, k, g_attr)
                continue
        groups.append((k, k, attr))

    quotes: list[Quote] = []
    partials = [reported[j] for j in sorted(set(partial_of.values()))]
    previous: Quote | None = None
    for first, last, attr in groups:
        start, end = marks[first][0], marks[last][1]
        pieces = [m for j, m in enumerate(marks[first : last + 1], first) if j not in titles]
        if attr is None and not _stands_alone(doc, text, pieces):
            continue  # scare quotes, titles, nicknames
        if (first not in direct_attr and not _said_after(text, marks, first, last, after)
                and not text[:start].rstrip(OPEN_MARKS + " \t\n").endswith(":")  # 'a new message: "It's me."'
                and all(_is_title(doc, text, s, e) for s, e in pieces)):
            continue  # 'said on ABC's “This Week,”': a show, a book, a slogan
        if attr is None:
            before = [q for q in [previous, *partials] if q is not None and q.end_char <= start]
            quote = _inherit(resolver, text, pieces,
                             max(before, key=lambda q: q.end_char, default=None))
        else:
            quote = make_quote(resolver, start, end, "direct", attr, tuple(pieces))
        quotes.append(quote)
        previous = quote
    return quotes


def _resumes(text: str, before: tuple[int, int], start: int, end: int) -> bool:
    """'“The risk,” said Ed Leamer, an economist who ..., “is that ...”': a quote broken off at a comma goes on
    in lower case after its cue clause, however long that clause is."""
    first = next((ch for ch in text[start:end] if ch.isalpha()), "")
    return first.islower() and text[before[0] : before[1] + 2].rstrip(CLOSE_MARKS + " ").endswith(",")


def _closed(text: str, end: int) -> bool:
    """Whether the quote ending at `end` is closed by a quote mark (not cut off by its paragraph's end)."""
    rest = text[end : end + 3].lstrip(",;: ")
    return bool(rest) and rest[0] in CLOSE_MARKS


def _said_after(text: str, marks: list[tuple[int, int]], first: int, last: int,
                after: dict[int, Attribution | None]) -> bool:
    """'“Nusra Is Al Qaeda,” Mr. Kerry said.': capitalised words that open a sentence and that a reporting
    verb right after them cites are a quote, not a title."""
    if not opens_sentence(text, marks[first][0]):
        return False
    return any(after[j] is not None and after[j].cue is not None and cue_lemma(after[j].cue.lower_) is not None
               for j in range(first, last + 1))


def runs_on(doc: Doc, text: str, report: Quote, quote: Quote) -> bool:
    """Whether an uncued quote carries on the reported speech just before it: nothing but the report's own
    cue clause ("..., he told reporters.") and at most a paragraph break stand between them."""
    gap = text[report.end_char : quote.start_char]
    line, _, rest = gap.partition("\n")
    if rest.strip(OPEN_MARKS + " \t\n") or not _closed(text, quote.end_char):
        return False
    if not any(ch.isalnum() for ch in line):
        return True
    if report.cue is None:
        return False
    span = doc.char_span(report.end_char, report.end_char + len(line), alignment_mode="expand")
    verbs = [t for t in span or [] if t.text == report.cue.split()[0]]
    return bool(verbs) and gap_ok(doc, report.end_char, report.end_char + len(line),
                                   Attribution(verbs[0], report.cue, None))


def _continues(doc: Doc, text: str, quote: Quote, gap_start: int, gap_end: int) -> bool:
    if "\n" in text[gap_start:gap_end] or quote.cue is None:
        return False
    gap = doc.char_span(gap_start, gap_end, alignment_mode="expand")
    verbs = [t for t in gap or [] if t.text == quote.cue.split()[0]]
    return bool(verbs) and gap_ok(doc, gap_start, gap_end, Attribution(verbs[0], quote.cue, None))


def _is_title(doc: Doc, text: str, start: int, end: int) -> bool:
    """“Fox and Friends”, “Access Hollywood.”: a few words, every one that matters capitalised."""
    if any(ch in ".!?,;" for ch in text[start : end - 1]):
        return False  # “Absolutely not. Absolutely not.” is a sentence, however it is capitalised
    span = doc.char_span(start, end, alignment_mode="expand")
    words = [t for t in span or [] if t.is_alpha]
    return 2 <= len(words) <= 6 and words[0].is_title and all(t.is_title or t.is_stop for t in words)


def _stands_alone(doc: Doc, text: str, pieces: list[tuple[int, int]]) -> bool:
    """An uncued quote counts when it is made of sentences: it starts a sentence (or the paragraph)
    and ends with sentence punctuation, and is long enough not to be a title or a slogan."""
    start, end = pieces[0][0], pieces[-1][1]
    before = text[text.rfind("\n", 0, start) + 1 : start].rstrip(OPEN_MARKS + " \t")
    if before and not before.endswith((".", "!", "?", ":", "…")):
        return False
    last = text[pieces[-1][0] : end].rstrip(CLOSE_MARKS + " ")
    if not last.endswith((".", "!", "?", "…")):
        return False
    return max(word_count(doc, s, e) for s, e in pieces) >= MIN_DIRECT_WORDS


def _cue_index(attr: Attribution) -> int:
    return attr.cue.i if attr.cue is not None else -1


def gap_ok(doc: Doc, gap_start: int, gap_end: int, attr: Attribution | None) -> bool:
    """Two quotes join when nothing but their cue clause stands between them ("“A,” he said. “B.”")."""
    gap = doc.char_span(gap_start, gap_end, alignment_mode="expand")
    if gap is None:
        return True
    words = [t for t in gap if not (t.is_punct or t.is_space)]
    if not words:
        return True
    if attr is None or attr.cue is None:
        return False
    clause = cue_clause(attr.cue)
    # words the parser hung elsewhere are fine as long as they form no clause of their own (a relative clause
    # describes the speaker: '“The risk,” said Ed Leamer, an economist who runs the forecast, “is ...”')
    return all(t.i in clause or t.dep_ == "relcl" or not any(c.dep_ in ("nsubj", "nsubjpass") for c in t.children)
               for t in words)


def reports(doc: Doc, start: int, end: int) -> bool:
    """Whether doc.text[start:end] holds a reporting verb with a subject of its own."""
    span = doc.char_span(start, end, alignment_mode="contract")
    return span is not None and any(cue_lemma(t.lower_) and any(c.dep_ in SUBJECTS for c in t.children)
                                    for t in span)


def introduces(doc: Doc, cue: Token, quote_start: int) -> bool:
    """'Adelson said, “...”' / 'he told reporters: “...”': only the cue's own clause and a comma or colon
    stand between the verb and the quote."""
    gap = doc.char_span(cue.idx + len(cue), quote_start, alignment_mode="expand")
    if gap is None or not len(gap):
        return True
    clause = cue_clause(cue)
    words = [t for t in gap if not (t.is_punct or t.is_space)]
    if cue.lower_ == "according":
        # 'According to X, the move reeks of “fear”': the source ends at its comma, what follows is content
        rest = [t for t in gap if not (t.is_space or t.is_quote and t.i == gap.end - 1)]
        if not rest or rest[-1].text != ",":
            return False
    return any(t.text in (",", ":") for t in gap) and all(t.i in clause for t in words)


def _inherit(resolver: SpeakerResolver, text: str, parts: list[tuple[int, int]], previous: Quote | None) -> Quote:
    """A quote with no cue of its own: same paragraph as the last quote -> same speaker;
    otherwise the person the previous paragraph ended on, if it names or refers to one."""
    start, end = parts[0][0], parts[-1][1]
    para_start = text.rfind("\n", 0, start) + 1
    if previous is not None and previous.end_char >= para_start - 2 and previous.speaker:
        return Quote(start, end, "direct", previous.speaker, previous.speaker_canonical, None, SPEECH,
                     previous.speaker_start, tuple(parts))
    span = resolver.previous_paragraph_speaker(text, para_start)
    if span is None:
        return Quote(start, end, "direct", None, None, None, SPEECH, None, tuple(parts))
    return Quote(start, end, "direct", span.text, resolver.resolve(span), None, SPEECH, span.start_char, tuple(parts))


def direct_cue(doc: Doc, text: str, marks: list[tuple[int, int]], mask: bytearray, k: int) -> Attribution | None:
    """The attribution of quote k: the verb right after it, the clause before a colon, or the nearest
    reporting verb outside the marks within its sentence(s) and paragraph."""
    start, end = marks[k]
    para_start, para_end = paragraph(text, start, end)
    lo = max(para_start, marks[k - 1][1] if k > 0 else 0)
    hi = min(para_end, marks[k + 1][0] if k + 1 < len(marks) else len(text))
    found = _before_colon(doc, text, lo, start, mask)
    if found is None and lo == para_start and para_start > 0 and not text[lo:start].strip(OPEN_MARKS + " \t"):
        # 'Sanders said on Sunday:¶“This is what I know. ...”': a paragraph that ends in a colon
        prev_start = text.rfind("\n", 0, len(text[:para_start].rstrip())) + 1
        found = _before_colon(doc, text, max(prev_start, marks[k - 1][1] if k > 0 else 0), start, mask)
    if found is not None:
        return found
    before = text[lo:start].rstrip(OPEN_MARKS + " \t")
    if word_count(doc, start, end) < MIN_DIRECT_WORDS and not before.endswith((",", ":")):
        return None  # a quoted phrase inside a sentence: a term or a title unless something cites it
    return _nearest_cue(doc, start, end, lo, hi, mask) or _introducer(doc, text, lo, start, mask)


def after_quote(doc: Doc, text: str, end: int, hi: int, mask: bytearray) -> Attribution | None:
    """'“...,” Trump barked.' / '“...,” said Trump.': any verb whose subject follows the quote."""
    after = doc.char_span(end, hi, alignment_mode="contract")
    if after is None:
        return None
    signed = _signed(doc, text, end, hi)
    if signed is not None:
        return signed
    first = next((t for t in after if not (t.is_punct or t.is_space)), None)
    if first is None or first.i - after.start > 3 or mask[first.idx]:
        return None
    if not any(ch in ",.!?…—–-" for ch in text[max(0, end - 1) : first.idx]):
        return None  # '“Opening Belle” resembles ...': a title, not a quote
    # walk from the first word up to the noun phrase it belongs to
    node = first
    while node.dep_ in ("compound", "amod", "det", "poss", "flat", "case", "nmod") and node.head.i > node.i:
        node = node.head
    close = node.head.i - node.right_edge.i <= 4
    if node.dep_ == "nsubj" and node.head.i > node.i and close and not mask[node.head.idx]:
        verb = node.head
        if verb.i + 1 < len(doc) and doc[verb.i + 1].text == ":":
            return None  # '“...” Mr. Zahed said: “...”': the verb introduces the next quote
        return _attr_for(verb, node)
    if (first.dep_ in VERBAL or first.dep_ == "ROOT") and cue_lemma(first.text):
        subj = next((c for c in first.children if c.dep_ in ("nsubj", "dobj") and c.i > first.i), None)
        if subj is None and first.i + 1 < len(doc):
            # '“...,” said David Brock, a confidant who ...' with the name hung elsewhere by the parser
            subj = doc[first.i + 1]
            while subj.dep_ in ("compound", "det", "amod", "poss", "flat") and first.i < subj.head.i <= first.i + 5:
                subj = subj.head
            if not (subj.is_title or subj.lower_ in PRONOUN_SPEAKERS) or mask[subj.idx]:
                subj = None
        if subj is not None:
            return _attr_for(first, subj)
    verb = doc[node.i + 1] if node.i + 1 < len(doc) else None
    if verb is not None and verb.dep_ in ("acl", "relcl") and verb.head.i == node.i and not mask[verb.idx]:
        return _attr_for(verb, node)  # '“...,” Trump barked' parsed as a noun with a clause hung on it
    if first.is_title or first.lower_ in PRONOUN_SPEAKERS:
        # '“...,” Flynn, a top Trump surrogate, said Thursday' with the name hung elsewhere by the parser:
        # a reporting verb right after the name or after the comma that closes its apposition
        for tok in doc[first.i + 1 : min(len(doc), first.i + MAX_NAME_TO_CUE)]:
            if tok.idx >= hi or mask[tok.idx] or tok.text in (".", "!", "?", ";"):
                break
            lemma = cue_lemma(tok.text)
            if lemma in CLAUSE and (tok.i == first.i + 1 or doc[tok.i - 1].text == ","):
                return _attr_for(tok, first)
    # '“...,” screenwriter Cole Haddon wrote on Twitter' with the role word taken for a verb: a name after a
    # word or two of lower case, and a reporting verb right after the name
    name = next((e for e in doc.ents if first.i < e.start <= first.i + MAX_ROLE_TOKENS and e.label_ == "PERSON"), None)
    if name is not None and name.end < len(doc) and doc[name.end].idx < hi and not mask[doc[name.end].idx]:
        verb = doc[name.end]
        if cue_lemma(verb.text) in CLAUSE and all(t.is_alpha and t.is_lower for t in doc[first.i : name.start]):
            return Attribution(verb, phrase([verb, *(c for c in verb.children if c.dep_ == "prt")]),
                               doc[first.i : name.end])
    return _speaker_then_cue(doc, first, hi, mask)


def _speaker_then_cue(doc: Doc, first: Token, hi: int, mask: bytearray) -> Attribution | None:
    """'“...,” the editorial read.', '“...,” the two write.' however the parser hung the words: a short
    noun phrase (a determiner or possessive and a word or two, or a pronoun) and a reporting verb that
    ends the sentence or its clause."""
    if not (first.lower_ in SPEAKER_OPENERS or first.lower_ in PRONOUN_SPEAKERS):
        return None
    for tok in doc[first.i + 1 : min(len(doc), first.i + 1 + MAX_SURFACE_SPEAKER)]:
        if tok.idx >= hi or mask[tok.idx] or not tok.is_alpha:
            return None
        if cue_lemma(tok.lower_) in CLAUSE:
            if tok.i == first.i + 1 and first.lower_ in SPEAKER_OPENERS:
                return None  # 'the report' needs a noun: "“...,” the said ..." is no speaker
            nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
            if nxt is not None and not (nxt.is_punct or nxt.is_space or nxt.lower_ in SURFACE_AFTER_CUE):
                return None  # '“...,” the two wrote off the debt': the verb goes on with an object
            return Attribution(tok, tok.text, doc[first.i : tok.i])
        if tok.lower_ in RELATIVE or cue_lemma(tok.lower_):
            return None
    return None


def _introducer(doc: Doc, text: str, lo: int, start: int, mask: bytearray) -> Attribution | None:
    """'..., telling the crowd, “...”', 'Hillary shot back, “...”', 'as the prosecutor put it, “...”',
    '..., writing “...”', however the parser hung the words (a quote inside a sentence often throws it):
    a reporting verb a few words before the comma that opens the quote, with no other verb between."""
    gap = doc.char_span(lo, start, alignment_mode="contract")
    if gap is None or not len(gap):
        return None
    tail = [t for t in gap if not (t.is_space or t.is_quote and t.i == gap.end - 1)]
    if not tail:
        return None
    comma = tail[-1].text == ","
    words = tail[:-1] if comma else tail
    for tok in reversed(words[-MAX_INTRODUCER_GAP - 1 :]):
        if mask[tok.idx] or tok.is_punct or tok.sent.start != words[-1].sent.start:
            return None
        said = cue_lemma(tok.lower_) in SPEECH_INTRODUCERS or (
            tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "back" and tok.lower_ in RETORTS)
        put_it = tok.lower_ in ("put", "puts") and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "it"
        if said or put_it:
            if not comma and (tok.i != words[-1].i or not tok.lower_.endswith("ing")):
                return None  # without a comma only a participle right before the quote: 'writing “...”'
            subject = _subject_of(tok, mask)
            if subject is None:
                return None
            extra = [doc[tok.i + 1]] if put_it or doc[tok.i + 1].lower_ == "back" else []
            return Attribution(tok, phrase([tok, *extra]), mention_span(subject, tok))
        if tok.lower_ in RELATIVE or cue_lemma(tok.lower_) and not (
                tok.lower_ == "back" and doc[tok.i - 1].lower_ in RETORTS):
            return None
    return None


def _subject_of(verb: Token, mask: bytearray) -> Token | None:
    """The verb's own subject, or for a participle ('..., telling the crowd') that of the clause before it."""
    own = next((c for c in verb.children if c.dep_ == "nsubj" and c.i < verb.i and not mask[c.idx]), None)
    if own is not None:
        return own if own.lower_ not in RELATIVE else None
    if not verb.lower_.endswith("ing"):
        return None
    subjects = [t for t in verb.sent if t.dep_ == "nsubj" and t.i < verb.i and t.head.i < verb.i
                and not mask[t.idx] and t.lower_ not in RELATIVE]
    return subjects[0] if subjects else None


DASHES = "―—–"
# Words that open a speaker's noun phrase after a quote ("“...,” the editorial read").
SPEAKER_OPENERS = {"the", "a", "an", "his", "her", "their", "its", "one", "two", "both", "another", "this"}
SURFACE_AFTER_CUE = {"in", "on", "at", "to", "during", "after", "last", "this", "yesterday", "today", "later",
                     "recently", "earlier", "then", "again", "repeatedly", "simply", "once"}
MAX_SURFACE_SPEAKER = 5  # tokens from a quote's end to its verb in "“...,” the two write"
MAX_INTRODUCER_GAP = 4  # words between a verb and the comma that opens its quote: "telling the crowd,"
# Verbs that introduce a quote after a comma; beliefs ("thinks, “...”") do not.
SPEECH_INTRODUCERS = CLAUSE - {"believe", "think", "hope", "fear", "worry", "expect", "feel", "know", "suspect",
                               "doubt", "show", "find", "learn", "figure", "guess", "reason", "continue", "realize",
                               "realise", "understand", "assume", "remember", "decide", "determine", "discover",
                               "notice", "rule", "convince", "persuade", "project", "recognize", "recognise"}
# "shot back", "fired back": a retort.
RETORTS = {"shot", "shoots", "shooting", "fired", "fires", "firing", "hit", "hits", "hitting", "wrote", "writes"}
MAX_LABEL_TOKENS = 4  # "Plante:", "Premier Doug Ford:" before a quote
MAX_ROLE_TOKENS = 3  # "screenwriter", "longtime party activist" before a name after a quote
MAX_NAME_TO_CUE = 10  # tokens from a speaker's name after a quote to its reporting verb
MAX_SIGNATURE_TOKENS = 6


def _signed(doc: Doc, text: str, end: int, hi: int) -> Attribution | None:
    """'“We can build a wall around him.” ― Steve Quinlan': a name after a dash that follows the quote
    signs it (lists of reactions, epigraphs). The name runs to the end of the paragraph or to a comma
    that opens a description ("― Keron Blair, executive director of AROS")."""
    i = end
    while i < hi and (text[i] in CLOSE_MARKS + ",. \t" or text[i] == "’"):
        i += 1
    if i >= hi or text[i] not in DASHES and not text.startswith("- ", i) and not text.startswith("-- ", i):
        return None
    dash = i
    while i < hi and text[i] in DASHES + "- \t":
        i += 1
    para_end = text.find("\n", i, hi)
    para_end = hi if para_end < 0 else para_end  # the paragraph's end or the next quote
    stop = min([j for j in (text.find(",", i, para_end), text.find("(", i, para_end)) if j >= 0] + [para_end])
    span = doc.char_span(i, len(text[:stop].rstrip(" .\t" + OPEN_MARKS)), alignment_mode="contract")
    if span is None or not len(span) or len(span) > MAX_SIGNATURE_TOKENS:
        return None
    words = [t for t in span if not t.is_punct]
    if not words or not all(t.is_title or t.is_upper or t.lower_ in ("de", "van", "von", "da", "del", "bin", "al")
                            for t in words):
        return None
    cue = doc.char_span(dash, dash + 1, alignment_mode="expand")
    return Attribution(cue[0] if cue is not None and len(cue) == 1 else None, text[dash], span)


def _attr_for(verb: Token, subj: Token) -> Attribution:
    extra = [c for c in verb.children if c.dep_ == "prt"]
    cue = phrase([verb, *extra])
    if subj.lower_ in RELATIVE and verb.dep_ == "relcl":
        return Attribution(verb, cue, subj.doc[subj.i : subj.i + 1], mention_span(verb.head, verb))
    return Attribution(verb, cue, mention_span(subj, verb))


def _before_colon(doc: Doc, text: str, lo: int, start: int, mask: bytearray) -> Attribution | None:
    """'She addressed the supporters again: “...”': the clause that ends in a colon before the quote."""
    j = start - 1
    while j > lo and text[j] in OPEN_MARKS + " \t\n":
        j -= 1
    if j <= lo or text[j] != ":":
        return None
    span = doc.char_span(lo, j, alignment_mode="contract")
    if span is None or not len(span):
        return None
    sent_start = span[-1].sent.start  # the colon's own sentence, not the one before it
    span = doc[max(span.start, sent_start) : span.end]
    if not len(span):
        return None
    for tok in reversed(span):
        if mask[tok.idx]:
            break
        subj = next((c for c in tok.children if c.dep_ == "nsubj" and c.i < tok.i), None)
        if subj is not None and not mask[subj.idx]:
            return _attr_for(tok, subj)
    words = [t for t in span if not t.is_punct]
    if 1 <= len(words) <= MAX_LABEL_TOKENS and all(t.is_title or t.is_upper for t in words) and any(
            t.ent_type_ in ("PERSON", "ORG") or t.text in _names(doc) for t in words):
        # 'Plante: “We will keep the line open.”': a name and a colon
        colon = doc.char_span(j, j + 1, alignment_mode="expand")
        return Attribution(colon[0] if colon is not None and len(colon) == 1 else None, ":", span)
    return None


def _names(doc: Doc) -> set[str]:
    """Words of the people and organisations the model found in the document."""
    return {w for e in doc.ents if e.label_ in ("PERSON", "ORG") for w in e.text.split()}


def _nearest_cue(doc: Doc, start: int, end: int, lo: int, hi: int, mask: bytearray) -> Attribution | None:
    """The reporting verb outside the marks closest to the quote, within its sentence(s) and paragraph,
    and not closer to a neighbouring quote."""
    first = doc.char_span(start, end, alignment_mode="expand")
    if first is None or not len(first):
        return None
    window = doc.char_span(max(lo, first[0].sent.start_char), min(hi, first[-1].sent.end_char),
                           alignment_mode="expand")
    best: tuple[int, Attribution] | None = None
    for tok in window or []:
        if mask[tok.idx] or tok.dep_ not in VERBAL:
            continue
        lemma = cue_lemma(tok.text)
        if lemma is None or lemma not in CLAUSE:
            continue
        attr = source(tok, lemma)
        if attr is None or attr.speaker_span is None or mask[attr.speaker_span.start_char]:
            continue
        attr = replace(attr, cue_text=phrase([tok, *(c for c in tok.children if c.dep_ == "prt")]))
        distance = min(abs(tok.idx - end), abs(start - tok.idx))
        if best is None or distance < best[0]:
            best = (distance, attr)
    return best[1] if best else None
