"""`python -m pipeline publish --topic T FILES...`: article files -> Pub/Sub messages, with a progress bar.

What a scraper would send: one message per article, data = article JSON. JSON and JSONL payloads
are sent byte for byte (a malformed line stays malformed: validating is the pipeline's job, and
tests rely on it to send poison messages); .txt and .html files become {"title", "text"} and
{"html"} JSON. Honours PUBSUB_EMULATOR_HOST like every Google client.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import threading
from collections.abc import Iterable, Iterator

TOPIC = re.compile(r"projects/[^/]+/topics/[^/]+")
SUBSCRIPTION = re.compile(r"projects/[^/]+/subscriptions/[^/]+")
MAX_FILE_BYTES = 20_000_000


def add_parser(sub) -> None:
    pub = sub.add_parser(
        "publish", help="Publish article files to a Pub/Sub topic (demos, tests, replays).",
        description="Send each article (a .json file, each line of a .jsonl file, a .txt or .html file; optionally "
                    ".gz) as one message to a topic. Set PUBSUB_EMULATOR_HOST to use the emulator.")
    pub.add_argument("--topic", required=True, help="Topic to publish to: projects/P/topics/T.")
    pub.add_argument("files", nargs="+", metavar="FILE", help="Article files or globs (local or gs://).")
    pub.add_argument("--attribute", action="append", default=[], metavar="KEY=VALUE",
                     help="Attribute added to every message (repeatable), e.g. source=reuters.")
    pub.add_argument("--create_topic", action="store_true",
                     help="Create the topic first if it does not exist (handy on the emulator).")
    pub.add_argument("--create_subscription", default=None, metavar="projects/P/subscriptions/S",
                     help="Create the topic and this subscription on it first if they do not exist, so that "
                          "the messages wait there for `run --input_subscription` (handy on the emulator).")
    pub.add_argument("--no_progress", action="store_true", help="Do not draw the progress bar.")
    pub.add_argument("--timeout", type=float, default=60.0,
                     help="Seconds to wait for Pub/Sub to acknowledge every message; any message not acknowledged "
                          "by then counts as failed (exit status 1).")
    return pub


def payloads_from_file(path: str, data: bytes) -> Iterator[tuple[str, bytes | None, str | None]]:
    """(source_uri, message data, None) per article in a file, or (source_uri, None, reason) if unreadable."""
    from pipeline.sources import raw_inputs_from_file
    from transforms.parse import _decode_html, _decode_text, _from_txt
    from transforms.records import StageError

    for raw in raw_inputs_from_file(path, data, MAX_FILE_BYTES):
        uri, payload, fmt = raw["source_uri"], raw["payload"], raw.get("format")
        if raw.get("read_error"):
            yield uri, None, raw["read_error"]
        elif fmt == "json":
            yield uri, payload, None
        elif fmt in ("txt", "html"):
            try:
                article = _from_txt(_decode_text(payload)) if fmt == "txt" else {"html": _decode_html(payload)}
            except StageError as exc:
                yield uri, None, exc.reason
                continue
            yield uri, json.dumps(article, ensure_ascii=False).encode("utf-8"), None
        else:
            yield uri, None, "unknown file type (expected .json, .jsonl, .txt, .html, optionally .gz)"


def expand(patterns: Iterable[str]) -> list[str]:
    from apache_beam.io.filesystems import FileSystems

    paths: list[str] = []
    for pattern in patterns:
        matched = FileSystems.match([pattern])[0].metadata_list
        paths.extend(sorted(m.path for m in matched))
    return paths


def parse_attributes(pairs: list[str]) -> dict[str, str]:
    attributes = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--attribute wants KEY=VALUE, got {pair!r}")
        attributes[key] = value
    return attributes


def publish_messages(topic: str, messages: list[tuple[str, bytes]], attributes: dict[str, str],
                     progress: bool = True, timeout: float = 60.0) -> tuple[int, list[str]]:
    """Publish and wait for every message up to `timeout` seconds in all; returns (acknowledged, failures as
    'uri: reason'). A message not acknowledged in time is a failure: an unreachable host must not pass."""
    import time

    from google.cloud import pubsub_v1
    from google.cloud.pubsub_v1.types import LimitExceededBehavior, PublisherOptions, PublishFlowControl
    from tqdm import tqdm

    client = pubsub_v1.PublisherClient(publisher_options=PublisherOptions(flow_control=PublishFlowControl(
        message_limit=1000, limit_exceeded_behavior=LimitExceededBehavior.BLOCK)))
    failures: list[str] = []
    lock = threading.Lock()
    bar = tqdm(total=len(messages), unit="msg", desc="publishing", disable=not progress, file=sys.stderr)

    def done(uri: str):
        def callback(future) -> None:
            error = future.exception()
            with lock:
                if error is not None:
                    failures.append(f"{uri}: {error}")
                bar.update(1)
        return callback

    futures = []
    for uri, data in messages:
        future = client.publish(topic, data, **attributes)
        future.add_done_callback(done(uri))
        futures.append((uri, future))
    deadline = time.monotonic() + timeout
    for _, future in futures:
        with contextlib.suppress(Exception):  # failures are recorded by the callback
            future.result(timeout=max(0.0, deadline - time.monotonic()))
    with lock:
        late = [uri for uri, future in futures if not future.done()]
        failures.extend(f"{uri}: not acknowledged within {timeout:.0f}s (is Pub/Sub reachable?)" for uri in late)
        ok = len(messages) - len(failures)
    bar.close()
    # stop() flushes what is pending: bounded, so an unreachable host cannot hold the command.
    stopper = threading.Thread(target=client.stop, daemon=True)
    stopper.start()
    stopper.join(timeout=5 if not late else 0.1)
    return ok, failures


def ensure_topic(topic: str, subscription: str | None = None) -> None:
    from google.api_core.exceptions import AlreadyExists
    from google.cloud import pubsub_v1

    with contextlib.suppress(AlreadyExists):
        pubsub_v1.PublisherClient().create_topic(name=topic)
    if subscription:
        with pubsub_v1.SubscriberClient() as subscriber, contextlib.suppress(AlreadyExists):
            subscriber.create_subscription(name=subscription, topic=topic)


def run_publish(args: argparse.Namespace) -> int:
    if not TOPIC.fullmatch(args.topic):
        print(f"error: --topic must look like projects/P/topics/T, got {args.topic!r}", file=sys.stderr)
        return 2
    if args.create_subscription and not SUBSCRIPTION.fullmatch(args.create_subscription):
        print(f"error: --create_subscription must look like projects/P/subscriptions/S, got "
              f"{args.create_subscription!r}", file=sys.stderr)
        return 2
    try:
        attributes = parse_attributes(args.attribute)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    paths = expand(args.files)
    if not paths:
        print(f"error: no files match {' '.join(args.files)}", file=sys.stderr)
        return 2
    messages: list[tuple[str, bytes]] = []
    skipped: list[str] = []
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    for path in paths:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
            data = fh.read()
        for uri, payload, reason in payloads_from_file(path, data):
            if payload is None:
                skipped.append(f"{uri}: {reason}")
            else:
                messages.append((uri, payload))
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    if args.create_topic or args.create_subscription:
        ensure_topic(args.topic, args.create_subscription)
    published, failures = publish_messages(args.topic, messages, attributes, progress=not args.no_progress,
                                           timeout=args.timeout)
    for line in failures[:20]:
        print(f"failed {line}", file=sys.stderr)
    if failures:
        print(f"error: {len(failures)} of {len(messages)} message(s) were not acknowledged by Pub/Sub "
              f"({published} published)", file=sys.stderr)
        return 1
    print(f"published {published} message(s) from {len(paths)} file(s) to {args.topic}"
          f"{f'; {len(skipped)} unreadable input(s) skipped' if skipped else ''}")
    return 0
