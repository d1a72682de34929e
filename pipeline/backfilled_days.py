"""A day re-written by a backfill belongs to the backfill: what the stream may still add to it.

The rule (README "What a rerun does", docs/how-it-works.md):

1. A backfill of day D replaces every file of dt=D in every table, the stream's window files included
   (pipeline.commit: the backfill's change replaces whole partitions). The archive is the truth for D.
2. From the moment that backfill committed, the stream adds no row to dt=D of an article D already holds:
   the backfill's copy wins; the stream's copy (and its entities and quotes rows) is counted as a duplicate
   (`duplicates_of_backfill`) and its message acknowledged.
3. The stream's other rows for a backfilled day before today's date (UTC, at publication) are filed under
   today's dt= instead (`rerouted_from_backfilled_day`): the day they arrived is the day the raw archive
   files them under, so a backfill of that day replaces them rather than duplicating them, while a second
   backfill of D (which does not hold them) would have deleted them. Their columns are unchanged, only the
   folder (and the file name, which says which day they came from) differs. A backfilled day that is
   today keeps receiving the stream's new articles: the next backfill of today replaces them.

So no instant shows both copies: the backfill's commit replaces the stream's files, and the stream decides
and publishes each window file (pipeline.windowed_sink.CountWrittenFiles) holding the shared side of
BACKFILL_LOCK while a backfill's last step (pipeline.batch.finish_run: the duplicate check against other
days and the commit) holds its exclusive side. The lock is taken before the commit layer's own root lock on
both sides. Object stores (Dataflow) have no such lock: there the stream decides from the listing just
before it publishes, and a file published during the seconds of a backfill's commit can slip in (the
commit layer's object-store mode documents the same limit).

A day is "backfilled" once a run record with its `partition_date` is in ROOT/_runs (the commit publishes
the record with the tables).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import posixpath
import threading
from collections.abc import Iterator

from pipeline.commit import COMMIT_DIR, RUNS_DIR, FileSystems, current_files, is_local, join

LOG = logging.getLogger(__name__)

BACKFILL_LOCK = ".backfill.lock"  # under ROOT/_commit, beside the commit layer's own .lock

_CACHE_LOCK = threading.Lock()
_RECORD_DAYS: dict[str, dict[str, str | None]] = {}  # root -> {record file name: its partition_date or None}


@contextlib.contextmanager
def backfill_lock(root: str, exclusive: bool) -> Iterator[None]:
    """Exclusive: a backfill's last step. Shared: the stream's decide-and-publish of one file. Local roots only."""
    if not is_local(root):
        yield
        return
    os.makedirs(join(root, COMMIT_DIR), exist_ok=True)
    fd = os.open(join(root, COMMIT_DIR, BACKFILL_LOCK), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def _record_names(root: str) -> list[str]:
    folder = join(root, RUNS_DIR)
    if is_local(root):
        if not os.path.isdir(folder):
            return []
        return [n for n in os.listdir(folder) if n.startswith("run-") and n.endswith(".json")]
    return [posixpath.basename(m.path) for r in FileSystems.match([folder.rstrip("/") + "/run-*.json"])
            for m in r.metadata_list]


def _partition_date(root: str, name: str) -> str | None:
    try:
        with FileSystems.open(join(root, RUNS_DIR, name)) as fh:
            record = json.loads(fh.read())
    except (OSError, ValueError) as exc:
        LOG.warning("could not read the run record %s: %s", name, exc)
        return None
    day = record.get("partition_date") if isinstance(record, dict) else None
    return day if isinstance(day, str) else None


def backfilled_days(root: str) -> set[str]:
    """Days (YYYY-MM-DD) a committed backfill replaced. Each run record is read once per process."""
    names = _record_names(root)
    with _CACHE_LOCK:
        known = _RECORD_DAYS.setdefault(root, {})
        new = [n for n in names if n not in known]
    found = {n: _partition_date(root, n) for n in new}
    with _CACHE_LOCK:
        known.update(found)
        return {d for d in known.values() if d}


def day_article_ids(root: str, day: str) -> set[str]:
    """article_ids the articles table holds now under dt=DAY."""
    import pyarrow.parquet as pq

    ids: set[str] = set()
    for rel, path in current_files(root, "articles").items():
        if rel.startswith(f"dt={day}/"):
            with FileSystems.open(path) as fh:
                ids.update(pq.read_table(fh, columns=["article_id"]).column("article_id").to_pylist())
    return ids


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def target_day(day: str, backfilled: set[str], now: str) -> str:
    """Where the stream files rows of dt=DAY (rule 3 of the module docstring)."""
    return now if day in backfilled and day < now else day


def rerouted_name(file_name: str, day: str, target: str) -> str:
    """'dt=D/part-...-pane000-000of001.parquet' -> 'dt=T/part-...-pane000-dtD-000of001.parquet' (D as YYYYMMDD):
    files of several days of one window and pane land in one folder, so the name keeps the day they came from."""
    base = posixpath.basename(file_name)
    stem, _, shard = base[:-len(".parquet")].rpartition("-")
    return f"dt={target}/{stem}-dt{day.replace('-', '')}-{shard}.parquet"
