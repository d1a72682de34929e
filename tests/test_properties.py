"""Property tests over arbitrary Unicode and HTML: never raise, offsets exact, output deterministic."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.annotate import rows_from_doc
from transforms.article import prepare_article
from transforms.clean_text import clean_text
from transforms.html_extract import extract_html
from transforms.records import StageError, utcnow

PROSE = st.lists(
    st.one_of(
        st.text(min_size=0, max_size=40),
        st.sampled_from(["“", "”", '"', "«", "»", "\n\n", "\n", " said ", "He ", "Mr. Lee", " according to ",
                         "\x00", "\ud800", "Ã©", "\u200b", "0\n41\n", "Leave a Reply\n", "By Ann Lee\n"]),
    ),
    max_size=30,
).map("".join)
TAGS = st.sampled_from(["p", "div", "article", "script", "style", "h1", "span", "a", "li", "table", "td"])
HTML = st.recursive(
    PROSE.map(lambda s: s.replace("<", "&lt;")),
    lambda inner: st.tuples(TAGS, st.lists(inner, max_size=4)).map(
        lambda t: f"<{t[0]}>" + "".join(t[1]) + f"</{t[0]}>"),
    max_leaves=20,
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(PROSE)
def test_clean_text_never_raises_and_is_deterministic(text):
    first, second = clean_text(text), clean_text(text)
    assert first == second
    assert "\x00" not in first.text and not any("\ud800" <= ch <= "\udfff" for ch in first.text)


@FAST
@given(HTML)
def test_html_extraction_never_raises_and_is_deterministic(html):
    page = "<html><body>" + html + "</body></html>"
    assert extract_html(page) == extract_html(page)


@FAST
@given(PROSE)
def test_prepare_article_gives_a_row_or_a_stage_error(text):
    try:
        row = prepare_article({"source_uri": "mem://p", "text": text}, utcnow(), "test")
    except StageError as exc:
        assert exc.stage == "clean"
        return
    assert row["text"].strip() and row["word_count"] >= 0 and row["dt"]


@pytest.fixture(scope="module")
def annotate(nlp):
    return lambda text: rows_from_doc(nlp(text))


@FAST
@given(PROSE)
def test_entity_and_quote_offsets_are_exact_and_deterministic(annotate, text):
    text = clean_text(text).text
    entities, quotes = annotate(text)
    assert (entities, quotes) == annotate(text)
    for row in entities + quotes:
        assert 0 <= row["start_char"] < row["end_char"] <= len(text)
        assert text[row["start_char"]:row["end_char"]] == row["text"]
