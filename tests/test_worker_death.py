"""A dead local worker never hangs the run: it exits non-zero within seconds, one clear line, nothing new
published; a worker killed while publishing leaves each table old or new, and the next run finishes it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux /proc")


def corpus(folder: Path, copies: int) -> Path:
    """The sample articles, many times over (distinct ids), as JSONL: enough NLP work to kill a worker in."""
    folder.mkdir()
    lines = []
    for path in sorted((SAMPLES / "txt").glob("*.txt")):
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        for k in range(copies):
            lines.append(json.dumps({"id": f"{path.stem}-{k}", "title": title, "text": f"{body}\n\nCopy {k}."}))
    (folder / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def start(*args: str, wrap: list[str] | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([*(wrap or []), sys.executable, "-m", "pipeline", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def children(pid: int) -> list[int]:
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            out += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return out


def workers(pid: int) -> list[int]:
    """The SDK worker processes under the launcher (Beam starts each through a shell)."""
    out = []
    for child in children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"sdk_worker_main" in cmdline:
            out += [g for g in workers(child)] or ([child] if not cmdline.startswith(b"/bin/sh") else [])
    return out


def annotated(out: Path) -> int:
    total = 0
    for f in out.glob("_staging/*/progress/annotated-*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(f.read_text().split()[0])
    return total


def visible(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.glob("*/dt=*/*.parquet"))


def test_a_worker_killed_mid_nlp_ends_the_run_quickly_and_publishes_nothing(tmp_path):
    inputs = corpus(tmp_path / "in", copies=12)
    out = tmp_path / "out"
    proc = start("run", "--input", str(inputs / "*.jsonl"), "--output", str(out), "--direct_num_workers=2",
                 "--nlp_batch_size=4")
    try:
        deadline = time.monotonic() + 240
        while annotated(out) == 0:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no article was annotated in time"
            time.sleep(0.2)
        victims = workers(proc.pid)
        assert victims
        os.kill(victims[0], signal.SIGKILL)
        killed_at = time.monotonic()
        stdout, stderr = proc.communicate(timeout=60)
        waited = time.monotonic() - killed_at
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    assert waited < 30
    # Beam may notice the closed channel first, or the watchdog the dead process: either way one line says so.
    assert ("worker process" in stderr and "died" in stderr) or "FAILED" in stderr
    assert "nothing of" in stderr and "was published" in stderr
    assert visible(out) == [] and not list(out.glob("_runs/*.json"))


@pytest.mark.skipif(not shutil.which("strace"), reason="strace is not installed (apt-get install strace)")
def test_a_worker_killed_while_publishing_leaves_old_or_new_and_the_next_run_finishes(tmp_path):
    inputs = corpus(tmp_path / "in", copies=1)
    out = tmp_path / "out"
    args = ["run", "--input", str(inputs / "*.jsonl"), "--output", str(out), "--direct_num_workers=2"]
    # The commit's second table switch is a symlink(2) call: kill whichever process makes it.
    proc = start(*args, wrap=["strace", "-f", "-o", os.devnull, "-e", "trace=symlink,symlinkat",
                              "-e", "inject=symlink,symlinkat:signal=SIGKILL:when=2"])
    try:
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0, stdout
    assert list(out.glob("_commit/*.json")), "the kill came after the commit point"
    assert "died" in stderr and "its commit had begun: the next run on this output finishes it" in stderr
    # Each table is its old (empty) or its new state; the next run rolls the commit forward first.
    tables = {t: os.path.islink(out / t) for t in ("articles", "entities", "quotes", "errors")}
    assert any(tables.values()) and not all(tables.values())
    again = start(*args)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr[-2000:]
    assert "finished the commit of 1 earlier run" in stderr
    assert "nothing new to ingest" in stdout
    assert all(os.path.islink(out / t) for t in tables)
    assert not list(out.glob("_commit/*.json")) and not list(out.glob("_staging/*"))
    assert len(list(out.glob("_runs/*.json"))) == 1
