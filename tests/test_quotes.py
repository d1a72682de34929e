"""Quote constructions on real-style sentences, and the offset contract as a property."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.annotate import rows_from_doc
from transforms.quote_marks import find_quoted


def quotes_of(nlp, text):
    doc = nlp(text)
    _, quotes = rows_from_doc(doc)
    for q in quotes:
        assert text[q["start_char"]:q["end_char"]] == q["text"]
    return quotes


@pytest.mark.parametrize(
    ("text", "inner"),
    [
        ("He said “one two three” today.", "one two three"),
        ('He said "one two three" today.', "one two three"),
        ("Il a dit « un deux trois » hier.", "un deux trois"),
        ("Er sagte „eins zwei drei“ gestern.", "eins zwei drei"),
    ],
)
def test_quote_mark_styles(text, inner):
    spans = find_quoted(text)
    assert [text[s:e].strip() for s, e in spans] == [inner]


def test_quote_over_several_paragraphs():
    text = "She said:\n\n“First paragraph goes on.\n\n“Second paragraph ends it.”\n\nAfter."
    (span,) = find_quoted(text)
    assert text[span[0]:span[1]].startswith("First") and text[span[0]:span[1]].endswith("ends it.")


def test_direct_quote_with_cue_after(nlp):
    (q,) = quotes_of(nlp, "Mayor Lena Fischer spoke on Tuesday. “We had to act before the next storm,” Fischer said.")
    assert q["kind"] == "direct" and q["speaker"] == "Fischer" and q["speaker_canonical"] == "Lena Fischer"
    assert q["cue"] == "said" and q["text"] == "We had to act before the next storm"


def test_quote_split_around_its_cue_is_one_quote(nlp):
    quotes = quotes_of(nlp, "Dr. Amina Okafor runs the clinic. “The vaccine works,” she said. “But supply is "
                            "still far too short for the demand we see.”")
    (q,) = [q for q in quotes if q["kind"] == "direct"]
    assert q["text"].startswith("The vaccine works") and q["text"].endswith("the demand we see.")
    assert (q["speaker"], q["speaker_canonical"], q["cue"]) == ("she", "Amina Okafor", "said")


def test_speaker_only_in_previous_paragraph(nlp):
    text = ("Finance minister Joseph Mwangi defended the budget on Monday.\n\n"
            "“We had no choice but to cut spending this year.”")
    (q,) = [q for q in quotes_of(nlp, text) if q["kind"] == "direct"]
    assert q["speaker_canonical"] == "Joseph Mwangi"


def test_reported_speech_with_that(nlp):
    quotes = quotes_of(nlp, "Senator Maria Lopez said that the bill would fail without bipartisan support.")
    (q,) = quotes
    assert q["kind"] == "indirect" and q["speaker_canonical"] == "Maria Lopez"
    assert q["text"] == "the bill would fail without bipartisan support"


def test_reported_speech_cue_after(nlp):
    (q,) = quotes_of(nlp, "The talks will resume next week, the ministry said.")
    assert q["kind"] == "indirect" and q["speaker"] == "the ministry" and q["text"].startswith("The talks")


def test_according_to(nlp):
    (q,) = quotes_of(nlp, "According to the Central Bank, inflation will fall below 3 percent next year.")
    assert q["speaker"] == "the Central Bank" and q["text"].startswith("inflation will fall")


def test_accused_of(nlp):
    (q,) = quotes_of(nlp, "Opposition leader Karl Brenner accused the mayor of rushing the vote.")
    assert q["speaker_canonical"] == "Karl Brenner" and q["text"] == "the mayor of rushing the vote"


def test_partial_quote_in_reported_speech(nlp):
    (q,) = quotes_of(nlp, "Zelenskyy renewed calls for a summit, saying the format of talks is “the most "
                          "effective way forward.”")
    assert q["kind"] == "partial" and "the most effective way forward" in q["text"]


def test_scare_quotes_are_not_quotes(nlp):
    assert quotes_of(nlp, "The so-called “peace plan” was published on Monday.") == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([
    "“We will win,” he said.", "Anna Berg said the plan was “reckless”.", "\n\n", "“Open ", "close.” ",
    "The council said on Monday that it would appeal.", "According to police, two people died.",
    "« Non », a-t-il dit.", '"', "It rained.", "Mr. Smith told reporters: ", "they said", "—",
]), max_size=12))
def test_quote_rows_always_satisfy_the_offset_contract(nlp, parts):
    text = "".join(parts)
    doc = nlp(text)
    _, quotes = rows_from_doc(doc)
    for q in quotes:
        assert 0 <= q["start_char"] < q["end_char"] <= len(text)
        assert text[q["start_char"]:q["end_char"]] == q["text"]
        assert q["kind"] in ("direct", "partial", "indirect")
