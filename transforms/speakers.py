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

from transforms.cues import cue_lemma
from transforms.entities import Mention

PERSONAL = {"he", "she", "him", "her", "i"}
GROUP = {"it"}
SPEAKING_LABELS = ("PERSON", "ORG", "GPE", "NORP")
ORG_NOUNS = {"company", "firm", "group", "organisation", "organization", "agency", "department", "ministry",
             "campaign", "committee", "party", "council", "court", "government", "union", "bank", "office",
             "administration", "board", "authority", "commission", "team", "club", "police", "school",
             "university", "hospital", "service", "network", "newspaper", "airline", "league", "federation"}
PRONOUN_GENDER = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f"}
_OTHER = {"m": "f", "f": "m"}
GENDERED = {w: "m" for w in """mr sir lord king prince man men husband father son brother uncle grandfather
chairman congressman spokesman businessman actor boyfriend""".split()}
GENDERED.update({w: "f" for w in """mrs ms miss madam lady queen princess woman women wife mother daughter sister
aunt grandmother chairwoman congresswoman spokeswoman businesswoman actress girlfriend""".split()})
_PREFIX = 5
MAX_MENTION_TOKENS = 25
# Titles and roles written before a name ("Organizer Dwayne Croteau", "Prime Minister Mark Carney"): not
# part of the name a speaker_canonical holds.
TITLE_WORDS = set("""
mr mrs ms miss mx dr prof professor sir dame lord lady rev reverend fr father sister brother
president vice prime minister premier chancellor secretary senator sen rep representative congressman
congresswoman governor gov lt lieutenant mayor deputy councillor councilor alderman commissioner chairman
chairwoman chair ceo cfo coo cto founder cofounder director manager organizer organiser spokesman spokeswoman
spokesperson judge justice chief attorney general gen col colonel maj major capt captain sgt sergeant officer
detective det constable cst inspector superintendent sheriff coach trustee ambassador envoy speaker leader
former late acting interim king queen prince princess sheikh pope cardinal bishop rabbi imam dean principal
mp mpp mla mep mr. mrs. ms. dr. prof. sen. rep. gov. lt. gen. col. maj. capt. sgt. det. cst. st.
""".split())
# Words a speaker mention can stand for that keep a participle or clause after them ("those surveyed").
QUANTIFIERS = {"those", "these", "anyone", "everyone", "anybody", "everybody", "someone", "somebody", "all", "some",
               "many", "most", "few", "several", "others", "none", "half"}


def proper_name(canonical: str | None) -> str | None:
    """A canonical name without the titles and roles written before it ("Organizer Dwayne Croteau" ->
    "Dwayne Croteau", "Prime Minister Mark Carney" -> "Mark Carney"); None where what is left is no
    proper name ("rookie defenceman", "Prime Minister").

    >>> proper_name("Organizer Dwayne Croteau"), proper_name("rookie defenceman"), proper_name("UN")
    ('Dwayne Croteau', None, 'UN')
    """
    if not canonical:
        return None
    words = canonical.split()
    while len(words) > 1 and (words[0].lower() in TITLE_WORDS or words[0].lower().rstrip(".") in TITLE_WORDS
                              or not words[0][:1].isupper() and not words[0][:1].isdigit()):
        words = words[1:]
    if not words or words[0].lower().rstrip(".") in TITLE_WORDS:
        return None
    if not any(w[:1].isupper() for w in words) or not (words[0][:1].isupper() or words[0][:1].isdigit()):
        return None
    return " ".join(words)


