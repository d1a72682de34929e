"""Publishing: the one commit protocol of every job that writes tables (run, backfill, the streaming sink).

Batch runs and backfills publish a whole change with `commit`; the streaming sink publishes each finished
window file with `publish_file`.

Readers glob `ROOT/<table>/*/*.parquet`. A commit must move them from the old state to the new one at once,
survive a crash or a full disk at any step, and be safe to run twice (Dataflow retries its finishing step).

Local disk (atomic for readers):

    ROOT/<table>                    a symlink to _tables/<table>/<version>: what readers glob
    ROOT/_tables/<table>/<version>/dt=YYYY-MM-DD/part-*.parquet
    ROOT/_staging/<run id>/...      files a run wrote and has not committed yet
    ROOT/_commit/<run id>.json      the intent: written (atomically) once everything is prepared

1. prepare: for each table the commit changes, a new version folder holds hard links to the current version's
   files that stay, plus the run's new files; the run record and ledger entries are written to staging.
   Nothing readers see has changed; a crash or full disk here leaves staging that the next run removes.
2. the intent file is renamed into `_commit/`: this is the commit point.
3. apply: each table's symlink is replaced by rename (one atomic step per table), then the run record and the
   ledger entries are renamed into place and the intent is removed. Every step is idempotent, so a run that
   finds an intent (a crash after step 2) rolls it forward before doing anything else.

Object stores (gs://) have no symlinks and no atomic multi-object rename: the same intent is written first,
then replaced files are deleted and new ones copied into their final names, each step idempotent, so a retried
or recovered commit finishes the work instead of failing half-published. A reader listing during those seconds
may miss part of the change, never see a row twice; the run record appears last.

Every table is left with at least one Parquet file (an empty one with the schema if it has no rows), so that
`read_parquet('ROOT/errors/*/*.parquet')` works in the healthy case too.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import dataclasses
import datetime as dt
import errno
import fcntl
import json
import logging
import os
import posixpath
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping

import pyarrow.parquet as pq

from pipeline.schemas import PARTITION_COLUMN, TABLES


class _BeamFileSystems:
    """Beam's FileSystems, imported on first use: a local commit (and its recovery) needs no Beam import."""

    def __getattr__(self, name: str):
        from apache_beam.io.filesystems import FileSystems as beam_file_systems

        return getattr(beam_file_systems, name)


FileSystems = _BeamFileSystems()

LOG = logging.getLogger(__name__)

TABLES_DIR = "_tables"
STAGING_DIR = "_staging"
COMMIT_DIR = "_commit"
RUNS_DIR = "_runs"
LEDGER_DIR = "_ledger"
EMPTY_PREFIX = "part-empty-"  # the placeholder file of a table without rows
KEEP_VERSIONS = 2  # the current version and the one before it (a reader may still be listing it)
_DT = re.compile(r"^dt=\d{4}-\d{2}-\d{2}$")


class CommitError(RuntimeError):
    """A commit that could not be prepared or applied: nothing new is visible (or the intent is kept)."""


# -- paths --------------------------------------------------------------------------------------------------

def is_local(path: str) -> bool:
    return "://" not in path


def join(root: str, *parts: str) -> str:
    """Join path parts literally: the root is never a pattern (`out[1]` is a folder name, not a class)."""
    return FileSystems.join(root, *parts) if not is_local(root) else posixpath.join(root, *parts)


def staging_root(root: str, run_id: str) -> str:
    return join(root, STAGING_DIR, run_id)


def data_file_name(run_id: str, k: int) -> str:
    """Final name of a run's k-th file in a partition: the run that wrote it is part of the name."""
    return f"part-{run_id}-{k:05d}.parquet"


def owner_of(name: str) -> str | None:
    """The run id in a data file's name (None for placeholders and foreign files)."""
    if not name.startswith("part-") or name.startswith(EMPTY_PREFIX) or not name.endswith(".parquet"):
        return None
    stem = name[len("part-"):-len(".parquet")]
    run_id, _, k = stem.rpartition("-")
    return run_id if k.isdigit() and run_id else None


# -- listing (never by pattern) -----------------------------------------------------------------------------

