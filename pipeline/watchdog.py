"""A local worker process that dies must not leave the launching process waiting forever.

Beam's local multi-process runner starts its SDK workers as child processes and waits on gRPC for them; when
one is killed (OOM, kill -9) nothing tells the launcher. The watchdog looks at the launcher's children every
second (Linux /proc): a worker that has exited with a failure status (a zombie whose exit code is not 0) ends the
run with one clear line and exit status 1. Nothing is published then: tables only change at the commit, and a
commit interrupted after its commit point is finished by the next run (pipeline.commit.recover).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

EXIT_CODE = 1


def _children(pid: int) -> list[int]:
    out = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as fh:
                out.extend(int(c) for c in fh.read().split())
    return out


def _status(pid: int) -> tuple[str, int] | None:
    """(state, exit code) of a process from /proc/PID/stat, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[49]) if len(fields) > 49 else 0  # field 52 of stat: exit_code (waitpid form)


class WorkerWatchdog:
    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="worker-watchdog", daemon=True)

    def start(self) -> None:
        if os.path.isdir("/proc"):
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            for pid in _children(os.getpid()):
                status = _status(pid)
                if status and status[0] == "Z" and status[1] != 0:
                    self._fail(pid, status[1])
                    return

    def _fail(self, pid: int, code: int) -> None:
        if self._stop.is_set():
            return
        how = f"killed by signal {code & 0x7F}" if code & 0x7F else f"exit status {code >> 8}"
        print(f"error: a pipeline worker process (pid {pid}) died ({how}); the run stops here and nothing of it "
              "was published", file=sys.stderr, flush=True)
        for child in _children(os.getpid()):
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)
        sys.stdout.flush()
        os._exit(EXIT_CODE)

