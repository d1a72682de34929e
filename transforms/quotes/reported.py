"""Reported speech: a cue outside quote marks with its source and content.

Every rule starts at one token and returns a `Candidate` (attribution + content span) or None:
  * a reporting verb and the complement it takes (`transforms.cues`): "X said (that) ...",
    "..., X said", "X told reporters ...", "X accused Y of ...", "X vowed to ...", "X warned of ...";
  * "according to X, ...", "in the latest poll, ...";
  * nouns and adjectives of saying or stance: "Trump's assertion that ...", "concerns about ...", "is
    confident that ...", and a stance received: "the bill drew criticism from lawmakers";
  * "reportedly", "made it clear that ...", passives ("was told that ...", "is seen as ...").
Each candidate carries its `cue_type` (`transforms.cues.cue_type`). Constructions that attribute
nothing are no candidates: impressions ("seems to", "appeared to"), forecasts without a source
("is expected to") and refusals to speak ("declined to comment").
"""

from __future__ import annotations

from dataclasses import replace

from spacy.tokens import Token

from transforms.cues import (
    ADDRESSEE,
    BELIEF,
    CLAIM_NOUNS,
    CLAUSE,
    COGNITION,
    CUE_LEMMA,
    EVIDENCE,
    EVIDENCE_VERBS,
    INFINITIVE,
    INTENT_NOUNS,
    INTENTION,
    LIGHT_VERBS,
    NO_COMMENT,
    OBJECT,
    PREPS,
    RECEIVE_VERBS,
    RECEIVED_STANCES,
    REGARD,
    SPEECH,
    SPEECH_ACT_NOUNS,
    SPEECH_INTENT_NOUNS,
    STANCE,
    STANCE_WORDS,
    THOUGHT,
    THOUGHT_ADJECTIVES,
    THOUGHT_NOUNS,
    cue_lemma,
    cue_type,
)
from transforms.quotes.model import Attribution, Candidate
from transforms.quotes.spans import (
    STATEMENT_NOUNS,
    SUBJECTS,
    contiguous,
    object_phrase,
    phrase,
    rest_of_phrase,
    trim,
)
from transforms.speakers import mention_span

# Where a reporting verb can sit in the parse (a verb used as adjective or noun is no cue).
VERBAL = {"ROOT", "ccomp", "conj", "advcl", "xcomp", "relcl", "parataxis", "acl", "pcomp", "dep", "advmod"}
RELATIVE = {"who", "which", "that", "whom"}
NOMINAL = {"nsubj", "nsubjpass", "dobj", "pobj", "conj", "appos", "attr", "ROOT", "npadvmod"}
NON_SPEAKERS = {"there", "this", "these", "those", "what", "everything", "nothing", "something", "anything"}
# Sources whose findings are attributions: "in the latest poll, Trump leads ...".
POLL_NOUNS = {"poll", "polls", "survey", "surveys", "study", "analysis", "report", "polling"}
# Findings that are evidence, not words: "according to court records", "according to the data".
DATA_NOUNS = {"data", "records", "figures", "documents", "statistics", "estimates", "results", "numbers", "studies",
              "reports", "research", "filings", "census"}
# Questions a verb of saying reports ("have not said when ...", "asked whether ...", "explained how ...").
WH_WORDS = {"when", "whether", "how", "why", "what", "where", "if", "who", "which"}
WH_CUES = {"ask", "wonder", "question", "explain", "disclose", "reveal", "specify", "indicate", "know", "decide",
           "describe"}
# One-word answers a reporting verb can take as its whole content: "said yes", "says so".
ANSWERS = {"yes", "no", "so"}
# Adverbs that attribute a clause to unnamed sources: "Clinton has reportedly amassed the delegates".
HEARSAY = {"reportedly", "allegedly", "reputedly", "purportedly"}
# Verbs of BELIEF (too common to count alone) that report words said when they open an as-clause.
SAID_AS = {"add", "post", "write", "mention", "answer", "counter"}
PUT = {"put", "puts", "putting"}
# What a source is (not) allowed to say, in the press's formula: no attribution of its own.
PERMISSION = {"anonymity", "authorized", "authorised", "cleared"}
# Every word reported_candidate can act on: any other token is rejected with one set lookup (most are).
_TRIGGERS = frozenset().union(("according", "in", "clear"), PUT, STANCE_WORDS, CLAIM_NOUNS, INTENT_NOUNS, HEARSAY,
                              RECEIVED_STANCES, THOUGHT_ADJECTIVES, CUE_LEMMA)
MIN_REPORTED_WORDS = 1
# Where a word spelled like a stance noun is a verb ("declined to comment on the case").
CLAUSAL = {"ROOT", "ccomp", "xcomp", "advcl", "relcl", "parataxis", "acl", "pcomp"}
# Nouns of speech acts that name deeds as well ("the attack on the convoy"): a speech act only with a holder.
DEEDS_OR_WORDS = {"attack", "attacks", "opposition"}
# Verbs that voice an attitude about something ("expressed concern about ...") and the prepositions that
# introduce what it is about ("show" and "offer" do not: "a poll shows a bump for Clinton", "offered help to
# students").
ATTITUDE_VERBS = {"express"}
ATTITUDE_PREPS = {"about", "for", "of", "on", "with", "over", "to", "toward", "towards", "against", "regarding"}


