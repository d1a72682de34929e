"""The batch job: listed input files in, four Parquet tables, ledger entries and a run record out.

Workers write every table to hidden files under ROOT/_staging/<run id>/; the job's last step (which Beam runs
only once every file is written) hands them to the one commit protocol (pipeline.commit) together with the
rows it replaces, the ledger entries of the files read and the run record, so a reader sees all of it or none.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import apache_beam as beam
from apache_beam.pvalue import AsDict, AsSingleton

from pipeline import run_record
from pipeline.batch_plan import BatchPlan, abnormal_day
from pipeline.commit import (
    Change,
    CommitError,
    FileSystems,
    TableChange,
    commit,
    current_files,
    join,
    partition_counts,
    plan_adds,
    recover,
    staging_root,
    write_bytes_atomic,
)
from pipeline.graph import ROW_LIST_TABLES, GraphConfig, ProcessArticles
from pipeline.ledger import (
    LedgerEntry,
    drop_known,
    known_article_ids,
    ledger_bytes,
    ledger_path,
    merge,
    remember_articles,
    replacement,
)
from pipeline.passes import write_summary
from pipeline.progress import CountProgress
from pipeline.schemas import PARTITION_COLUMN, TABLES
from pipeline.sinks import WritePartitionedBatch
from pipeline.sources import ReadArticleFiles, read_manifest
from transforms.dedup import DUPLICATES, ID_CLASHES


def with_partition(row: dict[str, Any], day: str) -> dict[str, Any]:
    """A row filed under the backfilled day, whatever its published date."""
    return {**row, PARTITION_COLUMN: day}


def finish_run(plan: BatchPlan, staged_by_pass: list[list[str]], counts: dict[str, int], base: dict[str, Any],
               started: float) -> dict[str, Any]:
    """The job's last step: build the change and commit it with the ledger entries and the run record.

    staged_by_pass: the temporary files the workers wrote, one list per pass (pipeline.passes) in pass order;
    one list for a run in one pass. counts: the graph's counts, summed over the passes.

    Safe to run again (Dataflow retries a failed step): a commit this run already made is finished or found
    done, and nothing here changes a staged file in place, so a retry computes the same change.

    A backfilled day (partition_date) is checked and committed under the exclusive backfill lock, so that a
    stream publishing beside it sees the day wholly before or wholly after (pipeline/backfilled_days.py)."""
    import contextlib

    from pipeline.backfilled_days import backfill_lock

    lock = backfill_lock(plan.output, exclusive=True) if plan.partition_date else contextlib.nullcontext()
    with lock:
        return _finish_run(plan, staged_by_pass, counts, base, started)


def _finish_run(plan: BatchPlan, staged_by_pass: list[list[str]], counts: dict[str, int],
                base: dict[str, Any], started: float) -> dict[str, Any]:
    output, staging = plan.output, staging_root(plan.output, plan.run_id)
    recover(output)
    done = join(output, run_record.record_path(plan.run_id))
    if FileSystems.exists(done):
        return run_record.read_record(done)
    everything = plan_adds([path for group in staged_by_pass for path in group], staging, plan.run_id)
    replaced, removed_ids = replacement(output, staging, set(plan.replaces), plan.owners)
    # An article an earlier run published (from another file) is a duplicate, as within a run.
    replaced_days = [plan.partition_date] if plan.partition_date else []
    known = known_article_ids(output, replaced_days)
    for article_id in removed_ids:
        known.pop(article_id, None)
    # A run in passes (pipeline.passes): each pass deduplicated its own inputs; an article an earlier pass
    # kept is a duplicate in a later one, as one from an earlier run is.
    adds: dict[str, dict[str, str]] = {t: {} for t in TABLES}
    dropped, by_pass, clashes = {t: 0 for t in TABLES}, 0, 0
    kept_by_passes: dict[str, tuple[str, ...]] = {}
    for group in staged_by_pass:
        members = set(group)
        pass_adds = {t: {src: rel for src, rel in everything[t].items() if src in members} for t in TABLES}
        of_runs, clashes_with_runs = drop_known(pass_adds, known)
        of_passes, clashes_with_passes = drop_known(pass_adds, kept_by_passes)
        clashes += clashes_with_runs + clashes_with_passes
        by_pass += of_passes["articles"]
        for table in TABLES:
            dropped[table] += of_runs[table] + of_passes[table]
            adds[table].update(pass_adds[table])
        if len(staged_by_pass) > 1:
            remember_articles(kept_by_passes, pass_adds["articles"])
    counts = dict(counts)
    for table in ("articles", "entities", "quotes"):
        counts[table] = counts.get(table, 0) - dropped[table]
    counts["duplicates"] = counts.get("duplicates", 0) + dropped["articles"]
    counts["duplicates_of_earlier_runs"] = dropped["articles"] - by_pass
    if len(staged_by_pass) > 1:
        counts["duplicates_of_earlier_passes"] = by_pass
    counts["id_clashes"] = counts.get("id_clashes", 0) + clashes
    change = merge({t: TableChange(add=adds[t]) for t in TABLES}, replaced)
    record = dict(base, counts=counts)
    if plan.partition_date:
        day = plan.partition_date
        old = {t: partition_counts(output, t, day) for t in ("articles", "errors")}
        why = abnormal_day({"articles": counts.get("articles", 0), "errors": counts.get("errors", 0)}, old)
        if why and not plan.force:
            raise CommitError(f"dt={day} was not replaced: {why} (--force replaces it anyway)")
        before = {t: sum(1 for rel in current_files(output, t) if rel.startswith(f"dt={day}/")) for t in TABLES}
        for t in TABLES:
            change[t].replace_partitions.add(day)
        record["partition_date"] = day
        record["swapped"] = {t: {"removed": before[t], "added": sum(1 for r in adds[t].values()
                                                                    if r.startswith(f"dt={day}/"))}
                             for t in TABLES}
    files = list(read_manifest(plan.manifest)) if plan.manifest else list(plan.files)
    entries = [LedgerEntry(f["uri"], f["size"], f["version"], plan.run_id) for f in files]
    record.update(
        files_written=sum(len(a) for a in adds.values()),
        files_replaced_or_removed=sum(len(c.remove) for c in change.values()),
        input_files={"read": len(files), "skipped_already_ingested": plan.skipped,
                     "reprocessed": len(plan.replaces)},
        seconds=time.time() - started)
    extra = {ledger_path(plan.run_id): ledger_bytes(entries)} if entries else {}
    extra[run_record.record_path(plan.run_id)] = run_record.encode(record)
    commit(output, Change(plan.run_id, change, extra))
    return record


def record_base(plan: BatchPlan, config: GraphConfig) -> dict[str, Any]:
    """The fields of a batch run record known before the run."""
    return {"run_id": plan.run_id, "inputs": list(plan.inputs), "output": plan.output, "mode": "batch",
            "model": config.model, "components": list(config.components), "versions": run_record.versions()}


def write_manifest(plan: BatchPlan, name: str) -> str:
    """plan.files as a file under the run's staging folder (one JSON object per line); returns its path."""
    manifest = join(staging_root(plan.output, plan.run_id), name)
    write_bytes_atomic(manifest, "".join(json.dumps(f, sort_keys=True) + "\n" for f in plan.files).encode())
    return manifest


