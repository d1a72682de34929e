"""Entity canonicalisation: one full name and one label per person across an article."""

from transforms.entities import extract_entities


def canon(nlp, text):
    return {(m.text, m.canonical, m.label) for m in extract_entities(nlp(text))}


def test_surname_and_honorific_link_to_the_full_name(nlp):
    text = ("Senator Ruth Adler opened the hearing on Tuesday. Adler said the committee would vote next week, "
            "and Ms. Adler's office later confirmed the date.")
    found = canon(nlp, text)
    assert ("Ruth Adler", "Ruth Adler", "PERSON") in found
    linked = {(t, c) for t, c, label in found if label == "PERSON" and t != "Ruth Adler"}
    assert linked and all(c == "Ruth Adler" for _, c in linked)


def test_surname_goes_to_the_nearest_full_name_before_it(nlp):
    text = ("Bill Clinton spoke first at the rally in Ohio. Hillary Clinton followed him an hour later. "
            "Clinton told the crowd that the election would be close.")
    mentions = extract_entities(nlp(text))
    last = [m for m in mentions if m.text == "Clinton"][-1]
    assert last.canonical == "Hillary Clinton" and last.label == "PERSON"


def test_offsets_index_the_text(nlp):
    text = "Mark Carney met Volodymyr Zelenskyy in Kyiv. Carney's visit lasted a day."
    for m in extract_entities(nlp(text)):
        assert text[m.start_char:m.end_char] == m.text


def test_organisation_keeps_its_own_name(nlp):
    found = canon(nlp, "The European Central Bank raised rates on Thursday.")
    assert ("The European Central Bank", "European Central Bank", "ORG") in found
