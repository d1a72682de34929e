"""Streaming benchmark on Google's Pub/Sub emulator: throughput, publish-to-visible latency, memory, and the
batch pipeline's articles/s on the same articles for comparison.

    .venv/bin/python bench/streaming_latency.py [--backlog 2000 --rate 4 --latency_messages 120 --window_seconds 5]

Starts the emulator and `python -m pipeline run --streaming` (the local runner, as a user runs it):
  1. backlog: --backlog messages are in the subscription before the pipeline starts; throughput is
     backlog / (time from the pipeline being up to the last article visible in Parquet), and the rate
     between 10% and 90% of them visible when they did not all land in one window's file;
  2. steady rate: --latency_messages published at --rate per second; for each, the time from publish
     (the publish call's acknowledgement) to its article row being visible in a Parquet file of articles/
     (files polled every 0.2 s). p50/p95/max over all of them, and whether the stream kept up;
Then SIGTERM, and the time the drain takes; the pipeline's resident memory (VmRSS) when it was up,
after the backlog and at the end. Last, the batch pipeline (`run --input` on a JSONL file of the
backlog's articles) on the same machine, for its articles/s. Article bodies are the bundled
samples/txt articles, each message made unique by an id and a reference sentence (else the dedup
would drop them).

    .venv/bin/python bench/streaming_latency.py --soak 20000 [--dedup_horizon_seconds 60 --allowed_lateness_seconds 60]

Soak instead: N short articles full of words never seen before, from a backlog; the pipeline's RSS when it
is up, at every 10% of them visible and at the end (issue 17 asks for a flat line; see docs/performance.md).
The local runner keeps per-key state in memory for as long as the stream may still need it: two dedup keys per
article for --dedup_horizon_seconds and a near-copy join key per article for --allowed_lateness_seconds past
its window; shorten both to see the line flat within a soak.
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

    def wait_for(self, ids: list[str], timeout: float, proc: subprocess.Popen | None = None) -> bool:
        """True once every id is visible; False after `timeout`, or once `proc` (the pipeline) has exited."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(i in self.visible_at for i in ids):
                return True
            if proc is not None and proc.poll() is not None:
                print(f"the pipeline exited ({proc.returncode}) before all were visible", file=sys.stderr)
                return False
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


