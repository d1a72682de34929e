"""Reporting verbs ("cues") in all their inflected forms, and what each one takes as its content.

The pipeline runs spaCy without tagger and lemmatizer (they cost time and the parser does not
need them), so cues are matched on the lower-cased surface form through this table.

Attribution corpora (PolNeAR, PARC) count more than speech: beliefs ("Clinton believes the deal is
bad"), stances ("Trump criticized the deal"), intentions ("Cruz vowed to stay in the race") and
evidence ("a poll shows Trump ahead"). Which complement carries the content depends on the verb:
  * CLAUSE      a clause or a quote: "said (that) ...", "“...,” he said";
  * INFINITIVE  a to-infinitive: "vowed to stay", "declined to comment";
  * OBJECT      the direct object: "criticized the deal", "announced his candidacy";
  * PREPS       a prepositional object: "warned of a crisis", "called for a boycott";
  * ADDRESSEE   verbs whose object is the person addressed, not the content: "told reporters".
"""

from __future__ import annotations

CLAUSE = set("""
say tell add explain note claim argue insist warn deny state announce declare write ask reply respond answer
suggest acknowledge admit confirm report recall predict promise vow pledge urge stress emphasize emphasise
contend allege assert maintain reiterate complain concede testify tweet post joke quip reveal disclose
indicate estimate observe remark comment agree boast lament recount conclude caution counter retort hint
imply speculate forecast assure reassure inform advise believe think hope fear worry expect know suspect
doubt show find mention muse scoff brag propose recommend demand threaten question wonder learn
acknowledge concur guess figure reason surmise theorize posit opine exclaim shout yell chant read proclaim
echo repeat remember continue realize realise understand assume recognize recognise signal
point charge affirm reaffirm underscore clarify confess decide determine discover notice
project convince persuade feel describe rule
""".split())

INFINITIVE = set("""
vow promise pledge refuse decline threaten plan seek want hope agree urge ask tell warn expect claim decide
intend offer propose demand prefer wish vote call advise order encourage push pressure invite remind
like love aim convince persuade exhort implore beg
""".split())

OBJECT = set("""
announce report endorse criticize criticise praise cite reject denounce defend question dismiss blast slam attack
mock tout describe propose decry condemn blame oppose express mention discuss highlight reveal
predict confirm acknowledge admit recall recount suggest call accuse credit thank applaud welcome
lament tweet post decline refuse demand offer urge recommend
echo list repeat remember portray deem show note
support back favor favour embrace champion name issue
reference rebuke assail lambaste deride bemoan invoke retweet email outline detail congratulate request rebut liken
articulate document expect want explain deny
stress emphasize emphasise underscore proclaim declare signal indicate
promise pledge vow
commend chide scold berate ridicule excoriate castigate fault admire disparage belittle
""".split())

PREPS: dict[str, tuple[str, ...]] = {
    "warn": ("of", "about", "against"),
    "call": ("for",),
    "talk": ("about",),
    "speak": ("about", "of", "against"),
    "refer": ("to",),
    "agree": ("with", "on"),
    "complain": ("about", "of"),
    "comment": ("on",),
    "point": ("to",),
    "focus": ("on",),
    "argue": ("for", "against"),
    "push": ("for",),
    "advocate": ("for",),
    "rail": ("against",),
    "testify": ("about",),
    "joke": ("about",),
    "write": ("about",),
    "ask": ("about", "for"),
    "worry": ("about",),
    "think": ("about",),
    "respond": ("to",),
    "boast": ("about", "of"),
    "lash": ("at", "against"),
    "distance": ("from",),
    "side": ("with", "against"),
    "balk": ("at",),
    "spar": ("with", "over"),
    "weigh": ("on", "about"),
    "acquiesce": ("to",),
    "press": ("for", "on"),
    "apologize": ("for",),
    "brag": ("about",),
    "insist": ("on",), "object": ("to",), "vouch": ("for",), "allude": ("to",), "caution": ("against",),
    "plead": ("for",), "lobby": ("for", "against"), "campaign": ("for", "against"),
}