def _local_files(table_dir: str) -> dict[str, str]:
    """{'dt=X/name.parquet': absolute path} of one table folder (a version folder or a legacy table folder)."""
    out: dict[str, str] = {}
    if not os.path.isdir(table_dir):
        return out
    with os.scandir(table_dir) as parts:
        for part in parts:
            if not (_DT.match(part.name) and part.is_dir(follow_symlinks=False)):
                continue
            with os.scandir(part.path) as files:
                for f in files:
                    if f.name.endswith(".parquet") and not f.name.startswith(".") and f.is_file(follow_symlinks=False):
                        out[f"{part.name}/{f.name}"] = f.path
    return out


def _remote_files(table_dir: str) -> dict[str, str]:
    if is_local(table_dir):  # the object-store protocol run on local disk (tests): list literally
        return _local_files(table_dir)
    out: dict[str, str] = {}
    prefix = table_dir.rstrip("/") + "/"
    for result in FileSystems.match([prefix + "dt=*/*.parquet"]):  # the prefix is a bucket path, never user text
        for m in result.metadata_list:
            rel = m.path[len(prefix):]
            folder, _, name = rel.partition("/")
            if _DT.match(folder) and "/" not in name and not name.startswith("."):
                out[rel] = m.path
    return out


def current_files(root: str, table: str) -> dict[str, str]:
    """What a reader of ROOT/<table> sees now: {'dt=X/name': path}."""
    path = join(root, table)
    return _local_files(os.path.realpath(path)) if is_local(root) else _remote_files(path)


# -- the change a run commits -------------------------------------------------------------------------------

@dataclasses.dataclass
class TableChange:
    """For one table: files to add (staged path -> 'dt=X/name'), files to drop, whole partitions to replace."""

    add: dict[str, str] = dataclasses.field(default_factory=dict)
    remove: set[str] = dataclasses.field(default_factory=set)
    replace_partitions: set[str] = dataclasses.field(default_factory=set)


@dataclasses.dataclass
class Change:
    run_id: str
    tables: dict[str, TableChange]
    extra: dict[str, bytes] = dataclasses.field(default_factory=dict)  # 'relative/path' under ROOT -> content
    empty_dt: str = dataclasses.field(default_factory=lambda: dt.datetime.now(dt.UTC).date().isoformat())


def plan_adds(temp_paths: Iterable[str], staging: str, run_id: str) -> dict[str, dict[str, str]]:
    """Temporary files under STAGING/<table>/dt=X/ -> {table: {temp path: 'dt=X/part-<run>-<k>.parquet'}},
    k = 0, 1, ... in name order per partition, so a re-executed step names the same files the same way."""
    by_folder: dict[tuple[str, str], list[str]] = {}
    prefix = staging.rstrip("/") + "/"
    for path in temp_paths:
        if not path.startswith(prefix):
            raise CommitError(f"{path} is not under this run's staging folder {staging}")
        table, part, _ = path[len(prefix):].split("/", 2)
        if table not in TABLES or not _DT.match(part):
            raise CommitError(f"{path}: not a staged table file")
        by_folder.setdefault((table, part), []).append(path)
    out: dict[str, dict[str, str]] = {t: {} for t in TABLES}
    for (table, part), paths in sorted(by_folder.items()):
        for k, path in enumerate(sorted(paths)):
            out[table][path] = f"{part}/{data_file_name(run_id, k)}"
    return out


def new_state(current: Mapping[str, str], change: TableChange) -> dict[str, str]:
    """{'dt=X/name': source path} of a table after the change (pure: what the commit will make visible)."""
    keep = {rel: path for rel, path in current.items()
            if rel not in change.remove and rel.split("/", 1)[0][3:] not in change.replace_partitions}
    for src, rel in change.add.items():
        keep[rel] = src
    real = [rel for rel in keep if not posixpath.basename(rel).startswith(EMPTY_PREFIX)]
    if real:  # placeholders go once the table has a real file
        keep = {rel: keep[rel] for rel in real}
    return keep


