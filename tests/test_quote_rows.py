"""Rows of the quotes table: one per quoted fragment, attribution ids, cue types, headline quotes."""

import dataclasses

import pytest

from transforms.annotate import annotate_texts, docs_with_titles, rows_from_doc
from transforms.cues import cue_type
from transforms.quote_marks import find_quoted
from transforms.quotes import Quote


def rows(nlp, text, title=None):
    title_doc = nlp(title) if title else None
    _, quotes = rows_from_doc(nlp(text), text, title_doc, title)
    for q in quotes:
        source = title if q["in_title"] else text
        assert source[q["start_char"]:q["end_char"]] == q["text"]
    return quotes


def test_rows_are_immutable():
    quote = Quote(0, 5, "direct", None, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        quote.end_char = 9


# ----------------------------------------------------------------------------- fragments
def test_split_quote_is_two_fragments_of_one_attribution(nlp):
    text = ("“We’re trying to make a point about safety on the ice,” he said. “I don’t believe they are "
            "listening to us at all.”")
    first, second = rows(nlp, text)
    assert first["text"] == "We’re trying to make a point about safety on the ice"
    assert second["text"] == "I don’t believe they are listening to us at all."
    assert first["attribution_id"] == second["attribution_id"]
    assert {(q["speaker"], q["cue"], q["cue_type"]) for q in (first, second)} == {("he", "said", "speech")}


def test_quote_resumed_after_narration_is_one_attribution_without_the_narration(nlp):
    text = ('"It\'s nice to be back on the ice with the guys," said Karlsson, who received a two-game suspension '
            'for an illegal check to the head of a Kings forward. "We have a good group here and we want to win."')
    first, second = rows(nlp, text)
    assert first["text"] == "It's nice to be back on the ice with the guys"
    assert second["text"] == "We have a good group here and we want to win."
    assert first["attribution_id"] == second["attribution_id"] and first["speaker"] == "Karlsson"


def test_single_fragment_rows_have_their_own_attribution_ids(nlp):
    text = "The mayor said the bridge would reopen in May. The engineer said the repairs were nearly done."
    quotes = rows(nlp, text)
    assert len(quotes) == 2 and len({q["attribution_id"] for q in quotes}) == 2


# ----------------------------------------------------------------------------- cue types
@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Mayor Lena Fischer said the budget would be balanced next year.", "speech"),
        ("According to the fire service, two people were injured in the blast.", "speech"),
        ("Mayor Lena Fischer believes the budget will be balanced next year.", "thought"),
        ("A report by the city auditor found that the program had wasted millions.", "evidence"),
        ("Mayor Lena Fischer plans to run for a third term next year.", "intention"),
        ("Mayor Lena Fischer endorsed the transit plan last week.", "stance"),
    ],
)
def test_cue_types(nlp, sentence, kind):
    (q,) = rows(nlp, sentence)
    assert q["cue_type"] == kind


def test_words_in_quote_marks_are_speech(nlp):
    (q,) = rows(nlp, "“We will never give up on this city,” Mayor Lena Fischer vowed.")
    assert (q["kind"], q["cue_type"]) == ("direct", "speech")


def test_cue_type_table():
    assert cue_type("tell") == "speech" and cue_type("fear") == "thought" and cue_type("show") == "evidence"
    assert cue_type("praise", "object") == "stance" and cue_type("praise", "clause") == "speech"


@pytest.mark.parametrize(
    "sentence",
    [
        "Lawyers for the city are expected to ask the judge for more time.",
        "The minister declined comment when reached on Friday.",
        "The premier declined to comment on the case.",
        "The deal appeared certain to collapse by the end of the week.",
        "The senator seems tired of the long campaign.",
        "The court heard that the defendant had fled the country.",
        "The police released the footage on Friday evening.",
        "The board's decision to close the plant surprised the workers.",
    ],
)
def test_constructions_that_attribute_nothing_make_no_row(nlp, sentence):
    assert rows(nlp, sentence) == []


# ----------------------------------------------------------------------------- headlines
def test_name_before_a_headline_colon_says_the_rest(nlp):
    title = "Pence: Gennifer Flowers Won’t Be at Debate"
    text = "Mike Pence spoke to reporters on Monday. Pence said the debate would be fair."
    (q,) = [q for q in rows(nlp, text, title) if q["in_title"]]
    assert (q["text"], q["speaker"], q["speaker_canonical"], q["cue"]) == (
        "Gennifer Flowers Won’t Be at Debate", "Pence", "Mike Pence", ":")
    assert q["kind"] == "indirect" and q["cue_type"] == "speech"


