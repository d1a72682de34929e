"""Spans and trimming: character spans of contents, counted words, and the cue's own clause.

Shared by the reported-speech and direct-quote rules; no rule lives here, only how a content's
boundaries are drawn ("said that ..." without "that", trailing asides and adjuncts cut off).
"""

from __future__ import annotations

from spacy.tokens import Doc, Token

from transforms.cues import cue_lemma

SUBJECTS = {"nsubj", "csubj"}

OPEN_MARKS = "“\"«„'`"
CLOSE_MARKS = "”\"»“'"
TRAIL = " \t\n,;:—–-"
# Adverbial clauses that end a content span after an object or infinitive ("declined to comment as she left").
SUBORDINATORS = {"as", "when", "because", "after", "before", "while", "since", "until", "although", "though",
                 "whereas", "once"}

# Nouns that carry a statement: "a statement saying ...".
STATEMENT_NOUNS = {"statement", "statements", "letter", "tweet", "tweets", "post", "release", "memo", "email",
                   "interview", "speech", "remarks", "message", "ad", "video", "op-ed", "column", "report"}
# Adjuncts that end the content of an object cue: "endorsed Cruz last week", "praised Boyle at a press
# conference", "criticized Bill Clinton during a debate", "mentioned it in a speech on Monday". "at" ends it
# only before an event or a time, like "in" and "on" ("denounced the layoffs at the Oshawa plant" keeps it);
# "because of" gives the reason ("expressed misgivings about the mayor because of his record").
ADJUNCT_PREPS = {"during", "after", "before", "since", "until", "amid", "despite", "throughout", "while", "because"}
# Words that add examples to an object after a comma ("condemned the invasion, including the annexation").
EXAMPLES = {"including", "especially", "particularly", "notably", "like", "such"}
EVENT_NOUNS = STATEMENT_NOUNS | {"rally", "rallies", "debate", "conference", "event", "call", "hearing", "appearance",
                                 "show", "program", "broadcast", "briefing", "meeting", "visit", "stop", "radio",
                                 "television", "town", "campaign", "opening", "remarks", "address", "session",
                                 "diatribe", "rant", "tirade", "ruling", "opinion", "editorial", "testimony", "blog",
                                 "podcast", "filing", "commentary", "segment", "documentary", "book", "article",
                                 "essay", "op-ed", "tweets", "posts", "statements", "speeches", "interviews"}


def trim(doc: Doc, tokens: list[Token], tight: bool = False) -> tuple[int, int] | None:
    """Character span of the content tokens without a leading 'that', trailing punctuation, or a
    trailing aside set off by a comma that is an attribution of its own (", insisting that ..."); with
    `tight`, also without a trailing adverbial clause ("declined to comment as she left")."""
    if not tokens:
        return None
    first = min(t.i for t in tokens)
    last = max(t.i for t in tokens)
    while last > first and (doc[last].is_punct and doc[last].text not in CLOSE_MARKS or doc[last].is_space):
        last -= 1  # the sentence's full stop, so that an aside before it is the content's last part
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
        # (', who ...' after a reported clause is more of what was said: 'said the move helped Clinton, who ...')
        relative = tok.dep_ == "relcl" and (doc[edge].lower_ == "which"
                                            or tight and doc[edge].lower_ in ("who", "where", "when"))
        # (the aside's own verb is a cue, not any word of it: ', because Democrats led the questioning')
        reporting = cue_lemma(tok.lower_) or any(cue_lemma(c.lower_) for c in tok.children
                                                 if c.dep_ in ("xcomp", "conj"))
        aside = before.text in (",", "—", "–", ";") and (relative or reporting)
        set_off = tight and before.text in (",", "—", "–", "-", "--") and tok.dep_ in ("appos", "advcl", "acl")
        if aside or set_off or tight and tok.dep_ == "advcl" and doc[edge].lower_ in SUBORDINATORS:
            last = edge - 1
            break
    while first <= last and (doc[first].dep_ == "mark" and doc[first].lower_ in ("that", "whether", "if")
                             or doc[first].lower_ == "that" and doc[first].dep_ == "advmod"
                             and doc[first].head.i > first
                             or doc[first].is_punct and doc[first].text not in OPEN_MARKS
                             or doc[first].is_space):
        first += 1
    while last >= first and (doc[last].is_punct and doc[last].text not in CLOSE_MARKS or doc[last].is_space
                             or doc[last].dep_ == "cc"):
        last -= 1
    if first > last:
        return None
    word = doc[last].text.rstrip(TRAIL) or doc[last].text
    start, end = doc[first].idx, doc[last].idx + len(word)
    return (start, end) if end > start else None


