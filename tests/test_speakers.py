"""Canonical speaker names: pronouns, descriptions, surnames, earlier paragraphs, and nothing made up."""

from transforms.annotate import rows_from_doc
from transforms.speakers import mention_span, proper_name


def speakers(nlp, text):
    """(speaker as written, canonical) of each quote, in text order."""
    _, quotes = rows_from_doc(nlp(text))
    return [(q["speaker"], q["speaker_canonical"]) for q in quotes]


def test_surname_resolves_to_the_full_name(nlp):
    text = "Prime Minister Mark Carney visited Kyiv on Sunday. Carney said Canada would send more aid."
    assert ("Carney", "Mark Carney") in speakers(nlp, text)


def test_pronoun_resolves_to_the_most_recent_person(nlp):
    text = "Finance minister Joseph Mwangi met the bankers on Monday. He said interest rates would stay high."
    assert ("He", "Joseph Mwangi") in speakers(nlp, text)


def test_pronoun_skips_a_person_of_the_other_gender(nlp):
    text = ("Mr. David Osei praised Mrs. Helen Parker, the school principal, for her work. "
            "She said the new library would open in May.")
    assert ("She", "Helen Parker") in speakers(nlp, text)


def test_description_matches_an_earlier_appositive(nlp):
    text = ("Mark Carney, the Canadian prime minister, arrived in Kyiv on Sunday. "
            "The prime minister said the alliance would hold.")
    assert ("The prime minister", "Mark Carney") in speakers(nlp, text)


def test_description_matches_an_earlier_title(nlp):
    text = ("Ukraine's President Volodymyr Zelenskyy met him at the station. "
            "The Ukrainian president said talks would resume soon.")
    assert ("The Ukrainian president", "Volodymyr Zelenskyy") in speakers(nlp, text)


def test_name_in_an_apposition_of_the_speaker(nlp):
    text = "The city's police chief, Maria Santos, said the two suspects had been arrested overnight."
    assert ("The city's police chief, Maria Santos", "Maria Santos") in speakers(nlp, text)


def test_relative_pronoun_resolves_to_its_antecedent(nlp):
    text = "Senator Ruth Adler, who said the deal was dead, left the chamber early."
    assert speakers(nlp, text) == [("who", "Ruth Adler")]


def test_quote_speaker_named_in_the_previous_paragraph(nlp):
    text = ("Health Secretary Ama Boateng visited the flooded wards on Friday.\n\n"
            "“We will rebuild this hospital, and we will do it within a year.”")
    assert speakers(nlp, text) == [("Health Secretary Ama Boateng", "Ama Boateng")]


def test_organisation_pronoun(nlp):
    text = "Shares of Halvorsen Robotics fell on Monday. It said the layoffs would affect 400 workers."
    assert ("It", "Halvorsen Robotics") in speakers(nlp, text)


def test_unnamed_speaker_has_no_canonical_name(nlp):
    text = "A senior official said the talks had stalled over the question of borders."
    assert speakers(nlp, text) == [("A senior official", None)]


def test_mention_is_the_whole_noun_phrase(nlp):
    doc = nlp("Vin Weber, a lobbyist and former congressman, said the convention would be open.")
    subject = next(t for t in doc if t.dep_ == "nsubj")
    assert mention_span(subject).text == "Vin Weber, a lobbyist and former congressman"


def test_mention_stops_at_the_cue_the_parser_hung_inside_it(nlp):
    doc = nlp("The report cheered Democrats hoping to retain the Senate.")
    cue = next(t for t in doc if t.text == "hoping")
    assert mention_span(cue.head, cue).text == "Democrats"


def test_relative_clause_is_not_part_of_the_mention(nlp):
    text = ("Karlsson, who received a two-game suspension for an illegal check, said the team was ready "
            "for the playoffs.")
    assert speakers(nlp, text) == [("Karlsson", "Karlsson")]


def test_participial_phrase_is_not_part_of_the_mention(nlp):
    text = "Officials speaking on condition of anonymity said the talks had stalled."
    assert speakers(nlp, text) == [("Officials", None)]


def test_title_is_not_part_of_the_canonical_name(nlp):
    text = "Organizer Dwayne Croteau said the march would start at noon on Saturday."
    assert speakers(nlp, text) == [("Organizer Dwayne Croteau", "Dwayne Croteau")]


def test_description_resolves_to_the_apposed_name(nlp):
    text = ("Erik Karlsson, the rookie defenceman, skated hard on Monday. The rookie defenceman said the team "
            "was ready for the playoffs.")
    assert speakers(nlp, text) == [("The rookie defenceman", "Erik Karlsson")]


def test_description_without_a_name_has_no_canonical_name(nlp):
    text = "The rookie defenceman said the team was ready for the playoffs."
    assert speakers(nlp, text) == [("The rookie defenceman", None)]


def test_it_names_an_organisation_only_as_a_speaker(nlp):
    text = "The UN held a vote on Monday. It said the sanctions would stay in place."
    assert speakers(nlp, text) == [("It", "UN")]
    assert speakers(nlp, "The UN held a vote on Monday. It believes the sanctions will stay in place.") == []


def test_proper_name_rules():
    assert proper_name("Prime Minister Mark Carney") == "Mark Carney"
    assert proper_name("rookie defenceman") is None and proper_name("Prime Minister") is None
    assert proper_name("Hydro-Québec") == "Hydro-Québec"


def test_surname_the_model_missed_resolves_to_the_earlier_full_name(nlp):
    text = ("Donald Trump spoke in Virginia. Trump, speaking to a veterans group in Virginia, said he would order "
            "a thorough review of the nation’s computer defenses.")
    assert speakers(nlp, text) == [("Trump", "Donald Trump")]


def test_time_is_not_part_of_the_mention(nlp):
    text = "RNC spokesman Sean Spicer on Thursday evening said the Republican Party was not in a crisis."
    assert speakers(nlp, text) == [("RNC spokesman Sean Spicer", "Sean Spicer")]


def test_pronoun_prefers_the_subject_of_a_reporting_verb(nlp):
    text = ("Senator Marco Rubio said the real extremist on abortion is Hillary Clinton, and he railed against "
            "Democrats for their positions.")
    assert ("he", "Marco Rubio") in speakers(nlp, text)