# Verbs of regard: "experts see the vote as a test", "Rubio is seen as the favourite", "considered it a mistake";
# the content is the object (or passive subject) with what it is regarded as.
REGARD = {"see", "view", "regard", "consider", "identify", "hail", "declare", "characterize", "characterise", "label",
          "brand", "dub", "paint", "depict", "cast", "rate"}

# Nouns and adjectives of stance, with the preposition that introduces their content: "concerns about the
# deal", "Trump's criticism of Cruz", "Davis was critical of all the candidates".
STANCE_WORDS: dict[str, tuple[str, ...]] = {
    "question": ("about",), "questions": ("about",),
    "concern": ("about", "over"), "concerns": ("about", "over"),
    "doubt": ("about",), "doubts": ("about",),
    "criticism": ("of",), "criticisms": ("of",), "critique": ("of",),
    "endorsement": ("of",), "mention": ("of",), "defense": ("of",),
    "critical": ("of",), "supportive": ("of",), "skeptical": ("of", "about"), "wary": ("of",),
    "concerned": ("about",), "optimistic": ("about",),
    "hope": ("of", "for"), "hopes": ("of", "for"), "fears": ("of", "about", "over"),
    "opposition": ("to",), "praise": ("for", "of"), "condemnation": ("of",),
}
# Nouns of speech acts with the preposition that introduces what was said: "Trump's attacks on the judge",
# "residents voiced complaints about the noise", "her warnings about the deficit", "made comments about the
# plan" (cue_type speech).
SPEECH_ACT_NOUNS: dict[str, tuple[str, ...]] = {
    "attack": ("on",), "attacks": ("on",), "complaint": ("about",), "complaints": ("about",),
    "warning": ("about", "of", "against"), "warnings": ("about", "of", "against"),
    "allegation": ("of",), "allegations": ("of",), "accusation": ("of",), "accusations": ("of",),
    "comment": ("about", "on"), "comments": ("about", "on"), "remarks": ("about", "on"),
}
STANCE_WORDS.update(SPEECH_ACT_NOUNS)

# Nouns that carry a that-clause as their content ("Trump's assertion that Obama founded ISIS"), and the light
# verbs whose subject holds it ("critics made the claim that ...").
CLAIM_NOUNS = set("""
claim claims assertion assertions assumption suggestion belief beliefs complaint complaints allegation allegations
accusation accusations argument arguments warning warnings promise insistence contention charge charges prediction
admission fear fears hope hopes view conviction report reports statement statements announcement finding findings
concern concerns worry worries doubt doubts suspicion suspicions speculation assurance assurances acknowledgment
acknowledgement rumor rumors rumour rumours case
""".split())
# Adjectives of certainty and feeling whose subject holds the that-clause after them: "the mayor is confident that
# the bridge will reopen", "aides were adamant that nothing had changed" (cue_type thought).
THOUGHT_ADJECTIVES = {"confident", "hopeful", "aware", "adamant", "convinced", "certain", "sure", "optimistic",
                      "worried", "concerned", "afraid", "fearful", "doubtful", "skeptical", "frustrated", "insistent"}
# Nouns of intention that carry a to-infinitive: "his plan to run", "Clinton’s pledge to raise wages" (not
# "decision": a decision is no attribution).
INTENT_NOUNS = set("""
promise promises pledge pledges vow vows plan plans refusal call calls threat threats offer proposal
demand demands desire intention willingness bid
""".split())
LIGHT_VERBS = set("""
make makes made making voice voices voiced voicing express expresses expressed expressing repeat repeats repeated
repeating raise raises raised raising offer offers offered offering issue issues issued issuing reiterate reiterates
reiterated reiterating renew renews renewed renewing have has had share shares shared
""".split())

# Verbs whose object is the person addressed ("told reporters"), never the content.
ADDRESSEE = {"tell", "inform", "assure", "reassure", "advise", "ask", "urge", "warn", "remind", "encourage",
             "invite", "order", "push", "pressure", "convince", "persuade", "exhort", "implore", "beg"}
