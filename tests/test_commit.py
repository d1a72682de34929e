"""The commit layer: a reader globbing ROOT/<table>/*/*.parquet sees the old state or the new one, at every step.

Failures are injected at each file-system step of a commit (every link, rename, symlink, delete and record
write): in-process as an exception (a full disk), and as a SIGKILL of a child process at its Nth rename or
link (strace). After each, a reader sees exactly the old or the new state, and the next commit or recovery
finishes or discards cleanly, leaving no staging, intent or temporary file behind.
"""

from __future__ import annotations

import errno
import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline import commit as commit_mod
from pipeline.commit import Change, TableChange, commit, plan_adds, recover, staging_root
from pipeline.sinks import PartitionedFiles

ROOT = Path(__file__).resolve().parents[1]
DAYS = ("2026-11-01", "2026-11-02")


def article(i: int, day: str, run: str) -> dict:
    return {"article_id": f"a{i}", "source_uri": f"/in/{i}.txt", "text": f"text {i} {run}", "ingested_at":
            __import__("datetime").datetime(2026, 11, 3, tzinfo=__import__("datetime").UTC), "word_count": 2,
            "content_hash": "h", "pipeline_version": "t", "nlp_status": "ok", "dt": day}


def entity(i: int, day: str) -> dict:
    return {"article_id": f"a{i}", "text": "X", "label": "ORG", "start_char": 0, "end_char": 1, "canonical": "X",
            "dt": day}


def stage(root: Path, run: str, ids: range, bundles: int) -> dict[str, TableChange]:
    """Write rows of articles `ids` (and one entity each) as `bundles` staged files per table and partition."""
    temp: list[str] = []
    for b in range(bundles):
        for table, make in (("articles", lambda i, d: article(i, d, run)), ("entities", entity)):
            files = PartitionedFiles(staging_root(str(root), run), table, run)
            for i in ids:
                if i % bundles == b:
                    files.add(make(i, DAYS[i % 2]))
            temp += files.close()
    adds = plan_adds(temp, staging_root(str(root), run), run)
    return {t: TableChange(add=a) for t, a in adds.items()}


def reader(root: Path) -> dict[str, list[tuple[str, str]]]:
    """What a reader globbing ROOT/<table>/*/*.parquet gets: sorted (article_id, text or '') per table."""
    out = {}
    for table in ("articles", "entities", "quotes", "errors"):
        rows = []
        for f in glob.glob(os.path.join(glob.escape(str(root)), table, "*", "*.parquet")):
            t = pq.read_table(f)
            ids = t.column("article_id").to_pylist() if "article_id" in t.column_names else []
            texts = t.column("text").to_pylist() if table == "articles" else [""] * len(ids)
            rows += list(zip(ids, texts, strict=True))
        out[table] = sorted(rows)
    return out


def replacing_change(root: Path, run: str = "r1") -> Change:
    """Run r1 re-read the inputs of a0..a5 (published by r0 in other files) and adds a6..a7."""
    change = stage(root, run, range(8), bundles=3)
    for table in ("articles", "entities"):
        change[table].remove |= {rel for rel in commit_mod.current_files(str(root), table)}
    return Change(run, change, extra={f"_runs/run-{run}.json": json.dumps({"run_id": run}).encode(),
                                      f"_ledger/{run}.jsonl": b'{"uri": "x"}\n'})


@pytest.fixture
def old_state(tmp_path):
    root = tmp_path / "out"
    commit(str(root), Change("r0", stage(root, "r0", range(6), bundles=2),
                             extra={"_runs/run-r0.json": b'{"run_id": "r0"}'}))
    return root


def leftovers(root: Path) -> list[str]:
    found = [str(p.relative_to(root)) for p in root.rglob("*")
             if p.is_file() and (".tmp" in p.name or p.name.startswith(".") and p.name != ".lock")]
    found += [str(p.relative_to(root)) for p in (root / "_commit").glob("*.json")]
    found += [str(p.relative_to(root)) for p in (root / "_staging").glob("*")] if (root / "_staging").exists() else []
    return found


def test_a_commit_publishes_every_table_and_leaves_nothing_behind(old_state):
    state = reader(old_state)
    assert [i for i, _ in state["articles"]] == [f"a{i}" for i in range(6)]
    assert len(state["entities"]) == 6
    assert all(os.path.islink(old_state / t) for t in ("articles", "entities", "quotes", "errors"))
    # Tables without rows are still readable: one empty file with the schema.
    assert glob.glob(str(old_state / "errors" / "*" / "*.parquet"))
    assert leftovers(old_state) == []


