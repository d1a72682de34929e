"""Hostile and mixed input through the real CLI: nothing lost, nothing duplicated, nothing leaked."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from pipeline.sinks import read_table
from tests.conftest import run_cli
from tests.corpus import hostile_corpus, mixed_corpus


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("reliability")
    mixed = mixed_corpus(root / "mixed")
    hostile = hostile_corpus(root / "hostile")
    out = root / "out"
    result = run_cli("run", "--input", str(root / "mixed" / "*"), "--input", str(root / "hostile" / "*"),
                     "--output", str(out), timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    return mixed, hostile, out, result.stdout


def _record(out: Path) -> dict:
    (path,) = list((out / "_runs").glob("run-*.json"))
    return json.loads(path.read_text())


def test_mixed_corpus_of_1000_inputs_reconciles(run):
    mixed, hostile, out, stdout = run
    counts = _record(out)["counts"]
    assert mixed.inputs >= 1000
    assert counts["inputs"] == mixed.inputs + len(hostile)
    assert counts["inputs"] == counts["articles"] + counts["errors"] + counts["duplicates"]
    assert "[OK]" in stdout
    mixed_articles = [a for a in read_table(str(out), "articles").to_pylist() if "/mixed/" in a["source_uri"]]
    mixed_errors = [e for e in read_table(str(out), "errors").to_pylist() if "/mixed/" in e["source_uri"]]
    assert len(mixed_articles) == mixed.articles
    assert len(mixed_errors) == mixed.errors


def test_every_hostile_input_ends_as_article_or_error(run):
    _, hostile, out, _ = run
    seen = [a["source_uri"] for a in read_table(str(out), "articles").to_pylist()]
    seen += [e["source_uri"] for e in read_table(str(out), "errors").to_pylist()]
    for name in hostile:
        assert sum(1 for uri in seen if uri.endswith("/" + name)) == 1, name


def test_hostile_errors_keep_their_raw_bytes(run):
    _, hostile, out, _ = run
    for e in read_table(str(out), "errors").to_pylist():
        name = e["source_uri"].rsplit("/", 1)[-1]
        if name in hostile:
            assert e["payload"] == hostile[name][: len(e["payload"])] and e["payload"], name
            assert e["error"]


def test_no_local_file_is_ever_read(run):
    _, _, out, _ = run
    secrets = [line for line in Path("/etc/passwd").read_text().splitlines()[:3] if line]
    secrets.append(socket.gethostname())
    texts = [a["text"] + (a["title"] or "") for a in read_table(str(out), "articles").to_pylist()]
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_long_texts_are_kept_without_nlp(run):
    _, _, out, _ = run
    long = [a for a in read_table(str(out), "articles").to_pylist() if a["source_uri"].endswith("one-long-line.json")]
    assert len(long) == 1 and long[0]["nlp_status"].startswith("skipped: text has")


def test_lone_surrogates_are_written_as_replacement_characters(run):
    _, _, out, _ = run
    articles = read_table(str(out), "articles").to_pylist()
    (row,) = [a for a in articles if a["source_uri"].endswith("lone-surrogate.json")]
    assert not re.search("[\ud800-\udfff]", row["text"] + row["title"])