# Cues that are too common as plain verbs to count without a content clause of their own.
BELIEF = {"believe", "think", "hope", "fear", "worry", "expect", "feel", "know", "suspect", "doubt", "add", "call",
          "point", "question", "wonder", "answer", "post", "write", "counter", "continue", "show", "find", "learn",
          "read", "figure", "guess", "reason", "mention"}

# Verbs of thinking: a belief, never said out loud by an "it".
COGNITION = {"believe", "think", "hope", "fear", "worry", "expect", "feel", "know", "suspect", "doubt", "wonder",
             "figure", "guess", "reason", "learn", "find", "show", "read", "see"}

# What kind of attribution a cue makes (the `cue_type` column). Speech is the default: every verb of the
# tables above not listed here reports words said or written. "Who said what" queries keep cue_type = 'speech'.
SPEECH, THOUGHT, EVIDENCE, INTENTION, STANCE = "speech", "thought", "evidence", "intention", "stance"
CUE_TYPES = (SPEECH, THOUGHT, EVIDENCE, INTENTION, STANCE)
# Stances a subject receives from others, and the verbs of receiving them: "the bill has drawn criticism from
# lawmakers", "the mayor faced criticism from residents for the closures", "Rubio won the support of
# governors". The subject is what the stance is about; who holds it follows "from" (or "of").
RECEIVED_STANCES: dict[str, str] = {
    "criticism": STANCE, "criticisms": STANCE, "praise": STANCE, "condemnation": STANCE, "backlash": STANCE,
    "rebuke": STANCE, "rebukes": STANCE, "ridicule": STANCE, "support": STANCE, "endorsement": STANCE,
    "endorsements": STANCE, "complaints": SPEECH, "accusations": SPEECH, "attacks": SPEECH, "objections": SPEECH,
}
RECEIVE_VERBS = set("""
draw draws drew drawn drawing face faces faced facing receive receives received receiving get gets got gotten
getting earn earns earned earning win wins won winning attract attracts attracted attracting garner garners
garnered garnering enjoy enjoys enjoyed enjoying
""".split())
# "Clinton believes the deal is bad", "experts see the vote as a test": a belief, not an utterance.
THOUGHT_VERBS = {"believe", "think", "hope", "fear", "worry", "expect", "feel", "know", "suspect", "doubt", "wonder",
                 "realize", "realise", "understand", "assume", "remember", "learn", "figure", "guess", "reason",
                 "surmise", "theorize", "posit", "see", "view", "regard", "consider"}
# "a report found ...", "the poll shows ...", "police discovered ...": what evidence says, not a person.
EVIDENCE_VERBS = {"show", "find", "discover", "notice", "determine"}
# "Cruz plans to stay in", "she wants a recount", "he decided to run": an intention, nothing said.
INTENTION_VERBS = {"plan", "seek", "want", "intend", "wish", "prefer", "like", "love", "aim", "decide", "refuse",
                   "decline", "offer", "vote"}
# Taking a side on something named by an object ("Cuban backed Obama", "criticized the deal"): a stance.
STANCE_VERBS = {"endorse", "criticize", "criticise", "praise", "reject", "denounce", "defend", "dismiss", "blast",
                "slam", "attack", "mock", "tout", "decry", "condemn", "blame", "oppose", "support", "back", "favor",
                "favour", "embrace", "champion", "rebuke", "assail", "lambaste", "deride", "bemoan", "applaud",
                "welcome", "thank", "congratulate", "credit", "side", "distance", "balk", "rail", "lash",
                "commend", "chide", "scold", "berate", "ridicule", "excoriate", "castigate", "fault", "admire",
                "disparage", "belittle", "rate", "campaign", "lobby", "object",
                "acquiesce", "spar", "focus", "weigh"}
# Nouns of saying that hold a belief rather than an utterance ("his belief that ...").
THOUGHT_NOUNS = {"assumption", "belief", "beliefs", "fear", "fears", "hope", "hopes", "view", "conviction", "concern",
                 "concerns", "worry", "worries", "doubt", "doubts", "suspicion", "suspicions"}
# Nouns of intention that are speech acts ("her pledge to ...", "his call to ...").
SPEECH_INTENT_NOUNS = {"promise", "promises", "pledge", "pledges", "vow", "vows", "threat", "threats", "call", "calls",
                       "proposal", "demand", "demands"}
