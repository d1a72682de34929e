"""What one batch run reads and replaces, decided by the launcher before any work (plain data, no Beam)."""

from __future__ import annotations

import dataclasses
import re

RUN_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def checked_run_key(value: str) -> str:
    """Run keys become file names: letters, digits, '-' and '_' only, so no key can leave its folder."""
    if not RUN_KEY.match(value):
        raise ValueError(f"run key {value!r} must match {RUN_KEY.pattern}")
    return value


@dataclasses.dataclass(frozen=True)
class BatchPlan:
    """What one batch run reads and what it replaces: plain data, decided by the launcher."""

    run_id: str
    output: str
    files: tuple[dict, ...]  # InputFile dicts this run reads (in the launcher; the job reads the manifest)
    replaces: tuple[str, ...] = ()  # uris among them whose earlier rows are replaced
    owners: dict[str, str] = dataclasses.field(default_factory=dict)  # uri -> run id that published it
    skipped: int = 0  # listed files the ledger holds unchanged
    partition_date: str | None = None  # a backfilled day: its partitions are replaced whole
    force: bool = False  # a backfill may replace a day with an abnormal result
    follow_symlinks: bool = False
    max_record_bytes: int | None = None
    inputs: tuple[str, ...] = ()  # the patterns as given (for the record)
    manifest: str | None = None  # where the job finds `files`: ROOT/_staging/<run id>/inputs.jsonl


def abnormal_day(new: dict[str, int], old: dict[str, int]) -> str | None:
    """Why a backfilled day's result should not replace what is there, or None (see --force)."""
    if old.get("articles", 0) and not new.get("articles", 0):
        return f"it has no articles where the day has {old['articles']}"
    share = new.get("errors", 0) / max(1, new.get("articles", 0) + new.get("errors", 0))
    old_share = old.get("errors", 0) / max(1, old.get("articles", 0) + old.get("errors", 0))
    if old.get("articles", 0) and share > 0.2 and share > 2 * old_share + 0.1:
        return f"{share:.0%} of its inputs are errors where the day has {old_share:.0%}"
    return None
