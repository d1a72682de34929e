"""Batch Parquet sink: temporary files per bundle or per shard, published by the commit layer, read back."""

import datetime as dt
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline import sinks
from pipeline.commit import Change, TableChange, commit, plan_adds, staging_root
from pipeline.schemas import ENTITIES
from pipeline.sinks import PartitionedFiles, WritePartitionedBatch, read_table

DAYS = ("2026-03-01", "2026-03-02", "2026-03-03")


def entity(i: int, day: str) -> dict:
    return {"article_id": f"a{i:04d}", "text": f"Name {i}", "label": "PERSON", "start_char": i, "end_char": i + 6,
            "canonical": f"Name {i}", "dt": day}


def rows(n: int) -> list[dict]:
    return [entity(i, DAYS[i % len(DAYS)]) for i in range(n)]


def visible(root: Path) -> list[Path]:
    return sorted(root.glob("*/*/*.parquet"))


def staging(root: Path, run_id: str = "r1") -> str:
    return staging_root(str(root), run_id)


def publish(root: Path, temp: list[str], run_id: str = "r1") -> list[str]:
    """Commit staged files of run_id as its additions; returns the final 'dt=X/name' of each."""
    adds = plan_adds(temp, staging(root, run_id), run_id)
    commit(str(root), Change(run_id, {t: TableChange(add=a) for t, a in adds.items()}))
    return [rel for a in adds.values() for rel in a.values()]


def test_partitioned_files_bound_their_buffers_and_keep_every_row(tmp_path, monkeypatch):
    monkeypatch.setattr(sinks, "ROWS_PER_BATCH", 7)
    monkeypatch.setattr(sinks, "MAX_BUFFERED_ROWS", 10)
    files = PartitionedFiles(staging(tmp_path), "entities", "k")
    for row in rows(100):
        files.add(row)
        assert files._buffered < 10  # noqa: SLF001 - the bound is the point of this test
    temp = files.close()
    assert len(temp) == 3 and all(Path(p).name.startswith(".part-k-") for p in temp)
    assert visible(tmp_path) == []  # nothing readers see before publishing
    for path in temp:
        meta = pq.read_metadata(path)
        assert meta.schema.to_arrow_schema().remove_metadata().equals(ENTITIES)
        assert all(meta.row_group(i).num_rows <= 7 for i in range(meta.num_row_groups))
    final = publish(tmp_path, temp)
    assert sorted(Path(p).name for p in final) == ["part-r1-00000.parquet"] * 3
    table = read_table(str(tmp_path), "entities")
    assert sorted(table.column("article_id").to_pylist()) == [f"a{i:04d}" for i in range(100)]
    assert {r["article_id"]: r["dt"] for r in table.select(["article_id", "dt"]).to_pylist()} == {
        r["article_id"]: r["dt"] for r in rows(100)}


def test_publish_numbers_files_per_partition_by_run(tmp_path):
    def write(run_id: str, n_bundles: int) -> list[str]:
        temp = []
        for b in range(n_bundles):
            files = PartitionedFiles(staging(tmp_path, run_id), "entities", run_id)
            for i in range(b, 30, n_bundles):
                files.add(entity(i, DAYS[0]))
            temp += files.close()
        return publish(tmp_path, temp, run_id)

    first = write("r1", 3)
    assert [Path(p).name for p in first] == [f"part-r1-{k:05d}.parquet" for k in range(3)]
    assert read_table(str(tmp_path), "entities").num_rows == 30
    assert not (tmp_path / "_staging" / "r1").exists()  # staging is removed once committed


@pytest.mark.parametrize("shards", [0, 2])
def test_write_partitioned_batch_writes_each_row_once(tmp_path, shards):
    data = rows(60)
    lists = [[r, dict(r, text="other", start_char=r["start_char"] + 100)] for r in data]  # one list per article
    with TestPipeline(runner="FnApiRunner") as p:
        paths = (p | beam.Create(lists, reshuffle=False)
                 | WritePartitionedBatch(staging(tmp_path), "entities", "k", shards=shards, row_lists=True))
        days = paths | beam.Map(lambda path: Path(path).parent.name)
        if shards:
            assert_that(days, equal_to([f"dt={d}" for d in DAYS for _ in range(shards)]))
    temp = [str(p) for p in tmp_path.rglob(".part-k-*.tmp")]
    publish(tmp_path, temp)
    table = read_table(str(tmp_path), "entities")
    assert table.num_rows == 120
    assert sorted(table.column("article_id").to_pylist()) == sorted(r["article_id"] for r in data for _ in range(2))
    assert {str(dt.date.fromisoformat(d)) for d in table.column("dt").to_pylist()} == set(DAYS)


def test_partitioned_files_keep_few_files_open_and_lose_no_row(tmp_path, monkeypatch):
    monkeypatch.setattr(sinks, "MAX_OPEN_FILES", 2)
    files = PartitionedFiles(staging(tmp_path), "entities", "k")
    for row in rows(30):  # three partitions, interleaved
        files.add(row)
        assert len(files._files) <= 2  # noqa: SLF001 - the bound is the point of this test
    temp = files.close()
    assert len(temp) > 3  # a partition whose file was completed got another one
    publish(tmp_path, temp)
    table = read_table(str(tmp_path), "entities")
    assert sorted(table.column("article_id").to_pylist()) == [f"a{i:04d}" for i in range(30)]