def rss_mib(pid: int) -> float:
    """Resident memory of a process (VmRSS), in MiB; 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def batch_rate(articles: list[tuple[str, bytes]], work: Path) -> tuple[float, float]:
    """(articles/s, seconds) of the batch pipeline on the same articles, as a user runs it."""
    path = work / "batch.jsonl"
    path.write_bytes(b"\n".join(data for _, data in articles) + b"\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.time()
    done = subprocess.run([sys.executable, "-m", "pipeline", "run", "--input", str(path), "--output",
                           str(work / "batch-out")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.time() - t0
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        return 0.0, seconds
    return len(articles) / seconds, seconds


def start_stream(sub: str, out: Path, work: Path, window_seconds: int, *options: str):
    """The streaming CLI on `sub` as a child process, its output in WORK/pipeline.log: (process, open log)."""
    log = (work / "pipeline.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", "--input_subscription", sub, "--output", str(out),
         "--streaming", "--window_seconds", str(window_seconds), *options],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=log, stderr=subprocess.STDOUT, text=True)
    return proc, log


def wait_until_up(proc: subprocess.Popen, work: Path, timeout: float | None = None) -> bool:
    """Wait for the run's start line; False (its log's tail printed) if it exits first or `timeout` passes."""
    started = time.time()
    while "streaming run" not in (work / "pipeline.log").read_text():
        if proc.poll() is not None or (timeout is not None and time.time() - started > timeout):
            print((work / "pipeline.log").read_text()[-3000:], file=sys.stderr)
            return False
        time.sleep(0.2)
    return True


def soak(n: int, window_seconds: int, keep: bool, dedup_horizon_seconds: int | None = None,
         allowed_lateness_seconds: int | None = None) -> int:
    """--soak N: N short articles, each with words never seen before (a long-running worker's vocabulary would
    grow with every one without nlp.memory_zone), streamed from a backlog; the pipeline's RSS when it is up,
    every 10% of the articles visible, and at the end."""
    people = ["Ana Ruiz", "Tom Becker", "Li Wei", "Sara Nilsson", "Omar Haddad", "Grace Mensah"]
    messages = []
    for i in range(n):
        person = people[i % len(people)]
        text = (f"{person} opened the Vantrexo{i} bridge in Ulmbridge{i} on Monday.\n\n"
                f"“The Quintavell{i} plan took years,” {person.split()[-1]} said.")
        messages.append((f"soak-{i}", json.dumps({"id": f"soak-{i}", "title": f"Bridge {i}", "text": text}).encode()))
    work = Path(tempfile.mkdtemp(prefix="stream-soak-"))
    out = work / "out"
    with pubsub_emulator():
        topic, sub = create_topic_and_subscription("news-soak", "articles", "articles-soak")
        t0 = time.time()
        publish_at_rate(topic, messages, None)
        print(f"soak: {n} short articles published in {time.time() - t0:.1f}s", flush=True)
        options = [f"--dedup_horizon_seconds={dedup_horizon_seconds}"] if dedup_horizon_seconds else []
        if allowed_lateness_seconds is not None:
            options.append(f"--allowed_lateness_seconds={allowed_lateness_seconds}")
        proc, log = start_stream(sub, out, work, window_seconds, *options)
        try:
            if not wait_until_up(proc, work):
                return 1
            up = time.time()
            print(f"soak: pipeline up, RSS {rss_mib(proc.pid):.0f} MiB", flush=True)
            watcher = Visibility(out)
            watcher.thread.start()
            step = max(1, n // 10)
            next_mark = step
            while len(watcher.visible_at) < n:
                if proc.poll() is not None:
                    print("soak: the pipeline exited early", file=sys.stderr)
                    return 1
                if len(watcher.visible_at) >= next_mark:
                    seen = len(watcher.visible_at)
                    print(f"soak: {seen} visible after {time.time() - up:.0f}s "
                          f"({seen / (time.time() - up):.1f}/s), RSS {rss_mib(proc.pid):.0f} MiB", flush=True)
                    next_mark += step
                time.sleep(1)
            print(f"soak: all {n} visible after {time.time() - up:.0f}s, RSS at the end {rss_mib(proc.pid):.0f} MiB",
                  flush=True)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    print("\n".join(line for line in (work / "pipeline.log").read_text().splitlines() if line.startswith("run ")))
    if not keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backlog", type=int, default=2000, help="Messages waiting before the pipeline starts.")
    parser.add_argument("--rate", type=float, default=4, help="Messages per second in the steady-rate phase.")
    parser.add_argument("--latency_messages", type=int, default=120)
    parser.add_argument("--window_seconds", type=int, default=5)
    parser.add_argument("--no_batch", action="store_true", help="Skip the batch comparison.")
    parser.add_argument("--samples", default=str(ROOT / "samples" / "txt"), help="Folder of .txt articles.")
    parser.add_argument("--keep", action="store_true", help="Keep the output folder and the pipeline log.")
    parser.add_argument("--soak", type=int, default=0, metavar="N",
                        help="Instead: stream N short articles full of new words and print the pipeline's RSS when "
                             "it is up, at every 10%% and at the end (issue 17: 20000 should show flat RSS).")
    parser.add_argument("--dedup_horizon_seconds", type=int, default=None,
                        help="--soak: the pipeline's dedup horizon (its state holds two keys per article that long).")
    parser.add_argument("--allowed_lateness_seconds", type=int, default=None,
                        help="--soak: the pipeline's allowed lateness (the near-copy join keeps a key per article "
                             "that long after its window).")
    args = parser.parse_args()
    if args.soak:
        return soak(args.soak, args.window_seconds, args.keep, args.dedup_horizon_seconds,
                    args.allowed_lateness_seconds)

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
    backlog = make("tp", args.backlog)
    with pubsub_emulator():
        topic, sub = create_topic_and_subscription("news-bench", "articles", "articles-bench")
        t0 = time.time()
        publish_at_rate(topic, backlog, None)
        print(f"backlog: {len(backlog)} messages published in {time.time() - t0:.1f}s", flush=True)
        started = time.time()
        proc, log = start_stream(sub, out, work, args.window_seconds)
        try:
            if not wait_until_up(proc, work, timeout=120):
                return 1
            up = time.time()
            rss = {"up": rss_mib(proc.pid)}
            print(f"pipeline up in {up - started:.1f}s; window {args.window_seconds}s", flush=True)
            watcher = Visibility(out)
            watcher.thread.start()

            # 1. the backlog
            bids = [i for i, _ in backlog]
            if not watcher.wait_for(bids, timeout=3600, proc=proc):
                print(f"backlog: only {sum(i in watcher.visible_at for i in bids)} visible", file=sys.stderr)
                return 1
            times = sorted(watcher.visible_at[i] for i in bids)
            backlog_seconds = times[-1] - up
            backlog_rate = len(bids) / backlog_seconds
            lo, hi = times[len(times) // 10], times[(len(times) * 9) // 10]
            spread = f"{(len(times) * 8 / 10) / (hi - lo):.1f} msg/s" if hi - lo > 1 else "n/a (one window)"
            rss["after backlog"] = rss_mib(proc.pid)

            # 2. a steady rate
            messages = make("lat", args.latency_messages)
            acked = publish_at_rate(topic, messages, args.rate)
            ids = [i for i, _ in messages]
            if not watcher.wait_for(ids, timeout=600, proc=proc):
                print(f"steady rate: only {sum(i in watcher.visible_at for i in ids)} of {len(ids)} visible",
                      file=sys.stderr)
                return 1
            latencies = [watcher.visible_at[i] - acked[i] for i in ids]
            published_over = max(acked.values()) - min(acked.values())
            visible_over = max(watcher.visible_at[i] for i in ids) - min(acked.values())
            rss["end"] = rss_mib(proc.pid)

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

    batch, batch_seconds = (0.0, 0.0) if args.no_batch else batch_rate(backlog, work)
    p95 = percentile(latencies, 95)
    target = "met" if p95 <= args.window_seconds + 10 else "NOT met"
    print(f"backlog at start: {len(bids)} messages, all visible {backlog_seconds:.1f}s after the pipeline was up: "
          f"{backlog_rate:.1f} msg/s (10%-90% visible: {spread})")
    print(f"steady rate: {len(ids)} messages at {args.rate:g}/s, window {args.window_seconds}s: publish -> visible "
          f"p50 {percentile(latencies, 50):.2f}s  p95 {p95:.2f}s  max {max(latencies):.2f}s "
          f"(target p95 <= window + 10 = {args.window_seconds + 10}s: {target}); "
          f"published over {published_over:.1f}s, all visible {visible_over:.1f}s after the first publish")
    if not args.no_batch:
        print(f"batch pipeline on the backlog's {len(backlog)} articles: {batch:.1f} articles/s ({batch_seconds:.1f}s "
              f"with start-up); stream/batch = {backlog_rate / batch:.2f}" if batch else "batch pipeline failed")
    print("pipeline memory (VmRSS): " + "  ".join(f"{k} {v:.0f} MiB" for k, v in rss.items()))
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
