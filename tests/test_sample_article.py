"""The sample article in ../shared/samples (copied into samples/txt): the contract of issue 2."""

from transforms.annotate import rows_from_doc
from transforms.article import prepare_article
from transforms.parse import parse_input
from transforms.records import utcnow


def _annotated(nlp, kyiv_text):
    raw = parse_input({"source_uri": "kyiv.txt", "payload": kyiv_text.encode(), "format": "txt"})
    row = prepare_article(raw, utcnow(), "test")
    entities, quotes = rows_from_doc(nlp(row["text"]))
    return row, entities, quotes


def test_title_and_body(nlp, kyiv_text):
    row, _, _ = _annotated(nlp, kyiv_text)
    assert row["title"] == "Canada backs security guarantees for Ukraine amid ongoing conflict"
    assert row["title"] not in row["text"]
    assert row["language"] == "en"


def test_six_quoted_passages_with_speakers(nlp, kyiv_text):
    row, _, quotes = _annotated(nlp, kyiv_text)
    text = row["text"]
    for q in quotes:
        assert text[q["start_char"]:q["end_char"]] == q["text"]
    quoted = [q for q in quotes if q["kind"] in ("direct", "partial")]
    got = [(q["text"][:25], q["speaker_canonical"], q["kind"]) for q in quoted]
    assert got == [
        ("In Canada’s judgment, it ", "Mark Carney", "direct"),
        ("We are working through – ", "Mark Carney", "direct"),
        ("We are all working to ens", "Volodymyr Zelenskyy", "direct"),
        ("We need a cessation of ho", "Mark Carney", "direct"),
        ("the “format of talks betw", "Volodymyr Zelenskyy", "partial"),
        ("We want peace in Ukraine.", "Sergey Lavrov", "direct"),
    ]


def test_reported_speech_and_descriptions(nlp, kyiv_text):
    _, _, quotes = _annotated(nlp, kyiv_text)
    by_speaker = {(q["speaker"], q["speaker_canonical"]) for q in quotes if q["kind"] == "indirect"}
    assert ("The Ukrainian president", "Volodymyr Zelenskyy") in by_speaker
    assert ("the Canadian prime minister", "Mark Carney") in by_speaker
    assert ("Russian Foreign Minister Sergey Lavrov", "Sergey Lavrov") in by_speaker


def test_people_are_persons_with_canonical_names(nlp, kyiv_text):
    row, entities, _ = _annotated(nlp, kyiv_text)
    for e in entities:
        assert row["text"][e["start_char"]:e["end_char"]] == e["text"]
    people = {e["canonical"] for e in entities if e["label"] == "PERSON"}
    assert {"Mark Carney", "Volodymyr Zelenskyy", "Sergey Lavrov", "Keith Kellogg"} <= people
    bare = [e for e in entities if e["text"] in ("Carney", "Zelenskyy", "Lavrov")]
    assert bare and all(e["label"] == "PERSON" for e in bare)
    assert {e["canonical"] for e in bare if e["text"] == "Carney"} == {"Mark Carney"}


def test_rows_are_the_same_whether_the_text_is_passed_or_rebuilt(nlp, kyiv_text):
    """AnnotateArticles hands rows_from_doc the article text (spaCy keeps it exactly) to save Doc.text."""
    row, entities, quotes = _annotated(nlp, kyiv_text)
    assert rows_from_doc(nlp(row["text"]), row["text"]) == (entities, quotes)
    assert entities and all(row["text"][e["start_char"]:e["end_char"]] == e["text"] for e in entities)
