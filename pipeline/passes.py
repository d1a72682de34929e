"""A local batch run in passes of bounded size, so its memory does not grow with its input.

Beam's local runner (FnApiRunner) keeps the output of every stage in memory until the next stage has read it,
in the launching process: a run's memory grows with its input (about 90 KB per ordinary article, 720 MiB at
8,000), and a 2 GB `.jsonl.gz` of articles would need tens of GB. So a local run over more than
--records_per_pass inputs runs the same graph once per pass over a slice of the inputs (whole files; a large
JSONL by ranges of its lines), every pass staging into the run's one staging folder and leaving a summary
(its staged files and counts). The run's one commit (pipeline.batch.finish_run) then publishes all passes
together: an article an earlier pass kept is a duplicate in a later one, as one from an earlier run is, and
near-copies are marked within a pass. Dataflow needs none of this (its shuffle spills to disk): it runs in one
pass, and so does any local run whose input fits one pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from pipeline.commit import FileSystems, join, staging_root, write_bytes_atomic
from pipeline.inputs import REGULAR

DEFAULT_RECORDS_PER_PASS = 5_000  # a pass of ordinary articles stays well under 1 GiB in the launching process


def is_jsonl(uri: str) -> bool:
    from pipeline.sources import format_of

    return format_of(uri)[0] == "jsonl"


def plan_passes(files: Iterable[dict], records_per_pass: int, count_lines: Callable[[dict], int]) -> list[list[dict]]:
    """Input files -> passes: lists of units of at most records_per_pass records each (a file that cannot be
    split, e.g. one HTML page, counts as one record). A JSONL file of more lines than that becomes ranges of
    lines (first_line/last_line; the last range runs to the end); a file that cannot be counted stays whole
    (reading it gives its errors row)."""
    units: list[tuple[dict, int]] = []
    for f in files:
        if f.get("kind") != REGULAR or not is_jsonl(f["uri"]):
            units.append((f, 1))
            continue
        try:
            lines = count_lines(f)
        except OSError:
            units.append((f, 1))
            continue
        if lines <= records_per_pass:
            units.append((f, max(lines, 1)))
            continue
        for first in range(1, lines + 1, records_per_pass):
            last = first + records_per_pass - 1
            units.append(({**f, "first_line": first, "last_line": last if last < lines else None},
                          min(records_per_pass, lines - first + 1)))
    passes: list[list[dict]] = []
    size = 0
    for unit, n in units:
        if not passes or size + n > records_per_pass:
            passes.append([])
            size = 0
        passes[-1].append(unit)
        size += n
    return passes


def summary_path(output: str, run_id: str, pass_no: int) -> str:
    return join(staging_root(output, run_id), f"pass-{pass_no:05d}.json")


def write_summary(output: str, run_id: str, pass_no: int, staged: list[str], counts: dict[str, int]) -> None:
    """What one pass left for the run's commit: its staged files and its counts (written last, atomically)."""
    body = json.dumps({"staged": sorted(staged), "counts": counts}, sort_keys=True).encode()
    write_bytes_atomic(summary_path(output, run_id, pass_no), body)


def read_summaries(output: str, run_id: str, passes: int) -> tuple[list[list[str]], dict[str, int]]:
    """(staged files per pass in pass order, counts summed over the passes)."""
    staged: list[list[str]] = []
    counts: dict[str, int] = {}
    for k in range(passes):
        with FileSystems.open(summary_path(output, run_id, k)) as fh:
            summary = json.loads(fh.read().decode("utf-8"))
        staged.append(summary["staged"])
        for name, value in summary["counts"].items():
            counts[name] = counts.get(name, 0) + value
    return staged, counts
