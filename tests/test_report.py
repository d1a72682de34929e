"""The HTML report: what it counts, how it marks text, that data is escaped and that the page is self-contained."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline import report
from tests.report_fixtures import (
    HOSTILE_IMG,
    HOSTILE_SCRIPT,
    KYIV_TEXT,
    article,
    entity,
    quote,
    sample_output,
    sample_rows,
    write_run,
    write_tables,
)


class Page(HTMLParser):
    """Elements, attributes and text of a page, as a browser's parser sees them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.tags if a.get("id")}


def build(tmp_path: Path, root: Path | None = None, **kwargs) -> tuple[str, report.ReportStats]:
    root = root or sample_output(tmp_path / "out")
    html = tmp_path / "report.html"
    stats = report.build_report(str(root), str(html), **kwargs)
    return html.read_text(encoding="utf-8"), stats


def test_data_is_escaped_and_never_markup(tmp_path):
    html, _ = build(tmp_path)
    page = Page(html)
    # The hostile strings are on the page as text...
    text = "".join(page.text)
    assert HOSTILE_SCRIPT in text and HOSTILE_IMG in text
    assert "&lt;script&gt;window.__pwned" in html
    # ...and never as markup: one script element (ours), no <img>, no event handler attribute anywhere.
    assert [t for t, _ in page.tags].count("script") == 1
    assert "__pwned" not in "".join(page.scripts)
    assert not [t for t, _ in page.tags if t == "img"]
    assert not [(t, a) for t, a in page.tags if any(k.startswith("on") for k in a)]
    # A javascript: URL from the data is shown but never becomes a link.
    hrefs = [a["href"] for t, a in page.tags if t == "a" and a.get("href")]
    assert hrefs and not [h for h in hrefs if not (h.startswith("#") or h.startswith("https://"))]
    assert "javascript:alert(1)" in text


def test_page_is_self_contained_and_its_script_is_allowed_by_hash(tmp_path):
    html, _ = build(tmp_path)
    page = Page(html)
    loaders = [(t, a) for t, a in page.tags if t in ("link", "img", "iframe", "object", "embed")
               or (t == "script" and a.get("src"))]
    assert loaders == []
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html.replace('href="https://news.example', ""))
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    script = "".join(page.scripts)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert f"'sha256-{digest}'" in csp


def test_health_counts_errors_duplicates_languages_and_runs(tmp_path):
    root = sample_output(tmp_path / "out")
    loaded = report.load(str(root), None, None)
    health = report.health(loaded)
    assert health["articles"] == 4 and health["errors"] == 3
    assert [(s["stage"], s["count"]) for s in health["stages"]] == [("parse", 2), ("clean", 1)]
    parse = health["stages"][0]
    assert parse["examples"][0] == {"reason": "invalid JSON: Expecting value: line 1", "count": 2,
                                    "source_uri": "samples/bad.json", "payload_bytes": 5, "truncated": False}
    assert health["stages"][1]["examples"][0]["truncated"] is True
    assert health["duplicates"] == 2 and health["near_copies"] == 1
    assert health["near_examples"][0]["of"].startswith("Canada backs guarantees")
    assert health["skipped_languages"] == [("fr", 1)]
    [run] = health["runs"]
    assert run["ok"] and run["line"].startswith("inputs=9 = articles=4 + errors=3 + duplicates=2 [OK]")


def test_speakers_count_quotations_once_and_speech_only(tmp_path):
    root = sample_output(tmp_path / "out")
    loaded = report.load(str(root), None, None)
    info = report._article_info(loaded.tables["articles"])
    part = report.speakers(loaded, info)
    counts = {s["name"]: s["quotes"] for s in part["table"]}
    # Mark Carney: the body quote and the title quote; his "thought" is not speech. Ada: two fragments, one quote.
    assert counts == {"Mark Carney": 2, "Volodymyr Zelenskyy": 1, f"Ada {HOSTILE_SCRIPT}": 1}
    assert part["non_speech"] == 1 and part["non_speech_types"] == [("thought", 1)]
    ada = next(s for s in part["table"] if s["name"].startswith("Ada"))
    assert ada["recent"][0]["text"] == "Never trust … input,"
    assert ada["recent"][0]["url"] is None  # javascript: is not a link
    carney = next(s for s in part["table"] if s["name"] == "Mark Carney")
    assert carney["recent"][0]["url"] == "https://news.example/kyiv1"
    assert [leg["name"] for leg in part["timeline"]["legend"]][0] == "Mark Carney"


