"""Old, odd and broken pages: table-driven cases, each a page written for the test (no shared data).

Each case is one kind of page that used to be lost (an errors row, an empty body, a story dropped as
a duplicate of another) and what the pipeline must make of it now.
"""

from __future__ import annotations

import logging

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from lxml import etree

from transforms.article import UNCLEANED, prepare_article
from transforms.beam_steps import ERRORS, CleanArticle, ParseInput
from transforms.dedup import DUPLICATES, ID_CLASHES, DeduplicateBatch, distinct_id
from transforms.html_extract import (
    BASELINE,
    PRECISION,
    doubtful_body,
    extract_html,
    parse_html,
    trafilatura_pass,
    unwrap_layout_tables,
)
from transforms.ids import plausible_article_url
from transforms.parse import parse_input
from transforms.records import StageError, utcnow

FERRY = [
    "The harbour authority said on Thursday that the old ferry terminal would close for repairs in the spring, "
    "ending a service that has run since 1952.",
    "Engineers found cracks in two of the pier's supports during an inspection last month, according to a report "
    "seen by the council.",
    "“We cannot keep passengers on a structure we no longer trust,” said Maria Olsen, who chairs the "
    "authority's board.",
    "Commuters will be moved to a temporary landing two miles north, where buses will meet every boat during the "
    "morning and evening rush.",
]
DERBY = [
    "Rovers came from two goals down to beat City 3-2 in a derby that will be remembered for a long time.",
    "Sam Adeyemi scored twice in the last ten minutes, the second a header from a corner in stoppage time.",
    "“I have never heard the ground as loud as that,” said the Rovers manager, Ellen Park, after the match.",
    "City remain third in the table, four points behind the leaders with six games left to play.",
]


def table_layout(paragraphs=FERRY, title="Ferry terminal to close for repairs") -> str:
    """A 2008-style page: one layout table, navigation cells beside the story cell, <br> paragraphs."""
    body = "<br><br>\n".join(paragraphs)
    return f"""<html><head><title>{title} - Harbour Gazette</title></head>
<body bgcolor="#ffffff"><table width="100%" border="0"><tr><td colspan="2"><a href="/">Home</a> |
<a href="/news/">News</a> | <a href="/sport/">Sport</a></td></tr>
<tr><td width="150" valign="top"><a href="/a">Local</a><br><a href="/b">Business</a><br><a href="/c">Weather</a></td>
<td valign="top"><font face="Arial" size="4"><b>{title}</b></font><br><font size="2">By Tom Hale, Staff Writer</font>
<br><br><font face="Arial" size="2">{body}</font></td></tr>
<tr><td colspan="2"><font size="1">Copyright 2008 Harbour Gazette. All rights reserved.</font></td></tr>
</table></body></html>"""


def hard_wrapped(paragraph: str, width: int = 45) -> str:
    """A paragraph as old pages wrote it: a <br> at the first space after `width` characters, and so on
    (before a word in lower case, as a wrap inside a sentence mostly is)."""
    lines, line = [], ""
    for word in paragraph.split(" "):
        if len(line) >= width and word[0].islower():
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "<br>\n".join([*lines, line])


def modern(paragraphs=FERRY, title="Ferry terminal to close for repairs", head="", wrapper="div class='story'") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    tag = wrapper.split()[0]
    return (f"<html><head><title>{title}</title>{head}</head><body><nav><a href='/'>Home</a></nav>"
            f"<h1>{title}</h1><{wrapper}>{body}</{tag}><footer>Contact us</footer></body></html>")


def row_of(payload: bytes, url: str | None = None) -> dict:
    raw = parse_input({"source_uri": "mem://page.html", "payload": payload, "format": "html"})
    if url:
        raw["url"] = url
    return prepare_article(raw, utcnow(), "test")