def test_section_label_before_a_headline_colon_is_no_source(nlp):
    title = "The Latest: Storm closes schools across the county"
    assert [q for q in rows(nlp, "Schools closed on Monday.", title) if q["in_title"]] == []


def test_headline_quote_in_single_marks(nlp):
    title = "‘We will not back down,’ says striking nurses’ union"
    (q,) = [q for q in rows(nlp, "The nurses walked out on Monday.", title) if q["in_title"]]
    assert q["text"] == "We will not back down" and q["kind"] == "direct" and q["cue"] == "says"


def test_single_marks_pair_only_in_headlines():
    title = "Lawmakers Rip Plan As A ‘Disgusting Fraud.’ It’s Over"
    assert [title[s:e] for s, e in find_quoted(title, single=True)] == ["Disgusting Fraud."]
    assert find_quoted(title) == []


def test_title_and_text_are_parsed_in_one_pipe_call(nlp):
    texts = ["Mayor Lena Fischer said the bridge would reopen.", "Nothing was said here."]
    pairs = docs_with_titles(nlp, texts, ["Fischer: Bridge Will Reopen in May", None])
    assert [d.text for d, _ in pairs] == texts and pairs[0][1].text.startswith("Fischer") and pairs[1][1] is None
    found = [q for _, qs in annotate_texts(nlp, texts, titles=["Fischer: Bridge Will Reopen in May", None]) for q in qs]
    assert any(q["in_title"] for q in found) and any(not q["in_title"] for q in found)


def test_title_case_phrase_before_a_headline_colon_is_no_source(nlp):
    title = "Stealth Over Health: Clinton Was Headed to the Hospital"
    assert [q for q in rows(nlp, "The campaign said nothing on Sunday.", title) if q["in_title"]] == []


# ----------------------------------------------------------------------------- signed quotes
def test_name_after_a_dash_signs_the_quote(nlp):
    text = ("Readers sent us their reactions to the debate.\n"
            "“He can’t even answer a question without scaring people first.” ― Esther Tapia\n"
            "“We need more school investment, not more tests,” — Keron Blair, executive director of AROS.")
    first, second = rows(nlp, text)
    assert (first["speaker"], first["cue"], first["kind"]) == ("Esther Tapia", "―", "direct")
    assert second["speaker"] == "Keron Blair" and second["text"] == "We need more school investment, not more tests"


def test_signed_quotes_run_on_in_one_paragraph(nlp):
    text = ("“He can’t even answer a question without scaring people first.” ― Esther Tapia “The most unqualified "
            "child to ever run for president.” ― Francisco Herrero “Maybe we can build a wall around him.” ― Steve "
            "Quinlan")
    assert [q["speaker"] for q in rows(nlp, text)] == ["Esther Tapia", "Francisco Herrero", "Steve Quinlan"]


def test_paragraph_opened_with_a_closing_mark_is_a_quote():
    text = "Intro.\n”Mr. Trump embodies the legacy of racism. He is our shame.” ― Sonya Herridge"
    assert [text[s:e] for s, e in find_quoted(text)] == ["Mr. Trump embodies the legacy of racism. He is our shame."]


def test_content_ends_before_a_second_predicate_and_a_relative_clause(nlp):
    (q,) = rows(nlp, "The patient refused to remain in the hospital, but was treated as an outpatient.")
    assert q["text"] == "to remain in the hospital"
    (q,) = rows(nlp, "The poll showed a close contest in the state, where 18 electoral votes are up for grabs.")
    assert q["text"] == "a close contest in the state"


@pytest.mark.parametrize(
    ("sentence", "content"),
    [
        ("Bill Clinton described the new law as a “crazy system” during a campaign stop in Flint.",
         "the new law as a “crazy system”"),
        ("The union called for more school investment in a statement on Thursday.", "more school investment"),
        ("The senator condemned the annexation in an on-air diatribe.", "the annexation"),
        ("The judge rejected that argument in a ruling released Thursday.", "that argument"),
        ("Voters cited her concerns, in large part.", "her concerns"),
    ],
)
def test_object_content_ends_before_adjuncts_wherever_they_hang(nlp, sentence, content):
    (q,) = rows(nlp, sentence)
    assert q["text"] == content