def test_an_empty_table_is_queryable_with_duckdb_polars_and_pyarrow(old_state):
    """The healthy case (no errors) must not break `read_parquet('out/errors/*/*.parquet')` in any reader."""
    import duckdb
    import polars as pl
    import pyarrow.dataset as ds

    for table, rows in (("errors", 0), ("quotes", 0), ("articles", 6)):
        pattern = f"{old_state}/{table}/*/*.parquet"
        assert duckdb.sql(f"select count(*) from read_parquet('{pattern}', hive_partitioning = true)"
                          ).fetchall()[0][0] == rows
        assert pl.scan_parquet(pattern, hive_partitioning=True).select(pl.len()).collect().item() == rows
        assert ds.dataset(str(old_state / table), format="parquet", partitioning="hive").count_rows() == rows
    columns = pl.scan_parquet(f"{old_state}/errors/*/*.parquet").collect_schema().names()
    assert {"source_uri", "payload_sha256"} <= set(columns)


def test_the_output_root_is_never_a_pattern(tmp_path):
    other = tmp_path / "out1"
    commit(str(other), Change("r0", stage(other, "r0", range(3), 1)))
    odd = tmp_path / "out[1]"
    commit(str(odd), Change("r0", stage(odd, "r0", range(2), 1)))
    commit(str(odd), replacing_change(odd))
    assert len(reader(other)["articles"]) == 3
    assert len(reader(odd)["articles"]) == 8


def test_a_retried_commit_finds_its_work_done(old_state):
    change = replacing_change(old_state)
    assert commit(str(old_state), change) is True
    after = reader(old_state)
    assert commit(str(old_state), change) is False
    assert reader(old_state) == after


def _expect_old_or_new(root: Path, old: dict, new: dict, strict: bool = True) -> str:
    """Each table (what one reader globs) is exactly its old or its new state; 'old' if any table still is.

    strict=False (the object-store protocol, which cannot switch many objects at once): a reader may miss rows
    while the files move, but never sees an article twice."""
    state = reader(root)
    for table, rows in state.items():
        assert len(rows) == len(set(rows)), f"{table}: a reader sees a row twice"
        if strict:
            assert rows in (old[table], new[table]), f"{table}: a reader sees neither the old nor the new state"
        elif table == "articles":
            ids = [i for i, _ in rows]
            assert len(ids) == len(set(ids)), "a reader sees an article twice"
            assert set(rows) <= set(old[table]) | set(new[table])
    if state == new:
        return "new"
    return "old" if state == old else "partly"


def old_and_new(tmp_path: Path, object_store: bool) -> tuple[Path, dict, dict]:
    """A root with r0 committed, and what a reader sees before and after r1's replacing commit."""
    base = tmp_path / "base"
    commit(str(base), Change("r0", stage(base, "r0", range(6), 2), extra={"_runs/run-r0.json": b"{}"}),
           object_store=object_store)
    probe = tmp_path / "probe"
    shutil.copytree(base, probe, symlinks=True)
    commit(str(probe), replacing_change(probe), object_store=object_store)
    return base, reader(base), reader(probe)


STEPS = ["link", "replace", "rename", "symlink", "unlink", "remove", "rmtree", "write_bytes_atomic", "fsync"]


@pytest.mark.parametrize("object_store", [False, True])
def test_a_full_disk_at_any_step_shows_readers_the_old_or_the_new_state(tmp_path, object_store, monkeypatch):
    """Every call of every file-system step fails in turn with ENOSPC; then the next run tidies up."""
    base, old, new = old_and_new(tmp_path, object_store)
    assert old != new
    seen = set()
    for step in STEPS:
        for n in range(1, 60):
            root = tmp_path / f"{step}-{n}"
            shutil.copytree(base, root, symlinks=True)
            change = replacing_change(root)
            calls = {"n": 0}
            target = commit_mod if step == "write_bytes_atomic" else (shutil if step == "rmtree" else os)
            original = getattr(target, step)

            def failing(*args, _original=original, _calls=calls, _n=n, **kwargs):
                _calls["n"] += 1
                if _calls["n"] == _n:
                    raise OSError(errno.ENOSPC, "No space left on device (injected)")
                return _original(*args, **kwargs)

            monkeypatch.setattr(target, step, failing)
            try:
                commit(str(root), change, object_store=object_store)
                failed = False
            except (OSError, commit_mod.CommitError):
                failed = True
            finally:
                monkeypatch.setattr(target, step, original)
            seen.add(_expect_old_or_new(root, old, new, strict=not object_store))
            # The next run (or a retry of the same step) finishes or discards what the failure left.
            recover(str(root))
            commit_mod.discard_stale_staging(str(root))
            state = _expect_old_or_new(root, old, new)
            assert state != "partly", "a recovered root must hold one commit's state in every table"
            if state == "old":
                commit(str(root), replacing_change(root), object_store=object_store)
            assert reader(root) == new
            assert leftovers(root) == [], (step, n)
            shutil.rmtree(root)
            if not failed:
                break  # this step is called fewer than n times
    assert {"old", "new"} <= seen


CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
from pipeline.commit import Change, TableChange, commit
spec = json.load(open(sys.argv[3]))
tables = {t: TableChange(add=c["add"], remove=set(c["remove"])) for t, c in spec["tables"].items()}
extra = {k: v.encode() for k, v in spec["extra"].items()}
commit(sys.argv[1], Change(spec["run_id"], tables, extra))
"""


def change_spec(change: Change) -> dict:
    return {"run_id": change.run_id, "extra": {k: v.decode() for k, v in change.extra.items()},
            "tables": {t: {"add": c.add, "remove": sorted(c.remove)} for t, c in change.tables.items()}}


@pytest.mark.skipif(not shutil.which("strace"), reason="strace is not installed (apt-get install strace)")
@pytest.mark.parametrize("syscalls", ["rename,renameat,renameat2,symlink,symlinkat", "link,linkat,unlink,unlinkat"])
def test_a_process_killed_at_any_rename_link_or_delete_leaves_old_or_new(tmp_path, syscalls):
    object_store = False
    base, old, new = old_and_new(tmp_path, object_store)
    killed = 0
    for n in range(1, 80):
        root = tmp_path / f"kill-{n}"
        shutil.copytree(base, root, symlinks=True)
        spec = tmp_path / f"change-{n}.json"
        spec.write_text(json.dumps(change_spec(replacing_change(root))))  # staged before the child starts
        done = subprocess.run(["strace", "-f", "-o", os.devnull, "-e", f"trace={syscalls}", "-e",
                               f"inject={syscalls}:signal=SIGKILL:when={n}", sys.executable, "-c", CHILD,
                               str(root), str(ROOT), str(spec)],
                              capture_output=True, text=True, timeout=120)
        _expect_old_or_new(root, old, new, strict=not object_store)
        if done.returncode == 0:
            break
        killed += 1
        recover(str(root))
        commit_mod.discard_stale_staging(str(root))
        if _expect_old_or_new(root, old, new) == "old":
            commit(str(root), replacing_change(root), object_store=object_store)
        assert reader(root) == new
        assert leftovers(root) == [], n
        shutil.rmtree(root)
    assert killed >= 1


def test_files_another_writer_adds_during_a_commit_are_kept(old_state, monkeypatch):
    """A stream's window file may land in the old version while a batch commit runs (before or after the
    switch): the commit carries it into the new version, so nothing published is lost."""
    original = commit_mod._carry_over
    landed = []

    def stream_writes_then_carry(old, new, known):
        name = f"part-stream-{len(landed):05d}.parquet"
        target = Path(old) / "dt=2026-11-01" / name
        if "articles" in str(old) and not target.exists():
            import pyarrow as pa

            pq.write_table(pa.Table.from_pylist([{k: v for k, v in article(100 + len(landed), DAYS[0], "s").items()
                                                  if k != "dt"}], schema=commit_mod.TABLES["articles"]), target)
            landed.append(name)
        return original(old, new, known)

    monkeypatch.setattr(commit_mod, "_carry_over", stream_writes_then_carry)
    commit(str(old_state), replacing_change(old_state))
    ids = [i for i, _ in reader(old_state)["articles"]]
    assert len(landed) == 2  # one before the switch, one after
    assert {"a100", "a101"} <= set(ids) and len(ids) == len(set(ids)) == 10


def test_a_table_folder_of_an_older_release_is_switched_in_place(tmp_path):
    """Output written before versioned tables (a real ROOT/articles folder) keeps its rows and becomes a link."""
    root = tmp_path / "out"
    legacy = root / "articles" / f"dt={DAYS[0]}"
    legacy.mkdir(parents=True)
    import pyarrow as pa

    rows = [{k: v for k, v in article(50, DAYS[0], "old").items() if k != "dt"}]
    pq.write_table(pa.Table.from_pylist(rows, schema=commit_mod.TABLES["articles"]), legacy / "part-old-00000.parquet")
    commit(str(root), Change("r1", stage(root, "r1", range(2), 1)))
    assert os.path.islink(root / "articles")
    assert sorted(i for i, _ in reader(root)["articles"]) == ["a0", "a1", "a50"]
    assert not list((root / "_tables" / "articles").glob("legacy-*"))


def test_a_stream_file_is_published_into_the_live_version_once(old_state):
    """The streaming sink publishes each window file with publish_file: one rename into the table readers see;
    a retry finds it done; a later batch commit keeps it."""
    import pyarrow as pa

    staged = old_state / "_temp" / "s1" / "ready" / "articles" / f"dt={DAYS[1]}" / "part-w-s1-pane000-000of001.parquet"
    staged.parent.mkdir(parents=True)
    rows = [{k: v for k, v in article(77, DAYS[1], "stream").items() if k != "dt"}]
    pq.write_table(pa.Table.from_pylist(rows, schema=commit_mod.TABLES["articles"]), staged)
    rel = f"dt={DAYS[1]}/{staged.name}"
    for _ in range(2):  # the second call is a retried step
        commit_mod.publish_file(str(old_state), "articles", str(staged), rel)
    assert not staged.exists()
    assert ("a77", "text 77 stream") in reader(old_state)["articles"]
    commit(str(old_state), Change("r2", stage(old_state, "r2", range(20, 22), 1)))
    ids = [i for i, _ in reader(old_state)["articles"]]
    assert "a77" in ids and {"a20", "a21"} <= set(ids) and len(ids) == len(set(ids)) == 9