CASES = {
    # name: (page bytes, paragraphs that must be the body, extractor)
    "story in a layout table": (table_layout().encode("utf-8"), FERRY, PRECISION),
    "one paragraph per table row": (
        ("<html><head><title>Ferry</title></head><body><table><tr><td><a href='/'>Home</a></td></tr>"
         + "".join(f"<tr><td class='text'>{p}</td></tr>" for p in FERRY)
         + "<tr><td>Copyright 2008</td></tr></table></body></html>").encode(), FERRY, PRECISION),
    # a "More" header, then lines that end no sentence: without the joins cleaning took the quote along
    "paragraphs hard-wrapped with <br>": (modern([hard_wrapped(p) for p in FERRY[:2]] + ["More"]
                                                + [hard_wrapped(p) for p in FERRY[2:]]).encode(),
                                         FERRY, PRECISION),  # "More" itself is noise
    "stray NUL bytes": (modern().replace("ferry terminal", "ferry\x00 terminal").replace("<p>", "<p>\x00\x01", 1)
                        .encode("utf-8"), FERRY, PRECISION),
    "meta charset says utf-8, bytes are windows-1252": (
        modern(head='<meta charset="utf-8">').encode("cp1252"), FERRY, PRECISION),
    "meta charset names a charset that cannot decode the page": (
        modern(head='<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">').encode("cp1252"),
        FERRY, PRECISION),
    "iso-8859-1 declared, read as windows-1252 like browsers do": (
        modern(head='<meta charset="iso-8859-1">').encode("cp1252"), FERRY, PRECISION),
    # trafilatura's modes drop a block whose class says "comment": the primary extraction is empty
    "primary extractor returns nothing": (modern(wrapper="div class='comment-body'").encode(), FERRY, BASELINE),
    # trafilatura's loader refuses a page whose first 50 characters lack "html" and whose tree has one child
    "page the library's loader refuses": (("\n" * 60 + "<body>" + "".join(f"<p>{p}</p>" for p in FERRY)
                                           + "</body>").encode(), FERRY, PRECISION),
}


@pytest.mark.parametrize("name", list(CASES))
def test_page_becomes_its_story(name):
    payload, paragraphs, extractor = CASES[name]
    row = row_of(payload)
    assert row["text"] == "\n\n".join(paragraphs)
    assert row["extractor"] == extractor
    assert "\x00" not in row["text"]


_STORY = " ".join(FERRY + DERBY)
DOUBTFUL = {  # an extracted body (trafilatura's output tree) -> is it worth comparing with readability/jusText?
    "paragraphs of a whole story": (f"<body><p>{_STORY}</p><p>{_STORY}</p></body>", False),
    "less than a short article": (f"<body><p>{FERRY[0]}</p></body>", True),
    "no paragraph text": (f"<body><div>{_STORY}</div></body>", True),
    "more tables than paragraphs": (f"<body><p>{_STORY}</p><table><row><cell>{_STORY}</cell></row></table>"
                                    "<table><row><cell>1</cell></row></table></body>", True),
    "page furniture left in the body": (f"<body><p>{_STORY}</p><nav>Home | Sport | Weather</nav></body>", True),
}


@pytest.mark.parametrize("name", list(DOUBTFUL))
def test_doubtful_extractions_get_the_full_comparison(name):
    body, doubtful = DOUBTFUL[name]
    tree = etree.fromstring(body)
    assert doubtful_body(tree, "".join(tree.itertext())) is doubtful


@pytest.mark.parametrize("name", list(CASES))
def test_the_fast_precision_pass_gives_what_the_full_comparison_gives(name):
    """The precision pass skips trafilatura's comparison with other extractors on a confident result:
    on every case page that must give the same text as running the comparison."""
    html = parse_input({"source_uri": "x.html", "payload": CASES[name][0], "format": "html"})["html"]
    fast, full = parse_html(html), parse_html(html)
    assert trafilatura_pass(fast, None, precision=True) == trafilatura_pass(full, None, precision=True, compare=True)


def test_layout_tables_become_blocks_but_data_tables_stay():
    note = "won the last four games at home, lost twice away"
    data = ("<table><tr><th>Team</th><th>Points</th><th>Form</th></tr>"
            + f"<tr><td>Rovers</td><td>61</td><td>{note}</td></tr>" * 8 + "</table>")
    tree = parse_html(f"<html><body>{data}{table_layout()}</body></html>")
    assert unwrap_layout_tables(tree) == 1
    assert len(tree.findall(".//table")) == 1 and tree.find(".//td").text == "Rovers"
    nested = parse_html("<html><body><table><tr><td><table><tr><td>a</td></tr></table></td></tr></table></body></html>")
    assert unwrap_layout_tables(nested) == 1  # the outer one holds a table: layout; the inner one is data


