"""Who said what: direct, partial and reported speech with speaker attribution, from a parsed Doc.

Rules run on spaCy's dependency parse (no tagger or lemmatizer needed), in three steps:
  1. Reported speech: every cue outside quote marks (a reporting verb, "according to", "in a poll")
     with a source (its subject) and a content (the complement that verb takes, `transforms.cues`):
     "X said (that) ...", "..., X said", "X told reporters ...", "X accused Y of ...", "X vowed to ...",
     "X warned of ...", "according to X, ...". A content that is mostly inside quote marks hands its
     cue to those quotes; one that contains some quoted words is a partial quote.
  2. Direct quotes come from quote marks (`transforms.quote_marks`); each gets the cue that governs
     it, else the verb right after it ("“...,” Trump barked"), else the clause before a colon, else the
     nearest reporting verb of its sentence. A quote with no cue of its own continues the previous
     one in its paragraph: "“A,” he said. “B.”" is one quote (its span covers the interruption, so
     its text is exactly text[start:end]); otherwise it goes to whoever the previous paragraph was about.
  3. Attributions do not nest (as in PolNeAR and PARC): a candidate inside another one is dropped.
Speakers are the mention as written ("he", "who", "the ministry"); `transforms.speakers` resolves
them to canonical names.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from transforms.cues import (
    ADDRESSEE,
    BELIEF,
    CLAIM_NOUNS,
    CLAUSE,
    COGNITION,
    CUE_LEMMA,
    INFINITIVE,
    INTENT_NOUNS,
    LIGHT_VERBS,
    OBJECT,
    PREPS,
    REGARD,
    STANCE_WORDS,
    cue_lemma,
)
from transforms.entities import Mention
from transforms.quote_marks import find_quoted, quoted_mask
from transforms.speakers import SpeakerResolver, mention_span

SUBJECTS = {"nsubj", "csubj"}
# Where a reporting verb can sit in the parse (a verb used as adjective or noun is no cue).
VERBAL = {"ROOT", "ccomp", "conj", "advcl", "xcomp", "relcl", "parataxis", "acl", "pcomp", "dep", "advmod"}
RELATIVE = {"who", "which", "that", "whom"}
NOMINAL = {"nsubj", "nsubjpass", "dobj", "pobj", "conj", "appos", "attr", "ROOT", "npadvmod"}
PRONOUN_SPEAKERS = {"he", "she", "they", "i", "we"}
NON_SPEAKERS = {"there", "this", "these", "those", "what", "everything", "nothing", "something", "anything"}
# Nouns that carry a statement: "a statement saying ...".
STATEMENT_NOUNS = {"statement", "statements", "letter", "tweet", "tweets", "post", "release", "memo", "email",
                   "interview", "speech", "remarks", "message", "ad", "video", "op-ed", "column", "report"}
# Verbs of impression: "X seems to ...", an attribution with no source.
SEEM = {"seem", "seems", "seemed", "seeming", "appear", "appears", "appeared", "appearing"}
# Sources whose findings are attributions: "in the latest poll, Trump leads ...".
POLL_NOUNS = {"poll", "polls", "survey", "surveys", "study", "analysis", "report", "polling"}
# Adverbial clauses that end a content span after an object or infinitive ("declined to comment as she left").
SUBORDINATORS = {"as", "when", "because", "after", "before", "while", "since", "until", "although", "though",
                 "whereas", "once"}
# One-word answers a reporting verb can take as its whole content: "said yes", "says so".
ANSWERS = {"yes", "no", "so"}
# Adverbs that attribute a clause to unnamed sources: "Clinton has reportedly amassed the delegates".
HEARSAY = {"reportedly", "allegedly", "reputedly", "purportedly"}
# Every word reported_candidate can act on: any other token is rejected with one set lookup (most are).
_TRIGGERS = frozenset().union(("according", "in", "clear"), SEEM, STANCE_WORDS, CLAIM_NOUNS, INTENT_NOUNS, HEARSAY,
                               CUE_LEMMA)
MIN_DIRECT_WORDS = 4
MIN_REPORTED_WORDS = 1
_OPEN_MARKS = "“\"«„'`"
_CLOSE_MARKS = "”\"»“'"
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
    parts: tuple[tuple[int, int], ...] = ()  # the quoted pieces of a quote split around its cue
    fallback: Quote | None = None  # what to keep instead if this quote loses to an overlapping one

    def pieces(self) -> tuple[tuple[int, int], ...]:
        return self.parts or ((self.start_char, self.end_char),)

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
    cue_text: str | None
    speaker_span: Span | None
    antecedent: Span | None = None  # what a relative pronoun speaker ("who") refers to


@dataclass
class Candidate:
    attr: Attribution
    start: int
    end: int
    construction: str


def extract_quotes(doc: Doc, mentions: list[Mention], text: str | None = None) -> list[Quote]:
    """All quotes of a document, in text order, each with kind, cue and speaker (text: doc.text, if at hand)."""
    text = doc.text if text is None else text
    marks = find_quoted(text)
    mask = quoted_mask(text, marks)
    resolver = SpeakerResolver(doc, mentions, mask)
    quotes: list[Quote] = []
    direct_attr: dict[int, Attribution] = {}

    partial_of: dict[int, Quote] = {}  # quote-mark index -> the partial quote that contains it
    after = {k: _after_quote(doc, text, e, _next_start(text, marks, k), mask) for k, (_s, e) in enumerate(marks)}
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
            said = after[k] or _direct_cue(doc, text, marks, mask, k)
            cand.attr.speaker_span = said.speaker_span if said is not None else None
            cand.attr.antecedent = said.antecedent if said is not None else None
        overlapping = [k for k, (s, e) in enumerate(marks) if s < end and start < e]
        if tok.i in after_cue and after_cue[tok.i] in overlapping and (
                _reports(doc, start, marks[after_cue[tok.i]][0]) or _opens_sentence(text, marks[after_cue[tok.i]][0])):
            # 'Clinton suggested the plan was unserious - “Again, we need the details,” she said': the cue
            # is the quote's; what comes before it is another report or another sentence
            continue
        opens = next((k for k in overlapping if marks[k][0] > tok.idx), None)
        if opens is not None and _introduces(doc, tok, marks[opens][0]):
            # 'Asked about it, Adelson said, “They have got to win.”': the verb introduces the quote
            for k in overlapping:
                if k >= opens:
                    direct_attr.setdefault(k, cand.attr)
            continue
        if overlapping and start >= marks[overlapping[0]][0] - 2:
            # '“...,” X said': judge what stands before the cue; '“...,” X said' is a direct quote
            upto = tok.idx if start < tok.idx < end else end
            if tok.idx >= marks[overlapping[-1]][1]:
                upto = min(upto, marks[overlapping[-1]][1])
            words = _word_count(doc, start, upto)
            if words and _words_inside(doc, start, upto, mask) >= 0.8 * words:
                for k in overlapping:
                    if marks[k][0] < upto:
                        direct_attr.setdefault(k, cand.attr)
                continue
        words = _word_count(doc, start, end)
        if words < MIN_REPORTED_WORDS:
            continue
        inside = _words_inside(doc, start, end, mask)
        if not inside:
            if cand.construction == "clause-before":
                continue  # 'An impossible combination, they complain.' holds only when quoted
            quotes.append(_make(resolver, start, end, "indirect", cand.attr))
            continue
        start, end = _with_marks(text, min(start, marks[overlapping[0]][0]), max(end, marks[overlapping[-1]][1]))
        quote = _make(resolver, start, end, "partial", cand.attr)
        # should the partial quote lose to a longer one, its quoted words still count as a quote
        quote.fallback = _make(resolver, marks[overlapping[0]][0], marks[overlapping[-1]][1], "direct", cand.attr)
        quote.fallback.parts = tuple(marks[overlapping[0] : overlapping[-1] + 1])
        quotes.append(quote)
        for k in overlapping:
            partial_of[k] = quote

    reported = sorted(quotes, key=lambda q: (q.end_char, q.end_char - q.start_char))
    for quote in _direct_quotes(doc, text, marks, direct_attr, after, partial_of, resolver, mask):
        if quote.cue is None:
            before = [q for q in reported if q.end_char <= quote.start_char]
            if before and _runs_on(doc, text, before[-1], quote):
                # 'He said the rules were unfair.¶“This is extremely irresponsible.”': the report goes on
                # in quote marks, and it is all one (mixed) attribution
                report = before[-1]
                report.fallback = report.fallback or quote
                report.end_char, report.kind = quote.end_char, "partial"
                continue
        quotes.append(quote)
    return _univocal(quotes)


# ----------------------------------------------------------------------------- rows
def _make(resolver: SpeakerResolver, start: int, end: int, kind: str, attr: Attribution | None) -> Quote:
    if attr is None or attr.speaker_span is None:
        return Quote(start, end, kind, None, None, attr.cue_text if attr else None)
    span = attr.speaker_span
    canonical = resolver.resolve(attr.antecedent if attr.antecedent is not None else span)
    return Quote(start, end, kind, span.text, canonical, attr.cue_text, span.start_char)


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


# ----------------------------------------------------------------------------- reported speech
def reported_candidate(tok: Token) -> Candidate | None:
    """The attribution a token introduces as a cue (source, content span), if it is one."""
    low = tok.lower_
    if low not in _TRIGGERS:
        return None
    if low == "according" and tok.dep_ == "prep":
        return _according(tok)
    if low == "in" and tok.dep_ == "prep":
        return _poll_in(tok)
    if low in SEEM and tok.dep_ in VERBAL and tok.dep_ != "relcl":
        return _seems(tok)  # but not 'a plan which seemed doomed': a description, not an impression
    if low in STANCE_WORDS:
        return _stance(tok)
    if (low in CLAIM_NOUNS or low in INTENT_NOUNS) and tok.dep_ not in VERBAL:
        return _claim(tok)
    if low in HEARSAY and tok.dep_ == "advmod":
        return _hearsay(tok)
    if low == "clear" and tok.head.lower_ in ("make", "makes", "made", "making"):
        return _made_clear(tok)
    lemma = cue_lemma(low)
    if lemma is None or tok.dep_ not in VERBAL:
        return None
    if tok.dep_ == "advmod" and not low.endswith("ing"):
        return None
    if any(c.dep_ in ("nsubjpass", "auxpass") for c in tok.children):
        # 'the deal, which was announced on Friday, ...': a passive relative clause describes, it reports
        # nothing (but 'who is expected to win' is a forecast)
        return _passive(tok, lemma) if tok.dep_ != "relcl" or lemma == "expect" else None
    found = _complement(tok, lemma)
    if found is None:
        return None
    content, cue_extra, construction = found
    attr = _source(tok, lemma)
    if attr is None and tok.dep_ == "ROOT" and construction == "clause":
        attr = _stray_subject(tok)
    if attr is None:
        return None
    span = _trim(tok.doc, content, tight=construction in ("object", "infinitive", "prep"))
    if span is None:
        return None
    attr.cue_text = _phrase([tok, *cue_extra])
    return Candidate(attr, span[0], span[1], construction)


def _stance(word: Token) -> Candidate | None:
    """'Trump's criticism of Cruz', 'House members voiced concerns about the leaks', 'Davis was critical of
    the candidates': a stance noun or adjective whose holder is its possessor, or the subject of the verb it
    is the object or complement of."""
    prep = next((c for c in word.children if c.dep_ == "prep" and c.lower_ in STANCE_WORDS[word.lower_]), None)
    obj = next((c for c in prep.children if c.dep_ in ("pobj", "pcomp")), None) if prep is not None else None
    if obj is None:
        return None
    holder = next((c for c in word.children if c.dep_ == "poss"), None)
    if holder is None and word.dep_ in ("dobj", "attr", "acomp", "oprd"):
        holder = next((c for c in word.head.children if c.dep_ == "nsubj"), None)
    if holder is None or holder.lower_ in NON_SPEAKERS | RELATIVE | {"it"}:
        return None
    span = _trim(word.doc, list(obj.subtree), tight=True)
    if span is None:
        return None
    return Candidate(Attribution(word, f"{word.text} {prep.text}", mention_span(holder)), span[0], span[1], "stance")


def _claim(noun: Token) -> Candidate | None:
    """'Trump's assertion that Obama founded ISIS', 'critics made the claim that the deal was illegal': the
    that-clause of a noun of saying, held by the noun's possessor or by the subject of a light verb."""
    low = noun.lower_
    content = next((c for c in noun.children if c.i > noun.i and c.dep_ in ("acl", "ccomp") and any(
        g.dep_ == "mark" and g.lower_ == "that" and low in CLAIM_NOUNS or g.dep_ == "aux" and g.lower_ == "to"
        and low in INTENT_NOUNS for g in c.children)), None)
    if content is None:
        return None
    holder = next((c for c in noun.children if c.dep_ == "poss"), None)
    if holder is None and noun.dep_ == "dobj" and noun.head.lower_ in LIGHT_VERBS:
        holder = next((c for c in noun.head.children if c.dep_ == "nsubj"), None)
    if holder is None or holder.lower_ in NON_SPEAKERS | RELATIVE | {"it"}:
        return None
    tokens = list(content.subtree)
    span = _trim(noun.doc, tokens if low in CLAIM_NOUNS else [t for t in tokens if t.i >= content.left_edge.i])
    if span is None:
        return None
    return Candidate(Attribution(noun, noun.text, mention_span(holder)), span[0], span[1], "claim")