def with_marks(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span over the quote marks right at its edges."""
    while start > 0 and text[start - 1] in OPEN_MARKS:
        start -= 1
    while end < len(text) and text[end] in CLOSE_MARKS:
        end += 1
    return start, end


def word_count(doc: Doc, start: int, end: int) -> int:
    span = doc.char_span(start, end, alignment_mode="expand")
    return sum(1 for t in span if t.is_alpha or t.like_num) if span is not None else 0


def words_inside(doc: Doc, start: int, end: int, mask: bytearray) -> int:
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return 0
    return sum(1 for t in span if (t.is_alpha or t.like_num) and mask[t.idx])


def phrase(tokens: list[Token]) -> str:
    tokens = sorted(tokens, key=lambda t: t.i)
    return " ".join(t.text for t in tokens)


def rest_of_phrase(cue: Token, first: Token) -> list[Token]:
    """From the complement to the end of the verb phrase ("defended Bill Clinton against allegations",
    "touted his rating as evidence that ..."), without a coordinated clause that has its own subject, nor
    a second predicate of the cue's subject: another cue ("tweeted X and said Y") or one with an auxiliary
    ("refused to stay in the hospital, but was treated at home"). A bare coordinated verb is more content
    ("vowed to triple the program, grow the Peace Corps and create a reserve")."""
    doc = cue.doc
    stop = cue.right_edge.i
    for child in cue.children:
        if child.i <= first.i or child.dep_ not in ("conj", "parataxis", "advcl"):
            continue
        own_subject = any(c.dep_ in SUBJECTS for c in child.children)
        another_predicate = child.dep_ == "conj" and child.i > first.right_edge.i and (
            cue_lemma(child.lower_) is not None or any(c.dep_ in ("aux", "auxpass") for c in child.children))
        if own_subject or another_predicate or child.dep_ == "advcl" and child.i > first.right_edge.i + 1:
            stop = min(stop, child.left_edge.i - 1)
    start = first.left_edge.i
    return [t for t in doc[start : stop + 1]]


def _adjunct(tok: Token) -> bool:
    if tok.dep_ in ("npadvmod", "advcl", "advmod"):
        return True
    if tok.dep_ != "prep":
        return False
    if tok.lower_ in ADJUNCT_PREPS:
        return True
    pobj = next((c for c in tok.children if c.dep_ == "pobj"), None)
    return pobj is not None and (pobj.ent_type_ in ("DATE", "TIME") or pobj.lower_ in EVENT_NOUNS)


def object_phrase(cue: Token, obj: Token) -> list[Token]:
    """The object of an object cue and what completes it, up to the first adjunct of the verb, wherever
    the parser hung it ("called the law a “crazy system” during a campaign stop", "backed the plan in a
    statement on Thursday"), or a phrase set off by a comma at its end ("her concerns, in large part")."""
    tokens = rest_of_phrase(cue, obj)
    # what the object is called comes after any adjunct: 'called the remarks on Saturday “a wake-up call”'
    called = max((c.right_edge.i for c in cue.children if c.dep_ == "oprd" and c.i > obj.i), default=-1)
    stop = next((c.left_edge.i for c in cue.children if called < c.i and c.i > obj.right_edge.i and _adjunct(c)),
                None)
    for tok in tokens:
        if stop is not None and tok.i >= stop:
            break
        if tok.i < called:
            continue
        if tok.i > obj.i and tok.dep_ == "prep" and tok.lower_ in ADJUNCT_PREPS | {"in", "on"} and _adjunct(tok):
            stop = tok.i
        elif (tok.i > obj.i + 1 and tok.dep_ in ("prep", "npadvmod", "advmod") and tok.doc[tok.i - 1].text == ","
              and tok.right_edge.i >= tokens[-1].i - 1 and tok.lower_ not in EXAMPLES):
            stop = tok.i - 1  # but ', including its annexation of Crimea' names more of the object
    return tokens if stop is None else [t for t in tokens if t.i < stop]


def contiguous(tokens: list[Token], cue: Token) -> list[Token]:
    """The content on one side of an adjunct cue: the longer of what precedes and what follows it."""
    before = [t for t in tokens if t.i < cue.i]
    after = [t for t in tokens if t.i > cue.i]
    return before if len(before) >= len(after) else after


def paragraph(text: str, start: int, end: int) -> tuple[int, int]:
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    return para_start, len(text) if para_end < 0 else para_end


def next_start(text: str, marks: list[tuple[int, int]], k: int) -> int:
    """Where the text after quote k stops mattering to it: the next quote or the end of the paragraph."""
    end = marks[k][1]
    para_end = text.find("\n", end)
    para_end = len(text) if para_end < 0 else para_end
    return min(para_end, marks[k + 1][0] if k + 1 < len(marks) else len(text))


def opens_sentence(text: str, quote_start: int) -> bool:
    before = text[max(0, quote_start - 12) : quote_start].rstrip(OPEN_MARKS + " \t")
    return not before or before.endswith((".", "!", "?", ":", ";", "—", "\n"))


def cue_clause(cue: Token) -> set[int]:
    """Token indices of 'Smith said in a statement on Monday' around a cue: the verb, its subject,
    particles, auxiliaries, adverbs, addressee and prepositional phrases."""
    keep = {cue.i}
    for child in cue.children:
        if child.dep_ in ("nsubj", "nsubjpass", "aux", "auxpass", "neg", "advmod", "npadvmod", "prt", "prep",
                          "dobj", "dative", "agent", "punct", "cc", "advcl"):
            keep.update(t.i for t in child.subtree)
    return keep