def build_batch(p: beam.Pipeline, plan: BatchPlan, config: GraphConfig, shards: int = 0,
                started: float | None = None, pass_no: int | None = None) -> None:
    """The batch graph: read, process, write to staging; the last step commits (see finish_run).

    pass_no: this graph is one pass of a run in passes (pipeline.passes) over plan.files, a slice of the run's
    inputs; its last step leaves the pass's summary instead, and the launcher commits once every pass is done."""
    started = started or time.time()
    staging = staging_root(plan.output, plan.run_id)
    manifest = write_manifest(plan, "inputs.jsonl" if pass_no is None else f"inputs-pass-{pass_no:05d}.jsonl")
    plan = dataclasses.replace(plan, files=(), manifest=manifest)  # small to pickle
    raw = p | "Read files" >> ReadArticleFiles(manifest, config.max_input_bytes, plan.max_record_bytes,
                                               plan.follow_symlinks)
    # entities and quotes come as one list of rows per article: far fewer elements to move between stages
    tables = raw | "Process" >> ProcessArticles(config, row_lists=True)
    _ = raw | "Progress read" >> beam.ParDo(CountProgress(plan.output, plan.run_id, "read", files=True))
    _ = tables["articles"] | "Progress annotated" >> beam.ParDo(CountProgress(plan.output, plan.run_id, "annotated"))
    extra_counts = {}
    day = plan.partition_date
    if day:
        extra_counts["published_other_day"] = tables["articles"] | "Published another day" >> beam.Filter(
            lambda row, day: row["dt"] != day, day)
        tables = {name: pcoll | f"File {name} under the day" >> (
                      beam.Map(lambda rows, day: [with_partition(r, day) for r in rows], day)
                      if name in ROW_LIST_TABLES else beam.Map(with_partition, day))
                  for name, pcoll in tables.items()}
    written = [
        tables[name] | f"Write {name}" >> WritePartitionedBatch(
            staging, name, plan.run_id, shards, row_lists=name in ROW_LIST_TABLES)
        for name in TABLES
    ]
    paths = written | "All files" >> beam.Flatten() | "File list" >> beam.combiners.ToList()
    counted = {
        "inputs": raw,
        "articles": tables["articles"],
        "errors": tables["errors"],
        "duplicates": tables[DUPLICATES],
        "entities": tables["entities"],
        "quotes": tables["quotes"],
        "id_clashes": tables[ID_CLASHES],
        **extra_counts,
    }
    # One keyed count instead of one Count.Globally per table: fewer transforms to build and stages to run.
    counts = AsDict(
        [pcoll | f"Name {name}" >> beam.Map(lambda e, name=name, listed=name in ROW_LIST_TABLES:
                                             (name, len(e) if listed else 1))
         for name, pcoll in counted.items()]
        | "Counted" >> beam.Flatten()
        | "Count" >> beam.CombinePerKey(sum)
    )
    base = record_base(plan, config)

    def finish(_, temp_files, counted_values):
        values = {name: counted_values.get(name, 0) for name in counted}
        if pass_no is None:
            yield finish_run(plan, [temp_files], values, base, started)
        else:
            write_summary(plan.output, plan.run_id, pass_no, temp_files, values)

    _ = p | "Run record start" >> beam.Create([None]) | "Commit" >> beam.FlatMap(
        finish, temp_files=AsSingleton(paths), counted_values=counts)