def test_cleaning_never_empties_a_real_extraction():
    """Every line matches a rule (a "Related" header takes the unpunctuated lines under it along):
    the extraction is kept as extracted and marked, instead of becoming an errors row."""
    lines = ["Ferry terminal to close in the spring while engineers repair the pier supports found cracked",
             "Commuters will be moved to a temporary landing two miles north where buses meet every boat",
             "Shop owners near the terminal fear losing most of their trade while the work goes on"]
    page = modern(["Related stories", *lines])
    row = row_of(page.encode())
    assert row["extractor"] == PRECISION + UNCLEANED
    assert row["text"] == "\n\n".join(["Related stories", *lines])
    furniture = b"<html><body><nav><a href='/'>Home</a></nav><p>Share</p><p>41</p><p>Leave a Reply</p></body></html>"
    with pytest.raises(StageError, match="no article text left after cleaning"):
        row_of(furniture)  # a few words of furniture are not an article


def test_text_input_has_no_extractor():
    raw = parse_input({"source_uri": "mem://a.txt", "payload": ("Title\n\n" + FERRY[0]).encode(), "format": "txt"})
    assert prepare_article(raw, utcnow(), "test")["extractor"] is None


@pytest.mark.parametrize(
    ("payload", "fmt", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "html", "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "html", "PDF document"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "txt", "ZIP archive"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "txt", "JPEG image"),
        (bytes(range(32)) * 50, "html", "control bytes"),
    ],
)
def test_binary_files_are_still_refused(payload, fmt, reason):
    with pytest.raises(StageError, match=reason):
        parse_input({"source_uri": "mem://x", "payload": payload, "format": fmt})


@pytest.mark.parametrize(
    ("payload", "fmt", "text"),
    [
        (b"Title\n\nThe council met on Monday; a stray\x00 NUL and a \x07bell are not text.", "txt",
         "The council met on Monday; a stray NUL and a bell are not text."),
        (b"Title\n\nBody\x00with NUL\x00bytes.", "txt", "Bodywith NULbytes."),  # a few stray NULs in a short text
        ("Title\n\nUTF-16 with its byte-order mark.".encode("utf-16"), "txt", "UTF-16 with its byte-order mark."),
        ("<p>Le café “crème”</p>".encode("cp1252"), "html", "<p>Le café “crème”</p>"),  # detected
        ('<meta charset="koi8-r"><p>Москва, столица России</p>'.encode("koi8_r"), "html", "Москва, столица России"),
        # UTF-8 but for one stray windows-1252 byte: still UTF-8 (not re-read as mojibake), U+FFFD for the byte
        ("<p>Zürich, Genève, “Köln” – São Paulo</p>".encode() + b"<p>caf\xe9</p>", "html",
         "<p>Zürich, Genève, “Köln” – São Paulo</p><p>caf\ufffd</p>"),
    ],
)
def test_pages_are_read_as_browsers_read_them(payload, fmt, text):
    article = parse_input({"source_uri": "mem://x", "payload": payload, "format": fmt})
    assert text in (article.get("html") or article["text"])


@pytest.mark.parametrize(
    ("url", "title", "names_article"),
    [
        ("http://www.star-telegram.com", None, False),
        ("http://www.streetinsider.com/", None, False),
        ("https://sport.example.com/latest-sport-news/", None, False),
        ("https://example.com/sport/football", "Rovers beat City", False),
        ("https://example.com/news/index.html", None, False),
        ("https://example.com/?utm_source=rss", None, False),
        ("/news/ferry-terminal-to-close-for-repairs", None, False),  # not absolute
        ("https://example.com/news/ferry-terminal-to-close-for-repairs", None, True),
        ("https://example.com/story/ferry-repairs", "Ferry terminal to close for repairs", True),
        ("https://example.com/2008/01/19/ferry/index.html", None, True),
        ("https://example.com/news/story.php", None, True),
        ("https://example.com/?p=4821", None, True),
        ("https://example.com/sport/derby-48123456", None, True),
    ],
)
def test_a_page_url_names_the_article_only_when_plausible(url, title, names_article):
    assert plausible_article_url(url, title) is names_article