def test_marked_text_keeps_every_character_and_nests_entities_in_quotes():
    chunks = report.marked_text(
        KYIV_TEXT,
        [quote("a", "d", KYIV_TEXT, "We will stand with Ukraine for as long as it takes,", "Carney", "Mark Carney")],
        [entity("a", "d", KYIV_TEXT, "Ukraine", "GPE"), entity("a", "d", KYIV_TEXT, "Mark Carney", "PERSON"),
         # crosses the quote's end: marked on both sides of it
         {"start_char": KYIV_TEXT.index("takes,"), "end_char": KYIV_TEXT.index("takes,") + 12, "label": "X",
          "canonical": "x", "text": "?"},
         {"start_char": 5, "end_char": 10_000, "label": "BAD", "canonical": "", "text": ""}])  # out of range
    assert "".join(p["text"] for c in chunks for p in c["parts"]) == KYIV_TEXT
    [q] = [c for c in chunks if c["quote"]]
    assert q["last"] and "".join(p["text"] for p in q["parts"]).startswith("We will stand with ")
    inner = [p for p in q["parts"] if p["ent"]]
    assert [p["text"] for p in inner] == ["Ukraine", "takes,"]
    assert inner[0]["last"] and not inner[1]["last"]  # the crossing entity's label goes after its outer part
    after = chunks[chunks.index(q) + 1]
    assert after["quote"] is None and after["parts"][0]["ent"]["label"] == "X" and after["parts"][0]["last"]
    assert not [p for c in chunks for p in c["parts"] if p["ent"] and p["ent"]["label"] == "BAD"]


def test_article_view_marks_entities_quotes_and_title_quotes(tmp_path):
    html, stats = build(tmp_path)
    assert stats.embedded_articles == 4
    docs = html.split('<article class="doc"')[1:]
    assert len(docs) == 4
    kyiv = next(part for part in docs if "<code>kyiv1</code>" in part and "near-copy" not in part)
    assert '<span class="q" title="Mark Carney · said · direct · speech">' in kyiv
    assert '<span class="q other" title="Mark Carney · said · indirect · thought">' in kyiv
    assert 'title="GPE: Ukraine">Ukraine<span class="lbl">GPE</span></mark>' in kyiv
    assert '<span class="spk">Volodymyr Zelenskyy</span>' in kyiv
    title = kyiv.split("<h3>", 1)[1].split("</h3>", 1)[0]
    assert '<span class="q"' in title and "We will stand with Ukraine" in title
    # The hostile label and speaker are escaped inside attributes too.
    assert 'title="LBL&#34;&gt;&lt;img src=x onerror=&#34;window.__pwned = 2&#34;&gt;: &lt;script&gt;' in html


def test_older_output_without_the_new_columns(tmp_path):
    root = tmp_path / "old"
    rows = sample_rows()
    # Older output: no title quotes, no fragments, no cue types.
    rows["quotes"] = [q for q in rows["quotes"] if q["article_id"] == "kyiv1" and not q["in_title"]]
    for q in rows["quotes"]:
        for key in ("attribution_id", "cue_type", "in_title"):
            q.pop(key, None)
    write_tables(root, rows, drop={"quotes": ["attribution_id", "cue_type", "in_title"],
                                   "articles": ["extractor"],
                                   "errors": ["payload_bytes", "payload_sha256", "payload_truncated"]})
    html, stats = build(tmp_path, root)
    loaded = report.load(str(root), None, None)
    assert loaded.tables["quotes"].column("cue_type").null_count == loaded.tables["quotes"].num_rows
    # Without cue_type every quote counts as speech (Carney's "thought" too); each row is a quotation.
    part = report.speakers(loaded, report._article_info(loaded.tables["articles"]))
    assert {s["name"]: s["quotes"] for s in part["table"]} == {"Mark Carney": 2, "Volodymyr Zelenskyy": 1}
    assert "payload kept as a prefix" not in html and "No errors" not in html
    assert stats.errors == 3 and stats.quotes == 3


def test_date_range_selects_partitions_and_runs(tmp_path):
    root = sample_output(tmp_path / "out")
    write_run(root, "20260101T000000000000Z-other", "other", {"inputs": 1, "articles": 0, "errors": 0,
                                                              "duplicates": 0})
    write_run(root, "20261110T000000000000Z-back", "back", {"inputs": 2, "articles": 1, "errors": 0,
                                                             "duplicates": 0}, partition_date="2026-11-02")
    loaded = report.load(str(root), "2026-11-02", "2026-11-02")
    assert loaded.partitions == ["2026-11-02"]
    assert loaded.tables["articles"].column("article_id").to_pylist() == ["kyiv1"]
    assert loaded.tables["errors"].num_rows == 0
    # The run that wrote files there (its key is in their names) and the backfill of that day; not the other one.
    assert sorted(r["run_key"] for r in loaded.runs) == ["back", "testrun"]
    assert len(report.load(str(root), None, None).runs) == 3
    html, stats = build(tmp_path, root, date_from="2026-11-02", date_to="2026-11-02")
    assert stats.articles == 1 and "No errors: every input in this range" in html


def test_empty_states(tmp_path):
    root = tmp_path / "quiet"
    text = "The council met on Monday. Nothing was said."
    write_tables(root, {"articles": [article("a1", "2026-11-05", "A quiet day", text)],
                        "entities": [entity("a1", "2026-11-05", text, "Monday", "DATE")],
                        "quotes": [], "errors": []})
    html, stats = build(tmp_path, root)
    assert stats.quotes == 0 and stats.errors == 0
    assert "No errors: every input in this range became an article" in html
    assert html.count("No quotes with a named speaker in this range.") == 2
    assert "No run records" in html and "No article was skipped for its language." in html
    assert 'id="speaker-table"' not in html and 'id="article-list"' in html
    # A range with no data at all still makes a page.
    html, stats = build(tmp_path, root, date_from="2027-01-01")
    assert stats.articles == 0 and "No articles in this range." in html and "No entities in this range." in html


