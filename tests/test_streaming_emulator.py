"""End to end against Google's Pub/Sub emulator: `run --streaming` as a user runs it.

A backlog is published (with the publish command) before the pipeline starts, more arrives while it
runs: 200 good articles in four event-time flavours, 20 duplicates (redeliveries and a republished
text under a new id) and 10 poison messages. The pipeline runs until every good article is in
Parquet, gets SIGTERM, and must exit 0 having written each good article exactly once, each poison
message to `errors` (with message id and attributes) and to the dead-letter topic, and a run record
that reconciles overall and per window. A 9.5 MB message (Pub/Sub takes up to 10 MB; the local
reader's default channel refused over 4 MB) among the live ones is pulled and becomes an errors row
with its first 1 MB, its size and sha256, since it is over --max_input_bytes.

The kill test SIGKILLs the run's process group at several moments (messages read but nothing written,
mid-stream after the first files, the instant a file is published), restarts it on the same
subscription each time, and finds every published message in the tables once, after a last run stops
cleanly: nothing acknowledged before it was written (pipeline/local_pubsub.py), and what a killed run had
published is not written again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.sinks import read_table
from tests.conftest import ROOT
from tests.corpus import article_text
from tests.emulator import create_topic_and_subscription, drain_subscription

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

PROJECT = "news-it"
WINDOW = 5
FILE_NAME = re.compile(r"^part-(\d{8}T\d{6}Z)-(\d{8}T\d{6}Z)-.+\.parquet$")
BIG_LIMIT = 8_000_000  # --max_input_bytes of the end-to-end run: the 9.5 MB message is over it
BAD_DATA = [b"{not json at all", b'{"title": "no body"}', b'{"text": "   "}', b'{"text": 17}', b"[1, 2, 3]",
            b'{"text": "x", "published_at": "not a date"}', b"\xff\xfe\xfa not utf-8"]


def stop(proc: subprocess.Popen, sig: int) -> int:
    """Ask the pipeline to stop the way a user would, and wait for it to flush and exit."""
    proc.send_signal(sig)
    return proc.wait(timeout=150)


def reap(proc: subprocess.Popen) -> None:
    """Kill the pipeline if a failed check left it running."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def rfc3339(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def article(i: int, rng: random.Random, **fields) -> dict:
    return {"id": f"it-{i}", "title": f"Story {i}", "text": article_text(i, rng), **fields}


def file_window(path: Path) -> tuple[dt.datetime, dt.datetime]:
    match = FILE_NAME.match(path.name)
    assert match, f"file name does not carry its window: {path}"
    start, end = (dt.datetime.strptime(g, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC) for g in match.groups())
    return start, end


def count_rows(root: Path, table: str) -> int:
    total = 0
    for path in (root / table).glob("dt=*/*.parquet"):
        with contextlib.suppress(OSError):  # being renamed into place right now
            total += pq.read_metadata(path).num_rows
    return total


def publish(topic: str, messages: list[tuple[bytes, dict[str, str]]]) -> list[str]:
    from google.cloud import pubsub_v1

    client = pubsub_v1.PublisherClient()
    ids = [f.result(timeout=60) for f in [client.publish(topic, data, **attrs) for data, attrs in messages]]
    client.stop()
    return ids


