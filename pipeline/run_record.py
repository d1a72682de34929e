"""The run record: a small JSON file per run beside the tables, and the summary printed from it.

It is what makes "no input is ever lost" checkable: inputs = articles + errors + duplicates.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
from importlib import metadata
from typing import Any

from pipeline import __version__, pipeline_version
from pipeline.commit import RUNS_DIR, FileSystems, join, write_bytes_atomic

COUNTED = ("inputs", "articles", "errors", "duplicates")


def versions() -> dict[str, str]:
    """Installed versions, read from package metadata (importing spaCy only for this would slow launches)."""
    return {"pipeline": __version__, "pipeline_version": pipeline_version(),
            "apache_beam": metadata.version("apache-beam"), "spacy": metadata.version("spacy"),
            "pyarrow": metadata.version("pyarrow"), "python": platform.python_version()}


def reconciles(counts: dict[str, int]) -> bool:
    return counts["inputs"] == counts["articles"] + counts["errors"] + counts["duplicates"]


def summary_line(record: dict[str, Any]) -> str:
    c = record["counts"]
    verdict = "OK" if reconciles(c) else "MISMATCH"
    clashes = f"id_clashes={c['id_clashes']}  " if c.get("id_clashes") else ""  # different stories, one id
    return (f"inputs={c['inputs']} = articles={c['articles']} + errors={c['errors']} + "
            f"duplicates={c['duplicates']} [{verdict}]  entities={c.get('entities', 0)} "
            f"quotes={c.get('quotes', 0)}  "
            f"{clashes}"
            f"files={record.get('files_written', 0)}  "
            f"seconds={record.get('seconds', 0):.1f}")


def record_path(run_id: str) -> str:
    """The record of a run, relative to the output root."""
    return f"{RUNS_DIR}/run-{run_id}.json"


def encode(record: dict[str, Any]) -> bytes:
    """A record as its file holds it (the batch commit publishes these bytes with the tables)."""
    return json.dumps(record, indent=1, default=str).encode("utf-8")


def write_record(root: str, record: dict[str, Any]) -> str:
    """Write a record whole or not at all (a full disk leaves no empty record behind)."""
    path = join(root, record_path(record["run_id"]))
    write_bytes_atomic(path, encode(record))
    return path


def read_record(path: str) -> dict[str, Any]:
    with FileSystems.open(path) as fh:
        return json.loads(fh.read().decode("utf-8"))


def new_run_id(run_key: str) -> str:
    return f"{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{run_key}"


def stage_seconds(result) -> dict[str, float]:
    """Seconds per timed stage (counters named *_ms in the pipeline's namespace), summed over workers."""
    from apache_beam.metrics.metric import MetricsFilter

    from transforms.records import METRICS_NAMESPACE as NAMESPACE

    counters = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]
    out: dict[str, float] = {}
    for c in counters:
        if c.key.metric.name.endswith("_ms"):
            name = c.key.metric.name[: -len("_ms")]
            out[name] = out.get(name, 0.0) + (c.committed or c.attempted or 0) / 1000
    return dict(sorted(out.items()))