# "declined to comment", "refused comment": no attribution, whatever follows.
NO_COMMENT = {"comment", "comments", "commenting", "elaborate", "specify", "discuss", "say", "answer", "respond",
              "reply", "speak", "talk", "interview", "interviews", "request", "requests"}


def cue_type(lemma: str | None, construction: str = "clause") -> str:
    """The cue_type of a reporting verb used in a construction: 'speech' unless the verb is one of
    thought, evidence or intention, or a verb of stance takes a thing (not a clause) as its content.

    >>> cue_type("say"), cue_type("believe"), cue_type("find"), cue_type("plan", "infinitive")
    ('speech', 'thought', 'evidence', 'intention')
    >>> cue_type("endorse", "object"), cue_type("criticize", "clause")
    ('stance', 'speech')
    """
    if lemma is None:
        return SPEECH
    if lemma in THOUGHT_VERBS:
        return THOUGHT
    if lemma in EVIDENCE_VERBS:
        return EVIDENCE
    if lemma in INTENTION_VERBS:
        return INTENTION
    if lemma in STANCE_VERBS and construction in ("object", "prep", "passive"):
        return STANCE
    return SPEECH


def direct_cue_type(lemma: str | None) -> str:
    """The cue_type of a cue that introduces words in quote marks: those words were said, unless the
    verb says they were thought ("“...,” he thought") or found ("“...,” the report found")."""
    if lemma in THOUGHT_VERBS:
        return THOUGHT
    if lemma in EVIDENCE_VERBS:
        return EVIDENCE
    return SPEECH


SPEECH_VERBS = sorted(CLAUSE | INFINITIVE | OBJECT | set(PREPS) | REGARD)

IRREGULAR = {
    "say": ["says", "said", "saying"],
    "tell": ["tells", "told", "telling"],
    "write": ["writes", "wrote", "written", "writing"],
    "think": ["thinks", "thought", "thinking"],
    "feel": ["feels", "felt", "feeling"],
    "know": ["knows", "knew", "known", "knowing"],
    "forecast": ["forecasts", "forecast", "forecasting"],
    "find": ["finds", "found", "finding"],
    "show": ["shows", "showed", "shown", "showing"],
    "seek": ["seeks", "sought", "seeking"],
    "speak": ["speaks", "spoke", "spoken", "speaking"],
    "read": ["reads", "read", "reading"],
    "learn": ["learns", "learned", "learnt", "learning"],
    "put": ["puts", "put", "putting"],
    "see": ["sees", "saw", "seen", "seeing"],
    "hear": ["hears", "heard", "hearing"],
}
# Verbs whose final consonant doubles (admit -> admitted).
DOUBLING = {"admit", "quip", "regret", "commit", "omit", "submit", "plan", "refer", "concur", "chat", "rebut", "slam",
            "prefer", "ban", "bar", "jab", "snap", "spar", "stop", "confer", "control", "deter", "compel", "occur",
            "brag", "dub", "beg"}


def _forms(base: str) -> list[str]:
    if base in IRREGULAR:
        return [base, *IRREGULAR[base]]
    if base.endswith("e"):
        past, ing = base + "d", base[:-1] + "ing"
    elif base.endswith("y") and base[-2] not in "aeiou":
        past, ing = base[:-1] + "ied", base + "ing"
    elif base in DOUBLING:
        past, ing = base + base[-1] + "ed", base + base[-1] + "ing"
    else:
        past, ing = base + "ed", base + "ing"
    if base.endswith(("s", "sh", "ch", "x", "z")):
        third = base + "es"
    elif base.endswith("y") and base[-2] not in "aeiou":
        third = base[:-1] + "ies"
    else:
        third = base + "s"
    return [base, third, past, ing]


CUE_LEMMA: dict[str, str] = {form: base for base in SPEECH_VERBS for form in _forms(base)}


def cue_lemma(word: str) -> str | None:
    """The base form of a reporting verb ("told" -> "tell"), or None if the word is not one."""
    return CUE_LEMMA.get(word.lower())