def _hearsay(adverb: Token) -> Candidate | None:
    """'Clinton has reportedly amassed the delegates': the clause is attributed to no one in particular."""
    clause = adverb.head
    if clause.dep_ not in VERBAL or not any(c.dep_ in ("nsubj", "nsubjpass") for c in clause.children):
        return None
    span = _trim(adverb.doc, list(clause.subtree), tight=True)
    if span is None:
        return None
    return Candidate(Attribution(adverb, adverb.text, None), span[0], span[1], "hearsay")


def _made_clear(clear: Token) -> Candidate | None:
    """'Jane Sanders made it clear that her husband's supporters won't simply fall in line'."""
    made = clear.head
    content = next((c for c in [*clear.children, *made.children] if c.i > clear.i and c.dep_ in ("ccomp", "advcl")
                    and any(g.dep_ == "mark" and g.lower_ == "that" for g in c.children)), None)
    subj = next((c for c in made.children if c.dep_ == "nsubj"), None)
    if content is None or subj is None or subj.lower_ in NON_SPEAKERS | RELATIVE | {"it"}:
        return None
    span = _trim(clear.doc, list(content.subtree))
    if span is None:
        return None
    return Candidate(Attribution(clear, f"{made.text} clear", mention_span(subj, made)), span[0], span[1], "clause")


