#!/usr/bin/env python3
"""Peak memory of a whole local run over one large .jsonl.gz, per process: it must not grow with the input.

    python bench/run_memory.py --articles 6000 [--records_per_pass 2000] [--workers 2] [--keep DIR]

Writes a gzipped JSONL of ordinary articles (the bundled samples/txt articles, each made a distinct story by
its id and a sentence naming its number), runs `python -m pipeline run` over it, and samples every process of
the run (the launcher and Beam's worker processes) twice a second from /proc: each one's peak RSS (VmHWM) and
the sum over all processes at each instant. Prints the run's summary line, the passes, the seconds and those
peaks. A local run over more than --records_per_pass inputs runs in passes (pipeline/passes.py), so the
peaks depend on the pass size, not on the input's size: compare two sizes, or one size in one pass
(--records_per_pass larger than --articles) and in passes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, articles: int) -> int:
    texts = []
    for sample in sorted((ROOT / "samples" / "txt").glob("*.txt")):
        title, _, body = sample.read_text(encoding="utf-8").partition("\n")
        texts.append((title, body))
    with gzip.open(path, "wb", compresslevel=6) as fh:
        for n in range(articles):
            title, body = texts[n % len(texts)]
            text = f"{body}\n\nThis is report number {n} of the series, filed from desk {n % 97}."
            fh.write(json.dumps({"id": f"a{n}", "title": f"{title} ({n})", "text": text}).encode() + b"\n")
    return os.path.getsize(path)


def tree(pid: int) -> list[int]:
    """pid and all its descendants, from /proc/<pid>/task/*/children."""
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB ({} once it is gone)."""
    found = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    found[key] = int(value.split()[0])
    except OSError:
        return {}
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=6000)
    ap.add_argument("--records_per_pass", type=int, default=None, help="passed to the run (default: the run's)")
    ap.add_argument("--workers", type=int, default=2, help="--direct_num_workers")
    ap.add_argument("--keep", help="folder for the input and the output (default: a temporary folder, removed)")
    args = ap.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="run-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    feed = work / "in" / "feed.jsonl.gz"
    feed.parent.mkdir(exist_ok=True)
    size = write(feed, args.articles)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "pipeline", "run", "--input", str(feed), "--output", str(out),
           f"--direct_num_workers={args.workers}"]
    if args.records_per_pass:
        cmd += ["--records_per_pass", str(args.records_per_pass)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    peaks: dict[int, int] = {}
    peak_sum = 0
    while proc.poll() is None:
        now = 0
        for pid in tree(proc.pid):
            found = status(pid)
            if found:
                peaks[pid] = max(peaks.get(pid, 0), found.get("VmHWM", 0))
                now += found.get("VmRSS", 0)
        peak_sum = max(peak_sum, now)
        time.sleep(0.5)
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        print(stdout[-3000:], stderr[-3000:], file=sys.stderr)
        return proc.returncode
    summary = next((line for line in stdout.splitlines() if "inputs=" in line), stdout.strip())
    passes = next((line.split(": ", 1)[1] for line in stderr.splitlines() if " passes of at most " in line),
                  "1 pass")
    launcher = peaks.pop(proc.pid, 0)
    print(f"input: {args.articles} articles, {size / (1 << 20):.1f} MiB gzipped; {passes}")
    print(summary)
    print(f"seconds {seconds:.0f} ({args.articles / seconds:.1f} articles/s, {args.workers} workers)")
    print(f"peak RSS: launcher {launcher / 1024:.0f} MiB; largest worker "
          f"{max(peaks.values(), default=0) / 1024:.0f} MiB ({len(peaks)} worker processes); "
          f"all processes together {peak_sum / 1024:.0f} MiB")
    print(f"run_memory articles={args.articles} peak_process_mib={max([launcher, *peaks.values()]) / 1024:.0f} "
          f"peak_total_mib={peak_sum / 1024:.0f}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
