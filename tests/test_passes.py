"""A local run in passes (pipeline.passes): bounded memory for any input size, the same tables as one pass.

The pipeline really runs (in-process, one worker) on a gzipped JSONL written here, once in one pass and once
in passes of 4 records, with a duplicate, an id clash and a bad record placed in different passes.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.inputs import REGULAR
from pipeline.passes import plan_passes
from pipeline.run_record import reconciles
from pipeline.sinks import read_table
from pipeline.sources import count_lines, read_input
from transforms.dedup import source_order

VOLATILE = {"run_id", "processed_at", "ingested_at", "pipeline_version"}


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([*argv, "--direct_num_workers=1"])
    return rc, out.getvalue(), err.getvalue()


def story(i: int, place: str = "bridge") -> str:
    return (f"Story {i}. The council said on Monday that {place} number {i} would close for repairs in the "
            f"spring. \"We cannot keep people on a structure we no longer trust,\" said Maria Olsen, who chairs "
            f"the board of district {i}.")


def write_feed(path: Path) -> None:
    """13 lines: 11 stories, line 7 not JSON, line 11 a copy of line 2, line 12 another story under line 3's id."""
    rows = [{"id": f"a{i}", "title": f"Bridge {i}", "text": story(i)} for i in range(12)]
    rows[9] = dict(rows[1])
    rows[10] = {"id": "a2", "title": "Ferry", "text": story(10, "ferry")}
    lines = [json.dumps(r) for r in rows]
    lines.insert(6, "{not json")
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def tables(out: Path) -> dict[str, list[tuple]]:
    found = {}
    for name in ("articles", "entities", "quotes", "errors"):
        rows = read_table(str(out), name).to_pylist()
        found[name] = sorted(tuple(sorted((k, str(v)) for k, v in r.items() if k not in VOLATILE)) for r in rows)
    return found


def test_plan_passes_covers_every_line_once():
    files = [{"uri": "/d/a.jsonl.gz", "kind": REGULAR}, {"uri": "/d/b.html", "kind": REGULAR},
             {"uri": "/d/c.jsonl", "kind": REGULAR}, {"uri": "/d/fifo.jsonl", "kind": "fifo"}]
    lines = {"/d/a.jsonl.gz": 10, "/d/c.jsonl": 2}
    passes = plan_passes(files, 4, lambda f: lines[f["uri"]])
    assert all(sum(min(4, (u.get("last_line") or lines.get(u["uri"], 1)) - u.get("first_line", 1) + 1)
                   for u in p) <= 4 for p in passes)
    ranges = [(u.get("first_line"), u.get("last_line")) for p in passes for u in p if u["uri"] == "/d/a.jsonl.gz"]
    assert ranges == [(1, 4), (5, 8), (9, None)]  # the last range runs to the end of the file
    assert [u["uri"] for p in passes for u in p if "first_line" not in u] == ["/d/b.html", "/d/c.jsonl",
                                                                             "/d/fifo.jsonl"]
    assert plan_passes(files, 100, lambda f: lines[f["uri"]]) == [files]


def test_ranges_read_each_record_once_and_a_corrupt_tail_once(tmp_path):
    path = tmp_path / "feed.jsonl.gz"
    whole = gzip.compress(b"".join(json.dumps({"id": i, "text": "x" * 50}).encode() + b"\n" for i in range(9)))
    path.write_bytes(whole[:-30])  # the last records and the gzip trailer cut off
    entry = {"uri": str(path), "kind": REGULAR}
    lines = count_lines(entry)
    one = list(read_input(entry, 10_000))
    split = [r for first in range(1, lines + 1, 3)
             for r in read_input({**entry, "first_line": first, "last_line": first + 2 if first + 2 < lines else None},
                                 10_000)]
    assert [r["source_uri"] for r in split] == [r["source_uri"] for r in one]
    assert sum("corrupt gzip" in r.get("read_error", "") for r in split) == 1
    assert any("corrupt gzip" in r.get("read_error", "") for r in one)


def test_source_order_reads_line_9_before_line_10():
    assert sorted(["f#L10", "f#L9", "e#L12"], key=source_order) == ["e#L12", "f#L9", "f#L10"]


@pytest.mark.slow
def test_a_run_in_passes_publishes_what_one_pass_does(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_feed(folder / "feed.jsonl.gz")
    pattern = str(folder / "*.jsonl.gz")
    rc, out_one, _ = cli("run", "--input", pattern, "--output", str(tmp_path / "one"))
    assert rc == 0, out_one
    rc, out_passes, err = cli("run", "--input", pattern, "--output", str(tmp_path / "passes"),
                              "--records_per_pass", "4")
    assert rc == 0, out_passes + err
    assert "4 passes of at most 4 inputs" in err
    assert tables(tmp_path / "passes") == tables(tmp_path / "one")
    record = json.loads(next((tmp_path / "passes" / "_runs").glob("run-*.json")).read_text())
    counts = record["counts"]
    assert record["passes"] == 4 and reconciles(counts)
    assert (counts["inputs"], counts["articles"], counts["errors"], counts["duplicates"]) == (13, 11, 1, 1)
    assert counts["duplicates_of_earlier_passes"] == 1 and counts["id_clashes"] == 1
    assert not list((tmp_path / "passes" / "_staging").glob("*"))
    # A rerun reads nothing new; --reprocess in passes replaces exactly the file's rows.
    rc, out, _ = cli("run", "--input", pattern, "--output", str(tmp_path / "passes"), "--records_per_pass", "4")
    assert rc == 0 and "nothing new to ingest" in out
    rc, out, err = cli("run", "--input", pattern, "--output", str(tmp_path / "passes"), "--records_per_pass", "4",
                       "--reprocess")
    assert rc == 0, out + err
    assert tables(tmp_path / "passes") == tables(tmp_path / "one")
