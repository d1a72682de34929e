"""Streaming benchmark on Google's Pub/Sub emulator: publish-to-visible-in-Parquet latency and throughput.

    .venv/bin/python bench/streaming_latency.py [--rate 2 --latency_messages 120 --backlog 200 --window_seconds 5]

Starts the emulator and `python -m pipeline run --streaming` (the local runner, as a user runs it),
then runs two phases against one pipeline:
  1. latency: messages published at a steady --rate; for each, the time from publish (the
     publish call's acknowledgement) to the moment its article row is visible in a Parquet file
     of articles/ (files are polled every 0.2 s). p50/p95/max are over the messages of the phase
     except its last --window_seconds * 2, whose window can only close when the runner's next
     pull returns (up to 30 s on an idle subscription; reported separately as the tail).
  2. throughput: --backlog messages published at once; sustained messages/s is measured between
     10% and 90% of them being visible, and the time for all of them is reported too.
Finally SIGTERM, and the time the drain takes. Article bodies are the bundled samples/txt articles,
each message made unique by an id and a reference sentence (else the dedup would drop them).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyarrow.parquet as pq  # noqa: E402

from pipeline.publish import payloads_from_file  # noqa: E402
from tests.emulator import create_topic_and_subscription, pubsub_emulator  # noqa: E402


def sample_articles(folder: Path) -> list[dict]:
    articles = []
    for path in sorted(folder.glob("*.txt")):
        for _, data, _ in payloads_from_file(str(path), path.read_bytes()):
            if data:
                articles.append(json.loads(data))
    return articles


class Visibility:
    """Polls OUTPUT/articles for new Parquet files and records when each article_id first appears."""

    def __init__(self, out: Path):
        self.out = out
        self.seen_files: set[Path] = set()
        self.visible_at: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            self.poll()
            time.sleep(0.2)

    def poll(self) -> None:
        now = time.time()
        for path in (self.out / "articles").glob("dt=*/*.parquet"):
            if path in self.seen_files:
                continue
            try:
                ids = pq.read_table(path, columns=["article_id"]).column("article_id").to_pylist()
            except OSError:
                continue  # being renamed into place
            self.seen_files.add(path)
            for i in ids:
                self.visible_at.setdefault(i, now)

    def wait_for(self, ids: list[str], timeout: float) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(i in self.visible_at for i in ids):
                return True
            time.sleep(0.2)
        return False


def publish_at_rate(topic: str, messages: list[tuple[str, bytes]], rate: float | None) -> dict[str, float]:
    """Publish (id, data) pairs, at `rate` per second or all at once; returns id -> acknowledged time."""
    from google.cloud import pubsub_v1

    client = pubsub_v1.PublisherClient()
    acked: dict[str, float] = {}
    lock = threading.Lock()
    futures = []
    start = time.time()
    for k, (ident, data) in enumerate(messages):
        if rate:
            delay = start + k / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        future = client.publish(topic, data)

        def done(_f, ident=ident):
            with lock:
                acked[ident] = time.time()

        future.add_done_callback(done)
        futures.append(future)
    for f in futures:
        f.result(timeout=120)
    client.stop()
    return acked


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=2, help="Messages per second in the latency phase.")
    parser.add_argument("--latency_messages", type=int, default=120)
    parser.add_argument("--backlog", type=int, default=200, help="Messages published at once in phase 2.")
    parser.add_argument("--window_seconds", type=int, default=5)
    parser.add_argument("--samples", default=str(ROOT / "samples" / "txt"), help="Folder of .txt articles.")
    parser.add_argument("--keep", action="store_true", help="Keep the output folder and the pipeline log.")
    args = parser.parse_args()

    bodies = sample_articles(Path(args.samples))
    if not bodies:
        print(f"no .txt articles in {args.samples}", file=sys.stderr)
        return 2

    def make(prefix: str, n: int) -> list[tuple[str, bytes]]:
        out = []
        for i in range(n):
            body = dict(bodies[i % len(bodies)])
            body["id"] = f"{prefix}-{i}"
            body["text"] = f"{body['text']}\n\nReference {prefix} {i}."
            out.append((body["id"], json.dumps(body).encode()))
        return out

    work = Path(tempfile.mkdtemp(prefix="stream-bench-"))
    out = work / "out"
    with pubsub_emulator():
        topic, sub = create_topic_and_subscription("news-bench", "articles", "articles-bench")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        log = (work / "pipeline.log").open("w")
        started = time.time()
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "run", "--input_subscription", sub, "--output", str(out),
             "--streaming", "--window_seconds", str(args.window_seconds)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            while "streaming run" not in (work / "pipeline.log").read_text():
                if proc.poll() is not None or time.time() - started > 120:
                    print((work / "pipeline.log").read_text()[-3000:], file=sys.stderr)
                    return 1
                time.sleep(0.2)
            print(f"pipeline up in {time.time() - started:.1f}s; window {args.window_seconds}s", flush=True)
            watcher = Visibility(out)
            watcher.thread.start()

            # 1. latency at a steady rate
            messages = make("lat", args.latency_messages)
            acked = publish_at_rate(topic, messages, args.rate)
            ids = [i for i, _ in messages]
            if not watcher.wait_for(ids, timeout=180):
                print(f"latency phase: only {sum(i in watcher.visible_at for i in ids)} of {len(ids)} visible",
                      file=sys.stderr)
                return 1
            tail_n = min(len(ids) - 1, int(args.rate * args.window_seconds * 2))
            latencies = [watcher.visible_at[i] - acked[i] for i in ids[: len(ids) - tail_n]]
            tail = [watcher.visible_at[i] - acked[i] for i in ids[len(ids) - tail_n:]]

            # 2. throughput on a backlog
            backlog = make("tp", args.backlog)
            t0 = time.time()
            publish_at_rate(topic, backlog, None)
            published_in = time.time() - t0
            bids = [i for i, _ in backlog]
            if not watcher.wait_for(bids, timeout=600):
                print(f"throughput phase: only {sum(i in watcher.visible_at for i in bids)} visible", file=sys.stderr)
                return 1
            times = sorted(watcher.visible_at[i] for i in bids)
            lo, hi = times[len(times) // 10], times[(len(times) * 9) // 10]
            sustained = (len(times) * 8 / 10) / max(hi - lo, 1e-6)
            all_in = times[-1] - t0

            t_stop = time.time()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=300)
            stop_seconds = time.time() - t_stop
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
        watcher.stop.set()
        summary = [line for line in (work / "pipeline.log").read_text().splitlines() if line.startswith("run ")]

    print(f"latency phase: {len(ids)} messages at {args.rate:g}/s, window {args.window_seconds}s")
    print(f"  publish -> visible in Parquet: p50 {percentile(latencies, 50):.2f}s  p95 "
          f"{percentile(latencies, 95):.2f}s  max {max(latencies):.2f}s  (n={len(latencies)})")
    print(f"  last {len(tail)} messages (window closed by the next pull): p50 {statistics.median(tail):.2f}s  "
          f"max {max(tail):.2f}s")
    print(f"throughput phase: {len(bids)} messages published in {published_in:.1f}s; sustained "
          f"{sustained:.1f} msg/s (10%-90% visible); all visible {all_in:.1f}s after the first publish")
    print(f"stop (SIGTERM -> exit {code}): {stop_seconds:.1f}s")
    for line in summary:
        print(f"pipeline: {line}")
    if args.keep:
        print(f"output and log kept in {work}")
    else:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