def _stray_subject(cue: Token) -> Attribution | None:
    """'Alarmed by the unrest, Senator Harry Reid, the minority leader, said that ...': a name right
    before a subjectless verb that the parser hung elsewhere is its subject."""
    if any(c.dep_ in SUBJECTS for c in cue.children):
        return None
    ents = [e for e in cue.doc.ents if e.label_ in ("PERSON", "ORG", "NORP")
            and cue.sent.start <= e.start and e.end <= cue.i]
    if not ents:
        return None
    root = ents[-1].root
    inside = set(t.i for t in root.subtree)
    if any(not (t.is_punct or t.i in inside) for t in cue.doc[ents[-1].end : cue.i]):
        return None
    return Attribution(cue, None, mention_span(root, cue))


def _seems(cue: Token) -> Candidate | None:
    """'Trump seemed to imply that ...', 'Clinton appears certain to win': an impression the text does not
    attribute to anyone; the content is the subject with what it seems to do or be."""
    subj = next((c for c in cue.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    comp = next((c for c in cue.children if c.dep_ in ("xcomp", "acomp", "attr", "oprd") and c.i > cue.i), None)
    if subj is None or comp is None or subj.lower_ in NON_SPEAKERS | {"it", "there"}:
        return None
    span = _trim(cue.doc, list(subj.subtree) + list(comp.subtree))
    if span is None:
        return None
    return Candidate(Attribution(cue, cue.text, None), span[0], span[1], "seems")


def _passive(cue: Token, lemma: str) -> Candidate | None:
    """'Both attacks were claimed by the Islamic State' -> the agent says so; 'Trump is expected to win'
    and 'Sanders was asked whether ...' -> an attribution without a source."""
    doc = cue.doc
    subj = next((c for c in cue.children if c.dep_ == "nsubjpass"), None)
    agent = next((c for c in cue.children if c.dep_ == "agent"), None)
    by = next((c for c in agent.children if c.dep_ == "pobj"), None) if agent is not None else None
    comp = next((c for c in cue.children if c.dep_ in ("ccomp", "xcomp") and c.i > cue.i), None)
    if lemma in PREPS and comp is None:
        comp = next((g for c in cue.children if c.dep_ == "prep" and c.i > cue.i and c.lower_ in PREPS[lemma]
                     for g in c.children if g.dep_ in ("pobj", "pcomp")), None)
    speaker = mention_span(by) if by is not None else None
    as_what = _regarded_as(cue) if lemma in REGARD else None
    if as_what is None and lemma in OBJECT and by is None:
        # "Sanders has been criticized for offering vague answers", "was widely criticized as sloppy"
        as_what = next((c for c in cue.children if c.i > cue.i and c.dep_ == "prep" and c.lower_ in ("as", "for")),
                       None)
    if subj is not None and as_what is not None:
        tokens = list(subj.subtree) + list(as_what.subtree)  # "Rubio is seen as the favourite"
    elif lemma == "expect" and subj is not None and comp is not None and comp.dep_ == "xcomp":
        tokens = list(subj.subtree) + list(comp.subtree)  # "Obama is expected to join Clinton"
    elif comp is not None and lemma in CLAUSE:
        tokens = list(comp.subtree)  # "was asked whether ...", "was told that ..."
    elif subj is not None and lemma in OBJECT and by is not None:
        tokens = list(subj.subtree)  # "were claimed by the Islamic State"
    else:
        return None
    span = _trim(doc, tokens)
    if span is None:
        return None
    return Candidate(Attribution(cue, _phrase([cue, agent] if agent is not None else [cue]), speaker),
                     span[0], span[1], "passive")


def _complement(cue: Token, lemma: str) -> tuple[list[Token], list[Token], str] | None:
    """(content tokens, extra cue tokens such as a particle or preposition, construction)."""
    kids = list(cue.children)
    extra = [c for c in kids if c.dep_ == "prt"]
    ccomps = [c for c in kids if c.dep_ == "ccomp"]
    if lemma in CLAUSE and ccomps:
        # "believes there are no good options, but that sometimes ...": a that-clause coordinated with the
        # content (the parser hangs it on the verb) is content too
        ccomps += [c for c in kids if c.dep_ == "conj" and c.i > ccomps[-1].i
                   and any(g.dep_ == "mark" and g.lower_ in ("that", "whether") for g in c.children)]
        return [t for c in ccomps for t in list(c.subtree)], extra, "clause"
    xcomps = [c for c in kids if c.dep_ == "xcomp" and c.i > cue.i]
    if xcomps and (lemma in INFINITIVE or lemma in CLAUSE and lemma not in ADDRESSEE | BELIEF):
        return _rest_of_phrase(cue, xcomps[0]), extra, "infinitive"
    preps = PREPS.get(lemma, ())
    if "for" in preps:
        for c in kids:
            mark = next((g for g in c.children if g.dep_ == "mark" and g.lower_ == "for"), None)
            if c.dep_ == "advcl" and c.i > cue.i and mark is not None:
                # "called for Trump to drop out", parsed as a clause opened by "for"
                return [t for t in c.subtree if t.i != mark.i], extra + [mark], "prep"
    if preps:
        for c in kids:
            if c.dep_ == "prep" and c.i > cue.i and c.lower_ in preps:
                obj = [g for g in c.children if g.dep_ in ("pobj", "pcomp")]
                if obj:
                    return _rest_of_phrase(cue, obj[0]), extra + [c], "prep"
    if lemma in OBJECT and lemma not in ADDRESSEE:
        objs = [c for c in kids if c.dep_ == "dobj" and c.i > cue.i]
        if objs:
            return _object_phrase(cue, objs[0]), extra, "object"
        oprds = [c for c in kids if c.dep_ == "oprd" and c.i > cue.i]
        if oprds and cue.dep_ != "acl" and cue.i + 1 < len(cue.doc):
            # 'he called Rubio “Little Marco”' parsed without an object: all up to what he called him
            return list(cue.doc[cue.i + 1 : oprds[-1].right_edge.i + 1]), extra, "object"
    if lemma in REGARD:
        objs = [c for c in kids if c.dep_ == "dobj" and c.i > cue.i]
        as_what = _regarded_as(cue)
        if objs and as_what is not None and as_what.i > objs[0].i:
            return list(cue.doc[objs[0].left_edge.i : as_what.right_edge.i + 1]), extra, "object"
    if lemma not in CLAUSE:
        return None
    answer = next((c for c in kids if c.i == cue.i + 1 and c.dep_ in ("intj", "dobj", "advmod")
                   and c.lower_ in ANSWERS), None)
    if answer is not None:
        return [answer], extra, "clause"  # "46 percent said yes", "they said so"
    same = next((c for c in kids if c.i > cue.i and c.dep_ == "dobj" and c.lower_ == "same"), None)
    if same is not None:
        return _object_phrase(cue, same), extra, "object"  # "43 percent said the same of Sanders"
    that = _that_clause(cue)
    if that is not None:
        return list(that.subtree), extra, "clause"
    if any(c.dep_ == "xcomp" or c.dep_ == "dobj" and lemma not in ADDRESSEE for c in kids if c.i > cue.i):
        return None
    if (cue.dep_ == "advcl" and cue.head.i > cue.i and lemma not in BELIEF
            and any(c.dep_ == "mark" and c.lower_ == "as" for c in kids)):
        # "As the paper noted, it is surprising ...": the main clause is what was reported
        skip = set(t.i for t in cue.subtree)
        return [t for t in list(cue.head.subtree) if t.i not in skip and t.i > cue.i], extra, "clause-around"
    if cue.dep_ == "parataxis" or cue.dep_ in ("ccomp", "advcl") and cue.head.i < cue.i and lemma not in BELIEF and (
            any(c.dep_ == "nsubj" for c in kids) and not any(c.dep_ == "mark" for c in kids)):
        # "..., he said." and "The plan, he said, will fail.": the clause around the cue, when the cue is a
        # clause of its own (not '... as he replied', nor '..., tweeting at him')
        skip = set(t.i for t in cue.subtree)
        return [t for t in list(cue.head.subtree) if t.i not in skip], extra, "clause-around"
    subj = next((c for c in kids if c.dep_ in SUBJECTS and c.i < cue.i), None)
    if subj is not None and subj.left_edge.i > cue.sent.start + 1:
        # "An impossible combination, they complain." however the parser hung the front part
        comma = cue.doc[subj.left_edge.i - 1]
        rest = cue.doc[cue.i + 1 : cue.sent.end]
        adjuncts = ("npadvmod", "advmod", "prep", "dobj", "dative")
        if comma.text in (",", "—", "–") and all(t.is_punct or t.is_space or t.dep_ in adjuncts or t.head.i != cue.i
                                                 for t in rest):
            return list(cue.doc[cue.sent.start : comma.i]), extra, "clause-before"
    return None


def _regarded_as(cue: Token) -> Token | None:
    """What a verb of regard says its object is: 'as a test' or a bare complement ('considered it a mistake')."""
    return next((c for c in cue.children if c.i > cue.i and (c.dep_ == "prep" and c.lower_ == "as"
                                                              or c.dep_ in ("oprd", "xcomp", "ccomp"))), None)


def _that_clause(cue: Token) -> Token | None:
    """'said in a statement that ...', 'said for the first time that ...': a that-clause the parser
    hung on a phrase after the verb instead of on the verb itself."""
    for child in cue.children:
        if child.i < cue.i or child.dep_ not in ("prep", "npadvmod", "dobj", "dative", "advmod"):
            continue
        for tok in child.subtree:
            edge = tok.left_edge
            if tok.dep_ in ("ccomp", "acl", "relcl") and edge.lower_ == "that" and edge.dep_ == "mark":
                return tok
    return None


def _rest_of_phrase(cue: Token, first: Token) -> list[Token]:
    """From the complement to the end of the verb phrase ("defended Bill Clinton against allegations",
    "touted his rating as evidence that ..."), without a coordinated clause that has its own subject."""
    doc = cue.doc
    stop = cue.right_edge.i
    for child in cue.children:
        if child.i <= first.i or child.dep_ not in ("conj", "parataxis", "advcl"):
            continue
        own_subject = any(c.dep_ in SUBJECTS for c in child.children)
        another_cue = child.dep_ == "conj" and cue_lemma(child.lower_) is not None  # "tweeted X and said Y"
        if own_subject or another_cue or child.dep_ == "advcl" and child.i > first.right_edge.i + 1:
            stop = min(stop, child.left_edge.i - 1)
    start = first.left_edge.i
    return [t for t in doc[start : stop + 1]]


# Adjuncts that end the content of an object cue: "endorsed Cruz last week", "praised Boyle at a press
# conference", "criticized Bill Clinton during a debate", "mentioned it in a speech on Monday".
ADJUNCT_PREPS = {"during", "at", "after", "before", "since", "until", "amid", "despite", "throughout", "while"}
EVENT_NOUNS = STATEMENT_NOUNS | {"rally", "rallies", "debate", "conference", "event", "call", "hearing", "appearance",
                                 "show", "program", "broadcast", "briefing", "meeting", "visit", "stop", "radio",
                                 "television", "town", "campaign", "opening", "remarks", "address", "session"}


def _adjunct(tok: Token) -> bool:
    if tok.dep_ in ("npadvmod", "advcl", "advmod"):
        return True
    if tok.dep_ != "prep":
        return False
    if tok.lower_ in ADJUNCT_PREPS:
        return True
    pobj = next((c for c in tok.children if c.dep_ == "pobj"), None)
    return pobj is not None and (pobj.ent_type_ in ("DATE", "TIME") or pobj.lower_ in EVENT_NOUNS)


def _object_phrase(cue: Token, obj: Token) -> list[Token]:
    """The object of an object cue and what completes it, up to the first adjunct of the verb."""
    tokens = _rest_of_phrase(cue, obj)
    stop = next((c.left_edge.i for c in cue.children if c.i > obj.right_edge.i and _adjunct(c)), None)
    return tokens if stop is None else [t for t in tokens if t.i < stop]


def _source(cue: Token, lemma: str) -> Attribution | None:
    """Who the cue's content is attributed to: its subject, the subject of the verb it hangs off
    ("..., saying ..."), or, for a relative clause, the relative pronoun and what it refers to."""
    verb = cue
    for _ in range(4):
        subj = next((c for c in verb.children if c.dep_ in SUBJECTS), None)
        if subj is not None:
            break
        if any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children):
            return None  # "is expected to", "was asked": the speaker is not the subject
        if verb.dep_ == "acl" and verb.head.lower_ in STATEMENT_NOUNS:
            verb = verb.head.head  # "put out a statement saying ..." -> who put it out
            if verb.dep_ == "prep":
                verb = verb.head
            continue
        if verb.dep_ == "acl" and verb.head.dep_ in NOMINAL and verb.head.lower_ not in NON_SPEAKERS:
            return Attribution(cue, None, mention_span(verb.head, verb))  # "Democrats hoping to retain the Senate"
        if verb.dep_ in ("conj", "advcl", "xcomp", "pcomp", "dep", "acomp") and verb.head is not verb:
            verb = verb.head if verb.dep_ != "pcomp" else verb.head.head
            if verb.dep_ == "ccomp" and cue_lemma(verb.head.lower_):
                verb = verb.head  # 'X denied the project was cosmetic, telling ...': X tells, not the project
            continue
        return None
    else:
        return None
    low = subj.lower_
    if low in NON_SPEAKERS and not (low in ("those", "these") and any(
            c.dep_ in ("acl", "relcl", "prep") for c in subj.children)):
        return None  # but "those surveyed said ...", "those who voted for him say ..."
    if low in RELATIVE:
        if verb.dep_ != "relcl":
            return None
        return Attribution(cue, None, subj.doc[subj.i : subj.i + 1], mention_span(verb.head, verb))
    if low == "it" and lemma in COGNITION:
        return None
    if low == "that":
        return None
    return Attribution(cue, None, mention_span(subj, cue))


def _according(cue: Token) -> Candidate | None:
    """'According to X, Y' -> X says Y (Y may itself report what someone said: the outer source wins)."""
    to = next((c for c in cue.children if c.lower_ == "to"), None)
    pobj = next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
    if pobj is None:
        return None
    return _adjunct_source(cue, pobj, "according to", "according")


def _poll_in(prep: Token) -> Candidate | None:
    """'In the latest Quinnipiac poll, Trump leads ...' -> the poll says so."""
    pobj = next((c for c in prep.children if c.dep_ == "pobj"), None)
    if pobj is None or pobj.lower_ not in POLL_NOUNS or prep.head.dep_ != "ROOT" or cue_lemma(prep.head.text):
        return None
    return _adjunct_source(prep, pobj, prep.text, "poll")


def _adjunct_source(cue: Token, pobj: Token, cue_text: str, construction: str) -> Candidate | None:
    clause = cue.head
    skip = set(t.i for t in cue.subtree)
    content = [t for t in clause.subtree if t.i not in skip]
    # "Y, according to X, who ..." or "Y, sources said, according to X": keep the side with the clause
    span = _trim(cue.doc, _contiguous(content, cue))
    if span is None:
        return None
    return Candidate(Attribution(cue, cue_text, mention_span(pobj)), span[0], span[1], construction)


def _contiguous(tokens: list[Token], cue: Token) -> list[Token]:
    """The content on one side of an adjunct cue: the longer of what precedes and what follows it."""
    before = [t for t in tokens if t.i < cue.i]
    after = [t for t in tokens if t.i > cue.i]
    return before if len(before) >= len(after) else after


def _phrase(tokens: list[Token]) -> str:
    tokens = sorted(tokens, key=lambda t: t.i)
    return " ".join(t.text for t in tokens)


def _trim(doc: Doc, tokens: list[Token], tight: bool = False) -> tuple[int, int] | None:
    """Character span of the content tokens without a leading 'that', trailing punctuation, or a
    trailing aside set off by a comma that is an attribution of its own (", insisting that ..."); with
    `tight`, also without a trailing adverbial clause ("declined to comment as she left")."""
    if not tokens:
        return None
    first = min(t.i for t in tokens)
    last = max(t.i for t in tokens)
    for i in range(first + 1, last + 1):
        tok = doc[i]
        if tok.dep_ not in ("relcl", "advcl", "acl", "appos") or tok.right_edge.i < last:
            continue
        edge = tok.left_edge.i
        if edge <= first + 1:
            continue
        before = doc[edge - 1] if not doc[edge - 1].is_quote or edge - 2 <= first else doc[edge - 2]
        # ", adding that ...", ", despite claims that ...": an aside that is an attribution of its own;
        # ", which ..." / ", who ...": a relative clause that only describes the last noun
        relative = tok.dep_ == "relcl" and doc[edge].lower_ in ("which", "who")
        aside = before.text in (",", "—", "–", ";") and (relative or any(cue_lemma(t.lower_) for t in tok.subtree))
        set_off = tight and before.text in (",", "—", "–") and tok.dep_ in ("appos", "advcl", "acl")
        if aside or set_off or tight and tok.dep_ == "advcl" and doc[edge].lower_ in SUBORDINATORS:
            last = edge - 1
            break
    while first <= last and (doc[first].dep_ == "mark" and doc[first].lower_ in ("that", "whether", "if")
                             or doc[first].is_punct and doc[first].text not in _OPEN_MARKS
                             or doc[first].is_space):
        first += 1
    while last >= first and (doc[last].is_punct and doc[last].text not in _CLOSE_MARKS or doc[last].is_space
                             or doc[last].dep_ == "cc"):
        last -= 1
    if first > last:
        return None
    word = doc[last].text.rstrip(_TRAIL) or doc[last].text
    start, end = doc[first].idx, doc[last].idx + len(word)
    return (start, end) if end > start else None


def _with_marks(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span over the quote marks right at its edges."""
    while start > 0 and text[start - 1] in _OPEN_MARKS:
        start -= 1
    while end < len(text) and text[end] in _CLOSE_MARKS:
        end += 1
    return start, end


def _word_count(doc: Doc, start: int, end: int) -> int:
    span = doc.char_span(start, end, alignment_mode="expand")
    return sum(1 for t in span if t.is_alpha or t.like_num) if span is not None else 0


def _words_inside(doc: Doc, start: int, end: int, mask: bytearray) -> int:
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return 0
    return sum(1 for t in span if (t.is_alpha or t.like_num) and mask[t.idx])


# ----------------------------------------------------------------------------- direct quotes
def _direct_quotes(doc: Doc, text: str, marks: list[tuple[int, int]], direct_attr: dict[int, Attribution],
                   after: dict[int, Attribution | None], partial_of: dict[int, Quote], resolver: SpeakerResolver,
                   mask: bytearray) -> list[Quote]:
    """One quote per group of quote marks that belong together, each with its attribution."""
    groups: list[tuple[int, int, Attribution | None]] = []  # (first mark, last mark, attribution)
    for k, (start, end) in enumerate(marks):
        if k in partial_of:
            continue
        attr = after[k] or direct_attr.get(k) or _direct_cue(doc, text, marks, mask, k)
        if attr is None and k - 1 in partial_of and _continues(doc, text, partial_of[k - 1], marks[k - 1][1], start):
            # 'Biden “has a lot of roles,” said Doyle. “He has that appeal.”': the partial quote goes on
            quote = partial_of[k - 1]
            quote.end_char = _with_marks(text, start, end)[1]
            partial_of[k] = quote
            continue
        if groups:
            g_first, g_last, g_attr = groups[-1]
            gap_start, gap_end = marks[g_last][1], start
            same_cue = attr is None or g_attr is None or _cue_index(attr) == _cue_index(g_attr)
            if (g_last == k - 1 and same_cue and "\n" not in text[gap_start:gap_end]
                    and _gap_ok(doc, gap_start, gap_end, attr or g_attr)
                    and _word_count(doc, gap_start, gap_end) <= _word_count(doc, marks[g_first][0], gap_start)
                    + _word_count(doc, start, end)):
                groups[-1] = (g_first, k, g_attr or attr)
                continue
            if (g_last == k - 1 and attr is None and g_attr is not None and "\n" in text[gap_start:gap_end]
                    and not text[text.find("\n", gap_start, gap_end) : gap_end].strip(_OPEN_MARKS + " \t\n")
                    and _gap_ok(doc, gap_start, text.find("\n", gap_start, gap_end), g_attr)
                    and _stands_alone(doc, text, [(start, end)]) and _closed(text, end)
                    and text[start - 1] == text[marks[g_first][0] - 1]):
                # '“A,” he said.¶“B.”': a quote that goes on in the next paragraph with no cue of its own (and
                # in the same quote marks: a stray '"' opening a paragraph of narration is no quote)
                groups[-1] = (g_first, k, g_attr)
                continue
            if (g_last == k - 1 and attr is None and "\n" not in text[gap_start:gap_end]
                    and _stands_alone(doc, text, [(start, end)])
                    and (g_attr is not None or _stands_alone(doc, text, marks[g_first : g_last + 1]))):
                # '“A,” said Robin Maynard, half joking. He holds two degrees. “B.”': A and B are one
                # attribution, but too much narration stands between them to take it in; keep the longer part
                if _word_count(doc, start, end) > _word_count(doc, marks[g_first][0], marks[g_last][1]):
                    groups[-1] = (k, k, g_attr)
                continue
        groups.append((k, k, attr))

    quotes: list[Quote] = []
    partials = sorted({id(q): q for q in partial_of.values()}.values(), key=lambda q: q.end_char)
    previous: Quote | None = None
    for first, last, attr in groups:
        start, end = marks[first][0], marks[last][1]
        if attr is None and not _stands_alone(doc, text, marks[first : last + 1]):
            continue  # scare quotes, titles, nicknames
        if (first not in direct_attr and not _said_after(text, marks, first, last, after)
                and all(_is_title(doc, text, s, e) for s, e in marks[first : last + 1])):
            continue  # 'said on ABC's “This Week,”': a show, a book, a slogan
        if attr is None:
            before = [q for q in [previous, *partials] if q is not None and q.end_char <= start]
            quote = _inherit(resolver, text, start, end, max(before, key=lambda q: q.end_char, default=None))
        else:
            quote = _make(resolver, start, end, "direct", attr)
        quote.parts = tuple(marks[first : last + 1])
        quotes.append(quote)
        previous = quote
    return quotes


def _closed(text: str, end: int) -> bool:
    """Whether the quote ending at `end` is closed by a quote mark (not cut off by its paragraph's end)."""
    rest = text[end : end + 3].lstrip(",;: ")
    return bool(rest) and rest[0] in _CLOSE_MARKS


def _said_after(text: str, marks: list[tuple[int, int]], first: int, last: int,
                after: dict[int, Attribution | None]) -> bool:
    """'“Nusra Is Al Qaeda,” Mr. Kerry said.': capitalised words that open a sentence and that a reporting
    verb right after them cites are a quote, not a title."""
    if not _opens_sentence(text, marks[first][0]):
        return False
    return any(after[j] is not None and after[j].cue is not None and cue_lemma(after[j].cue.lower_) is not None
               for j in range(first, last + 1))


def _runs_on(doc: Doc, text: str, report: Quote, quote: Quote) -> bool:
    """Whether an uncued quote carries on the reported speech just before it: nothing but the report's own
    cue clause ("..., he told reporters.") and at most a paragraph break stand between them."""
    gap = text[report.end_char : quote.start_char]
    line, _, rest = gap.partition("\n")
    if rest.strip(_OPEN_MARKS + " \t\n") or not _closed(text, quote.end_char):
        return False
    if not any(ch.isalnum() for ch in line):
        return True
    if report.cue is None:
        return False
    span = doc.char_span(report.end_char, report.end_char + len(line), alignment_mode="expand")
    verbs = [t for t in span or [] if t.text == report.cue.split()[0]]
    return bool(verbs) and _gap_ok(doc, report.end_char, report.end_char + len(line),
                                   Attribution(verbs[0], report.cue, None))


def _continues(doc: Doc, text: str, quote: Quote, gap_start: int, gap_end: int) -> bool:
    if "\n" in text[gap_start:gap_end] or quote.cue is None:
        return False
    gap = doc.char_span(gap_start, gap_end, alignment_mode="expand")
    verbs = [t for t in gap or [] if t.text == quote.cue.split()[0]]
    return bool(verbs) and _gap_ok(doc, gap_start, gap_end, Attribution(verbs[0], quote.cue, None))


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
    before = text[text.rfind("\n", 0, start) + 1 : start].rstrip(_OPEN_MARKS + " \t")
    if before and not before.endswith((".", "!", "?", ":", "…")):
        return False
    last = text[pieces[-1][0] : end].rstrip(_CLOSE_MARKS + " ")
    if not last.endswith((".", "!", "?", "…")):
        return False
    return max(_word_count(doc, s, e) for s, e in pieces) >= MIN_DIRECT_WORDS


def _cue_index(attr: Attribution) -> int:
    return attr.cue.i if attr.cue is not None else -1


def _gap_ok(doc: Doc, gap_start: int, gap_end: int, attr: Attribution | None) -> bool:
    """Two quotes join when nothing but their cue clause stands between them ("“A,” he said. “B.”")."""
    gap = doc.char_span(gap_start, gap_end, alignment_mode="expand")
    if gap is None:
        return True
    words = [t for t in gap if not (t.is_punct or t.is_space)]
    if not words:
        return True
    if attr is None or attr.cue is None:
        return False
    clause = _cue_clause(attr.cue)
    # words the parser hung elsewhere are fine as long as they form no clause of their own
    return all(t.i in clause or not any(c.dep_ in ("nsubj", "nsubjpass") for c in t.children) for t in words)


def _opens_sentence(text: str, quote_start: int) -> bool:
    before = text[max(0, quote_start - 12) : quote_start].rstrip(_OPEN_MARKS + " \t")
    return not before or before.endswith((".", "!", "?", ":", ";", "—", "\n"))


def _reports(doc: Doc, start: int, end: int) -> bool:
    """Whether doc.text[start:end] holds a reporting verb with a subject of its own."""
    span = doc.char_span(start, end, alignment_mode="contract")
    return span is not None and any(cue_lemma(t.lower_) and any(c.dep_ in SUBJECTS for c in t.children)
                                    for t in span)


def _introduces(doc: Doc, cue: Token, quote_start: int) -> bool:
    """'Adelson said, “...”' / 'he told reporters: “...”': only the cue's own clause and a comma or colon
    stand between the verb and the quote."""
    gap = doc.char_span(cue.idx + len(cue), quote_start, alignment_mode="expand")
    if gap is None or not len(gap):
        return True
    clause = _cue_clause(cue)
    words = [t for t in gap if not (t.is_punct or t.is_space)]
    return any(t.text in (",", ":") for t in gap) and all(t.i in clause for t in words)


def _cue_clause(cue: Token) -> set[int]:
    """Token indices of 'Smith said in a statement on Monday' around a cue: the verb, its subject,
    particles, auxiliaries, adverbs, addressee and prepositional phrases."""
    keep = {cue.i}
    for child in cue.children:
        if child.dep_ in ("nsubj", "nsubjpass", "aux", "auxpass", "neg", "advmod", "npadvmod", "prt", "prep",
                          "dobj", "dative", "agent", "punct", "cc", "advcl"):
            keep.update(t.i for t in child.subtree)
    return keep


def _inherit(resolver: SpeakerResolver, text: str, start: int, end: int, previous: Quote | None) -> Quote:
    """A quote with no cue of its own: same paragraph as the last quote -> same speaker;
    otherwise the person the previous paragraph ended on, if it names or refers to one."""
    para_start = text.rfind("\n", 0, start) + 1
    if previous is not None and previous.end_char >= para_start - 2 and previous.speaker:
        return Quote(start, end, "direct", previous.speaker, previous.speaker_canonical, None, previous.speaker_start)
    span = resolver.previous_paragraph_speaker(text, para_start)
    if span is None:
        return Quote(start, end, "direct", None, None, None)
    return Quote(start, end, "direct", span.text, resolver.resolve(span), None, span.start_char)


def _next_start(text: str, marks: list[tuple[int, int]], k: int) -> int:
    """Where the text after quote k stops mattering to it: the next quote or the end of the paragraph."""
    end = marks[k][1]
    para_end = text.find("\n", end)
    para_end = len(text) if para_end < 0 else para_end
    return min(para_end, marks[k + 1][0] if k + 1 < len(marks) else len(text))


def _paragraph(text: str, start: int, end: int) -> tuple[int, int]:
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    return para_start, len(text) if para_end < 0 else para_end


def _direct_cue(doc: Doc, text: str, marks: list[tuple[int, int]], mask: bytearray, k: int) -> Attribution | None:
    """The attribution of quote k: the verb right after it, the clause before a colon, or the nearest
    reporting verb outside the marks within its sentence(s) and paragraph."""
    start, end = marks[k]
    para_start, para_end = _paragraph(text, start, end)
    lo = max(para_start, marks[k - 1][1] if k > 0 else 0)
    hi = min(para_end, marks[k + 1][0] if k + 1 < len(marks) else len(text))
    found = _before_colon(doc, text, lo, start, mask)
    if found is not None:
        return found
    before = text[lo:start].rstrip(_OPEN_MARKS + " \t")
    if _word_count(doc, start, end) < MIN_DIRECT_WORDS and not before.endswith((",", ":")):
        return None  # a quoted phrase inside a sentence: a term or a title unless something cites it
    return _nearest_cue(doc, start, end, lo, hi, mask)


def _after_quote(doc: Doc, text: str, end: int, hi: int, mask: bytearray) -> Attribution | None:
    """'“...,” Trump barked.' / '“...,” said Trump.': any verb whose subject follows the quote."""
    after = doc.char_span(end, hi, alignment_mode="contract")
    if after is None:
        return None
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
    return None


def _attr_for(verb: Token, subj: Token) -> Attribution:
    extra = [c for c in verb.children if c.dep_ == "prt"]
    cue = _phrase([verb, *extra])
    if subj.lower_ in RELATIVE and verb.dep_ == "relcl":
        return Attribution(verb, cue, subj.doc[subj.i : subj.i + 1], mention_span(verb.head, verb))
    return Attribution(verb, cue, mention_span(subj, verb))


def _before_colon(doc: Doc, text: str, lo: int, start: int, mask: bytearray) -> Attribution | None:
    """'She addressed the supporters again: “...”': the clause that ends in a colon before the quote."""
    j = start - 1
    while j > lo and text[j] in _OPEN_MARKS + " \t":
        j -= 1
    if j <= lo or text[j] != ":":
        return None
    span = doc.char_span(lo, j, alignment_mode="contract")
    if span is None or not len(span):
        return None
    for tok in reversed(span):
        if mask[tok.idx]:
            break
        subj = next((c for c in tok.children if c.dep_ == "nsubj" and c.i < tok.i), None)
        if subj is not None and not mask[subj.idx]:
            return _attr_for(tok, subj)
    return None


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
        attr = _source(tok, lemma)
        if attr is None or attr.speaker_span is None or mask[attr.speaker_span.start_char]:
            continue
        attr.cue_text = _phrase([tok, *(c for c in tok.children if c.dep_ == "prt")])
        distance = min(abs(tok.idx - end), abs(start - tok.idx))
        if best is None or distance < best[0]:
            best = (distance, attr)
    return best[1] if best else None