def test_named_report_with_a_that_clause(nlp):
    (q,) = rows(nlp, "Clinton is seizing upon a New York Times report that Donald Trump had a net loss in 1995.")
    assert (q["text"], q["speaker"], q["cue"], q["cue_type"]) == (
        "Donald Trump had a net loss in 1995", "New York Times", "report", "evidence")


def test_speaker_keeps_a_closing_parenthesis(nlp):
    (q,) = rows(nlp, "Rep. Trey Gowdy (R-S.C.) said the claim smacked of hypocrisy.")
    assert q["speaker"] == "Rep. Trey Gowdy (R-S.C.)"


# ----------------------------------------------------------------------------- transcripts
def test_transcript_turns_are_quotes_of_their_speakers(nlp):
    text = ("Mike Pence appeared on Fox News Sunday with Chris Wallace.\n"
            "WALLACE: But, Governor Pence, I’ve got to ask you about the tweets that Donald Trump sent this week.\n"
            "PENCE: Well, look, Hillary Clinton thinks this is an episode of a game show. But this is serious.\n"
            "The American people want to hear about jobs.\n"
            "WALLACE: Thank you, Governor.\n"
            "The interview ended there.")
    found = rows(nlp, text)
    assert [(q["speaker"], q["speaker_canonical"], q["cue"], q["kind"]) for q in found] == [
        ("WALLACE", "Chris Wallace", ":", "direct"), ("PENCE", "Mike Pence", ":", "direct"),
        ("PENCE", "Mike Pence", ":", "direct"), ("WALLACE", "Chris Wallace", ":", "direct")]
    assert found[1]["attribution_id"] == found[2]["attribution_id"]
    assert found[2]["text"] == "The American people want to hear about jobs."
    assert found[3]["text"] == "Thank you, Governor."


def test_a_lone_label_is_no_transcript(nlp):
    assert rows(nlp, "UPDATE: The road reopened at noon after crews cleared the debris.") == []


def test_transcript_printed_as_a_quote(nlp):
    text = ("Pence spoke with Chris Wallace on Sunday.\n"
            '"WALLACE: Let’s start with breaking news on the debate story. What do you make of it?\n'
            '"PENCE: Well, look, she thinks this is an episode of “Shark Tank.” But this is America, Chris.\n'
            '"WALLACE: If I may, sir, because we’ve got limited time.')
    found = rows(nlp, text)
    assert [(q["speaker"], q["text"][:12]) for q in found] == [
        ("WALLACE", "Let’s start "), ("PENCE", "Well, look, "), ("WALLACE", "If I may, si")]
    assert found[1]["text"].endswith("But this is America, Chris.")


def test_called_for_a_clause_the_parser_hung_on_the_verb(nlp):
    (q,) = rows(nlp, "Warren called for compensation to be “clawed back” for responsible executives.")
    assert (q["text"], q["cue"], q["kind"]) == ("compensation to be “clawed back” for responsible executives",
                                                "called for", "partial")


def test_reported_speech_going_on_after_a_quote_is_a_partial_quote(nlp):
    text = "“You squeezed employees to the breaking point” to drive up the stock price and your pay, she said."
    (q,) = rows(nlp, text)
    assert q["kind"] == "partial" and q["speaker"] == "she"
    assert q["text"] == "“You squeezed employees to the breaking point” to drive up the stock price and your pay"


def test_name_after_a_quote_with_its_apposition_and_cue(nlp):
    text = ("“He's absolutely right. There's a severe disconnect between this White House and our military,” "
            "Flynn, a top Trump surrogate, said Thursday morning on Fox News’s “Fox and Friends.”")
    (q,) = rows(nlp, text)
    assert (q["speaker"], q["cue"], q["kind"]) == ("Flynn, a top Trump surrogate", "said", "direct")
    assert q["text"].endswith("our military")


def test_quote_as_the_object_of_a_verb_of_saying(nlp):
    (q,) = rows(nlp, 'Protesters marching through the streets chanted "What curfew?" and kept going until 2 a.m.')
    assert (q["text"], q["speaker"], q["cue"], q["kind"]) == ("What curfew?", "Protesters", "chanted", "direct")


