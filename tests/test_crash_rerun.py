"""A batch run killed with SIGKILL mid-write, then re-run, leaves exactly the tables of a clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.schemas import TABLES
from pipeline.sinks import read_table
from tests.conftest import ROOT, run_cli
from tests.corpus import mixed_corpus

VOLATILE = {"ingested_at"}  # differs between any two runs by definition


def snapshot(out: Path) -> dict[str, list[tuple]]:
    tables = {}
    for name in TABLES:
        table = read_table(str(out), name)
        cols = [c for c in table.column_names if c not in VOLATILE]
        tables[name] = sorted(map(repr, table.select(cols).to_pylist()))
    return tables


def kill_during_write(args: list[str], out: Path, timeout: float = 600) -> None:
    """Start the CLI and SIGKILL its whole process group as soon as the first table file appears."""
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    deadline = time.time() + timeout
    try:
        while time.time() < deadline and proc.poll() is None:
            if any(out.rglob("*.parquet")) or any(out.rglob(".part-*")):
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_kill_then_rerun_equals_uninterrupted_run(tmp_path):
    corpus = mixed_corpus(tmp_path / "in", n_good=300, n_dup=30)
    pattern = str(corpus.folder / "*")
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"

    assert run_cli("run", "--input", pattern, "--output", str(clean)).returncode == 0
    kill_during_write(["run", "--input", pattern, "--output", str(crashed)], crashed)

    # Readers never see a half-written file: every visible Parquet file is complete.
    for f in crashed.rglob("*.parquet"):
        pq.read_metadata(f)

    rerun = run_cli("run", "--input", pattern, "--output", str(crashed))
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert not list(crashed.rglob(".part-*")), "temporary files of the killed run were left behind"
    assert snapshot(crashed) == snapshot(clean)
