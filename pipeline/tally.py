"""Counts of a streaming run that its driver can read while the pipeline runs.

Every count is also a Beam metric (what Dataflow shows). The local driver cannot rely on those:
BundleBasedDirectRunner (Beam 2.77) keeps only the first bundle's metric updates per step and
worker thread (its state sampler caches the ScopedState, and with it the first bundle's metrics
container), so `result.metrics()` undercounts a stream. That runner runs every step in the driver's
process, so a process-local tally keyed by run id is exact there; on a distributed runner it is
simply not read.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from apache_beam.metrics import Metrics

from transforms.records import METRICS_NAMESPACE as NAMESPACE

_LOCK = threading.Lock()
_COUNTS: defaultdict[str, Counter] = defaultdict(Counter)
# Outcome listeners by run id: the local runner's Pub/Sub adapter (pipeline/local_pubsub.py) learns here
# which messages' rows are published, to acknowledge them. Nothing listens on a distributed runner.
_LISTENERS: dict[str, Callable[[str, list], None]] = {}


class Tally:
    """Picklable handle that DoFns count through: a Beam metric plus the local tally of run_id."""

    def __init__(self, run_id: str | None):
        self.run_id = run_id

    def inc(self, name: str, n: int = 1, metric: bool = True) -> None:
        """metric=False for high-cardinality names (per window) that should not become Beam metrics."""
        if metric:
            Metrics.counter(NAMESPACE, name).inc(n)
        if self.run_id:
            with _LOCK:
                _COUNTS[self.run_id][name] += n


    def report(self, kind: str, keys: Iterable) -> None:
        """Tell this run's listener (if any, in this process) about an outcome: kind and the keys it concerns."""
        listener = _LISTENERS.get(self.run_id) if self.run_id else None
        if listener is not None:
            listener(kind, list(keys))

    @property
    def listened(self) -> bool:
        return bool(self.run_id) and self.run_id in _LISTENERS


def listen(run_id: str, listener: Callable[[str, list], None]) -> None:
    _LISTENERS[run_id] = listener


def unlisten(run_id: str) -> None:
    _LISTENERS.pop(run_id, None)


def snapshot(run_id: str) -> dict[str, int]:
    with _LOCK:
        return dict(_COUNTS.get(run_id, {}))


def forget(run_id: str) -> None:
    with _LOCK:
        _COUNTS.pop(run_id, None)