def reported_candidate(tok: Token) -> Candidate | None:
    """The attribution a token introduces as a cue (source, content span), if it is one."""
    low = tok.lower_
    if low not in _TRIGGERS:
        return None
    if low == "according" and tok.dep_ in ("prep", "ROOT"):
        return _according(tok)
    if low == "in" and tok.dep_ == "prep":
        return _poll_in(tok)
    if low in RECEIVED_STANCES and tok.dep_ == "dobj" and tok.head.lower_ in RECEIVE_VERBS:
        return _received(tok)  # "the bill has drawn criticism from lawmakers"
    if low in STANCE_WORDS:
        stance = _stance(tok)
        if stance is not None:
            return stance  # "her warnings about the deficit"; else "her warning that ...", "did not mention X" below
    if low in THOUGHT_ADJECTIVES and tok.dep_ == "acomp":
        certain = _certain_that(tok)
        if certain is not None:
            return certain  # "the mayor is confident that the bridge will reopen"
    if (low in CLAIM_NOUNS or low in INTENT_NOUNS) and tok.dep_ not in VERBAL:
        return _claim(tok)
    if low in HEARSAY and tok.dep_ == "advmod":
        return _hearsay(tok)
    if low == "clear" and tok.head.lower_ in ("make", "makes", "made", "making"):
        return _made_clear(tok)
    if low in PUT:
        return _as_put_it(tok)
    lemma = cue_lemma(low)
    if lemma is None or tok.dep_ not in VERBAL:
        return None
    if tok.dep_ == "xcomp" and cue_lemma(tok.head.lower_) in ("decline", "refuse"):
        return None  # 'declined to comment on the case': nothing is attributed
    if tok.dep_ in ("xcomp", "acl", "advcl", "relcl") and tok.left_edge.i > 0 and (
            tok.doc[tok.left_edge.i - 1].lower_ in PERMISSION):
        return None  # 'on condition of anonymity to discuss the sale', 'not authorized to reveal the terms'
    if tok.dep_ == "advmod" and not low.endswith("ing"):
        return None
    if any(c.dep_ in ("nsubjpass", "auxpass") for c in tok.children):
        # 'the deal, which was announced on Friday, ...': a passive relative clause describes, it reports
        # nothing; 'lawyers are expected to ask': a forecast nobody in the text makes
        return _passive(tok, lemma) if tok.dep_ != "relcl" and lemma != "expect" else None
    asked = _asked(tok) if low == "asked" and tok.dep_ == "advcl" and tok.i < tok.head.i else None
    if asked is not None:
        return asked
    found = _complement(tok, lemma)
    if found is None:
        return None
    content, cue_extra, construction = found
    attr = source(tok, lemma)
    if attr is None and tok.dep_ == "ROOT" and construction == "clause":
        attr = _stray_subject(tok)
    if attr is None:
        return None
    if lemma in ("decline", "refuse") and any(t.lower_ in NO_COMMENT for t in content[:3]):
        return None  # 'declined to comment', 'refused comment': nothing is attributed
    span = trim(tok.doc, content, tight=construction in ("object", "infinitive", "prep"))
    if span is None:
        return None
    attr = replace(attr, cue_text=phrase([tok, *cue_extra]), cue_type=cue_type(lemma, construction))
    parts = _around(tok, span) if construction == "clause-around" else ()
    return Candidate(attr, span[0], span[1], construction, parts)


