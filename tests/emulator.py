"""Google's Pub/Sub emulator as a context manager: started on a free 127.0.0.1 port, stopped by PID.

Started directly rather than through `gcloud beta emulators pubsub start`, which looks up Google
hosts and leaves the JVM running when it is interrupted. Used by the integration tests and by
bench/streaming_latency.py.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

EMULATOR_BIN = Path(os.environ.get(
    "PUBSUB_EMULATOR_BIN", "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"))
READY_LINE = "Server started"
_RUNNING: dict[str, subprocess.Popen] = {}  # host:port -> the emulator's launcher (its process group)


class EmulatorError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGKILL it when the process that started it dies, so a test run
    killed by a CI timeout (no `finally`) does not leave a JVM behind. The launcher execs java, which
    keeps this setting."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop the emulator's whole process group (the launcher script starts a JVM as a child)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGCONT)  # a paused emulator handles no SIGTERM
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass


@contextmanager
def pubsub_emulator(startup_timeout: float = 60) -> Iterator[str]:
    """Yield 'host:port' of a running emulator; PUBSUB_EMULATOR_HOST is set while it runs."""
    if not EMULATOR_BIN.exists():
        raise EmulatorError(
            f"Pub/Sub emulator not found at {EMULATOR_BIN}. Install it with "
            "`apt-get install google-cloud-cli-pubsub-emulator` (or `gcloud components install pubsub-emulator`), "
            "or point PUBSUB_EMULATOR_BIN at the cloud-pubsub-emulator launcher.")
    port = free_port()
    host = f"127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="pubsub-emulator-", suffix=".log", delete=False)  # noqa: SIM115
    env = dict(os.environ, JAVA_OPTS=os.environ.get("JAVA_OPTS", "-Xmx256m"))
    proc = subprocess.Popen([str(EMULATOR_BIN), "--host=127.0.0.1", f"--port={port}"], stdout=log,
                            stderr=subprocess.STDOUT, env=env, start_new_session=True, preexec_fn=_die_with_parent)
    previous = os.environ.get("PUBSUB_EMULATOR_HOST")
    try:
        _wait_ready(proc, Path(log.name), startup_timeout)
        os.environ["PUBSUB_EMULATOR_HOST"] = host
        _RUNNING[host] = proc
        yield host
    finally:
        _RUNNING.pop(host, None)
        if previous is None:
            os.environ.pop("PUBSUB_EMULATOR_HOST", None)
        else:
            os.environ["PUBSUB_EMULATOR_HOST"] = previous
        _stop(proc)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def pause(host: str) -> None:
    """Freeze the emulator (SIGSTOP to its process group): clients see a server that does not answer, as in a
    network outage, and its messages are all there again after resume()."""
    os.killpg(_RUNNING[host].pid, signal.SIGSTOP)


def resume(host: str) -> None:
    os.killpg(_RUNNING[host].pid, signal.SIGCONT)


def _wait_ready(proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if READY_LINE in text:
            return
        if proc.poll() is not None:
            raise EmulatorError(f"Pub/Sub emulator exited with code {proc.returncode} before it was ready:\n"
                                f"{text[-3000:]}")
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:]
    _stop(proc)
    raise EmulatorError(f"Pub/Sub emulator did not log {READY_LINE!r} within {timeout:.0f}s:\n{tail}")


def create_topic_and_subscription(project: str, topic: str, subscription: str | None = None,
                                  ack_deadline_seconds: int = 60) -> tuple[str, str | None]:
    """Create a topic (and a subscription on it) on the emulator; returns their full paths."""
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    topic_path = publisher.topic_path(project, topic)
    publisher.create_topic(name=topic_path)
    sub_path = None
    if subscription:
        with pubsub_v1.SubscriberClient() as subscriber:
            sub_path = subscriber.subscription_path(project, subscription)
            subscriber.create_subscription(name=sub_path, topic=topic_path, ack_deadline_seconds=ack_deadline_seconds)
    return topic_path, sub_path


def drain_subscription(subscription: str, idle_seconds: float = 2.0, max_messages: int = 1000) -> list:
    """Pull and ack everything a subscription holds (until it stays empty for idle_seconds)."""
    from google.cloud import pubsub_v1

    got: list = []
    lock = threading.Lock()
    with pubsub_v1.SubscriberClient() as subscriber:
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < idle_seconds and len(got) < max_messages:
            response = subscriber.pull(subscription=subscription, max_messages=100, timeout=idle_seconds)
            if response.received_messages:
                with lock:
                    got.extend(rm.message for rm in response.received_messages)
                subscriber.acknowledge(subscription=subscription,
                                       ack_ids=[rm.ack_id for rm in response.received_messages])
                idle_since = time.monotonic()
    return got