def test_article_limit_keeps_the_quoted_articles(tmp_path):
    root = tmp_path / "many"
    rows = {"articles": [], "entities": [], "quotes": [], "errors": []}
    for i in range(12):
        day = f"2026-11-{i + 1:02d}"
        text = f"\u201cStory {i} matters,\u201d said Jo Bloggs."
        rows["articles"].append(article(f"s{i}", day, f"Story {i}", text))
        if i == 0:  # the oldest article holds the only quote
            rows["quotes"].append(quote(f"s{i}", day, text, f"Story {i} matters,", "Jo Bloggs", "Jo Bloggs"))
    write_tables(root, rows)
    html, stats = build(tmp_path, root, max_articles=3)
    assert stats.embedded_articles == 3
    page = Page(html)
    assert {"a-0", "a-1", "a-2"} <= page.ids() and "a-3" not in page.ids()
    assert "Story 11" in html and "Story 10" in html and "Story 0 matters" in html and "Story 9" not in html
    assert re.search(r'<a href="#a-\d">Story 0</a>', html)
    assert "The 3 most recent of 12 articles" in html


def test_remote_code_path_reads_through_beam_filesystems(tmp_path):
    root = sample_output(tmp_path / "out")
    local = report.load(str(root), None, None)
    remote = report.load(str(root), None, None, local=False)
    for name in report.COLUMNS:
        assert remote.tables[name].sort_by([("dt", "ascending")]).equals(
            local.tables[name].sort_by([("dt", "ascending")])), name
    assert [r["run_id"] for r in remote.runs] == [r["run_id"] for r in local.runs]


def test_command_line(tmp_path, capsys):
    root = sample_output(tmp_path / "out")
    out = tmp_path / "sub" / "r.html"
    assert report.main(["--tables", str(root), "--html", str(out), "--from", "2026-11-01", "--to", "2026-11-30"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"report: {out} (4 article(s), 4 quote(s), 3 error(s)") and out.stat().st_size > 10_000
    assert report.main(["--tables", str(root), "--html", str(out), "--from", "2026-13-01"]) == 2
    assert "--from wants a date" in capsys.readouterr().err
    assert report.main(["--tables", str(root), "--html", str(out), "--from", "2026-12-01", "--to", "2026-11-01"]) == 2
    assert report.main(["--tables", str(tmp_path / "missing"), "--html", str(out)]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert report.main(["--tables", str(tmp_path / "empty"), "--html", str(out)]) == 2


def test_add_parser_wires_the_subcommand():
    import argparse

    parser = argparse.ArgumentParser()
    report.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", "--tables", "out", "--html", "r.html", "--from", "2026-11-01"])
    assert (args.command, args.tables, args.html, args.date_from, args.date_to, args.articles) == (
        "report", "out", "r.html", "2026-11-01", None, report.DEFAULT_ARTICLES)
    with pytest.raises(SystemExit):
        parser.parse_args(["report", "--html", "r.html"])


@pytest.mark.slow
def test_report_over_real_pipeline_output(tmp_path):
    """The samples through the real pipeline, then the report: every article is in the view with its text intact
    and every span's offsets matching it, the run reconciles, the speakers are there."""
    from tests.conftest import run_cli

    out = tmp_path / "out"
    done = run_cli("run", "--input", "samples/txt/*.txt", "--input", "samples/html/*.html", "--input",
                   "samples/json/*.json", "--input", "samples/jsonl/*.jsonl*", "--output", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    html, stats = build(tmp_path, out)
    loaded = report.load(str(out), None, None)
    assert stats.articles == loaded.tables["articles"].num_rows > 20
    assert stats.embedded_articles == stats.articles
    assert "[OK]" in html and "MISMATCH" not in html
    assert "do not match the text" not in html
    page = Page(html)
    assert {"speaker-table", "speaker-chart", "timeline-chart", "articles-chart", "article-list"} <= page.ids()
    # The marked-up body of each article reads back as exactly its text.
    view = report.article_view(loaded, report._article_info(loaded.tables["articles"]), [], 0)
    texts = dict(zip(loaded.tables["articles"].column("article_id").to_pylist(),
                     loaded.tables["articles"].column("text").to_pylist(), strict=True))
    for doc in view["docs"]:
        assert "".join(p["text"] for c in doc["chunks"] for p in c["parts"]) == texts[doc["article_id"]]
    assert sum(1 for doc in view["docs"] for c in doc["chunks"] if c["quote"]) > 50
    top = report.speakers(loaded, report._article_info(loaded.tables["articles"]))["table"]
    assert "Mark Carney" in [s["name"] for s in top]


def test_an_output_root_that_looks_like_a_pattern_is_read_as_a_name(tmp_path):
    root = sample_output(tmp_path / "out[1]")  # as a glob it would name out1, which does not exist
    loaded = report.load(str(root), None, None)
    assert report.health(loaded)["articles"] == 4
