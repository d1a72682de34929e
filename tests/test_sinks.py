"""Batch Parquet sink: temporary files per bundle or per shard, published by renaming, read back."""

import datetime as dt
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline import sinks
from pipeline.schemas import ENTITIES
from pipeline.sinks import PartitionedFiles, WritePartitionedBatch, publish, read_table, remove_stale

DAYS = ("2026-03-01", "2026-03-02", "2026-03-03")


def entity(i: int, day: str) -> dict:
    return {"article_id": f"a{i:04d}", "text": f"Name {i}", "label": "PERSON", "start_char": i, "end_char": i + 6,
            "canonical": f"Name {i}", "dt": day}


def rows(n: int) -> list[dict]:
    return [entity(i, DAYS[i % len(DAYS)]) for i in range(n)]


def visible(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


def test_partitioned_files_bound_their_buffers_and_keep_every_row(tmp_path, monkeypatch):
    monkeypatch.setattr(sinks, "ROWS_PER_BATCH", 7)
    monkeypatch.setattr(sinks, "MAX_BUFFERED_ROWS", 10)
    files = PartitionedFiles(str(tmp_path), "entities", "k")
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
    final = publish(temp, "k")
    assert sorted(Path(p).name for p in final) == ["part-k-00000.parquet"] * 3
    table = read_table(str(tmp_path), "entities")
    assert sorted(table.column("article_id").to_pylist()) == [f"a{i:04d}" for i in range(100)]
    assert {r["article_id"]: r["dt"] for r in table.select(["article_id", "dt"]).to_pylist()} == {
        r["article_id"]: r["dt"] for r in rows(100)}


def test_publish_numbers_files_per_partition_and_a_rerun_replaces_them(tmp_path):
    def write(n_bundles: int) -> list[str]:
        temp = []
        for b in range(n_bundles):
            files = PartitionedFiles(str(tmp_path), "entities", "k")
            for i in range(b, 30, n_bundles):
                files.add(entity(i, DAYS[0]))
            temp += files.close()
        return publish(temp, "k")

    first = write(3)
    assert [Path(p).name for p in first] == [f"part-k-{k:05d}.parquet" for k in range(3)]
    second = write(2)  # fewer bundles this time: the third file is stale
    assert sorted(Path(p).name for p in visible(tmp_path)) == [f"part-k-{k:05d}.parquet" for k in range(3)]
    assert [Path(p).name for p in remove_stale(second, str(tmp_path), "k")] == ["part-k-00002.parquet"]
    assert read_table(str(tmp_path), "entities").num_rows == 30


@pytest.mark.parametrize("shards", [0, 2])
def test_write_partitioned_batch_writes_each_row_once(tmp_path, shards):
    data = rows(60)
    lists = [[r, dict(r, text="other", start_char=r["start_char"] + 100)] for r in data]  # one list per article
    with TestPipeline(runner="FnApiRunner") as p:
        paths = (p | beam.Create(lists, reshuffle=False)
                 | WritePartitionedBatch(str(tmp_path), "entities", "k", shards=shards, row_lists=True))
        days = paths | beam.Map(lambda path: Path(path).parent.name)
        if shards:
            assert_that(days, equal_to([f"dt={d}" for d in DAYS for _ in range(shards)]))
    temp = [str(p) for p in tmp_path.rglob(".part-k-*.tmp")]
    publish(temp, "k")
    table = read_table(str(tmp_path), "entities")
    assert table.num_rows == 120
    assert sorted(table.column("article_id").to_pylist()) == sorted(r["article_id"] for r in data for _ in range(2))
    assert {str(dt.date.fromisoformat(d)) for d in table.column("dt").to_pylist()} == set(DAYS)


def test_partitioned_files_keep_few_files_open_and_lose_no_row(tmp_path, monkeypatch):
    monkeypatch.setattr(sinks, "MAX_OPEN_FILES", 2)
    files = PartitionedFiles(str(tmp_path), "entities", "k")
    for row in rows(30):  # three partitions, interleaved
        files.add(row)
        assert len(files._files) <= 2  # noqa: SLF001 - the bound is the point of this test
    temp = files.close()
    assert len(temp) > 3  # a partition whose file was completed got another one
    publish(temp, "k")
    table = read_table(str(tmp_path), "entities")
    assert sorted(table.column("article_id").to_pylist()) == [f"a{i:04d}" for i in range(30)]
