"""The ingest ledger: which input files a run published, so a landing folder is ingested once.

    ROOT/_ledger/<run id>.jsonl    one line per file the run read: uri, size, version, run_id

As Spark's file source and Auto Loader keep a checkpoint of the files they have seen, a batch run lists its
inputs, skips every file the ledger already holds with the same size and version (modification time, or the
object's update time on gs://), and reads the rest. A file whose size or version changed is read again and
replaces its earlier rows; `--reprocess` reads every listed file again and replaces exactly their rows. The
ledger lines are published by the same commit as the rows (pipeline.commit), so they can never disagree.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Collection, Iterable, Iterator, Mapping

import pyarrow.parquet as pq

from pipeline.commit import LEDGER_DIR, FileSystems, TableChange, current_files, is_local, join, owner_of
from pipeline.schemas import TABLES


@dataclasses.dataclass(frozen=True)
class LedgerEntry:
    uri: str
    size: int
    version: str  # modification time in ns (local) or the object's update time (gs://)
    run_id: str


def ledger_path(run_id: str) -> str:
    """Relative to the output root."""
    return f"{LEDGER_DIR}/{run_id}.jsonl"


def read_ledger(root: str) -> dict[str, LedgerEntry]:
    """uri -> its latest entry (ledger files are named by run id, which starts with the run's UTC time)."""
    folder = join(root, LEDGER_DIR)
    if is_local(root):
        paths = sorted(join(folder, n) for n in os.listdir(folder) if n.endswith(".jsonl")) \
            if os.path.isdir(folder) else []
    else:
        paths = sorted(m.path for r in FileSystems.match([folder + "/*.jsonl"]) for m in r.metadata_list)
    out: dict[str, LedgerEntry] = {}
    for path in paths:
        with FileSystems.open(path) as fh:
            for line in fh.read().decode("utf-8").splitlines():
                if line.strip():
                    entry = LedgerEntry(**json.loads(line))
                    out[entry.uri] = entry
    return out


def ledger_bytes(entries: Iterable[LedgerEntry]) -> bytes:
    return "".join(json.dumps(dataclasses.asdict(e), sort_keys=True) + "\n" for e in entries).encode("utf-8")


def source_file(source_uri: str) -> str:
    """The input file a row came from: 'a/b.jsonl#L12' -> 'a/b.jsonl'."""
    head, sep, line = source_uri.rpartition("#L")
    return head if sep and line.isdigit() else source_uri


def replacement(root: str, staging: str, sources: set[str],
                owners: Mapping[str, str]) -> tuple[dict[str, TableChange], set[str]]:
    """The change that takes the rows of `sources` (files read again) out of the tables.

    owners: uri -> run id that published its rows. Only files named after those runs are touched: a file
    whose rows all come from `sources` is dropped, a file that also holds rows of other inputs is rewritten
    without them (to staging, under the same name). Rows of files this run did not read are never removed.
    """
    runs = {owners[s] for s in sources if s in owners}
    changes = {t: TableChange() for t in TABLES}
    if not runs:
        return changes, set()
    removed_ids: set[str] = set()
    plan: dict[str, list[tuple[str, str]]] = {}
    for table in ("articles", "errors", "entities", "quotes"):  # articles first: they name the removed ids
        for rel, path in sorted(current_files(root, table).items()):
            if owner_of(rel.rsplit("/", 1)[1]) in runs:
                plan.setdefault(table, []).append((rel, path))
    for table in ("articles", "errors", "entities", "quotes"):
        for rel, path in plan.get(table, []):
            with FileSystems.open(path) as fh:
                data = pq.read_table(fh)
            if table in ("articles", "errors"):
                files = [source_file(u) for u in data.column("source_uri").to_pylist()]
                gone = [f in sources for f in files]
                if table == "articles":
                    ids = data.column("article_id").to_pylist()
                    removed_ids.update(i for i, g in zip(ids, gone, strict=True) if g)
            else:
                gone = [i in removed_ids for i in data.column("article_id").to_pylist()]
            if not any(gone):
                continue
            changes[table].remove.add(rel)
            if not all(gone):
                import pyarrow as pa

                kept = data.filter(pa.array([not g for g in gone]))
                out = join(staging, "rewritten", table, rel)
                if is_local(out):
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                with FileSystems.create(out) as fh:
                    pq.write_table(kept, fh, compression="zstd")
                changes[table].add[out] = rel
    return changes, removed_ids


def article_keys(paths: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(article_id, content_hash) of every row of these articles files, reading only those two columns."""
    for path in paths:
        with FileSystems.open(path) as fh:
            data = pq.read_table(fh, columns=["article_id", "content_hash"])
        yield from zip(data.column("article_id").to_pylist(), data.column("content_hash").to_pylist(), strict=True)


def known_article_ids(root: str, skip_partitions: Iterable[str] = ()) -> dict[str, tuple[str, ...]]:
    """article_id -> content hashes the articles table holds now, outside partitions being replaced."""
    skip = tuple(f"dt={day}/" for day in skip_partitions)
    known: dict[str, tuple[str, ...]] = {}
    remember_articles(known, [path for rel, path in current_files(root, "articles").items()
                              if not rel.startswith(skip)])
    return known


def remember_articles(known: dict[str, tuple[str, ...]], articles_files: Iterable[str]) -> None:
    """Add the (article_id, content_hash) pairs of articles files to `known` (ids and hashes only;
    tuples, a quarter of a set's size: a run in passes may remember a million articles)."""
    for article_id, digest in article_keys(articles_files):
        hashes = known.get(article_id, ())
        if digest not in hashes:
            known[article_id] = (*hashes, digest)


def drop_known(adds: dict[str, dict[str, str]], known: Mapping[str, Collection[str]]) -> tuple[dict[str, int], int]:
    """Reconcile this run's staged files with articles earlier runs published.

    A staged file that changes is written beside it (`<staged>.known`) and replaces it in `adds`; the staged
    file itself is left as it was, so a retried step computes the same result.

    The same story in two input files (a wire feed re-published in the next day's file) is a duplicate across
    runs just as within one: its rows are taken out and the first one published stays. A different story
    under an id already taken (a reused id, a canonical URL naming the site) is kept under a distinct id
    (transforms.dedup.distinct_id), as within a run. Returns (rows taken out per table, ids made distinct)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from transforms.dedup import distinct_id

    dropped = {t: 0 for t in TABLES}
    if not known:
        return dropped, 0
    gone: set[str] = set()
    renamed: dict[str, str] = {}
    for article_id, digest in article_keys(adds.get("articles", {})):
        if article_id in known:
            if digest in known[article_id]:
                gone.add(article_id)
            else:
                renamed[article_id] = distinct_id(article_id, digest)
    if not gone and not renamed:
        return dropped, 0
    gone_array = pa.array(sorted(gone), pa.string())
    for table in ("articles", "entities", "quotes"):
        for staged in list(adds.get(table, {})):
            with FileSystems.open(staged) as fh:
                data = pq.read_table(fh)
            mask = pc.is_in(data.column("article_id"), value_set=gone_array)
            n = pc.sum(mask).as_py() or 0
            ids = data.column("article_id").to_pylist()
            if not n and not any(i in renamed for i in ids):
                continue
            kept = data.filter(pc.invert(mask))
            old_ids = kept.column("article_id").to_pylist()
            kept = kept.set_column(kept.schema.get_field_index("article_id"), kept.schema.field("article_id"),
                                   pa.array([renamed.get(i, i) for i in old_ids], pa.string()))
            if "attribution_id" in kept.schema.names:  # '<article_id>:...': it names the article too
                index = kept.schema.get_field_index("attribution_id")
                kept = kept.set_column(index, kept.schema.field(index), pa.array(
                    [renamed[i] + a[len(i):] if i in renamed and a and a.startswith(i + ":") else a
                     for i, a in zip(old_ids, kept.column(index).to_pylist(), strict=True)], pa.string()))
            rewritten = staged + ".known"
            with FileSystems.create(rewritten) as fh:
                pq.write_table(kept, fh, compression="zstd")
            adds[table][rewritten] = adds[table].pop(staged)
            dropped[table] += n
    return dropped, len(renamed)


def merge(*changes: Mapping[str, TableChange]) -> dict[str, TableChange]:
    out = {t: TableChange() for t in TABLES}
    for change in changes:
        for table, tc in change.items():
            out[table].add.update(tc.add)
            out[table].remove |= tc.remove
            out[table].replace_partitions |= tc.replace_partitions
    return out
