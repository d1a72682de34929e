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
    """Ends the run when a worker process dies before the job does.

    A worker is a child process of this one (Beam starts each through a shell). One that has exited with a
    failure status, or has vanished (something reaped it), while the job still runs is a death; `finished`
    tells a job that has just ended (its workers stop then) from one whose worker died, and `committing` whether
    the run had passed its commit point (pipeline.commit) when it did."""

    def __init__(self, finished=lambda: False, committing=lambda: False, interval: float = 1.0,
                 grace: float = 3.0):
        self.finished, self.committing, self.interval, self.grace = finished, committing, interval, grace
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="worker-watchdog", daemon=True)

    def start(self) -> None:
        if os.path.isdir("/proc"):
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        seen: set[int] = set()
        while not self._stop.wait(self.interval):
            current = set(_children(os.getpid()))
            dead = {pid: status[1] for pid in current if (status := _status(pid)) and status[0] == "Z"
                    and status[1] != 0}
            dead.update({pid: None for pid in seen - current})
            seen |= current
            if not dead:
                continue
            if self._stop.wait(self.grace) or self.finished():
                return  # the job ended: its workers were stopped, not killed
            pid, code = next(iter(dead.items()))
            self._fail(pid, code)
            return

    def _fail(self, pid: int, code: int | None) -> None:
        if code is None:
            how = "it is gone"
        else:
            how = f"killed by signal {code & 0x7F}" if code & 0x7F else f"exit status {code >> 8}"
        outcome = ("its commit had begun: the next run on this output finishes it first" if self.committing()
                   else "nothing of it was published")
        print(f"error: a pipeline worker process (pid {pid}) died ({how}); the run stops here and {outcome}",
              file=sys.stderr, flush=True)
        for child in _children(os.getpid()):
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)
        sys.stdout.flush()
        os._exit(EXIT_CODE)