# -- locking ------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def root_lock(root: str) -> Iterator[None]:
    """One commit (or recovery) at a time per local output root; object stores rely on job names instead."""
    if not is_local(root):
        yield
        return
    os.makedirs(join(root, COMMIT_DIR), exist_ok=True)
    fd = os.open(join(root, COMMIT_DIR, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# -- small durable file operations ---------------------------------------------------------------------------

def _fsync_dir(path: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes_atomic(path: str, data: bytes) -> None:
    """Whole file or nothing: a temporary sibling, fsync, rename (a full disk leaves no 0-byte file)."""
    if not is_local(path):
        with FileSystems.create(path) as fh:  # an object appears whole when its upload completes
            fh.write(data)
        return
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def _exists(path: str) -> bool:
    return os.path.lexists(path) if is_local(path) else FileSystems.exists(path)


def delete_files(paths: list[str]) -> None:
    """Delete files that exist (Beam's delete would read a local path as a pattern)."""
    if not paths:
        return
    local = [p for p in paths if is_local(p)]
    for p in local:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p)
    remote = [p for p in paths if not is_local(p)]
    if remote:
        FileSystems.delete(remote)


def _rename(src: str, dst: str) -> None:
    """Move one file over another (os.replace locally; copy then delete on object stores)."""
    if is_local(src):
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.replace(src, dst)
    else:
        FileSystems.rename([src], [dst])


def _libc_renameat2():
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
        fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        return fn
    return None


_RENAMEAT2 = _libc_renameat2()
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(a: str, b: str) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), a)


def _point(root: str, table: str, version: str, known: Iterable[str] = (), previous: str | None = None) -> None:
    """Make ROOT/<table> point at _tables/<table>/<version> in one step (idempotent).

    Another writer (a stream's window files) may add files to the old version while this commit runs; every
    file there that the commit did not know of (`known`: what it planned from) is linked into the new version
    just before the switch, and again just after it (a rename after the switch lands in the new version), so
    nothing another writer published is lost."""
    link = join(root, table)
    target = posixpath.join(TABLES_DIR, table, version)
    new = join(root, target)
    known = set(known)
    if os.path.islink(link) and os.readlink(link) == target:
        if previous and os.path.isdir(previous):  # a recovery after the switch: finish the carry-over
            _carry_over(previous, new, known)
        return
    old = os.path.realpath(link) if os.path.lexists(link) else None
    if old:
        _carry_over(old, new, known)
    tmp = join(root, f".{table}.{version}.link")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.symlink(target, tmp)
    if os.path.isdir(link) and not os.path.islink(link):
        # A table folder of an older release (or made by hand): swap it out in one step where possible.
        legacy = join(root, TABLES_DIR, table, "legacy-" + version)
        if not _exchange(tmp, link):
            os.replace(link, legacy)  # a short gap for readers, once per root
            os.replace(tmp, link)
        else:
            os.replace(tmp, legacy)  # tmp now names the old folder
        _carry_over(legacy, new, known)
        with contextlib.suppress(OSError):
            shutil.rmtree(legacy)  # its files were linked into the new version
        return
    os.replace(tmp, link)
    if old:
        _carry_over(old, new, known)


def _carry_over(old: str, new: str, known: set[str]) -> None:
    """Link files another writer added to the old version (not in `known`) into the new one."""
    for rel, path in _local_files(old).items():
        dst = join(new, rel)
        if rel not in known and not os.path.lexists(dst):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                os.link(path, dst)


# -- prepare, commit point, apply ----------------------------------------------------------------------------

def _intent_path(root: str, run_id: str) -> str:
    return join(root, COMMIT_DIR, f"{run_id}.json")