def mention_span(head: Token, cue: Token | None = None) -> Span:
    """The mention as written: the whole noun phrase around its head, appositions and relative clauses
    included ("Vin Weber, a lobbyist and former congressman"), as attribution corpora mark sources. A
    phrase the parser made implausibly long falls back to the head with its left modifiers and name parts.
    A `cue` the parser hung inside the phrase ("Democrats hoping to ...") ends it, and so does a relative
    clause or a participial phrase after the head ("Karlsson, who received a suspension", "officials speaking
    on condition of anonymity"): they describe the speaker, they are not part of the mention (but "those
    surveyed" keeps its participle)."""
    doc = head.doc
    start = head.left_edge.i
    end = head.right_edge.i + 1
    if cue is not None and head.i < cue.i < end:
        end = cue.left_edge.i if cue.left_edge.i > head.i else cue.i
    if head.lower_ not in QUANTIFIERS:
        for tok in doc[head.i + 1 : end]:
            if tok.dep_ in ("relcl", "acl", "advcl") and tok.left_edge.i > head.i:
                end = tok.left_edge.i
                break
            if tok.dep_ == "prep" and tok.head.i == head.i and any(
                    c.dep_ == "pobj" and c.ent_type_ in ("DATE", "TIME") for c in tok.children):
                end = tok.i  # "Sean Spicer on Thursday evening said": when is no part of who
                break
    while end > head.i + 1 and (doc[end - 1].is_punct or doc[end - 1].is_space):
        if doc[end - 1].text == ")" and "(" in doc[start : end - 1].text:
            break  # "Rep. Trey Gowdy (R-S.C.)" keeps its closing parenthesis
        end -= 1
    while start < head.i and (doc[start].is_punct or doc[start].is_space):
        start += 1
    commas = [t.i for t in doc[start : head.i] if t.text == ","]
    if commas and all(t.dep_ in ("advmod", "npadvmod", "prep") or t.ent_type_ in ("DATE", "TIME") or t.is_punct
                      or t.head.i < commas[-1] and t.head.dep_ in ("advmod", "npadvmod", "prep")
                      for t in doc[start : commas[-1]] if t.head.i != t.i):
        start = commas[-1] + 1  # 'Twenty-two years ago, a Times article hailed ...': when is no part of who
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


def link_to_body(name: str | None, body: list[Mention]) -> str | None:
    """The name the body uses for a person or organisation a headline names shortly ("Pence" ->
    "Mike Pence"): the body's canonical name that holds every word of `name`, the most mentioned one."""
    if not name:
        return name
    words = name.lower().split()
    counts: dict[str, int] = {}
    for m in body:
        if m.label in SPEAKING_LABELS and all(w in m.canonical.lower().split() for w in words):
            counts[m.canonical] = counts.get(m.canonical, 0) + 1
    if not counts:
        return name
    return proper_name(max(counts, key=lambda c: (counts[c], -len(c)))) or name


def _stem(word: str) -> str:
    return re.sub(r"['’]s$", "", word.lower())[:_PREFIX]