def home_canonical(paragraphs, title):
    return modern(paragraphs, title, head='<link rel="canonical" href="http://www.harbourgazette.example/">')


def test_two_stories_declaring_the_home_page_as_canonical_are_both_kept():
    pages = {"mem://ferry.html": home_canonical(FERRY, "Ferry terminal to close for repairs"),
             "mem://derby.html": home_canonical(DERBY, "Rovers win the derby"),
             "mem://ferry-again.html": home_canonical(FERRY, "Ferry terminal to close for repairs")}
    inputs = [{"source_uri": uri, "payload": page.encode(), "format": "html"} for uri, page in pages.items()]
    with TestPipeline(runner="FnApiRunner") as p:
        parsed = p | beam.Create(inputs) | beam.ParDo(ParseInput(10**6)).with_outputs(ERRORS, main="ok")
        cleaned = parsed.ok | beam.ParDo(CleanArticle("test")).with_outputs(ERRORS, main="ok")
        out = cleaned.ok | DeduplicateBatch(near_duplicate_threshold=0.6)
        kept = out["articles"] | beam.Map(lambda r: (r["source_uri"], r["url"], r["article_id"][0]))
        assert_that(kept, equal_to([("mem://derby.html", None, "c"), ("mem://ferry-again.html", None, "c")]),
                    label="both stories, ids from their content")
        assert_that(out[DUPLICATES] | beam.Map(lambda d: d["source_uri"]), equal_to(["mem://ferry.html"]),
                    label="the exact copy is still dropped")
        assert_that(out[ID_CLASHES], equal_to([]), label="no clash left to resolve")


def test_same_id_different_content_is_a_clash_not_a_duplicate():
    def key(uri, article_id, digest):
        return {"source_uri": uri, "article_id": article_id, "content_hash": digest, "text": uri * 40,
                "published_at": None, "ingested_at": utcnow(), "duplicate_of": None}

    rows = [key("mem://2", "u1", "h-derby"), key("mem://1", "u1", "h-ferry"), key("mem://3", "u1", "h-ferry"),
            key("mem://4", "u9", "h-other")]
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create(rows) | DeduplicateBatch(near_duplicate_threshold=0)
        assert_that(out["articles"] | beam.Map(lambda r: (r["source_uri"], r["article_id"])),
                    equal_to([("mem://1", "u1"), ("mem://2", distinct_id("u1", "h-derby")), ("mem://4", "u9")]),
                    label="kept")
        assert_that(out[DUPLICATES] | beam.Map(lambda d: (d["source_uri"], d["duplicate_of"])),
                    equal_to([("mem://3", "u1")]), label="dropped")
        assert_that(out[ID_CLASHES] | beam.Map(lambda c: (c["source_uri"], c["clashed_with"], c["article_id"])),
                    equal_to([("mem://2", "u1", distinct_id("u1", "h-derby"))]), label="clashes")


def test_library_errors_stay_at_debug(caplog):
    page = "\n" * 60 + "<body>" + "".join(f"<p>{p}</p>" for p in FERRY) + "</body>"
    with caplog.at_level(logging.INFO):
        assert extract_html(page).text
    assert not [r for r in caplog.records if r.name.startswith("trafilatura")]
    with caplog.at_level(logging.DEBUG, logger="trafilatura"):
        extract_html(page)
    assert any(r.name.startswith("trafilatura") and r.levelno == logging.DEBUG for r in caplog.records)


def test_a_clashing_id_that_is_a_near_copy_is_kept_and_marked():
    """An updated version of a story under the same id: kept with a distinct id, marked as a near-copy."""
    story = " ".join(FERRY * 2)
    updated = story + " The authority will publish the repair schedule next week."
    rows = [{"source_uri": uri, "article_id": "u1", "content_hash": digest, "text": text, "published_at": None,
             "ingested_at": utcnow(), "duplicate_of": None}
            for uri, digest, text in (("mem://1", "h-first", story), ("mem://2", "h-updated", updated))]
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create(rows) | DeduplicateBatch(near_duplicate_threshold=0.6)
        assert_that(out["articles"] | beam.Map(lambda r: (r["source_uri"], r["article_id"], r["duplicate_of"])),
                    equal_to([("mem://1", "u1", None), ("mem://2", distinct_id("u1", "h-updated"), "u1")]))