def _empty_file(path: str, table: str) -> None:
    if is_local(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    with FileSystems.create(path) as fh:
        pq.write_table(TABLES[table].empty_table(), fh, compression="zstd")


def _placeholder(staging: str, table: str, change: Change) -> dict[str, str]:
    """The state of a table without rows: one empty file with its schema, so every reader's glob matches."""
    rel = f"dt={change.empty_dt}/{EMPTY_PREFIX}{change.run_id}.parquet"
    path = join(staging, "empty", table, rel)
    _empty_file(path, table)
    return {rel: path}


def _stage_extra(staging: str, change: Change) -> dict[str, str]:
    """The run record and ledger lines, written whole to staging: {path under ROOT: staged path}."""
    staged = {}
    for rel, data in change.extra.items():
        staged[rel] = join(staging, "extra", rel)
        write_bytes_atomic(staged[rel], data)
    return staged


def _prepare_local(root: str, change: Change) -> dict:
    version = change.run_id
    versions: dict[str, str] = {}
    known: dict[str, list[str]] = {}  # per table, the files the plan was made from
    previous: dict[str, str | None] = {}  # per table, the version folder readers saw
    staging = staging_root(root, change.run_id)
    for table in TABLES:
        tc = change.tables.get(table, TableChange())
        link = join(root, table)
        current = _local_files(os.path.realpath(link)) if os.path.lexists(link) else {}
        state = new_state(current, tc)
        state = state or _placeholder(staging, table, change)
        if os.path.islink(link) and state == current and not tc.add:
            continue  # nothing changes in this table
        known[table] = sorted(current)
        previous[table] = os.path.realpath(link) if os.path.islink(link) else None
        folder = join(root, TABLES_DIR, table, version)
        if os.path.isdir(folder):
            shutil.rmtree(folder)  # a crashed earlier attempt of this very run, never visible
        for rel, src in sorted(state.items()):
            dst = join(folder, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.link(src, dst)  # hard links: no copy, and the old version keeps its own names
        _fsync_dir(folder)
        versions[table] = version
    extra = _stage_extra(staging, change)
    return {"run_id": change.run_id, "mode": "local", "versions": versions, "known": known,
            "previous": previous, "extra": extra}


def _prepare_remote(root: str, change: Change) -> dict:
    moves: list[list[str]] = []
    deletes: list[str] = []
    staging = staging_root(root, change.run_id)
    for table in TABLES:
        tc = change.tables.get(table, TableChange())
        current = _remote_files(join(root, table))
        state = new_state(current, tc)
        state = state or _placeholder(staging, table, change)
        for rel, src in sorted(state.items()):
            if current.get(rel) != src:
                moves.append([src, join(root, table, rel)])
        deletes.extend(path for rel, path in sorted(current.items()) if rel not in state)
    extra = _stage_extra(staging, change)
    return {"run_id": change.run_id, "mode": "remote", "moves": moves, "deletes": deletes, "extra": extra}


def _apply(root: str, intent: dict) -> None:
    """Roll an intent forward; every step can run again after a crash or a retry."""
    if intent["mode"] == "local":
        for table, version in sorted(intent["versions"].items()):
            _point(root, table, version, intent.get("known", {}).get(table, ()),
                   intent.get("previous", {}).get(table))
    else:
        # Replaced files go first: a reader listing meanwhile may miss rows for a moment, never see them twice.
        delete_files([p for p in intent["deletes"] if _exists(p)])
        for src, dst in intent["moves"]:
            if _exists(src):  # a copy-then-delete rename that already ran finds no source
                _rename(src, dst)
    for rel, tmp in sorted(intent["extra"].items()):
        final = join(root, rel)
        if _exists(tmp):
            _rename(tmp, final)
    path = _intent_path(root, intent["run_id"])
    if _exists(path):
        delete_files([path])


def _cleanup(root: str, run_id: str) -> None:
    """Remove what the commit no longer needs: this run's staging, and table versions no reader can be on."""
    staging = staging_root(root, run_id)
    if not is_local(root):  # object stores: delete what is left under the prefix
        leftovers = [m.path for r in FileSystems.match([staging.rstrip("/") + "/**"]) for m in r.metadata_list]
        delete_files(leftovers)
        return
    shutil.rmtree(staging, ignore_errors=True)
    for table in TABLES:
        _prune_versions(root, table)


def _prune_versions(root: str, table: str) -> None:
    folder = join(root, TABLES_DIR, table)
    if not os.path.isdir(folder):
        return
    link = join(root, table)
    live = os.path.basename(os.path.realpath(link)) if os.path.islink(link) else None
    names = sorted(os.listdir(folder), key=lambda n: os.stat(join(folder, n)).st_mtime_ns)
    keep = set(names[-KEEP_VERSIONS:]) | {live}
    for name in names:
        if name not in keep:
            shutil.rmtree(join(folder, name), ignore_errors=True)


def commit(root: str, change: Change, object_store: bool | None = None) -> bool:
    """Publish a change all at once; False when this run had already committed it (a retried step).

    object_store=None picks symlinked versions on local disk and file-by-file moves elsewhere; tests force
    object_store=True to run the object-store protocol on local disk."""
    object_store = not is_local(root) if object_store is None else object_store
    with root_lock(root):
        recover(root, locked=True)
        if _exists(join(root, RUNS_DIR, f"run-{change.run_id}.json")):
            return False  # done by an earlier execution of this step
        try:
            intent = (_prepare_remote if object_store else _prepare_local)(root, change)
        except Exception as exc:
            raise CommitError(f"could not prepare the commit ({type(exc).__name__}: {exc}); nothing was "
                              "published") from exc
        write_bytes_atomic(_intent_path(root, change.run_id), json.dumps(intent).encode())  # commit point
        _apply(root, intent)
        _cleanup(root, change.run_id)
    return True


def publish_file(root: str, table: str, staged: str, rel: str) -> str:
    """Publish one finished file (a stream's window file) as ROOT/<table>/<rel>; returns its final path.

    One file is one rename: a reader sees it whole or not at all. Locally it is made under the root's lock, so
    a batch commit never plans from a listing that misses it, and lands in the table's live version. Safe to
    run again: a retried step finds the file already in place (an object store's copy-then-delete included).
    """
    final = join(root, table, rel)
    if not is_local(root):
        if _exists(staged):
            _rename(staged, final)
        return final
    with root_lock(root):
        link = join(root, table)
        if not os.path.lexists(link):
            os.makedirs(link, exist_ok=True)  # a stream's first file; a batch commit later versions the table
        if os.path.lexists(staged):
            _rename(staged, join(os.path.realpath(link), rel))
    return final


def recover(root: str, locked: bool = False) -> list[str]:
    """Finish every commit a crash left after its commit point; returns their run ids."""
    if not locked:
        with root_lock(root):
            return recover(root, locked=True)
    folder = join(root, COMMIT_DIR)
    if is_local(root):
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json")) if os.path.isdir(folder) else []
        paths = [join(folder, n) for n in names]
    else:
        paths = sorted(m.path for r in FileSystems.match([folder.rstrip("/") + "/*.json"]) for m in r.metadata_list)
    _remove_dead_temps(root)
    done = []
    for path in paths:
        with FileSystems.open(path) as fh:
            intent = json.loads(fh.read())
        LOG.warning("finishing the commit of run %s that an earlier process left half done", intent["run_id"])
        _apply(root, intent)
        _cleanup(root, intent["run_id"])
        done.append(intent["run_id"])
    return done


def _remove_dead_temps(root: str) -> None:
    """Temporary files of write_bytes_atomic (`.NAME.PID.tmp`) whose process is gone: a crash mid-write."""
    if not is_local(root):
        return
    for folder in (COMMIT_DIR, RUNS_DIR, "_ledger"):
        path = join(root, folder)
        if not os.path.isdir(path):
            continue
        for name in os.listdir(path):
            parts = name.rsplit(".", 2)
            if name.startswith(".") and name.endswith(".tmp") and len(parts) == 3 and parts[1].isdigit() \
                    and not _alive(int(parts[1])):
                with contextlib.suppress(OSError):
                    os.unlink(join(path, name))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def discard_stale_staging(root: str) -> list[str]:
    """Remove staging folders of runs that never reached their commit point (local roots; not locked runs)."""
    folder = join(root, STAGING_DIR)
    if not is_local(root) or not os.path.isdir(folder):
        return []
    removed = []
    for name in os.listdir(folder):
        path = join(folder, name)
        if not os.path.isdir(path) or _held(path):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(name)
    return removed


def hold_staging(root: str, run_id: str) -> int | None:
    """Mark this run's staging folder as in use (an flock held by the launching process until it exits)."""
    if not is_local(root):
        return None
    path = staging_root(root, run_id)
    os.makedirs(path, exist_ok=True)
    fd = os.open(join(path, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _held(path: str) -> bool:
    lock = join(path, ".lock")
    if not os.path.exists(lock):
        return False
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def partition_counts(root: str, table: str, day: str) -> int:
    """Rows of ROOT/<table>/dt=DAY now (from the Parquet footers)."""
    total = 0
    for rel, path in current_files(root, table).items():
        if rel.startswith(f"{PARTITION_COLUMN}={day}/"):
            with FileSystems.open(path) as fh:
                total += pq.ParquetFile(fh).metadata.num_rows
    return total
