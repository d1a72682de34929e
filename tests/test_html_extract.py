"""HTML to article: main text and metadata from real-looking pages, fragments and hostile input."""

import json
import time

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.article import prepare_article
from transforms.beam_steps import ERRORS, CleanArticle, ParseInput
from transforms.html_extract import JSON_LD, MAX_ELEMENTS, PRECISION, extract_html, json_ld_body, parse_html
from transforms.parse import parse_input
from transforms.records import StageError, utcnow

PARAGRAPHS = [
    "The city council approved a new budget on Monday after a debate that lasted well into the night.",
    "“This plan puts buses and clinics first,” Mayor Ann Lee told reporters outside the chamber.",
    "Opposition members said the tax rise hidden in the plan would hurt small businesses across the city.",
    "The budget takes effect in January and will be reviewed in June, officials said on Tuesday.",
    "Residents who attended the meeting were divided, with some cheering the investment in transit.",
]


def news_page(paragraphs=PARAGRAPHS, lang="en", extra_head="", article_body=None) -> str:
    """A news page as scraped: navigation, share bar, the story, related links, comments, footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs) if article_body is None else article_body
    return f"""<!DOCTYPE html><html lang="{lang}"><head>
<title>Council passes budget | The Daily Ledger</title>
<meta property="og:title" content="Council passes budget after marathon session">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2026-11-20T08:30:00Z">
<link rel="canonical" href="https://ledger.example.com/news/council-budget">{extra_head}
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li></ul></nav></header>
<main><article>
<h1>Council passes budget after marathon session</h1>
<div class="share"><a href="#">Share on Facebook</a> <a href="#">Tweet</a> <span>41</span></div>
<div class="article-body">{body}</div>
<aside class="related"><h3>Related stories</h3><ul>
<li><a href="/a">Mayor under fire over spending plans</a></li>
<li><a href="/b">Ten things to know about the new bus routes</a></li></ul></aside>
</article>
<section id="comments"><h3>Leave a Reply</h3><p>Great article, thanks!</p></section>
</main>
<footer><p>© 2026 The Daily Ledger. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>"""


def test_page_body_and_metadata():
    page = extract_html(news_page())
    for p in PARAGRAPHS:
        assert p in page.text
    for furniture in ("Home", "Share on Facebook", "Ten things to know", "Great article", "All rights reserved"):
        assert furniture not in page.text
    assert page.text.count("\n\n") == len(PARAGRAPHS) - 1
    assert page.title == "Council passes budget after marathon session"
    assert page.published == "2026-11-20"
    assert page.authors == ["Jane Doe"]
    assert page.url == "https://ledger.example.com/news/council-budget"
    assert page.method == PRECISION


def test_article_row_from_html_file():
    raw = parse_input({"source_uri": "pages/budget.html", "payload": news_page().encode(), "format": "html"})
    row = prepare_article(raw, utcnow(), "test")
    assert row["text"] == "\n\n".join(PARAGRAPHS)
    assert row["url"] == "https://ledger.example.com/news/council-budget"
    assert row["published_at"].isoformat() == "2026-11-20T00:00:00+00:00"
    assert row["dt"] == "2026-11-20"
    assert row["language"] == "en"
    assert row["authors"] == ["Jane Doe"]


def test_json_html_field_and_pubsub_attributes():
    """A Pub/Sub message: article JSON with an `html` field, fields also carried as attributes."""
    message = {"source_uri": "pubsub://sub/1", "payload": json.dumps({"html": news_page()}).encode(),
               "format": "json", "attributes": {"url": "https://ledger.example.com/x?utm_source=feed",
                                                 "published_at": "2026-11-21T07:00:00Z"}}
    row = prepare_article(parse_input(message), utcnow(), "test")
    assert row["text"].startswith(PARAGRAPHS[0])
    assert row["url"] == "https://ledger.example.com/x?utm_source=feed"  # given fields win over the page's
    assert row["published_at"].day == 21


def test_bare_fragment_is_extracted():
    fragment = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2])
    assert extract_html(fragment).text == "\n\n".join(PARAGRAPHS[:2])
    assert extract_html(f"<p>{PARAGRAPHS[0]}</p>").text == PARAGRAPHS[0]


def test_json_ld_article_body_when_the_page_body_is_empty():
    """A page rendered by JavaScript: the visible body is empty, the JSON-LD carries the text."""
    ld = {"@context": "https://schema.org", "@graph": [{"@type": "NewsArticle", "headline": "Budget",
                                                        "articleBody": "<p>" + "</p><p>".join(PARAGRAPHS) + "</p>"}]}
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    html = news_page(extra_head=script, article_body='<div id="app">Loading&hellip;</div>')
    page = extract_html(html)
    assert page.method == JSON_LD
    assert page.text == "\n\n".join(PARAGRAPHS)
    assert json_ld_body(parse_html('<html><head><script type="application/ld+json">{bad json</script></head>'
                                   "<body><p>x</p><p>y</p></body></html>")) == ""


def test_page_language_is_detected_from_the_text_not_the_template():
    german = [
        "Der Stadtrat hat am Montag nach einer langen Debatte einen neuen Haushalt beschlossen.",
        "„Dieser Plan stellt Busse und Kliniken an erste Stelle“, sagte die Bürgermeisterin.",
        "Die Opposition erklärte, die Steuererhöhung werde kleine Unternehmen in der Stadt belasten.",
    ]
    raw = parse_input({"source_uri": "p.html", "payload": news_page(german, lang="en").encode(), "format": "html"})
    assert prepare_article(raw, utcnow(), "test")["language"] == "de"


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    html = (f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            f"<html><body><article><p>{PARAGRAPHS[0]} &xxe;</p><p>{PARAGRAPHS[1]}</p></article></body></html>")
    page = extract_html(html)
    assert PARAGRAPHS[0] in page.text
    assert "TOP-SECRET-MARKER" not in page.text


@pytest.mark.parametrize("tag", ["div", "span", "table"])
def test_deeply_nested_html_ends_quickly_as_article_or_error(tag):
    depth = 100_000
    html = (f"<html><body>{f'<{tag}>' * depth}<p>{PARAGRAPHS[0]}</p>{f'</{tag}>' * depth}"
            f"<p>{PARAGRAPHS[1]}</p></body></html>")
    started = time.monotonic()
    try:
        row = prepare_article({"source_uri": "deep.html", "html": html}, utcnow(), "test")
        assert row["text"]
    except StageError as exc:
        assert exc.stage == "clean"
        assert "nested deeper than the parser's limit" in exc.reason
    assert time.monotonic() - started < 20


def test_too_many_elements_is_refused():
    html = "<html><body>" + "<p>x</p>" * (MAX_ELEMENTS + 1) + "</body></html>"
    with pytest.raises(StageError, match="elements, over the limit"):
        parse_html(html)


def test_oversized_and_furniture_only_pages_become_errors_rows():
    big = news_page().encode()
    furniture = b"<html><body><nav><a href='/'>Home</a></nav><p>Share</p><p>41</p><p>Leave a Reply</p></body></html>"
    inputs = [{"source_uri": "big.html", "payload": big, "format": "html"},
              {"source_uri": "empty.html", "payload": furniture, "format": "html"}]
    with TestPipeline(runner="FnApiRunner") as p:
        parsed = p | beam.Create(inputs) | beam.ParDo(ParseInput(len(big) - 1)).with_outputs(ERRORS, main="ok")
        cleaned = parsed.ok | beam.ParDo(CleanArticle("test")).with_outputs(ERRORS, main="ok")
        errors = (parsed[ERRORS], cleaned[ERRORS]) | beam.Flatten()
        assert_that(errors | beam.Map(lambda e: (e["source_uri"], e["stage"], e["payload"] in (big, furniture))),
                    equal_to([("big.html", "parse", True), ("empty.html", "clean", True)]))
