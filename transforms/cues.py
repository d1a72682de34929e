"""Reporting verbs ("cues") in all their inflected forms.

The pipeline runs spaCy without tagger and lemmatizer (they cost time and the parser does not
need them), so cues are matched on the lower-cased surface form through this table.
"""

from __future__ import annotations

# Verbs that introduce what someone said, wrote or thinks (PolNeAR and PARC count beliefs too).
SPEECH_VERBS = """
say tell add explain note claim argue insist warn deny accuse state announce declare write ask reply
respond answer suggest acknowledge admit confirm report recall predict promise vow pledge urge stress
emphasize emphasise contend allege assert maintain reiterate complain concede testify tweet post joke
quip reveal disclose indicate estimate observe remark comment agree charge blast slam praise criticize
criticise mock boast lament recount tout dismiss question wonder signal threaten demand recommend propose
conclude caution counter retort acknowledge point describe call urge plead repeat echo muse scoff brag
insinuate hint imply speculate theorize predict forecast project assure reassure inform notify advise
believe think hope fear worry expect feel know suspect doubt
""".split()

IRREGULAR = {
    "say": ["says", "said", "saying"],
    "tell": ["tells", "told", "telling"],
    "write": ["writes", "wrote", "written", "writing"],
    "think": ["thinks", "thought", "thinking"],
    "feel": ["feels", "felt", "feeling"],
    "know": ["knows", "knew", "known", "knowing"],
    "forecast": ["forecasts", "forecast", "forecasting"],
}
# Verbs whose final consonant doubles (admit -> admitted).
DOUBLING = {"admit", "quip", "plead", "regret", "commit", "omit", "submit", "signal"}


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
# Cues that need a content clause to count (they are too common as plain verbs otherwise).
BELIEF = {"believe", "think", "hope", "fear", "worry", "expect", "feel", "know", "suspect", "doubt", "add", "call",
          "point", "question", "wonder", "answer", "post", "write", "project", "counter", "echo", "repeat", "signal"}
# Cues whose object is the person addressed, not the content ("told reporters").
ADDRESSEE = {"tell", "inform", "notify", "assure", "reassure", "advise", "ask", "urge", "warn", "remind"}
# Cues whose object is the target and whose `of`/`for` phrase is the content ("accused X of Y").
TARGETED = {"accuse", "blast", "slam", "praise", "criticize", "criticise", "mock", "charge", "call"}


def cue_lemma(word: str) -> str | None:
    return CUE_LEMMA.get(word.lower())