class SpeakerResolver:
    """Canonical names for the speaker mentions of one document (built once per document)."""

    def __init__(self, doc: Doc, mentions: list[Mention], mask: bytearray):
        self.doc = doc
        self.mask = mask
        self.mentions = sorted((m for m in mentions if m.label in SPEAKING_LABELS), key=lambda m: m.start_char)
        self.starts = [m.start_char for m in self.mentions]
        self.persons = [m for m in self.mentions if m.label == "PERSON" and not mask[m.start_char]]
        self.person_starts = [m.start_char for m in self.persons]
        self.titles = self._titles()
        self.gender = self._genders()

    # ------------------------------------------------------------------ public
    def resolve(self, span: Span | None, speech: bool = True) -> str | None:
        """The proper name (person or organisation) a speaker mention refers to, or None where the text
        does not say. `speech`: whether the cue reports words said; "it" names an organisation only then
        ("It said the layoffs ...", not "It means ...")."""
        return proper_name(self._resolve(span, speech))

    def _resolve(self, span: Span | None, speech: bool) -> str | None:
        if span is None or not len(span):
            return None
        head = span.root
        named = self._entity_at(head.idx)
        if named is not None:
            return named.canonical
        word = head.lower_
        if word in PERSONAL:
            return self._recent_person(span.start_char, PRONOUN_GENDER.get(word))
        if word in GROUP:
            return self._speaking_org(span) if speech else None
        apposed = self._person_inside(span)  # "the health minister, Amara Diallo,"
        if apposed is not None:
            return apposed.canonical
        if head.is_title and head.i > head.sent.start or head.i == head.sent.start and head.dep_ == "nsubj":
            known = self._known_name(head)  # "Trump" where the model tagged no entity this time
            if known is not None:
                return known
        return self._describe(span)

    def _known_name(self, head: Token) -> str | None:
        """The person named earlier in the text whose name holds this capitalised word ("Trump" ->
        "Donald Trump"), the most recent one."""
        if not head.is_title or len(head.text) < 3:
            return None
        for m in reversed(self.persons):
            if m.start_char < head.idx and head.text in m.canonical.split():
                return m.canonical
        return None

    def previous_paragraph_speaker(self, text: str, para_start: int) -> Span | None:
        """The person the previous paragraph ended on: subject of its last sentence, if a person."""
        doc = self.doc
        prev_end = para_start - 1
        while prev_end > 0 and text[prev_end - 1].isspace():
            prev_end -= 1
        if prev_end <= 0:
            return None
        last = doc.char_span(max(0, prev_end - 1), prev_end, alignment_mode="expand")
        if last is None:
            return None
        for tok in last[0].sent:
            if tok.dep_ in ("nsubj", "nsubjpass") and tok.head.dep_ == "ROOT" and not self.mask[tok.idx]:
                named = self._entity_at(tok.idx)
                if tok.lower_ in PERSONAL or named is not None and named.label == "PERSON":
                    return mention_span(tok, tok.head)
        return None

    # ------------------------------------------------------------------ helpers
    def _entity_at(self, idx: int) -> Mention | None:
        """The mention covering character idx (a person rather than anything else)."""
        i = bisect.bisect_right(self.starts, idx)
        found = [m for m in self.mentions[max(0, i - 4) : i] if m.start_char <= idx < m.end_char]
        if not found:
            return None
        return min(found, key=lambda m: (m.label != "PERSON", -m.end_char))

    def _person_inside(self, span: Span) -> Mention | None:
        i = bisect.bisect_left(self.person_starts, span.start_char)
        if i < len(self.persons) and self.persons[i].end_char <= span.end_char:
            return self.persons[i]
        return None

    def _speaking_org(self, span: Span) -> str | None:
        """What "it" stands for as a speaker: the last organisation named in this sentence or the one
        before, and only if "it" is the subject of its clause (not "it means", an expletive "it is")."""
        head = span.root
        if head.dep_ != "nsubj" or any(c.dep_ in ("acomp", "attr", "expl") for c in head.head.children):
            return None
        org = self._recent(span.start_char, ("ORG",))
        if org is None:
            return None
        sent = head.sent
        earlier = self.doc[sent.start - 1].sent.start if sent.start > 0 else sent.start
        return org.canonical if org.start_token >= earlier else None

    def _recent(self, before: int, labels: tuple[str, ...]) -> Mention | None:
        for m in reversed(self.mentions[: bisect.bisect_left(self.starts, before)]):
            if m.label in labels and not self.mask[m.start_char]:
                return m
        return None

    def _recent_person(self, before: int, gender: str | None) -> str | None:
        """The most recent compatible person, preferring one who was the subject of this sentence or
        one of the two before it; a person known to be of the other gender is skipped."""
        i = bisect.bisect_left(self.person_starts, before)
        other = _OTHER.get(gender or "")
        candidates = [m for m in reversed(self.persons[:i]) if other is None or self.gender.get(m.canonical) != other]
        if not candidates:
            return None
        doc = self.doc
        here = doc.char_span(before, before + 1, alignment_mode="expand")
        window_start = here[0].sent.start if here is not None and len(here) else 0
        for _ in range(2):
            if window_start > 0:
                window_start = doc[window_start - 1].sent.start
        recent = [m for m in candidates if m.start_token >= window_start]
        # a speaker before: the subject of a reporting verb ("Rubio said X is Clinton, and he railed ...")
        for m in recent:
            tok = doc[m.end_token - 1]
            if tok.dep_ == "nsubj" and cue_lemma(tok.head.lower_) is not None:
                return m.canonical
        for m in recent:
            if doc[m.end_token - 1].dep_ in ("nsubj", "nsubjpass") or doc[m.start_token].dep_ in ("nsubj", "nsubjpass"):
                return m.canonical
        return candidates[0].canonical

    def _genders(self) -> dict[str, str]:
        """canonical person -> "m" or "f" where an honorific or a gendered title says so ("Mrs. Clinton",
        "the chairwoman")."""
        doc = self.doc
        out: dict[str, str] = {}
        for m in self.persons:
            words = {doc[m.start_token].lower_.rstrip(".")}
            if m.start_token > 0:
                words.add(doc[m.start_token - 1].lower_.rstrip("."))
            words |= self.titles.get(m.canonical, set())
            genders = {GENDERED[w] for w in words if w in GENDERED}
            if len(genders) == 1:
                out.setdefault(m.canonical, genders.pop())
        return out

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