def test_verb_of_saying_coordinated_inside_a_content_reports_on_its_own(nlp):
    text = "Merrill says Machado promised to continue supporting Clinton and said she would stand up to the attacks."
    assert [(q["text"], q["speaker"]) for q in rows(nlp, text)] == [
        ("Machado promised to continue supporting Clinton", "Merrill"),
        ("she would stand up to the attacks", "Machado")]


@pytest.mark.parametrize(
    ("sentence", "content", "speaker"),
    [
        ("Lawmakers have not said when they would take up the reauthorization.",
         "when they would take up the reauthorization", "Lawmakers"),
        ("Those close to him say that, in addition to Scott, he would consider Don Beyer.",
         "in addition to Scott, he would consider Don Beyer", "Those close to him"),
        ("The Republican National Committee noted Bill Clinton’s comments and video of them.",
         "Bill Clinton’s comments and video of them", "The Republican National Committee"),
    ],
)
def test_more_reported_constructions(nlp, sentence, content, speaker):
    (q,) = rows(nlp, sentence)
    assert (q["text"], q["speaker"]) == (content, speaker)


def test_that_less_clause_taken_for_an_adverbial_one(nlp):
    (q,) = rows(nlp, "Trump said after the convention he would not accept Cruz's endorsement if it were offered.")
    assert q["text"] == "after the convention he would not accept Cruz's endorsement if it were offered"


def test_as_someone_said_after_the_clause(nlp):
    (q,) = rows(nlp, "The video does not show whether Scott had a gun, as police have said.")
    assert (q["text"], q["speaker"]) == ("The video does not show whether Scott had a gun", "police")


def test_content_ends_before_a_coordinated_report_with_its_own_subject(nlp):
    q = rows(nlp, "Rubio said the real extremist on abortion is Hillary Clinton, and he railed against Democrats.")[0]
    assert q["text"] == "the real extremist on abortion is Hillary Clinton"


def test_transcript_with_names_as_labels(nlp):
    text = ("Chris Matthews spoke with Luciana Lopez on Tuesday night.\n"
            "Matthews: Seriously, seriously about this. Bernie says he’s going to pay for the free tuitions.\n"
            "Lopez: Well, no one is like, ‘My 401(k) is speculation.’ In a way, it gets to be all things.\n"
            "Matthews: Well, speculation is bad.\n"
            "Note: This transcript was edited.")
    assert [(q["speaker_canonical"], q["text"][:10]) for q in rows(nlp, text)] == [
        ("Chris Matthews", "Seriously,"), ("Luciana Lopez", "Well, no o"), ("Chris Matthews", "Well, spec")]


def test_straight_mark_opening_a_word_after_a_finished_sentence_opens_the_next_quote(nlp):
    text = 'The sign on the door said "no entry. "We will open again next week," the owner said.'
    assert [text[s:e] for s, e in find_quoted(text)] == ["no entry.", "We will open again next week"]
    q = [q for q in rows(nlp, text) if q["cue"] == "said" and q["speaker"] == "the owner"]
    assert [r["text"] for r in q] == ["We will open again next week"]


def test_cue_inside_reported_speech_splits_it_into_fragments(nlp):
    first, second = rows(nlp, "The plan, she said, is “dead on arrival” in the Senate.")
    assert (first["text"], second["text"]) == ("The plan", "is “dead on arrival” in the Senate")
    assert first["attribution_id"] == second["attribution_id"] and {first["kind"], second["kind"]} == {"partial"}


def test_paragraph_ending_in_a_colon_introduces_the_quote_after_it(nlp):
    text = ('Sanders said on Sunday:\n"This is what I know. In politics too much we look at personality. '
            'We like you, we don\'t like you."')
    (q,) = rows(nlp, text)
    assert (q["speaker"], q["cue"], q["kind"]) == ("Sanders", "said", "direct")


def test_short_quote_after_a_colon_is_no_title(nlp):
    (q,) = rows(nlp, 'President Obama is rolling out a new and more personal campaign message: "It\'s about me."')
    assert (q["text"], q["speaker"]) == ("It's about me.", "President Obama")


def test_name_and_colon_before_a_quote(nlp):
    text = ("Mayor Valérie Plante spoke after the vote. Plante: “We will keep the line open as long as the riders "
            "need it.”")
    (q,) = rows(nlp, text)
    assert (q["speaker"], q["speaker_canonical"], q["cue"]) == ("Plante", "Valérie Plante", ":")
