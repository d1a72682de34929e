"""Run identity is what was read: the ingest ledger, reruns however spelled, a landing folder, --reprocess.

The pipeline really runs (in-process, one worker) on small folders of JSONL files written here.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.ledger import read_ledger, source_file
from pipeline.sinks import read_table

ONE_PROCESS = "--direct_num_workers=1"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([*argv, ONE_PROCESS])
    return rc, out.getvalue(), err.getvalue()


def write_feed(folder: Path, name: str, ids: range, version: str = "v1") -> Path:
    lines = [json.dumps({"id": f"id-{i}", "title": f"Story {i}",
                         "text": f"Story number {i} ({version}) about the harbour in Lisbon. Ann Lee opened it."})
             for i in ids]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ingest(out: Path, folder: Path, ids: range, version: str = "v1") -> tuple[int, str, str]:
    """A new folder with one feed of these stories, run into out."""
    folder.mkdir()
    write_feed(folder, "wire.jsonl", ids, version)
    return cli("run", "--input", str(folder / "*.jsonl"), "--output", str(out))


def articles(out: Path) -> dict[str, str]:
    rows = read_table(str(out), "articles").to_pylist()
    ids = [r["article_id"] for r in rows]
    assert len(ids) == len(set(ids)), "an article is in the table twice"
    return {r["article_id"]: r["text"] for r in rows}


def visible_files(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.glob("*/dt=*/*.parquet"))}


def test_source_file_strips_the_record_number():
    assert source_file("/a/b.jsonl#L12") == "/a/b.jsonl"
    assert source_file("/a/b#Lx.txt") == "/a/b#Lx.txt"
    assert source_file("pubsub://s/1") == "pubsub://s/1"


def test_the_same_files_however_spelled_are_read_once(tmp_path, monkeypatch):
    feeds = tmp_path / "D"
    feeds.mkdir()
    for k in range(4):
        write_feed(feeds, f"feed-{k}.jsonl", range(5 * k, 5 * k + 5))
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    rc, stdout, err = cli("run", "--input", "D/*.jsonl", "--output", str(out))
    assert rc == 0, err
    assert "inputs=20 = articles=20" in stdout
    for spelling in (str(feeds / "*.jsonl"), "D/*", str(tmp_path / "D" / "." / "feed-*.jsonl")):
        rc, stdout, err = cli("run", "--input", spelling, "--output", str(out))
        assert rc == 0, err
        assert "nothing new to ingest" in stdout
    assert len(articles(out)) == 20
    assert {e.uri for e in read_ledger(str(out)).values()} == {str(p) for p in feeds.glob("*.jsonl")}


def test_a_landing_folder_is_ingested_incrementally(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    old = [write_feed(landing, f"old-{k}.jsonl", range(k * 2, k * 2 + 2)) for k in range(5)]
    out = tmp_path / "out"
    pattern = str(landing / "*.jsonl")
    assert cli("run", "--input", pattern, "--output", str(out))[0] == 0
    first = articles(out)
    assert len(first) == 10
    for path in old:  # the old files are archived away, new ones land
        path.unlink()
    for k in range(5):
        write_feed(landing, f"new-{k}.jsonl", range(100 + k * 2, 100 + k * 2 + 2))
    rc, stdout, err = cli("run", "--input", pattern, "--output", str(out))
    assert rc == 0, err
    assert "5 file(s) listed: 5 to read (0 again" in err
    after = articles(out)
    assert len(after) == 20 and set(first) <= set(after)  # nothing of the files it did not read is removed
    record = json.loads(sorted((out / "_runs").glob("*.json"))[-1].read_text())
    assert record["input_files"] == {"read": 5, "skipped_already_ingested": 0, "reprocessed": 0}


def test_reprocess_and_changed_files_replace_exactly_their_rows(tmp_path):
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    a = write_feed(feeds, "a.jsonl", range(0, 4))
    write_feed(feeds, "b.jsonl", range(4, 8))
    out = tmp_path / "out"
    assert cli("run", "--input", str(feeds / "*.jsonl"), "--output", str(out))[0] == 0
    before = articles(out)
    # A second run into the same root from another folder: its rows must survive what follows.
    more = tmp_path / "more"
    more.mkdir()
    write_feed(more, "c.jsonl", range(8, 10))
    assert cli("run", "--input", str(more / "*.jsonl"), "--output", str(out))[0] == 0
    c_files = {k: v for k, v in visible_files(out).items() if "c.jsonl" in k}
    # a.jsonl changes (same name, new content, one story fewer): a plain rerun reads it again and replaces.
    write_feed(feeds, "a.jsonl", range(0, 3), version="v2")
    os.utime(a, ns=(1, 1))  # a changed version even where the clock is coarse
    rc, stdout, err = cli("run", "--input", str(feeds / "*.jsonl"), "--output", str(out))
    assert rc == 0, err
    assert "2 file(s) listed: 1 to read (1 again" in err
    after = articles(out)
    assert set(after) == set(before) - {"id-3"} | {"id-8", "id-9"}
    assert all("(v2)" in after[f"id-{i}"] for i in range(3))
    assert all(after[f"id-{i}"] == before[f"id-{i}"] for i in range(4, 8))
    entity_ids = {r["article_id"] for r in read_table(str(out), "entities").to_pylist()}
    assert "id-3" not in entity_ids and {"id-0", "id-4", "id-8"} <= entity_ids
    # --reprocess reads b.jsonl again: its rows are replaced, nothing else moves.
    rc, stdout, err = cli("run", "--input", str(feeds / "b.jsonl"), "--output", str(out), "--reprocess")
    assert rc == 0, err
    assert articles(out) == after
    assert {k: v for k, v in visible_files(out).items() if "c.jsonl" in k} == c_files


def test_an_article_already_published_from_another_file_is_a_duplicate(tmp_path):
    out = tmp_path / "out"
    assert ingest(out, tmp_path / "day1", range(0, 3))[0] == 0
    rc, stdout, err = ingest(out, tmp_path / "day2", range(2, 5))  # id-2 again, in the next day's file
    assert rc == 0, err
    assert "inputs=3 = articles=2 + errors=0 + duplicates=1 [OK]" in stdout
    assert sorted(articles(out)) == [f"id-{i}" for i in range(5)]


@pytest.mark.parametrize("name", ["out[1]", "out*"])
def test_an_output_root_that_looks_like_a_pattern_touches_only_itself(tmp_path, name):
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    write_feed(feeds, "a.jsonl", range(0, 2))
    neighbour = tmp_path / "out1"
    assert cli("run", "--input", str(feeds / "*.jsonl"), "--output", str(neighbour))[0] == 0
    files = visible_files(neighbour)
    odd = tmp_path / name
    for flag in ((), ("--reprocess",)):
        rc, _, err = cli("run", "--input", str(feeds / "*.jsonl"), "--output", str(odd), *flag)
        assert rc == 0, err
    assert visible_files(neighbour) == files
    assert sorted(articles(odd)) == ["id-0", "id-1"]


def test_another_story_under_a_published_id_is_kept_under_a_distinct_id(tmp_path):
    out = tmp_path / "out"
    assert ingest(out, tmp_path / "first", range(0, 2))[0] == 0
    rc, stdout, err = ingest(out, tmp_path / "later", range(1, 2), "a different story")  # id-1 reused
    assert rc == 0, err
    assert "inputs=1 = articles=1 + errors=0 + duplicates=0 [OK]" in stdout and "id_clashes=1" in stdout
    texts = articles(out)
    assert len(texts) == 3 and "(v1)" in texts["id-1"]
    (other,) = [k for k in texts if k.startswith("id-1-c")]
    assert "(a different story)" in texts[other]
    assert other in {r["article_id"] for r in read_table(str(out), "entities").to_pylist()}


def test_a_retried_finishing_step_finds_its_work_done(tmp_path):
    """Dataflow may run the last step again after it committed: the second execution changes nothing."""
    from pipeline.batch import finish_run
    from pipeline.batch_plan import BatchPlan

    feeds = tmp_path / "feeds"
    feeds.mkdir()
    write_feed(feeds, "a.jsonl", range(0, 3))
    out = tmp_path / "out"
    rc, stdout, err = cli("run", "--input", str(feeds / "*.jsonl"), "--output", str(out))
    assert rc == 0, err
    (record_file,) = (out / "_runs").glob("*.json")
    record = json.loads(record_file.read_text())
    files = visible_files(out)
    plan = BatchPlan(run_id=record["run_id"], output=str(out), files=())
    gone = [str(out / "_staging" / record["run_id"] / "articles" / "dt=2026-01-01" / ".part-x.tmp")]
    again = finish_run(plan, [gone], {"inputs": 0, "articles": 0, "errors": 0, "duplicates": 0}, {}, 0.0)
    assert again == record
    assert visible_files(out) == files