def test_streaming_end_to_end(pubsub_emulator_host, tmp_path):
    topic, sub = create_topic_and_subscription(PROJECT, "articles", "articles-pipeline")
    dead, dead_sub = create_topic_and_subscription(PROJECT, "dead-letters", "dead-letters-check")
    out = tmp_path / "out"
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)

    # Backlog, published before the pipeline starts, with the publish command (one JSONL file).
    old = [article(i, rng, published_at=rfc3339(now - dt.timedelta(days=3))) for i in range(60)]
    no_date = [article(i, rng) for i in range(60, 110)]
    backlog_lines = [json.dumps(a).encode() for a in old + no_date]
    backlog_lines += [json.dumps(a).encode() for a in old[:5] + no_date[:5]]  # 10 redeliveries
    backlog_lines += BAD_DATA
    backlog = tmp_path / "backlog.jsonl"
    backlog.write_bytes(b"\n".join(backlog_lines) + b"\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    published = subprocess.run([sys.executable, "-m", "pipeline", "publish", "--topic", topic, str(backlog),
                                "--attribute", "source=attr-wire"], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=120)
    assert published.returncode == 0, published.stderr
    assert f"published {len(backlog_lines)} message(s)" in published.stdout
    assert "publishing" in published.stderr  # the progress bar

    log_path = tmp_path / "pipeline.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "--log_level", "INFO", "run", "--input_subscription", sub,
             "--output", str(out), "--streaming", "--window_seconds", str(WINDOW), "--timestamp_attribute",
             "event_ts", "--dead_letter_topic", dead, "--max_input_bytes", str(BIG_LIMIT)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        # Live traffic while the pipeline runs, with per-message attributes.
        time.sleep(5)
        live_now = dt.datetime.now(dt.UTC)
        recent = [article(i, rng, published_at=rfc3339(live_now - dt.timedelta(seconds=90)), source="Own Wire")
                  for i in range(110, 160)]
        stamped = [article(i, rng) for i in range(160, 200)]
        stamp_ms = {a["id"]: int((live_now - dt.timedelta(seconds=30 + k % 7)).timestamp() * 1000)
                    for k, a in enumerate(stamped)}
        stamp = {i: dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC) for i, ms in stamp_ms.items()}
        live = [(json.dumps(a).encode(), {}) for a in recent]
        live += [(json.dumps(a).encode(), {"event_ts": str(stamp_ms[a["id"]])}) for a in stamped]
        # a 9.5 MB article between ordinary messages: pulled, too large for --max_input_bytes, an errors row
        big = json.dumps({"id": "big-1", "title": "Big", "text": "word " * 1_900_000}).encode()
        assert 9_400_000 < len(big) < 10_000_000
        live.insert(len(live) // 2, (big, {"case": "big"}))
        publish(topic, live)
        # Then the copies (after their originals: the first copy to arrive is the one kept) and poison.
        again = [(json.dumps(a).encode(), {}) for a in recent[:5]]  # redeliveries of live messages
        again += [(json.dumps(dict(a, id=f"copy-{a['id']}")).encode(), {}) for a in stamped[:5]]  # same text
        bad_live = [(json.dumps(article(900, rng)).encode(), {"event_ts": "next tuesday", "case": "bad-ts"}),
                    (b"", {"case": "empty-data"}),
                    (json.dumps({"text": "x", "authors": {"a": 1}}).encode(), {"case": "bad-authors"})]
        again_ids = publish(topic, again + bad_live)
        bad_ids = set(again_ids[len(again):])
        live += again

        goods = {a["id"]: a for a in old + no_date + recent + stamped}
        n_bad = len(BAD_DATA) + len(bad_live) + 1  # + the big one
        n_duplicates = 10 + 5 + 5
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if count_rows(out, "articles") >= len(goods) and count_rows(out, "errors") >= n_bad:
                break
            time.sleep(1)
        assert proc.poll() is None, f"the pipeline exited early:\n{log_path.read_text()[-5000:]}"
        assert count_rows(out, "articles") >= len(goods), f"not all articles written:\n{log_path.read_text()[-5000:]}"
        code = stop(proc, signal.SIGTERM)
    finally:
        reap(proc)
    output = log_path.read_text()
    assert code == 0, output[-5000:]

    # articles: each good article exactly once, from its Pub/Sub message, attributes merged as fields.
    articles = read_table(str(out), "articles").to_pylist()
    ids = [a["article_id"] for a in articles]
    assert len(ids) == len(set(ids)) == len(goods)
    assert set(ids) == set(goods)
    by_id = {a["article_id"]: a for a in articles}
    assert all(re.fullmatch(rf"pubsub://{re.escape(sub)}/\d+", a["source_uri"]) for a in articles)
    assert {by_id[i]["source"] for i in [a["id"] for a in old + no_date]} == {"attr-wire"}
    assert {by_id[a["id"]]["source"] for a in recent} == {"Own Wire"}
    assert all(a["nlp_status"] == "ok" for a in articles)

    # entities and quotes: rows of written articles only, none written twice.
    for table in ("entities", "quotes"):
        rows = read_table(str(out), table).to_pylist()
        assert rows and {r["article_id"] for r in rows} <= set(ids)
        keys = [(r["article_id"], r["start_char"], r["end_char"], r.get("label") or r.get("kind")) for r in rows]
        assert len(keys) == len(set(keys)), f"{table} rows written twice"
        for r in rows:
            assert by_id[r["article_id"]]["text"][r["start_char"]:r["end_char"]]
    quoted = {r["article_id"] for r in read_table(str(out), "quotes").to_pylist()}
    assert len(quoted) >= 0.9 * len(goods)

    # errors: every poison message, with its message id, attributes and whole payload.
    errors = read_table(str(out), "errors").to_pylist()
    assert len(errors) == n_bad
    assert all(e["message_id"] and e["source_uri"] == f"pubsub://{sub}/{e['message_id']}" for e in errors)
    assert {e["payload"] for e in errors} >= set(BAD_DATA)
    assert bad_ids <= {e["message_id"] for e in errors}
    by_case = {dict(e["attributes"] or {}).get("case"): e for e in errors}
    assert by_case["bad-ts"]["stage"] == "read" and "timestamp attribute" in by_case["bad-ts"]["error"]
    assert by_case["empty-data"]["payload"] == b""
    big_row = by_case["big"]
    assert big_row["stage"] == "parse" and "--max_input_bytes" in big_row["error"]
    assert big_row["payload"] == big[:1_000_000] and big_row["payload_truncated"]
    assert big_row["payload_bytes"] == len(big) and big_row["payload_sha256"] == hashlib.sha256(big).hexdigest()
    assert all(not e["payload_truncated"] and e["payload_bytes"] == len(e["payload"]) for e in errors
               if e is not big_row)
    assert all(dict(e["attributes"])["source"] == "attr-wire" for e in errors if e["payload"] in BAD_DATA)

    # the dead-letter topic got the same messages
    dead_letters = drain_subscription(dead_sub)
    assert sorted(m.attributes["original_message_id"] for m in dead_letters) == sorted(e["message_id"] for e in errors)
    assert all(m.attributes["error_stage"] and m.attributes["error"] for m in dead_letters)

    # windowed files: named after their window, rows in the window of their event time.
    files = sorted((out / "articles").glob("dt=*/*.parquet"))
    for path in files:
        start, end = file_window(path)
        assert end - start == dt.timedelta(seconds=WINDOW)
        for row in pq.read_table(path).to_pylist():
            assert path.parent.name == f"dt={(row['published_at'] or row['ingested_at']).date()}"
            event = None
            if row["article_id"] in stamp:
                event = stamp[row["article_id"]]
            elif row["article_id"] in {a["id"] for a in recent}:
                event = row["published_at"]
            elif row["article_id"] in {a["id"] for a in old}:
                assert not start <= row["published_at"] < end  # 3 days late: windowed by arrival
                assert start <= row["ingested_at"]
            if event is not None:
                assert start <= event < end, (path.name, row["article_id"], event)
    assert not (out / "_temp").exists() or not any(p.is_file() for p in (out / "_temp").rglob("*"))

    # the run record reconciles, overall and per window
    records = list((out / "_runs").glob("run-*.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text())
    counts = record["counts"]
    assert counts["inputs"] == len(backlog_lines) + len(live) + len(bad_live)
    assert (counts["articles"], counts["errors"], counts["duplicates"]) == (len(goods), n_bad, n_duplicates)
    assert counts["dead_letters_published"] == n_bad and counts["files_missing"] == 0
    assert counts["acknowledged"] == counts["inputs"]  # each message acknowledged, once written
    assert drain_subscription(sub) == []
    assert record["unflushed"] == 0 and record["stopped_by"] == "SIGTERM"
    assert record["windows"] and all(w["reconciles"] for w in record["windows"])
    assert sum(w["inputs"] for w in record["windows"]) == counts["inputs"]
    assert "[OK]" in output


def test_ctrl_c_flushes_what_was_read(pubsub_emulator_host, tmp_path):
    """Ctrl-C while rows sit in open windows: the pulls stop, what was read is written, the rest stays
    in the subscription for the next run; nothing is lost or written twice."""
    # a 10 s ack deadline under 20 s windows: messages wait in open windows longer than their deadline, and
    # must not come back (their deadlines are extended while they wait)
    topic, sub = create_topic_and_subscription(PROJECT, "drain", "drain-pipeline", ack_deadline_seconds=10)
    rng = random.Random(11)
    now = dt.datetime.now(dt.UTC)
    arts = {f"it-{i}": article(i, rng, published_at=rfc3339(now)) for i in range(300, 360)}
    publish(topic, [(json.dumps(a).encode(), {}) for a in arts.values()])
    out = tmp_path / "out"
    log_path = tmp_path / "pipeline.log"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "run", "--input_subscription", sub, "--output", str(out),
             "--streaming", "--window_seconds", "20"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while "[streaming] read=" not in log_path.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text()[-5000:]
            time.sleep(0.2)
        code = stop(proc, signal.SIGINT)  # first messages are read, their 20 s window is still open
    finally:
        reap(proc)
    output = log_path.read_text()
    assert code == 0, output[-5000:]
    assert "SIGINT: flushing" in output and "[OK]" in output

    record = json.loads(next((out / "_runs").glob("run-*.json")).read_text())
    read = record["counts"]["inputs"]
    assert read > 0 and record["unflushed"] == 0 and record["stopped_by"] == "SIGINT"
    assert record["counts"]["redelivered_in_run"] == 0 and record["counts"]["duplicates"] == 0
    assert record["counts"]["acknowledged"] == read
    written = read_table(str(out), "articles").column("article_id").to_pylist()
    assert len(written) == len(set(written)) == read == record["counts"]["articles"]
    left = [json.loads(m.data)["id"] for m in drain_subscription(sub)]
    assert sorted(written + left) == sorted(arts)


def _start(sub: str, out: Path, log_path: Path, window: int) -> subprocess.Popen:
    """The streaming run in a process group of its own, so that a SIGKILL takes all of it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with log_path.open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline", "run", "--input_subscription", sub, "--output", str(out),
             "--streaming", "--window_seconds", str(window)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _files(out: Path) -> set[Path]:
    return set((out / "articles").glob("dt=*/*.parquet"))


def _wait(check, proc: subprocess.Popen, log_path: Path, timeout: float, poll: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert proc.poll() is None, f"the run exited early:\n{log_path.read_text()[-5000:]}"
        assert time.monotonic() < deadline, f"timed out:\n{log_path.read_text()[-5000:]}"
        time.sleep(poll)


def test_sigkill_at_any_moment_loses_no_message(pubsub_emulator_host, tmp_path):
    """At least once: three runs SIGKILLed at different moments, each restarted on the same subscription,
    then a fourth stopped cleanly. Every published article is in articles/ with its quotes, and no row twice:
    what a killed run published but had not acknowledged comes back, and the restarted run leaves those rows
    out (counted as duplicates, `crash_copies_removed`). Nothing is left in the subscription."""
    topic, sub = create_topic_and_subscription(PROJECT, "kill", "kill-pipeline", ack_deadline_seconds=10)
    out = tmp_path / "out"
    rng = random.Random(23)
    arts = {f"it-{i}": article(i, rng) for i in range(500, 560)}
    batches = [list(arts.values())[k:k + 20] for k in (0, 20, 40)]
    publish(topic, [(json.dumps(a).encode(), {}) for a in batches[0]])
    window = 4

    # 1. killed once messages are read, before any file is written
    log1 = tmp_path / "run1.log"
    proc = _start(sub, out, log1, window)
    try:
        _wait(lambda: "[streaming] read=" in log1.read_text(), proc, log1, 120)
        assert not _files(out)
        _kill(proc)
        # 2. restarted; more arrives; killed mid-stream, just after its first file
        publish(topic, [(json.dumps(a).encode(), {}) for a in batches[1]])
        log2 = tmp_path / "run2.log"
        proc = _start(sub, out, log2, window)
        _wait(lambda: _files(out), proc, log2, 150)
        time.sleep(1.0)
        _kill(proc)
        # 3. restarted; more arrives; killed the instant a new file is published
        publish(topic, [(json.dumps(a).encode(), {}) for a in batches[2]])
        before = _files(out)
        log3 = tmp_path / "run3.log"
        proc = _start(sub, out, log3, window)
        _wait(lambda: _files(out) - before, proc, log3, 150, poll=0.01)
        _kill(proc)
        # 4. restarted and left to finish, then stopped cleanly
        log4 = tmp_path / "run4.log"
        proc = _start(sub, out, log4, window)
        # (articles alone would not do: a killed run may have published an article but not its quotes, and
        # not acknowledged it; the message comes back once its lease runs out)
        _wait(lambda: all(set(arts) <= set(read_table(str(out), t).column("article_id").to_pylist())
                          for t in ("articles", "quotes")), proc, log4, 180, poll=1.0)
        code = stop(proc, signal.SIGTERM)
    finally:
        reap(proc)
    output = log4.read_text()
    assert code == 0, output[-5000:]

    articles = read_table(str(out), "articles").to_pylist()
    ids = [a["article_id"] for a in articles]
    assert set(ids) == set(arts)  # nothing lost
    quoted = {q["article_id"] for q in read_table(str(out), "quotes").to_pylist()}
    assert quoted == set(arts)  # every article's quotes too (acked only once they were published)
    records = [json.loads(p.read_text()) for p in (out / "_runs").glob("run-*.json")]
    assert len(records) == 1  # the killed runs wrote none
    record = records[0]
    assert record["unflushed"] == 0 and "[OK]" in output
    # No row twice: each restarted run left out what the killed runs had published and not acknowledged
    # (DropCrashCopies), counting those messages as duplicates; articles, entities and quotes alike.
    assert len(ids) == len(set(ids)), "an article written twice after a crash"
    for table in ("entities", "quotes"):
        rows = read_table(str(out), table).to_pylist()
        keys = [(r["article_id"], r["start_char"], r["end_char"], r.get("label") or r.get("kind")) for r in rows]
        assert len(keys) == len(set(keys)), f"{table} rows written twice after a crash"
    run_id = record["run_id"]
    by_run: dict[str, set[str]] = {}
    for path in (out / "articles").glob("dt=*/*.parquet"):
        owner = "last" if run_id in path.name else "killed"
        by_run.setdefault(owner, set()).update(pq.read_table(path).column("source_uri").to_pylist())
    assert by_run.get("last", set()).isdisjoint(by_run.get("killed", set()))
    counts = record["counts"]
    # the last run's redelivered copies of what killed runs published: left out, counted as duplicates
    assert counts["crash_copies_removed"] <= counts["redelivered_written"] <= counts["inputs"]
    assert (counts["crash_copies_removed"] > 0) == (counts["redelivered_written"] > 0)
    assert counts["duplicates"] == counts["crash_copies_removed"]  # no other duplicates were published
    assert counts["inputs"] == counts["articles"] + counts["errors"] + counts["duplicates"]
    assert counts["acknowledged"] == counts["inputs"]
    assert drain_subscription(sub) == []


def test_outage_then_deleted_subscription(pubsub_emulator_host, tmp_path):
    """Pub/Sub unresponsive for a while (the emulator frozen): the run says so on stderr, retries with backoff
    and, once it answers again, goes on without losing a message. Then the subscription is deleted: the run
    exits non-zero with one line saying so."""
    from google.cloud import pubsub_v1

    from tests.emulator import pause, resume

    topic, sub = create_topic_and_subscription(PROJECT, "outage", "outage-pipeline", ack_deadline_seconds=10)
    out = tmp_path / "out"
    rng = random.Random(31)
    arts = {f"it-{i}": article(i, rng) for i in range(600, 630)}
    first, second = list(arts.values())[:15], list(arts.values())[15:]
    log_path = tmp_path / "run.log"
    proc = _start(sub, out, log_path, 4)

    def written() -> set[str]:
        return set(read_table(str(out), "articles").column("article_id").to_pylist()) if _files(out) else set()

    try:
        publish(topic, [(json.dumps(a).encode(), {}) for a in first])
        _wait(lambda: {a["id"] for a in first} <= written(), proc, log_path, 150, poll=0.5)
        publish(topic, [(json.dumps(a).encode(), {}) for a in second])  # in the subscription, not yet read
        pause(pubsub_emulator_host)
        try:
            _wait(lambda: "Pub/Sub unreachable" in log_path.read_text(), proc, log_path, 60, poll=0.5)
        finally:
            resume(pubsub_emulator_host)
        _wait(lambda: set(arts) <= written(), proc, log_path, 150, poll=0.5)
        # Messages pulled just before the freeze can be written before the next pull succeeds and says so.
        _wait(lambda: "Pub/Sub reachable again" in log_path.read_text(), proc, log_path, 60, poll=0.5)
        with pubsub_v1.SubscriberClient() as admin:
            admin.delete_subscription(subscription=sub)
        code = proc.wait(timeout=60)
    finally:
        reap(proc)
    output = log_path.read_text()
    assert code != 0, output[-3000:]
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert lines == [lines[0]] and f"subscription {sub} does not exist" in lines[0], output[-3000:]
    ids = read_table(str(out), "articles").column("article_id").to_pylist()
    assert sorted(ids) == sorted(arts)  # nothing lost, nothing twice
