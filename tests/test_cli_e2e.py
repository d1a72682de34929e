"""End to end: the CLI over the bundled samples plus bad inputs, Parquet read back, run twice."""

import gzip
import json
import re
import shutil

import duckdb
import pyarrow.parquet as pq
import pytest

from pipeline.schemas import TABLES
from pipeline.sinks import read_table
from tests.conftest import SAMPLES, run_cli

BAD_LINES = [
    b"{not json",
    b'{"title": "no text or html"}',
    b'{"text": "   "}',
    b'{"text": ["a", "list"]}',
    b'{"text": "ok", "published_at": 20261120}',
    b'"just a string"',
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("in")
    shutil.copytree(SAMPLES, root / "samples")
    bad = root / "bad"
    bad.mkdir()
    (bad / "feed.jsonl").write_bytes(b"\n".join(BAD_LINES) + b"\n")
    (bad / "garbage.txt").write_bytes(bytes(range(256)) * 4)
    (bad / "latin1.txt").write_bytes("Caf\xe9 title\n\nBody in Latin-1: \xe9t\xe9.".encode("latin-1"))
    (bad / "empty.txt").write_bytes(b"  \n\n \t\n")
    (bad / "broken.jsonl.gz").write_bytes(gzip.compress(b'{"text": "x"}\n')[:-12])
    return root


@pytest.fixture(scope="module")
def output(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    args = ["run", "--input", str(corpus / "samples/*/*"), "--input", str(corpus / "bad/*"), "--output", str(out)]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    files_first = sorted(p.relative_to(out) for p in out.glob("*/*/*.parquet"))
    again = run_cli(*args)  # every file is in the ledger: nothing to read
    assert again.returncode == 0, again.stderr[-3000:]
    assert "nothing new to ingest" in again.stdout
    second = run_cli(*args, "--reprocess")  # read everything again, replacing its rows
    assert second.returncode == 0, second.stderr[-3000:]
    return out, first.stdout, second.stdout, files_first


def counts(summary: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"(inputs|articles|errors|duplicates)=(\d+)", summary)}


def test_summary_reconciles(output):
    _, first, second, _ = output
    c = counts(first)
    assert "[OK]" in first
    assert c["inputs"] == c["articles"] + c["errors"] + c["duplicates"]
    assert c["errors"] == len(BAD_LINES) + 4
    assert c["duplicates"] == 1
    assert counts(second) == c


def test_every_table_has_its_schema_and_dt_partitions(output):
    out, _, _, _ = output
    for name, schema in TABLES.items():
        files = list(out.glob(f"{name}/*/*.parquet"))
        assert files, name
        for f in files:
            assert re.fullmatch(r"dt=\d{4}-\d{2}-\d{2}", f.parent.name)
            assert pq.read_schema(f).remove_metadata().equals(schema), name


def test_rerun_replaces_files_and_rows(output):
    out, first, second, files_first = output
    # Every table has at least one file: the run's, or an empty one with the schema.
    assert files_first and len(files_first) >= int(re.search(r"files=(\d+)", first).group(1))
    # Every file there now is one the reprocessing run published (how many a partition gets depends on how the
    # runner split the rows into bundles); none of the first run's is left over, nor any temporary file.
    run_id = re.search(r"run (\S+): inputs=", second).group(1)
    visible = list(out.glob("*/*/*.parquet"))
    assert visible and all(p.name.startswith((f"part-{run_id}-", "part-empty-")) for p in visible)
    assert not list(out.rglob(".part-*")) and not list(out.glob("_staging/*")) and not list(out.glob("_commit/*.json"))
    articles = read_table(str(out), "articles")
    assert articles.num_rows == counts(first)["articles"]
    ids = articles.column("article_id").to_pylist()
    assert len(ids) == len(set(ids))


def test_offsets_index_the_article_text(output):
    out, _, _, _ = output
    articles = {r["article_id"]: r for r in read_table(str(out), "articles").to_pylist()}
    for table in ("entities", "quotes"):
        rows = read_table(str(out), table).to_pylist()
        assert rows
        for r in rows:
            # quotes in a headline (in_title) index articles.title, every other row articles.text
            source = articles[r["article_id"]]["title" if r.get("in_title") else "text"]
            assert source[r["start_char"]:r["end_char"]] == r["text"]


def test_errors_have_stage_reason_and_whole_payload(output):
    out, _, _, _ = output
    errors = read_table(str(out), "errors").to_pylist()
    payloads = {e["payload"] for e in errors}
    for e in errors:
        assert e["payload_bytes"] >= len(e["payload"]) and len(e["payload_sha256"]) == 64
    for line in BAD_LINES:
        assert line in payloads
    assert bytes(range(256)) * 4 in payloads
    reasons = " | ".join(e["error"] for e in errors)
    for expected in ("invalid JSON", "neither 'text' nor 'html'", "no text", "must be a string", "binary content",
                     "invalid UTF-8", "corrupt gzip"):
        assert expected in reasons
    assert all(e["stage"] in ("read", "parse", "clean", "annotate") for e in errors)


def test_duckdb_query_over_the_output(output):
    out, _, _, _ = output
    top = duckdb.sql(
        f"""
        SELECT q.speaker_canonical, count(*) AS n
        FROM read_parquet('{out}/quotes/*/*.parquet', hive_partitioning = true) q
        JOIN read_parquet('{out}/articles/*/*.parquet', hive_partitioning = true) a USING (article_id)
        WHERE a.title LIKE 'Canada backs security guarantees%' AND q.kind = 'direct'
        GROUP BY 1 ORDER BY n DESC, 1
        """
    ).fetchall()
    assert top[0] == ("Mark Carney", 3)
    assert {name for name, _ in top} == {"Mark Carney", "Volodymyr Zelenskyy", "Sergey Lavrov"}


def test_run_record_beside_the_tables(output):
    out, _, _, _ = output
    records = [json.loads(p.read_text()) for p in (out / "_runs").glob("run-*.json")]
    assert len(records) == 2  # the run that found nothing new published nothing, not even a record
    assert sorted(r["input_files"]["reprocessed"] for r in records) == [0, records[0]["input_files"]["read"]]
    for r in records:
        c = r["counts"]
        assert c["inputs"] == c["articles"] + c["errors"] + c["duplicates"]
        assert r["versions"]["apache_beam"]


def test_missing_input_is_a_clear_error(tmp_path):
    result = run_cli("run", "--input", str(tmp_path / "nothing-*.txt"), "--output", str(tmp_path / "o"))
    assert result.returncode == 2 and "no files match" in result.stderr
