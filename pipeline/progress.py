"""Progress of a local batch run on stderr: a bar on a terminal, a log line every 30 s otherwise.

Beam's local runner reports metrics only when the job ends, so the workers leave small count files under the
run's staging folder (ROOT/_staging/<run id>/progress/, at most one write every 2 s per worker and step) and the
launching process sums them. On Dataflow the job's page shows progress; the files are then not written.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import uuid

import apache_beam as beam

from pipeline.commit import is_local, join, staging_root
from pipeline.ledger import source_file

PROGRESS_DIR = "progress"
WRITE_EVERY = 2.0
LOG_EVERY = 30.0


class CountProgress(beam.DoFn):
    """Pass-through that counts elements (and distinct input files) into this worker's progress file."""

    def __init__(self, output: str, run_id: str, what: str, files: bool = False):
        self.folder = join(staging_root(output, run_id), PROGRESS_DIR)
        self.what, self.files = what, files

    def setup(self):
        self._enabled = is_local(self.folder)
        self._path = join(self.folder, f"{self.what}-{os.getpid()}-{uuid.uuid4().hex[:6]}")
        self._count, self._seen, self._last = 0, set(), 0.0

    def process(self, element):
        self._count += len(element) if isinstance(element, list) else 1
        if self.files:
            self._seen.add(source_file(element["source_uri"]))
        if self._enabled and time.monotonic() - self._last > WRITE_EVERY:
            self._write()
        yield element

    def finish_bundle(self):
        if self._enabled:
            self._write()

    def _write(self) -> None:
        self._last = time.monotonic()
        with contextlib.suppress(OSError):
            os.makedirs(self.folder, exist_ok=True)
            tmp = self._path + ".tmp"
            with open(tmp, "w") as fh:
                fh.write(f"{self._count} {len(self._seen)}")
            os.replace(tmp, self._path)


def read_progress(output: str, run_id: str) -> dict[str, tuple[int, int]]:
    folder = join(staging_root(output, run_id), PROGRESS_DIR)
    out: dict[str, list[int]] = {}
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            if name.endswith(".tmp"):
                continue
            with contextlib.suppress(OSError, ValueError), open(join(folder, name)) as fh:
                count, files = (int(x) for x in fh.read().split())
                total = out.setdefault(name.split("-", 1)[0], [0, 0])
                total[0] += count
                total[1] += files
    return {k: (v[0], v[1]) for k, v in out.items()}


def progress_line(counts: dict[str, tuple[int, int]], total_files: int, elapsed: float) -> str:
    read, files = counts.get("read", (0, 0))
    done = counts.get("annotated", (0, 0))[0]
    rate = done / elapsed if elapsed > 0 else 0.0
    line = f"files read {min(files, total_files)}/{total_files}, articles annotated {done} of {read} read"
    if rate:
        line += f", {rate:.1f} articles/s"
        if files >= total_files and read > done:
            line += f", ETA {(read - done) / rate:.0f}s"
        elif files:
            line += f", ETA {elapsed * (total_files / files - 1) + (read - done) / rate:.0f}s"
    return line


class Progress:
    """Polls the workers' count files from the launching process while the job runs."""

    def __init__(self, output: str, run_id: str, total_files: int, stream=None):
        self.output, self.run_id, self.total_files = output, run_id, total_files
        self.stream = stream or sys.stderr
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="progress", daemon=True)
        self._bar = None

    def start(self) -> None:
        if is_local(self.output):
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        if self._bar is not None:
            self._bar.close()

    def _loop(self) -> None:
        started = last_log = time.monotonic()
        tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        if tty:
            from tqdm import tqdm

            self._bar = tqdm(total=self.total_files, unit="file", file=self.stream, desc="reading+annotating")
        while not self._stop.wait(1.0):
            counts = read_progress(self.output, self.run_id)
            elapsed = time.monotonic() - started
            line = progress_line(counts, self.total_files, elapsed)
            if self._bar is not None:
                self._bar.n = min(counts.get("read", (0, 0))[1], self.total_files)
                self._bar.set_postfix_str(line.split(", ", 1)[1] if ", " in line else "", refresh=True)
            elif time.monotonic() - last_log >= LOG_EVERY:
                last_log = time.monotonic()
                print(f"[progress] {line}", file=self.stream, flush=True)