def _around(cue: Token, span: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    """'The museum, Mr. Obama said, would make visitors face hard truths': the content on each side of a
    cue clause inside it, as two fragments (the narration in neither); () when the cue is at an edge."""
    doc = cue.doc
    lo, hi = cue.left_edge.i, cue.right_edge.i
    before = lo - 1
    while before >= 0 and (doc[before].is_punct or doc[before].is_space):
        before -= 1
    after = hi + 1
    while after < len(doc) and (doc[after].is_punct or doc[after].is_space):
        after += 1
    if before < 0 or after >= len(doc) or doc[before].idx < span[0] or doc[after].idx >= span[1]:
        return ()
    return (span[0], doc[before].idx + len(doc[before])), (doc[after].idx, span[1])


def _stance(word: Token) -> Candidate | None:
    """'Trump's criticism of Cruz', 'House members voiced concerns about the leaks', 'Davis was critical of
    the candidates': a stance noun or adjective whose holder is its possessor, or the subject of the verb it
    is the object or complement of."""
    prep = next((c for c in word.children if c.dep_ == "prep" and c.lower_ in STANCE_WORDS[word.lower_]), None)
    obj = next((c for c in prep.children if c.dep_ in ("pobj", "pcomp")), None) if prep is not None else None
    if obj is None or obj.ent_type_ in ("DATE", "TIME"):
        return None  # (not 'his remarks on Saturday': when, not what about)
    holder = next((c for c in word.children if c.dep_ == "poss"), None) or _from_whom(word)
    if holder is None and word.dep_ in ("dobj", "attr", "acomp", "oprd"):
        holder = next((c for c in word.head.children if c.dep_ == "nsubj"), None)
    elif holder is None and word.dep_ == "pobj" and word.head.lower_ in ("with", "in") and word.head.dep_ == "prep":
        # 'the council went ahead with hopes of a quick deal': whoever does the verb holds it
        holder = next((c for c in word.head.head.children if c.dep_ == "nsubj"), None)
    if (holder is None and (word.lower_ in DEEDS_OR_WORDS or word.dep_ in CLAUSAL)
            or holder is not None and holder.lower_ in NON_SPEAKERS | RELATIVE | {"it"}):
        # 'The attack on the convoy killed three soldiers': a deed, unless someone's words; 'declined to comment
        # on the case': a verb spelled like the noun, left to the rules of verbs
        return None
    span = trim(word.doc, list(obj.subtree), tight=True)
    if span is None:
        return None
    kind = SPEECH if word.lower_ in SPEECH_ACT_NOUNS else STANCE
    # 'Amid growing concerns about the deficit, ...': a stance nobody in the sentence holds is still one
    speaker = mention_span(holder) if holder is not None else None
    attr = Attribution(word, f"{word.text} {prep.text}", speaker, cue_type=kind)
    return Candidate(attr, span[0], span[1], "stance")


def _received(noun: Token) -> Candidate | None:
    """'The bill has drawn harsh criticism from lawmakers', 'the mayor faced criticism from residents for the
    closures', 'Rubio won the support of governors': a stance held by whoever it comes from, about the
    subject (and about what the for-phrase names, a second fragment)."""
    verb = noun.head
    preps = [c for c in [*noun.children, *verb.children] if c.dep_ == "prep"]
    holder = next((g for c in preps if c.lower_ == "from" or c.lower_ == "of" and c.head.i == noun.i
                   for g in c.children if g.dep_ == "pobj"), None)
    subj = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if subj is None or subj.lower_ in NON_SPEAKERS | RELATIVE:
        return None
    doc = noun.doc
    target = (subj.left_edge.idx, subj.right_edge.idx + len(subj.right_edge))
    around = [*preps, *(holder.children if holder is not None else ())]
    reason = next((c for c in around if c.dep_ == "prep" and c.lower_ in ("for", "over") and c.i > noun.i), None)
    parts: tuple[tuple[int, int], ...] = ()
    end = target[1]
    if reason is not None:
        span = trim(doc, list(reason.subtree), tight=True)
        if span is not None:
            parts, end = (target, span), span[1]
    # ('Suu Kyi has faced sharp criticism for failing to ...': a stance nobody in the sentence holds is still one)
    speaker = (mention_span(holder, reason if reason is not None and reason.head.i == holder.i else None)
               if holder is not None else None)
    while speaker is not None and len(speaker) > 1 and speaker[-1].dep_ in ("cc", "punct"):
        speaker = speaker[:-1]
    attr = Attribution(noun, phrase([verb, noun]), speaker, cue_type=RECEIVED_STANCES[noun.lower_])
    return Candidate(attr, target[0], end, "stance", parts)


def _certain_that(adjective: Token) -> Candidate | None:
    """'The mayor is confident that the bridge will reopen', 'aides were adamant that nothing had changed': the
    subject of the adjective's verb holds the that-clause (on the adjective or, as parsed, on the verb)."""
    verb = adjective.head
    content = next((c for c in [*adjective.children, *verb.children] if c.i > adjective.i
                    and c.dep_ in ("ccomp", "advcl") and any(g.dep_ == "mark" and g.lower_ == "that"
                                                             for g in c.children)), None)
    subj = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if content is None or subj is None or subj.lower_ in NON_SPEAKERS | RELATIVE | {"it"}:
        return None
    span = trim(adjective.doc, list(content.subtree))
    if span is None:
        return None
    return Candidate(Attribution(adjective, phrase([verb, adjective]), mention_span(subj, verb), cue_type=THOUGHT),
                     span[0], span[1], "clause")


def _claim(noun: Token) -> Candidate | None:
    """'Trump's assertion that Obama founded ISIS', 'critics made the claim that the deal was illegal': the
    that-clause of a noun of saying, held by the noun's possessor or by the subject of a light verb."""
    low = noun.lower_
    content = next((c for c in noun.children if c.i > noun.i and c.dep_ in ("acl", "ccomp", "relcl") and any(
        g.dep_ == "mark" and g.lower_ == "that" and low in CLAIM_NOUNS or g.dep_ == "aux" and g.lower_ == "to"
        and low in INTENT_NOUNS for g in c.children)), None)
    if content is None:
        return None
    holder = next((c for c in noun.children if c.dep_ == "poss"), None)
    if holder is None:  # "a New York Times report that ...": a name in front of the noun holds it
        holder = next((c for c in noun.children if c.dep_ in ("compound", "nmod") and c.i < noun.i
                       and c.ent_type_ in ("PERSON", "ORG", "NORP", "GPE")), None)
    if holder is None and noun.dep_ == "dobj" and noun.head.lower_ in LIGHT_VERBS:
        holder = next((c for c in noun.head.children if c.dep_ == "nsubj"), None)
    holder = holder or _from_whom(noun)
    if holder is not None and holder.lower_ in NON_SPEAKERS | RELATIVE | {"it"}:
        return None
    tokens = list(content.subtree)
    span = trim(noun.doc, tokens if low in CLAIM_NOUNS else [t for t in tokens if t.i >= content.left_edge.i])
    if span is None:
        return None
    if low in INTENT_NOUNS and low not in CLAIM_NOUNS:
        kind = SPEECH if low in SPEECH_INTENT_NOUNS else INTENTION
    elif low in ("report", "reports", "finding", "findings"):
        kind = EVIDENCE
    else:
        kind = THOUGHT if low in THOUGHT_NOUNS else SPEECH
    # 'There were claims that the vote had been rigged': a claim nobody in the sentence makes is still one
    speaker = mention_span(holder) if holder is not None else None
    return Candidate(Attribution(noun, noun.text, speaker, cue_type=kind), span[0], span[1], "claim")


def _from_whom(noun: Token) -> Token | None:
    """'complaints from residents about the noise', 'worries from Paris to Prague that ...': who holds it."""
    return next((g for c in noun.children if c.dep_ == "prep" and c.lower_ == "from" for g in c.children
                 if g.dep_ == "pobj"), None)


def _hearsay(adverb: Token) -> Candidate | None:
    """'Clinton has reportedly amassed the delegates': the clause is attributed to no one in particular."""
    clause = adverb.head
    if clause.dep_ not in VERBAL or not any(c.dep_ in ("nsubj", "nsubjpass") for c in clause.children):
        return None
    span = trim(adverb.doc, list(clause.subtree), tight=True)
    if span is None:
        return None
    return Candidate(Attribution(adverb, adverb.text, None, cue_type=EVIDENCE), span[0], span[1], "hearsay")


def _made_clear(clear: Token) -> Candidate | None:
    """'Jane Sanders made it clear that her husband's supporters won't simply fall in line', 'the mayor had
    made clear that ...' (the that-clause parsed as the subject of "clear"), and 'The mayor, making it clear
    that ..., closed the bridge' (whoever does the main verb makes it clear)."""
    made = clear.head
    content = next((c for c in [*clear.children, *made.children] if c.i > clear.i
                    and c.dep_ in ("ccomp", "advcl", "csubj")
                    and any(g.dep_ == "mark" and g.lower_ == "that" for g in c.children)), None)
    if content is None:
        return None
    subj = next((c for c in made.children if c.dep_ == "nsubj"), None)
    if subj is None and made.dep_ == "advcl" and not any(c.dep_ in ("nsubjpass", "auxpass") for c in made.children):
        attr = source(made, "make")
        speaker = attr.speaker_span if attr is not None else None
    elif subj is not None and subj.lower_ not in NON_SPEAKERS | RELATIVE | {"it"}:
        speaker = mention_span(subj, made)
    else:
        speaker = None
    if speaker is None or speaker.root.lower_ in NON_SPEAKERS | RELATIVE | {"it"}:
        return None
    span = trim(clear.doc, list(content.subtree))
    if span is None:
        return None
    return Candidate(Attribution(clear, f"{made.text} clear", speaker), span[0], span[1], "clause")


def _as_put_it(put: Token) -> Candidate | None:
    """'The roads, as she puts it, come first': the clause around "as X put(s) it" is what X said."""
    kids = list(put.children)
    subj = next((c for c in kids if c.dep_ == "nsubj"), None)
    if (put.dep_ != "advcl" or subj is None or subj.lower_ in NON_SPEAKERS | RELATIVE
            or not any(c.dep_ == "mark" and c.lower_ == "as" for c in kids)
            or not any(c.dep_ == "dobj" and c.lower_ == "it" for c in kids)):
        return None
    skip = set(t.i for t in put.subtree)
    tokens = [t for t in put.head.subtree if t.i not in skip  # not 'because' of 'because, as ...'
              and not (t.head.i == put.head.i and t.dep_ in ("mark", "cc") and t.i < put.i)]
    if not any(t.i < put.i and not t.is_punct for t in tokens):
        tokens = [t for t in tokens if t.i > put.i]
    span = trim(put.doc, tokens)
    if span is None:
        return None
    return Candidate(Attribution(put, f"{put.text} it", mention_span(subj, put)), span[0], span[1], "clause-around",
                     _around(put, span))


def _asked(cue: Token) -> Candidate | None:
    """'Asked if the plan was legal, 46 percent said yes': a question put to the main clause's subject by
    someone the text does not name; the question is attributed, to no one."""
    if any(c.dep_ in SUBJECTS for c in cue.children):
        return None
    question = next((c for c in cue.children if c.i > cue.i and c.dep_ in ("advcl", "ccomp")
                     and c.left_edge.lower_ in WH_WORDS), None)
    if question is None:
        return None
    span = trim(cue.doc, list(question.subtree))
    if span is None:
        return None
    return Candidate(Attribution(cue, cue.text, None), span[0], span[1], "clause")


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
    as_what = _regarded_as(cue, by) if lemma in REGARD else None
    # (not 'some as a demotion' of 'was seen by some as a demotion': the as-phrase is no part of who)
    hung_on_agent = as_what is not None and by is not None and as_what.head.i == by.i
    speaker = mention_span(by, as_what if hung_on_agent else None) if by is not None else None
    if as_what is None and lemma in OBJECT and by is None:
        # "Sanders has been criticized for offering vague answers", "was widely criticized as sloppy"
        # "Mr. Quiros was accused of using the funds": what he was accused of
        preps = ("as", "for", "of") if lemma == "accuse" else ("as", "for")
        as_what = next((c for c in cue.children if c.i > cue.i and c.dep_ == "prep" and c.lower_ in preps), None)
    cue_text = phrase([cue, agent] if agent is not None else [cue])
    attr = Attribution(cue, cue_text, speaker, cue_type=cue_type(lemma, "passive"))
    if subj is not None and as_what is not None and subj.right_edge.i < cue.i < as_what.i:
        # "Rubio is seen as the favourite", "Pence was dubbed the debate winner": what is regarded, and
        # what it is regarded as; the verb between them is narration, in neither fragment
        who, what = trim(doc, list(subj.subtree), tight=True), trim(doc, list(as_what.subtree))
        if who is None or what is None:
            return None
        return Candidate(attr, who[0], what[1], "passive", (who, what))
    if subj is not None and as_what is not None:
        tokens = list(subj.subtree) + list(as_what.subtree)
    elif comp is not None and lemma in CLAUSE:
        tokens = list(comp.subtree)  # "was asked whether ...", "was told that ..."
    elif subj is not None and lemma in OBJECT and by is not None:
        tokens = list(subj.subtree)  # "were claimed by the Islamic State"
    else:
        return None
    span = trim(doc, tokens)
    if span is None:
        return None
    return Candidate(attr, span[0], span[1], "passive")


def _complement(cue: Token, lemma: str) -> tuple[list[Token], list[Token], str] | None:
    """(content tokens, extra cue tokens such as a particle or preposition, construction)."""
    kids = list(cue.children)
    extra = [c for c in kids if c.dep_ == "prt"]
    ccomps = [c for c in kids if c.dep_ == "ccomp"]
    # A clause the parser hung on the cue before it is no content when a clause follows the cue ('Most voters
    # say they are paying attention; 26 percent say they are not', 'While he acknowledged funding was a reason,
    # Ham also noted ...'), nor when it is a quote's own cue ('“You winning?” she said, but ... Melanie said yes')
    after = any(c.i > cue.i for c in ccomps)
    ccomps = [c for c in ccomps if c.i > cue.i or not (after or cue_lemma(c.lower_) in CLAUSE and any(
        g.dep_ in SUBJECTS and g.left_edge.i > 0 and cue.doc[g.left_edge.i - 1].is_quote for g in c.children))]
    if lemma in CLAUSE and ccomps:
        # "believes there are no good options, but that sometimes ...": a that-clause coordinated with the
        # content (the parser hangs it on the verb) is content too
        ccomps += [c for c in kids if c.dep_ == "conj" and c.i > ccomps[-1].i
                   and any(g.dep_ == "mark" and g.lower_ in ("that", "whether") for g in c.children)]
        # 'Merrill says Machado promised to back Clinton and said she would ...': a verb of saying
        # coordinated inside the content reports on its own
        # (but not '... and that she wanted to move on': a clause opened by "that" is more of the content)
        nested = {t.i for c in ccomps for g in c.children if g.dep_ == "conj" and g.i > c.i
                  and (cue_lemma(g.lower_) in CLAUSE or cue_lemma(g.lower_) and any(
                      k.dep_ in SUBJECTS for k in g.children))
                  and not any(k.dep_ == "mark" and k.lower_ == "that" for k in g.children) for t in g.subtree}
        return [t for c in ccomps for t in c.subtree if t.i not in nested], extra, "clause"
    # 'asked the students during a class if ...': the addressee and adjuncts may stand before the question
    between = {t.i for c in kids if c.i > cue.i and c.dep_ in ("dobj", "dative", "prep", "npadvmod", "advmod")
               and lemma in ADDRESSEE for t in c.subtree}
    wh = next((c for c in kids if c.dep_ == "advcl" and c.i > cue.i and c.left_edge.lower_ in WH_WORDS
               and all(i in between or cue.doc[i].is_punct for i in range(cue.i + 1, c.left_edge.i))), None)
    if (wh is not None and lemma in CLAUSE and any(c.dep_ in SUBJECTS for c in kids)
            and (lemma in WH_CUES or any(c.dep_ == "neg" for c in kids))):  # not 'Asked if ..., voters said
        return list(wh.subtree), extra, "clause"  # 'lawmakers have not said when they would take it up'
    # (a verb of saying takes its infinitive right after it: 'he said, on condition of anonymity to speak
    # freely, ...' hangs the adjunct's infinitive on "said")
    xcomps = [c for c in kids if c.dep_ == "xcomp" and c.i > cue.i
              and (lemma in INFINITIVE or not any(t.dep_ == "prep" for t in cue.doc[cue.i + 1 : c.left_edge.i]))]
    if xcomps and (lemma in INFINITIVE or lemma in CLAUSE and lemma not in ADDRESSEE | BELIEF):
        return rest_of_phrase(cue, xcomps[0]), extra, "infinitive"
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
                    return object_phrase(cue, obj[0]), extra + [c], "prep"
                clause = next((g for g in kids if g.left_edge.i == c.i + 1 and g.dep_ in ("ccomp", "xcomp", "advcl")),
                              None)
                if clause is not None:
                    # 'called for compensation to be “clawed back”': the parser hung the clause on the verb
                    return list(clause.subtree), extra + [c], "prep"
    fronted = next((c for c in kids if c.dep_ == "dobj" and c.i < cue.i and c.lower_ in RELATIVE | {"what"}), None)
    as_what = (next((c for c in kids if c.i > cue.i and c.dep_ == "prep" and c.lower_ == "as"), None)
               if fronted is not None else None)
    described = next((c for c in as_what.children if c.dep_ == "pobj"), None) if as_what is not None else None
    if described is not None and (lemma in OBJECT or lemma in REGARD or lemma in PREPS):
        # 'a fire that the mayor described as “a deliberate act”', 'a report which the union pointed to as proof':
        # the object stands before the cue as a relative pronoun; what it was described as is the content
        particle = [c for c in kids if c.dep_ == "prep" and cue.i < c.i < as_what.i
                    and c.lower_ in PREPS.get(lemma, ())]
        return list(described.subtree), extra + particle + [as_what], "object"
    if lemma in OBJECT and lemma not in ADDRESSEE:
        objs = [c for c in kids if c.dep_ == "dobj" and c.i > cue.i]
        about = _attitude(objs[0], lemma) if objs else None
        if about is not None:
            # 'Republicans are expressing concern about the nominee', 'expressed support for Sanders': the
            # attitude is part of the cue, what it is about is the content
            return object_phrase(cue, about[2]), extra + [about[0], about[1]], "prep"
        if objs:
            return object_phrase(cue, objs[0]), extra, "object"
        gerund = next((c for c in kids if c.dep_ == "xcomp" and c.i > cue.i and c.lower_.endswith("ing")
                       and not any(g.dep_ == "aux" for g in c.children)), None)
        if gerund is not None:
            # 'The senator supports keeping troops there', 'has opposed raising the gas tax': a gerund
            # phrase is the object
            return object_phrase(cue, gerund), extra, "object"
        oprds = [c for c in kids if c.dep_ == "oprd" and c.i > cue.i]
        if oprds and cue.dep_ != "acl" and cue.i + 1 < len(cue.doc):
            # 'he called Rubio “Little Marco”' parsed without an object: all up to what he called him
            return list(cue.doc[cue.i + 1 : oprds[-1].right_edge.i + 1]), extra, "object"
    if lemma in REGARD:
        objs = [c for c in kids if c.dep_ == "dobj" and c.i > cue.i]
        as_what = _regarded_as(cue, objs[0] if objs else None)
        if objs and as_what is not None and as_what.i > objs[0].i:
            return list(cue.doc[objs[0].left_edge.i : as_what.right_edge.i + 1]), extra, "object"
    if lemma in REGARD or lemma == "call":
        small = next((c for c in kids if c.dep_ == "ccomp" and c.i > cue.i and c.left_edge.i == cue.i + 1
                      and any(g.dep_ == "nsubj" and g.i < c.i for g in c.children)
                      and not any(g.dep_ in ("aux", "auxpass", "mark") for g in c.children)), None)
        if small is not None and not any(c.dep_ == "dobj" for c in kids):
            # 'Sanders calls Clinton unqualified', 'a third of voters consider the mayor honest': the parser
            # made the object and what it is called a clause of their own
            return list(small.subtree), extra, "object"
    if lemma not in CLAUSE:
        return None
    quoted = next((c for c in kids if c.i > cue.i and c.dep_ == "dobj" and c.left_edge.i > 0
                   and cue.doc[c.left_edge.i - 1].is_quote), None)
    if quoted is not None:
        return list(quoted.subtree), extra, "object"  # 'protesters chanted "What curfew?"'
    answer = next((c for c in kids if c.i == cue.i + 1 and c.dep_ in ("intj", "dobj", "advmod")
                   and c.lower_ in ANSWERS), None)
    if answer is not None:
        words = [answer]  # "46 percent said yes", "they said so", "she said yes, yes, yes"
        while words[-1].i + 2 < len(cue.doc) and cue.doc[words[-1].i + 1].text == "," and (
                cue.doc[words[-1].i + 2].lower_ == answer.lower_):
            words += [cue.doc[words[-1].i + 1], cue.doc[words[-1].i + 2]]
        return words, extra, "clause"
    # "43 percent said the same of Sanders": the same words again. Any other object of "say" is no content:
    # "said nothing about the delay", "said the word twice" would put words nobody said in `text`.
    # ("the same thing", "as much": the same pro-form)
    same = next((c for c in kids if c.i > cue.i and c.dep_ in ("dobj", "advmod") and (
        c.lower_ == "same" or c.lower_ in ("thing", "things") and any(g.lower_ == "same" for g in c.children)
        or c.lower_ == "much" and c.i > 0 and cue.doc[c.i - 1].lower_ == "as")), None)
    if same is not None:
        return object_phrase(cue, same), extra, "object"
    that = _that_clause(cue)
    if that is not None:
        return list(that.subtree), extra, "clause"
    if xcomps or any(c.dep_ == "dobj" and lemma not in ADDRESSEE for c in kids if c.i > cue.i):
        return None
    bare = next((c for c in kids if c.dep_ == "advcl" and c.i > cue.i and lemma not in BELIEF
                 and any(g.dep_ == "nsubj" for g in c.children) and not any(g.dep_ == "mark" for g in c.children)
                 and c.left_edge.lower_ not in WH_WORDS), None)
    if bare is not None:
        # 'Trump said after the convention he would not accept ...': a that-less clause the parser
        # took for an adverbial one
        return [t for t in bare.subtree if t.i > cue.i], extra, "clause"
    as_mark = next((c for c in kids if c.dep_ == "mark" and c.lower_ == "as"), None)
    # "As the mayor has pointed out, ...", "as she wrote": verbs too common to count alone do report here
    said_as = lemma not in BELIEF or lemma in SAID_AS or lemma == "point" and any(c.lower_ == "out" for c in extra)
    if cue.dep_ == "advcl" and cue.head.i > cue.i and said_as and as_mark is not None:
        # "As the paper noted, it is surprising ...": the main clause is what was reported
        skip = set(t.i for t in cue.subtree)
        return [t for t in list(cue.head.subtree) if t.i not in skip and t.i > cue.i], extra, "clause-around"
    if (cue.dep_ == "advcl" and cue.head.i < cue.i and said_as and as_mark is not None
            and as_mark.i > 0 and cue.doc[as_mark.i - 1].text == ","):
        # "It does not show whether Scott had a gun, as police have said" (but not "... as he replied")
        skip = set(t.i for t in cue.subtree)
        return [t for t in list(cue.head.subtree) if t.i not in skip and t.i < as_mark.i], extra, "clause-around"
    if cue.dep_ == "parataxis" or cue.dep_ in ("ccomp", "advcl") and cue.head.i < cue.i and lemma not in BELIEF and (
            any(c.dep_ == "nsubj" for c in kids) and not any(c.dep_ == "mark" for c in kids)):
        # "..., he said." and "The plan, he said, will fail.": the clause around the cue, when the cue is a
        # clause of its own (not '... as he replied', nor '..., tweeting at him')
        skip = set(t.i for t in cue.subtree)
        return [t for t in list(cue.head.subtree) if t.i not in skip], extra, "clause-around"
    subj = next((c for c in kids if c.dep_ in SUBJECTS and c.i < cue.i), None)
    # (not a relative clause: '“...,” said a voter, who responded anonymously' reports nothing before "who")
    if subj is not None and subj.left_edge.i > cue.sent.start + 1 and subj.lower_ not in RELATIVE:
        # "An impossible combination, they complain." however the parser hung the front part
        comma = cue.doc[subj.left_edge.i - 1]
        rest = cue.doc[cue.i + 1 : cue.sent.end]
        adjuncts = ("npadvmod", "advmod", "prep", "dobj", "dative")
        if comma.text in (",", "—", "–") and all(t.is_punct or t.is_space or t.dep_ in adjuncts or t.head.i != cue.i
                                                 for t in rest):
            return list(cue.doc[cue.sent.start : comma.i]), extra, "clause-before"
    return None


def _attitude(noun: Token, lemma: str) -> tuple[Token, Token, Token] | None:
    """(noun, preposition, its object) of an attitude voiced about something: 'expressed support for
    Sanders', 'have expressed discomfort with the nominee' (not a statement or an event: 'expressed his views
    in a statement on the vote' keeps its object)."""
    if lemma not in ATTITUDE_VERBS or noun.lower_ in STATEMENT_NOUNS or noun.ent_type_:
        return None
    prep = next((c for c in noun.children if c.dep_ == "prep" and c.lower_ in ATTITUDE_PREPS and c.i > noun.i), None)
    obj = next((c for c in prep.children if c.dep_ in ("pobj", "pcomp")), None) if prep is not None else None
    if obj is None or any(t.i > noun.i and t.i < prep.i and t.dep_ in ("acl", "relcl") for t in noun.subtree):
        return None
    return noun, prep, obj


def _regarded_as(cue: Token, holder: Token | None = None) -> Token | None:
    """What a verb of regard says its object is: 'as a test' or a bare complement ('considered it a mistake'),
    or an as-phrase the parser hung on the object or the agent (`holder`): 'many voters see the plan as a
    gift', 'was seen by some as a demotion'."""
    found = next((c for c in cue.children if c.i > cue.i and (c.dep_ == "prep" and c.lower_ == "as"
                                                               or c.dep_ in ("oprd", "xcomp", "ccomp"))), None)
    if found is None and holder is not None:
        found = next((c for c in holder.children if c.i > holder.i and c.dep_ == "prep" and c.lower_ == "as"), None)
        after = holder.right_edge.i + 1
        if found is None and after < len(cue.doc) and cue.doc[after].lower_ == "as" and cue.doc[after].dep_ == "prep":
            found = cue.doc[after]  # 'an article hailed Trump as “The Comeback Kid”', however "as" was hung
    return found


def _that_clause(cue: Token) -> Token | None:
    """'said in a statement that ...', 'said for the first time that ...': a that-clause the parser
    hung on a phrase after the verb instead of on the verb itself."""
    for child in cue.children:
        if child.i < cue.i or child.dep_ not in ("prep", "npadvmod", "dobj", "dative", "advmod"):
            continue
        for tok in child.subtree:
            edge = tok.left_edge
            # ('that' taken for an adverb of a clause with a subject of its own is its conjunction too)
            if tok.dep_ in ("ccomp", "acl", "relcl") and edge.lower_ == "that" and (edge.dep_ == "mark" or (
                    edge.dep_ == "advmod" and edge.head.i == tok.i
                    and any(c.dep_ in ("nsubj", "nsubjpass") for c in tok.children))):
                return tok
    return None


def source(cue: Token, lemma: str) -> Attribution | None:
    """Who the cue's content is attributed to: its subject, the subject of the verb it hangs off
    ("..., saying ..."), or, for a relative clause, the relative pronoun and what it refers to."""
    verb = cue
    for _ in range(4):
        subjects = [c for c in verb.children if c.dep_ in SUBJECTS]
        subj = next(iter(subjects), None)
        if len(subjects) > 1 and subj.i < verb.i:
            # 'The revelation ... set off fireworks: Republicans said ...' parsed with two subjects: none
            # before a colon or semicolon
            stops = [t.i for t in verb.doc[subj.i : verb.i] if t.text in (":", ";")]
            subj = next((c for c in subjects if stops and stops[-1] < c.i < verb.i), subj)
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
            if verb.dep_ == "ccomp" and cue_lemma(verb.head.lower_) and cue.dep_ != "conj" and verb.head.i < verb.i:
                # 'X denied the project was cosmetic, telling ...': X tells, not the project (but in 'Clinton
                # spoke, telling the crowd, “Have you noticed?”' the parser's root is the quote's verb)
                verb = verb.head
            continue
        return None
    else:
        return None
    low = subj.lower_
    if low in NON_SPEAKERS and not (low in ("those", "these") and any(
            c.dep_ in ("acl", "relcl", "prep", "amod") for c in subj.children)):
        return None  # but "those surveyed said ...", "those who voted for him say ...", "those close to him"
    if low in RELATIVE:
        antecedent = verb.head if verb.dep_ == "relcl" else _antecedent(subj)
        if antecedent is None:
            return None
        return Attribution(cue, None, subj.doc[subj.i : subj.i + 1], mention_span(antecedent, verb))
    if low == "it" and lemma in COGNITION and (lemma not in EVIDENCE_VERBS or verb.i != cue.i):
        # (but "It shows an officer stepping back": footage, a report; not 'it is necessary to show that ...')
        return None
    if low == "that":
        return None
    return Attribution(cue, None, mention_span(subj, cue))


def _antecedent(relative: Token) -> Token | None:
    """'the Police Department which reported ...' parsed as an adverbial clause: the noun right before
    the relative pronoun is what it refers to."""
    if relative.i == 0 or relative.lower_ not in ("who", "which"):
        return None
    before = relative.doc[relative.i - 1]
    if before.text == "," and relative.i > 1:
        before = relative.doc[relative.i - 2]
    return before if before.dep_ in ("pobj", "dobj", "nsubj", "nsubjpass", "appos", "conj", "attr") else None


def _according(cue: Token) -> Candidate | None:
    """'According to X, Y' -> X says Y (Y may itself report what someone said: the outer source wins)."""
    to = next((c for c in cue.children if c.lower_ == "to"), None)
    pobj = next((c for c in to.children if c.dep_ in ("pobj", "pcomp")), None) if to is not None else None
    if pobj is None:
        return None
    if cue.dep_ == "ROOT":
        return _according_opens(cue, to)
    return _adjunct_source(cue, pobj, "according to", "according")


def _according_opens(cue: Token, to: Token) -> Candidate | None:
    """'According to Rush Limbaugh, the move reeks of fear' parsed with "According" as the root: the source
    runs to the first comma, the content is the rest of the sentence."""
    doc = cue.doc
    sent = cue.sent
    if cue.i != sent.start:
        return None
    comma = next((t for t in doc[to.i + 1 : sent.end] if t.text == ","), None)
    if comma is None or comma.i == to.i + 1:
        return None
    span = trim(doc, list(doc[comma.i + 1 : sent.end]))
    if span is None:
        return None
    source = doc[to.i + 1 : comma.i]
    return Candidate(Attribution(cue, "according to", source, cue_type=SPEECH), span[0], span[1], "according")


def _poll_in(prep: Token) -> Candidate | None:
    """'In the latest Quinnipiac poll, Trump leads ...' -> the poll says so."""
    pobj = next((c for c in prep.children if c.dep_ == "pobj"), None)
    if pobj is None or pobj.lower_ not in POLL_NOUNS or prep.head.dep_ != "ROOT" or cue_lemma(prep.head.text):
        return None
    return _adjunct_source(prep, pobj, prep.text, "poll")


def _sentence_side(cue: Token, skip: set[int]) -> list[Token] | None:
    """The rest of the sentence when an adjunct source (its tokens: `skip`) opens it ("According to X, ...")
    or closes it after a comma ("..., according to X."); None when it stands inside."""
    sent = cue.sent
    lo, hi = min(skip), max(skip)
    before = [t for t in sent if t.i < lo]
    after = [t for t in sent if t.i > hi]
    if all(t.is_punct or t.is_space for t in after) and before and before[-1].text == ",":
        return before
    if all(t.is_punct or t.is_space for t in before) and after and after[0].text == ",":
        return after
    return None


def _adjunct_source(cue: Token, pobj: Token, cue_text: str, construction: str) -> Candidate | None:
    clause = cue.head
    # 'The mayor wrote to the firm, threatening a lawsuit, according to a copy of the letter': the source
    # vouches for the whole clause, not only for the participle or the second verb it hangs on
    while (clause.dep_ in ("conj", "advcl", "xcomp") and clause.head.i < clause.i and clause.head.dep_ in VERBAL
           and not any(c.dep_ in SUBJECTS for c in clause.children)
           and (clause.dep_ == "conj" or clause.lower_.endswith("ing"))):
        clause = clause.head
    skip = set(t.i for t in cue.subtree)
    content = contiguous([t for t in clause.subtree if t.i not in skip], cue)
    whole = _sentence_side(cue, skip) if construction == "according" else None
    if whole is not None and len(whole) > len(content):
        # 'The firm, with $2 billion in debt, is near collapse, according to analysts': the source at a
        # sentence's edge vouches for all of it, wherever the parser hung the phrase
        content = whole
    # "Y, according to X, who ..." or "Y, sources said, according to X": keep the side with the clause
    span = trim(cue.doc, content)
    if span is None:
        return None
    kind = EVIDENCE if construction == "poll" or pobj.lower_ in POLL_NOUNS | DATA_NOUNS else SPEECH
    return Candidate(Attribution(cue, cue_text, mention_span(pobj), cue_type=kind), span[0], span[1], construction)
