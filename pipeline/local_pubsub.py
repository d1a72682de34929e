"""Everything the local runner needs to read Pub/Sub safely, in one adapter (Beam 2.77's BundleBasedDirectRunner).

Dataflow reads Pub/Sub itself and acknowledges a message only after the step that follows the read
is checkpointed; none of this module runs there (pipeline/streaming.py installs it only with the
local runner). The DirectRunner's reader (_PubSubReadEvaluator._read_from_pubsub) instead:
  - acknowledges every message as soon as it is pulled, so a crash loses whatever was pulled and not
    yet written (issue: articles 10-29 of a killed run were in no table and not in the subscription);
  - pulls with a client whose gRPC channel refuses responses over 4 MB (the emulator's default
    channel), while Pub/Sub accepts 10 MB messages: one large message fails every pull, for ever;
  - blocks 30 s in a pull on an empty subscription, on the runner's only executor thread (the 2.77
    DirectRunner runs one bundle at a time), so every other step waits meanwhile; and it has no way
    to stop pulling for a drain.

It also makes the DirectRunner forget keys whose state is empty, and the windows of a GroupByKey that have
expired (or, in a Reshuffle, fired) (prune_empty_keyed_states): it keeps them for ever, so a stream's memory
and its timer scans grew with every article.

LocalPubSub replaces that one method (checked against the Beam version it was written for, at
start-up) with a hand-over from a pull thread of its own (the runner's read waits at most
HANDOFF_WAIT_SECONDS, then moves the watermark as Beam's does). The pull thread:
  - uses its own subscriber client whose channel takes messages up to Pub/Sub's limit (MAX_MESSAGE_BYTES
    and more: a pull response holds up to PULL_MAX_MESSAGES of them);
  - does not acknowledge. Each pulled copy of a message is held in an AckLedger, its ack deadline
    extended every LEASE_RENEW_SECONDS while it waits (open windows), and acknowledged only once its
    outcome is published: its articles row and all of its entities and quotes rows in Parquet files in
    place, or its errors row, or it was counted as a duplicate of a copy that is itself accounted for.
    The graph reports those outcomes through pipeline/tally.py listeners (the windowed sink's
    CountWrittenFiles, the duplicates count and the ReportEmitted steps of pipeline/streaming.py;
    see AckLedger for the exact rule);
  - stops pulling while PULL_MAX_OUTSTANDING copies are unacknowledged (flow control), and when the
    driver closes the gate for a drain;
  - retries with backoff while Pub/Sub is unreachable, saying so on stderr, and records a missing
    subscription as fatal (the driver exits non-zero with one line).
A crash (even SIGKILL) therefore loses nothing: what was not acknowledged is redelivered to the next
run once its lease runs out (LEASE_SECONDS at most). Messages that the killed run had already written
but not acknowledged are processed again (at-least-once); the next run counts them
(`redelivered_written`, see crashed_copies) and, for --dedup_horizon_seconds after it starts, leaves out
every row a crashed run already published (`crash_copies_removed`; DropCrashCopies in
pipeline/streaming.py), so the tables hold each message's rows once.

AnnotatePool has helper processes (one per core: --direct_num_workers) analyse each pulled article with
spaCy while the runner's one thread does Beam's work (that runner runs one bundle at a time); see its
docstring and docs/performance.md.
"""

from __future__ import annotations

import collections
import contextlib
import glob
import hashlib
import logging
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

import apache_beam as beam

from pipeline.pubsub_io import message_to_raw, source_uri
from pipeline.tally import Tally, listen, unlisten

LOG = logging.getLogger(__name__)

WRITTEN_AGAINST = "2.77"  # the Beam minor version whose DirectRunner internals this module patches
MAX_MESSAGE_BYTES = 10 * 1024 * 1024  # Pub/Sub's limit on one message's data and attributes
PULL_MAX_MESSAGES = 50  # per pull (Beam's own reader: 10); at worst 50 x 10 MB in one response
HANDOFF_WAIT_SECONDS = 0.2  # the runner's read waits this long for pulled messages, then moves the watermark
PULL_TIMEOUT_SECONDS = 6.0  # deadline of a pull: an idle one returns sooner (the emulator: ~4 s), so windows move on
PROBE_TIMEOUT_SECONDS = 3.0  # after a pull ran out: is the server there at all?
RPC_TIMEOUT_SECONDS = 10.0  # acknowledge / modify_ack_deadline
PULL_MAX_OUTSTANDING = 1000  # no pulls while this many copies wait for their outcome
LEASE_SECONDS = 20  # the ack deadline each held message is given (and renewed): a crash's redelivery wait
LEASE_RENEW_SECONDS = 5
ACK_EVERY_SECONDS = 0.5
ACK_BATCH = 500  # ack ids per acknowledge / modify_ack_deadline request
BACKOFF_FIRST_SECONDS, BACKOFF_MAX_SECONDS = 1.0, 30.0
PRUNE_EVERY_SECONDS = 5.0  # how often empty keys and finished windows are looked for (prune_empty_keyed_states)

# What the graph reports (pipeline/tally.py listeners), per table or outcome.
ARTICLE_PUBLISHED = "article_published"  # keys: (source_uri, article_id) of rows in a published articles file
ERROR_PUBLISHED = "error_published"  # keys: source_uri of rows in a published errors file
DUPLICATE_COUNTED = "duplicate_counted"  # keys: source_uri of a copy counted as a duplicate
ROWS_EMITTED = "rows_emitted"  # keys: (table, article_id) of entities/quotes rows leaving the annotate step
ROWS_PUBLISHED = "rows_published"  # keys: (table, article_id) of rows in a published entities/quotes file
CHILD_TABLES = ("entities", "quotes")


class LocalPubSubError(RuntimeError):
    """The adapter cannot run on this Beam: the message is one line for the user."""


def check_beam_version(version: str = beam.__version__) -> str | None:
    """None if this module was written against `version`'s minor release, else one line saying what to do."""
    if re.match(rf"^{re.escape(WRITTEN_AGAINST)}(\.|$)", version):
        return None
    return (f"error: pipeline/local_pubsub.py (the local runner's Pub/Sub reader: deferred acks, 10 MB messages) "
            f"was written against Beam {WRITTEN_AGAINST}.x and this is Beam {version}: check it against this "
            f"Beam's DirectRunner _PubSubReadEvaluator._read_from_pubsub, then update WRITTEN_AGAINST")


def subscriber_client():
    """A SubscriberClient that takes responses up to Pub/Sub's limits.

    On the emulator the client library opens a plain channel with gRPC's default 4 MB receive limit;
    against Google it already lifts the limit. The limit is on a whole pull response, i.e. up to
    PULL_MAX_MESSAGES messages of 10 MB, so it is lifted rather than set to 10 MB."""
    from google.cloud import pubsub_v1

    host = os.environ.get("PUBSUB_EMULATOR_HOST")
    if not host:
        return pubsub_v1.SubscriberClient()
    import grpc
    from google.pubsub_v1.services.subscriber.transports.grpc import SubscriberGrpcTransport

    channel = grpc.insecure_channel(host, options=[("grpc.max_receive_message_length", -1),
                                                   ("grpc.max_send_message_length", -1)])
    return pubsub_v1.SubscriberClient(transport=SubscriberGrpcTransport(channel=channel))


def _empty_keyed_state(state: Any) -> bool:
    """A DirectRunner keyed state (trigger.InMemoryUnmergedState) that holds no timer, state or global state."""
    # Cleared list state is an empty list (reading a state leaves one too); any other value is kept.
    return (not any(state.timers.values()) and not state.global_state
            and all(isinstance(values, list) and not values
                    for tagged in state.state.values() for values in tagged.values()))


# Beam 2.77's GeneralTriggerDriver (every GroupByKey of a stream on the DirectRunner) keeps a key's state per
# window under numeric ids, mapped from the windows in this global state (trigger.MergeableStateAdapter), and
# buffers a window's elements and its watermark hold under these tags of it.
_WINDOW_IDS, _ELEMENTS, _HOLD = "window_ids", "elements", "watermark"


def _grouping_policy(applied: Any) -> tuple[Any, bool] | None:
    """(allowed lateness, output panes unread) of a GroupByKey's step, or None for any other step.

    Only the DirectRunner's _StreamingGroupAlsoByWindow carries `windowing`. Beam's ReshufflePerKey groups by a
    random key in the global window and gives its output the elements' own metadata back: the panes it
    counts per key are never read."""
    windowing = getattr(getattr(applied, "transform", None), "windowing", None)
    if windowing is None:
        return None
    return windowing.allowed_lateness, "ReshufflePerKey/" in getattr(applied, "full_label", "")


def _without_finished_windows(state: Any, expired_before: int | None) -> Any:
    """A GroupByKey's keyed state less the windows nothing can need again; the same object if none, None if
    nothing is left.

    A window is finished when it holds no buffered elements, no timer and no watermark hold, and it has expired
    (it ends before `expired_before`, in micros: the step's input watermark less its allowed lateness; the trigger
    driver drops anything that comes for it later, GeneralTriggerDriver.process_elements), or its panes are
    never read (expired_before None: ReshufflePerKey). What is left of such a window is pane bookkeeping
    (index, is-late flags), which Beam's Python trigger driver never clears ("TODO(robertwb): allowed
    lateness"): one state per key and window for ever, i.e. per article for a GroupByKey keyed by article id."""
    window_ids = state.global_state.get(_WINDOW_IDS)
    if not window_ids:
        return state
    finished = []
    for window, ids in window_ids.items():
        if expired_before is not None and not (hasattr(window, "end") and window.end.micros < expired_before):
            continue
        if any(state.timers.get(i) for i in ids):
            continue
        if any((tagged := state.state.get(i)) and (tagged.get(_ELEMENTS) or tagged.get(_HOLD)) for i in ids):
            continue
        finished.append(window)
    if not finished:
        return state
    if len(finished) == len(window_ids) and not any(state.timers.values()) and len(state.global_state) == 1:
        return None
    trimmed = state.copy()  # a copy, as the runner's own writes are (copy-on-write: DirectStepContext)
    for window in finished:
        for i in window_ids[window]:
            trimmed.state.pop(i, None)
            trimmed.timers.pop(i, None)
    trimmed.global_state[_WINDOW_IDS] = {w: list(ids) for w, ids in window_ids.items() if w not in finished}
    return trimmed


def _prune(keyed_states: dict, input_watermark: Any, policy: tuple[Any, bool] | None) -> None:
    """Drop, in place, the keys whose state is empty and (a GroupByKey's step: `policy`, see _grouping_policy)
    the windows nothing can need again."""
    expired_before = None
    if policy is not None:
        lateness, panes_unread = policy
        expired_before = None if panes_unread else (input_watermark - lateness).micros
    for key, state in list(keyed_states.items()):
        if policy is not None:
            state = _without_finished_windows(state, expired_before)
            if state is None:
                del keyed_states[key]
                continue
            if state is not keyed_states[key]:
                keyed_states[key] = state
        if _empty_keyed_state(state):
            del keyed_states[key]


def prune_empty_keyed_states():
    """Make the DirectRunner forget keys whose state is empty, and windows of a GroupByKey that nothing can
    need again; returns the undo.

    Why: the 2.77 DirectRunner keeps one state object per key per stateful step or GroupByKey for ever, also
    once its state is cleared and its timers have fired (evaluation_context.DirectStepContext recreates a
    missing one on demand), and scans every one of them each time it looks for due timers
    (watermark_manager._TransformWatermarks.extract_transform_timers). A stream sees new keys all the time
    (article ids, content hashes, near-copy bands, windows): memory grew about 5 KB per article and the scan
    grew with it. Empty ones are dropped under the same lock, before that scan, every PRUNE_EVERY_SECONDS. A
    GroupByKey's state is never empty, though: its trigger driver keeps each window's pane counters (see
    _without_finished_windows), so its windows are dropped once they have expired, as other runners do, and
    at once for Beam's Reshuffle
    (a random key per element, in the global window, which never expires: the streaming graph's "Spread work"
    step alone grew by one state per article). Each step's windowing is read when the runner builds its
    watermarks (so this is installed before the pipeline runs)."""
    from apache_beam.runners.direct.watermark_manager import _TransformWatermarks as watermarks

    original = watermarks.extract_transform_timers
    original_init = watermarks.__init__

    def __init__(self, clock, keyed_states, transform):
        original_init(self, clock, keyed_states, transform)
        self._grouping_policy = _grouping_policy(transform)

    def extract_transform_timers(self):
        with self._lock:
            if time.monotonic() >= getattr(self, "_next_prune", 0.0):
                # A pass over every key costs a few times Beam's own scan (~0.1 s for 20,000 keys), and the runner
                # scans after every bundle: now and then is enough (windows expire after minutes, and an empty
                # key costs that scan little meanwhile).
                self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
                _prune(self._keyed_states, self._input_watermark, getattr(self, "_grouping_policy", None))
        return original(self)

    watermarks.__init__ = __init__
    watermarks.extract_transform_timers = extract_transform_timers

    def undo() -> None:
        watermarks.__init__ = original_init
        watermarks.extract_transform_timers = original

    return undo


class AckLedger:
    """Which pulled copies of which messages wait for their outcome, and which ack ids may be acknowledged.

    Keyed by source_uri (pubsub://<source>/<message id>): a redelivered message is a second copy of the
    same key, with a new ack id; the message is acknowledged (every ack id it was given) once every copy
    pulled in this run is accounted for. A copy is accounted for when:
      - its errors row is in a published errors file, or
      - it was counted as a duplicate, or
      - its articles row is in a published articles file, and every entities and quotes row the annotate
        step emitted for its article is in a published file of its table. The rows emitted are counted
        by a step right after the annotate step; `settled()` (supplied by the adapter) says that step has
        no work pending, so every row emitted before the articles file was published has been counted.
    Pure bookkeeping, no I/O: the adapter acknowledges what take_ackable() returns.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.copies: collections.Counter[str] = collections.Counter()
        self.ack_ids: dict[str, list[str]] = collections.defaultdict(list)
        self.articles_waiting: dict[str, list[str]] = collections.defaultdict(list)  # uri -> article ids
        self.emitted: dict[str, collections.Counter[str]] = {t: collections.Counter() for t in CHILD_TABLES}
        self.published: dict[str, collections.Counter[str]] = {t: collections.Counter() for t in CHILD_TABLES}
        self.ready: list[str] = []  # ack ids of messages whose every copy is accounted for
        self.pulled = 0
        self.redelivered = 0  # copies of a message this run had already pulled (lease lapsed)
        self.accounted = 0

    def outstanding(self) -> int:
        with self._lock:
            return sum(self.copies.values())

    def held_ack_ids(self) -> list[str]:
        with self._lock:
            return [a for uri in self.copies for a in self.ack_ids[uri]]

    def pulled_copy(self, uri: str, ack_id: str) -> bool:
        """Hold one pulled copy; True if this run already holds a copy of the message (its lease lapsed)."""
        with self._lock:
            self.pulled += 1
            again = self.copies[uri] > 0
            self.redelivered += again
            self.copies[uri] += 1
            self.ack_ids[uri].append(ack_id)
            return again

    def event(self, kind: str, keys: Iterable[Any]) -> None:
        """An outcome reported by the graph (pipeline/tally.py listener)."""
        with self._lock:
            for key in keys:
                if kind in (ERROR_PUBLISHED, DUPLICATE_COUNTED):
                    self._accounted(key)
                elif kind == ARTICLE_PUBLISHED:
                    uri, article_id = key
                    self.articles_waiting[uri].append(article_id)
                elif kind == ROWS_EMITTED:
                    self.emitted[key[0]][key[1]] += 1
                elif kind == ROWS_PUBLISHED:
                    self.published[key[0]][key[1]] += 1

    def settle_articles(self, settled: bool) -> None:
        """Account for the articles whose child rows are all published; only once `settled` (see class doc)."""
        if not settled:
            return
        with self._lock:
            for uri in list(self.articles_waiting):
                waiting = self.articles_waiting[uri]
                done = [a for a in waiting
                        if all(self.published[t][a] >= self.emitted[t][a] for t in CHILD_TABLES)]
                for article_id in done:
                    waiting.remove(article_id)
                    for t in CHILD_TABLES:
                        self.emitted[t].pop(article_id, None)
                        self.published[t].pop(article_id, None)
                    self._accounted(uri)
                if not waiting:
                    del self.articles_waiting[uri]

    def _accounted(self, uri: str) -> None:
        if self.copies.get(uri, 0) <= 0:
            return  # not pulled by this run's adapter (or already accounted for)
        self.accounted += 1
        self.copies[uri] -= 1
        if self.copies[uri] == 0:
            del self.copies[uri]
            self.ready.extend(self.ack_ids.pop(uri, []))

    def take_ackable(self) -> list[str]:
        with self._lock:
            ready, self.ready = self.ready, []
            return ready

    def unacknowledged(self) -> int:
        with self._lock:
            return sum(self.copies.values()) + len(self.ready)

    def give_back(self, ack_ids: list[str]) -> None:
        """Acknowledging these failed (Pub/Sub unreachable): try again on the next round."""
        with self._lock:
            self.ready.extend(ack_ids)


def crashed_copies(output: str, run_key: str, this_run: str,
                   horizon_seconds: float | None = None) -> dict[str, set[str]]:
    """What earlier runs of this stream that left no run record published, by table: {'articles', 'entities',
    'quotes': article_ids; 'errors': source_uris; 'messages': source_uris of their articles and errors rows}.

    A run that wrote its record stopped cleanly, having acknowledged everything it wrote. One without a
    record died (SIGKILL, power): rows it published for messages it had not yet acknowledged come back
    as redeliveries. The next run counts those (`redelivered_written`) and leaves out the rows a crashed run
    already published (DropCrashCopies in pipeline/streaming.py). Files older than horizon_seconds (the dedup
    horizon) are not read: a copy that old is not a duplicate the stream removes."""
    import pyarrow.parquet as pq

    found: dict[str, set[str]] = {t: set() for t in ("articles", "entities", "quotes", "errors", "messages")}
    if "://" in output:
        return found  # the local runner with an object store output: not worth the listing
    finished = {os.path.basename(p)[len("run-"):-len(".json")]
                for p in glob.glob(os.path.join(output, "_runs", "run-*.json"))}
    oldest = time.time() - horizon_seconds if horizon_seconds else None
    pattern = re.compile(r"^part-\d{8}T\d{6}Z-\d{8}T\d{6}Z-(.+-" + re.escape(run_key) + r")-pane\d+-")
    for table in ("articles", "entities", "quotes", "errors"):
        for path in glob.glob(os.path.join(output, table, "dt=*", "part-*.parquet")):
            match = pattern.match(os.path.basename(path))
            if not match or match.group(1) == this_run or match.group(1) in finished:
                continue
            columns = {"errors": ["source_uri"], "articles": ["article_id", "source_uri"]}.get(table, ["article_id"])
            try:
                if oldest is not None and os.path.getmtime(path) < oldest:
                    continue
                data = pq.read_table(path, columns=columns)
            except OSError as exc:
                LOG.warning("could not read %s: %s", path, exc)
                continue
            found[table].update(data.column(columns[0]).to_pylist())
            if table in ("articles", "errors"):
                found["messages"].update(data.column("source_uri").to_pylist())
    return found


def written_by_crashed_runs(output: str, run_key: str, this_run: str) -> set[str]:
    """source_uris in the articles and errors files of earlier runs of this stream that left no run record."""
    return crashed_copies(output, run_key, this_run)["messages"]


class LocalPubSub:
    """Installs the deferred-ack pull on Beam's DirectRunner for one streaming run (see the module docstring)."""

    def __init__(self, source: str, run_id: str, settled_steps: tuple[str, ...] = (),
                 written_before: set[str] | None = None, err=None, on_pulled=None):
        self.source = source  # subscription or topic path, as in the rows' source_uri
        self.on_pulled = on_pulled  # called with the raw inputs of each pull (AnnotatePool.prefetch)
        self.run_id = run_id
        self.settled_steps = settled_steps  # labels of the steps that count emitted rows
        self.written_before = written_before or set()
        self.err = err or sys.stderr
        self.ledger = AckLedger()
        self.tally = Tally(run_id)
        self.closed = threading.Event()  # the drain's gate: no more pulls
        self.stopped = threading.Event()
        self.fatal: str | None = None  # one line; the driver exits non-zero with it
        self._lock = threading.Lock()
        self._in_flight = 0
        self._queue: queue.Queue[list] = queue.Queue()
        self._client = None
        self._evaluator = None
        self._original = None
        self._context = None
        self._watch: list[Any] | None = None
        self._sub_name: str | None = None
        self._backoff = 0.0
        self._threads: list[threading.Thread] = []
        self._unprune: Any = None
        self.acked = 0
        self._uninstalled = False

    # -- installing ---------------------------------------------------------------------------------

    def install(self) -> None:
        """Patch the DirectRunner's reader and start the ack and lease threads; LocalPubSubError if this Beam
        is not the one this module was written against."""
        problem = check_beam_version()
        if problem:
            raise LocalPubSubError(problem)
        from apache_beam.runners.direct.transform_evaluator import _PubSubReadEvaluator as evaluator

        original = getattr(evaluator, "_read_from_pubsub", None)
        if original is None:
            raise LocalPubSubError(
                f"error: Beam {beam.__version__}'s DirectRunner has no _PubSubReadEvaluator._read_from_pubsub: "
                "pipeline/local_pubsub.py must be updated for it")
        self._client = subscriber_client()
        adapter = self

        def read_from_pubsub(reader, timestamp_attribute):
            return adapter._pull(reader)

        self._evaluator, self._original = evaluator, original
        evaluator._read_from_pubsub = read_from_pubsub
        self._unprune = prune_empty_keyed_states()
        listen(self.run_id, self.ledger.event)
        for name, target in (("pubsub-acks", self._ack_loop), ("pubsub-leases", self._lease_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """No more pulls; stop the lease and ack threads after acknowledging what is ready. The runner's read
        keeps answering (with nothing) until uninstall(): Beam's own reader must not run again while the
        pipeline may still be cancelling, or it would pull and acknowledge at once."""
        if self.stopped.is_set():
            return
        self.stopped.set()
        self.closed.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._flush_acks()

    def uninstall(self) -> None:
        """stop(), then put Beam's reader back; only once the runner no longer runs. Safe to call twice."""
        if self._uninstalled:
            return
        self._uninstalled = True
        self.stop()
        if self._original is not None:
            self._evaluator._read_from_pubsub = self._original
            self._original = None
        if self._unprune is not None:
            self._unprune()
            self._unprune = None
        unlisten(self.run_id)
        if self._client is not None:
            with contextlib.suppress(Exception):  # already closed
                self._client.close()
        if self._evaluator is not None:
            # Beam's own client of this read: closing it deletes an --input_topic run's temporary subscription.
            with self._evaluator._subscriber_client_cache_lock:
                clients = list(self._evaluator._subscriber_client_cache.values())
            for client in clients:
                client.close()

    # -- pulling ------------------------------------------------------------------------------------

    def in_flight(self) -> int:
        """Pulls under way plus pulled batches not yet handed to the runner: what may still enter the graph."""
        with self._lock:
            return self._in_flight + self._queue.qsize()

    def _pull(self, reader) -> list:
        """The runner's read: hands over what the puller thread has fetched, waiting at most HANDOFF_WAIT_SECONDS.

        Beam 2.77's DirectRunner runs one bundle at a time on one thread (NUM_WORKERS = 1): a read that
        blocks in a pull on an idle subscription (4 s on the emulator, 30 s in Beam's own reader) stops
        every other step meanwhile. So the pulls run on a thread of their own and the read only takes
        what they brought; each read still moves the watermark to the wall clock, as Beam's does."""
        if self.stopped.is_set():
            time.sleep(0.2)  # stopped: nothing more enters the graph (what was pulled is redelivered)
            return []
        if self._context is None:
            self._context = reader._evaluation_context
            self._sub_name = reader._sub_name
            thread = threading.Thread(target=self._puller, name="pubsub-pull", daemon=True)
            thread.start()
            self._threads.append(thread)
        batches = []
        try:
            batches.append(self._queue.get(timeout=HANDOFF_WAIT_SECONDS))
            while True:
                batches.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        return [m for batch in batches for m in batch]

    def _puller(self) -> None:
        while not self.stopped.is_set() and not self.closed.is_set() and not self.fatal:
            if self.ledger.outstanding() >= PULL_MAX_OUTSTANDING:
                self.closed.wait(0.2)  # flow control: wait for outcomes
                continue
            with self._lock:
                self._in_flight += 1
            try:
                got = self._pull_once(self._sub_name)
                if got:
                    if self.on_pulled is not None:
                        self.on_pulled([message_to_raw(m, self.source) for _, m in got])
                    self._queue.put(got)
            except Exception as exc:  # noqa: BLE001 - reported by the driver as the run's failure
                self.fatal = f"error: pulling from {self._sub_name} failed: {type(exc).__name__}: {exc}"
            finally:
                with self._lock:
                    self._in_flight -= 1

    def _pull_once(self, subscription: str) -> list:
        from apache_beam.io.gcp.pubsub import PubsubMessage
        from apache_beam.utils.timestamp import Timestamp
        from google.api_core import exceptions as gexc

        try:
            # retry=None: the client's own policy would retry an unreachable server for 60 s in silence;
            # the backoff below says so on stderr instead.
            response = self._client.pull(subscription=subscription, max_messages=PULL_MAX_MESSAGES,
                                         timeout=PULL_TIMEOUT_SECONDS, retry=None)
        except gexc.DeadlineExceeded:
            # An idle subscription answers an empty pull before the deadline (the emulator after ~4 s), but
            # a server may also let an idle pull run out: ask it something quick to tell the two apart.
            self._probe(subscription)
            return []
        except gexc.NotFound as exc:
            self.fatal = f"error: the subscription {subscription} does not exist (any more): {exc.message}"
            return []
        except (gexc.ServiceUnavailable, gexc.InternalServerError, gexc.Unknown, gexc.Aborted,
                gexc.ResourceExhausted, gexc.RetryError) as exc:
            self._wait_out(exc)
            return []
        except ValueError:
            if self.closed.is_set():
                return []  # the client was closed by the drain
            raise
        self._recovered()
        received = list(response.received_messages)
        if not received:
            return []
        results = []
        ack_ids = [rm.ack_id for rm in received]
        self._modify(ack_ids, LEASE_SECONDS)  # leased from now, whatever the subscription's deadline
        for rm in received:
            message = PubsubMessage._from_message(rm.message)
            uri = source_uri(self.source, message.message_id)
            if self.ledger.pulled_copy(uri, rm.ack_id):
                self.tally.inc("redelivered_in_run")
            if uri in self.written_before:
                self.tally.inc("redelivered_written")
            results.append((Timestamp.from_utc_datetime(rm.message.publish_time), message))
        return results

    def _probe(self, subscription: str) -> None:
        from google.api_core import exceptions as gexc

        try:
            self._client.get_subscription(subscription=subscription, timeout=PROBE_TIMEOUT_SECONDS, retry=None)
        except gexc.NotFound as exc:
            self.fatal = f"error: the subscription {subscription} does not exist (any more): {exc.message}"
        except Exception as exc:  # noqa: BLE001 - any other failure: the server is not answering
            self._wait_out(exc)
        else:
            self._recovered()

    def _wait_out(self, exc: Exception) -> None:
        self._backoff = min(BACKOFF_MAX_SECONDS, self._backoff * 2 or BACKOFF_FIRST_SECONDS)
        self.tally.inc("pull_retries")
        print(f"[streaming] Pub/Sub unreachable ({type(exc).__name__}: {str(exc)[:120]}); retrying in "
              f"{self._backoff:.0f}s", file=self.err, flush=True)
        self.closed.wait(self._backoff)

    def _recovered(self) -> None:
        if self._backoff:
            print("[streaming] Pub/Sub reachable again; reading resumes", file=self.err, flush=True)
            self._backoff = 0.0

    # -- acknowledging ------------------------------------------------------------------------------

    def settled(self) -> bool:
        """The steps that count emitted entities/quotes rows have no bundle waiting (see AckLedger)."""
        if not self.settled_steps:
            return True
        if self._context is None:
            return False
        if self._watch is None:
            manager = self._context._watermark_manager
            self._watch = [tw for applied, tw in manager._transform_to_watermarks.items()
                           if any(applied.full_label.endswith(step) for step in self.settled_steps)]
            if len(self._watch) != len(self.settled_steps):
                raise LocalPubSubError(f"error: pipeline/local_pubsub.py found {len(self._watch)} of the steps "
                                       f"{self.settled_steps} in the running graph")
        for tw in self._watch:
            with tw._lock:
                if tw._pending:
                    return False
        return True

    def _ack_loop(self) -> None:
        while not self.stopped.wait(ACK_EVERY_SECONDS):
            try:
                self.ledger.settle_articles(self.settled())
                self._flush_acks()
            except LocalPubSubError as exc:
                self.fatal = str(exc)
            except Exception:  # noqa: BLE001 - keep acknowledging; the next round retries
                LOG.exception("acknowledging pulled messages failed; retrying")

    def _flush_acks(self) -> None:
        ready = self.ledger.take_ackable()
        for k in range(0, len(ready), ACK_BATCH):
            chunk = ready[k:k + ACK_BATCH]
            try:
                self._client.acknowledge(subscription=self._subscription(), ack_ids=chunk, retry=None,
                                         timeout=RPC_TIMEOUT_SECONDS)
            except Exception as exc:  # noqa: BLE001 - unreachable: keep them for the next round
                LOG.warning("acknowledging %d message(s) failed (%s); will retry", len(chunk), exc)
                self.ledger.give_back(ready[k:])
                return
            self.acked += len(chunk)
            self.tally.inc("messages_acked", len(chunk))

    def _lease_loop(self) -> None:
        while not self.stopped.wait(LEASE_RENEW_SECONDS):
            held = self.ledger.held_ack_ids()
            if held:
                self._modify(held, LEASE_SECONDS)

    def _modify(self, ack_ids: list[str], seconds: int) -> None:
        for k in range(0, len(ack_ids), ACK_BATCH):
            try:
                self._client.modify_ack_deadline(subscription=self._subscription(), ack_ids=ack_ids[k:k + ACK_BATCH],
                                                 ack_deadline_seconds=seconds, retry=None,
                                                 timeout=RPC_TIMEOUT_SECONDS)
            except Exception as exc:  # noqa: BLE001 - a lapsed lease means a redelivery, never a loss
                LOG.warning("extending the ack deadline of %d message(s) failed: %s", len(ack_ids), exc)
                return

    def _subscription(self) -> str:
        """The subscription pulled from: --input_subscription, or Beam's temporary one for --input_topic."""
        return self._sub_name or self.source

    def unacknowledged(self) -> int:
        """Copies waiting for their outcome plus messages accounted for but not acknowledged yet."""
        return self.ledger.unacknowledged()



# -- spreading the spaCy work over the machine's cores (local runner only) -------------------------------------

ANNOTATE_RESULT_TIMEOUT_SECONDS = 300.0  # a helper that takes longer is given up on; its articles are done here
ANNOTATE_MAX_HELPERS = 8
PREFETCH_CHUNK = 4  # articles per request to a helper: small, so the runner seldom waits on a half-done chunk
PREFETCH_MAX_ENTRIES = 2 * PULL_MAX_OUTSTANDING  # pulled articles remembered; the oldest are forgotten first


def annotate_helpers(spacy_processes: int) -> int:
    """Helper processes for a run given `spacy_processes` spaCy processes (`--direct_num_workers`, which a local
    run sets to one per core, at most 4: pipeline/launch.py); 1 means none: the runner's thread does it all.

    One per core: the helpers analyse pulled articles while the runner's one thread does Beam's work (about
    40% of its time, measured), which no longer waits for spaCy. Each helper costs one model's memory
    (about 300 MiB). Figures: docs/performance.md."""
    return 0 if spacy_processes <= 1 else min(ANNOTATE_MAX_HELPERS, spacy_processes)


def content_key(text: str, title: str | None) -> str:
    """What an analysis depends on: the article's text and title, hashed (AnnotateArticles.analyse)."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16)
    digest.update(b"\0" + (title or "").encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class _Helper:
    """One helper process: a fresh interpreter (not a fork: the driver has gRPC threads) running annotate_helper(),
    talking pickled messages over its stdin/stdout. It is in the driver's process group, so a SIGKILL of the
    run's group takes it too, and it exits when its stdin closes."""

    def __init__(self, params: dict[str, Any]):
        import pickle
        import subprocess
        from multiprocessing.connection import Connection

        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-c", "from pipeline.local_pubsub import annotate_helper; annotate_helper()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True)
        self._send = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self._recv = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.proc.stdin.close()
        self.proc.stdout.close()
        self._send.send_bytes(pickle.dumps(params))
        self.ready = False
        self.broken = False

    def is_ready(self, timeout: float = 0.0) -> bool:
        """True once the helper has loaded the model (it says so once); waits at most `timeout` seconds."""
        if not self.ready and not self.broken:
            try:
                if self._recv.poll(timeout):
                    kind, _ = self._recv.recv()
                    self.ready = kind == "ready"
                    self.broken = not self.ready
            except (EOFError, OSError):
                self.broken = True
        return self.ready and not self.broken

    def analyse(self, raws: list[dict[str, Any]], timeout: float) -> list:
        """annotate_helper's answer for these raw inputs; raises if the helper fails or takes over `timeout`."""
        self._send.send(raws)
        if not self._recv.poll(timeout):
            raise TimeoutError(f"no answer in {timeout:.0f}s")
        kind, value = self._recv.recv()
        if kind != "ok":
            raise RuntimeError(value)
        return value

    def close(self) -> None:
        import subprocess

        for conn in (self._send, self._recv):
            with contextlib.suppress(OSError):
                conn.close()
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=3)


def analyse_raw_inputs(dofn: Any, raws: list[dict[str, Any]], max_input_bytes: int,
                       pipeline_version: str) -> list[tuple[str, tuple[list, list]] | None]:
    """Per raw input, (content_key, AnnotateArticles.analyse's result) of the article the graph's Parse and
    Clean steps make of it, or None where they reject it, the annotate step skips it, or spaCy fails on it
    (the runner then does what the graph does without help: the same errors row, or the same skip)."""
    from transforms.article import prepare_article
    from transforms.parse import parse_input
    from transforms.records import utcnow

    answers: list[tuple[str, tuple[list, list]] | None] = [None] * len(raws)
    slots, texts, titles = [], [], []
    for i, raw in enumerate(raws):
        try:
            row = prepare_article(parse_input(raw, max_bytes=max_input_bytes), utcnow(), pipeline_version)
        except Exception:  # noqa: BLE001, S112 - the graph's own steps make this input's errors row
            continue
        if dofn.skip_reason(row) is None:
            slots.append(i)
            texts.append(row["text"])
            titles.append(row.get("title") or None)
    if texts:
        for i, text, title, result in zip(slots, texts, titles, dofn.analyse(texts, titles), strict=True):
            if not isinstance(result, BaseException):
                answers[i] = (content_key(text, title), result)
    return answers


def annotate_helper() -> None:
    """A helper process's loop: load the model as AnnotateArticles does, then analyse the raw inputs it is sent."""
    import pickle
    from multiprocessing.connection import Connection

    out_fd = os.dup(1)
    os.dup2(2, 1)  # stray prints go to stderr, never into the answers
    recv, send = Connection(0, writable=False), Connection(out_fd, readable=False)
    logging.basicConfig(level=logging.WARNING)
    from transforms.beam_steps import AnnotateArticles

    try:
        params = pickle.loads(recv.recv_bytes())
        dofn = AnnotateArticles(**params["annotate"])
        dofn.setup()
    except Exception as exc:  # noqa: BLE001 - the driver annotates everything itself then
        send.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    send.send(("ready", None))
    while True:
        try:
            raws = recv.recv()
        except (EOFError, OSError):
            return  # the driver closed its end, or is gone
        try:
            send.send(("ok", analyse_raw_inputs(dofn, raws, params["max_input_bytes"], params["pipeline_version"])))
        except Exception as exc:  # noqa: BLE001 - the runner analyses these itself
            send.send(("error", f"{type(exc).__name__}: {exc}"))


class _Pulled:
    """One pulled message on its way to a helper: queued, sent (a helper has it), done (key and result),
    failed, or taken (the runner's thread got to it first and analyses it itself)."""

    __slots__ = ("raw", "state", "key", "result")

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        self.state = "queued"
        self.key: str | None = None
        self.result: tuple[list, list] | None = None


class AnnotatePool:
    """Local runner only: helper processes analyse each article (spaCy and the rules) as soon as it is pulled,
    so the annotate step finds the rows ready.

    Beam 2.77's BundleBasedDirectRunner runs one bundle at a time on one thread: spaCy (about 60% of that
    thread's time) and Beam's own bookkeeping (most of the rest: triggers, watermarks, bundles) could only take
    turns there, and splitting each annotate batch over helpers still left them idle during the bookkeeping.
    So the Pub/Sub adapter hands every pulled message to prefetch(); one feeder thread per helper sends them
    in small chunks; a helper runs the graph's own pure functions on each (parse_input, prepare_article,
    AnnotateArticles.skip_reason and analyse: analyse_raw_inputs) and answers with the rows and a hash of the
    text and title they were made from. The annotate step (transforms.beam_steps.ANNOTATE_OFFLOAD = offload)
    uses an answer only for the same message whose cleaned text and title hash the same, so its outputs are the
    ones it would compute. An article a batch needs that is still queued goes to the front of the helpers'
    queue (the Reshuffle before the step mixes the pull order) and the batch waits for it; anything else (not
    pulled through the adapter, failed, forgotten, no helper left, or a helper that died or ran over
    ANNOTATE_RESULT_TIMEOUT_SECONDS) is analysed on the runner's thread, so the pool can only slow a batch,
    never lose, change or stall it. Dataflow runs one SDK process per core and never installs this. How many
    helpers: annotate_helpers.
    """

    def __init__(self, helpers: int):
        self.helpers_wanted = helpers
        self.helpers: list[_Helper] = []
        self._cond = threading.Condition()
        self._pulled: collections.OrderedDict[str, _Pulled] = collections.OrderedDict()  # by source_uri
        self._queue: collections.deque[_Pulled] = collections.deque()  # in pull order
        self._urgent: collections.deque[_Pulled] = collections.deque()  # what an annotate batch waits for
        self._threads: list[threading.Thread] = []
        self._stopped = False
        self._params: dict[str, Any] | None = None
        self.installed = False
        self.from_helpers = 0  # articles whose rows a helper made
        self.analysed_here = 0  # articles the runner's thread analysed itself

    def install(self, annotate: dict[str, Any], max_input_bytes: int, pipeline_version: str) -> None:
        """Start the helpers (they load the model while the pipeline starts) and hook the annotate step.
        annotate: AnnotateArticles' constructor arguments as the graph builds them; max_input_bytes and
        pipeline_version: the Parse and Clean steps' (GraphConfig)."""
        if self.helpers_wanted <= 0:
            return
        import transforms.beam_steps as steps

        self._params = {"annotate": dict(annotate), "max_input_bytes": max_input_bytes,
                        "pipeline_version": pipeline_version}
        for _ in range(self.helpers_wanted):
            try:
                helper = _Helper(self._params)
            except OSError as exc:
                LOG.warning("could not start a spaCy helper process: %s", exc)
                continue
            self.helpers.append(helper)
            thread = threading.Thread(target=self._feed, args=(helper,), name="annotate-feeder", daemon=True)
            thread.start()
            self._threads.append(thread)
        steps.ANNOTATE_OFFLOAD = self.offload
        self.installed = True

    def uninstall(self) -> None:
        import transforms.beam_steps as steps


        if self.offload == steps.ANNOTATE_OFFLOAD:
            steps.ANNOTATE_OFFLOAD = None
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        helpers, self.helpers = self.helpers, []
        for helper in helpers:
            helper.close()  # a feeder waiting on it gets EOF and ends
        for thread in self._threads:
            thread.join(timeout=5)

    def prefetch(self, raws: Iterable[dict[str, Any]]) -> None:
        """Queue pulled messages (pubsub_io.message_to_raw) for the helpers; any thread, never blocks."""
        if not self.helpers:
            return
        limit = (self._params or {}).get("max_input_bytes", 0)
        with self._cond:
            for raw in raws:
                uri = raw.get("source_uri")
                if not uri or uri in self._pulled or len(raw.get("payload") or b"") > limit:
                    continue  # a redelivered copy already queued; a message the Parse step rejects
                item = _Pulled(raw)
                self._pulled[uri] = item
                self._queue.append(item)
            while len(self._pulled) > PREFETCH_MAX_ENTRIES:  # never read (a duplicate, an error): forget
                _, item = self._pulled.popitem(last=False)
                if item.state == "queued":
                    item.state = "taken"
            self._cond.notify_all()

    def _feed(self, helper: _Helper) -> None:
        """One helper's feeder thread: waits for its model, then sends it queued messages until uninstall."""
        while not helper.is_ready(timeout=0.5):
            if self._stopped:
                return
            if helper.broken:
                self._drop(helper, RuntimeError("it could not load the model"))
                return
        while True:
            with self._cond:
                while not self._stopped and not self._queue and not self._urgent:
                    self._cond.wait()
                if self._stopped:
                    return
                chunk = []
                for waiting in (self._urgent, self._queue):
                    while waiting and len(chunk) < PREFETCH_CHUNK:
                        item = waiting.popleft()
                        if item.state == "queued":
                            item.state = "sent"
                            chunk.append(item)
            if not chunk:
                continue
            try:
                answers = helper.analyse([item.raw for item in chunk], ANNOTATE_RESULT_TIMEOUT_SECONDS)
            except Exception as exc:  # noqa: BLE001 - these articles are analysed on the runner's thread
                with self._cond:
                    for item in chunk:
                        item.state = "failed"
                    self._cond.notify_all()
                    stopping = self._stopped
                if not stopping:
                    self._drop(helper, exc)
                return
            with self._cond:
                for item, answer in zip(chunk, answers, strict=True):
                    item.key, item.result = answer if answer is not None else (None, None)
                    item.state = "done" if answer is not None else "failed"
                self._cond.notify_all()

    def _drop(self, helper: _Helper, exc: Exception) -> None:
        LOG.warning("a spaCy helper process failed (%s: %s); the runner analyses its articles", type(exc).__name__,
                    exc)
        helper.broken = True
        with self._cond, contextlib.suppress(ValueError):
            self.helpers.remove(helper)
            self._cond.notify_all()  # a batch waiting for queued articles takes them when no helper is left
        threading.Thread(target=helper.close, name="annotate-helper-close", daemon=True).start()

    def _claim(self, uri: str | None, item: _Pulled) -> None:
        """Forget `uri`'s entry (under the lock) once its answer is used: a later copy is analysed afresh."""
        if uri is not None and self._pulled.get(uri) is item:
            del self._pulled[uri]

    def offload(self, dofn: Any, rows: list[dict[str, Any]]) -> list | None:
        """AnnotateArticles.analyse's results for these cleaned rows: the helpers' where they have them (waiting
        for those in progress), the rest analysed here; None (all here) for a step the helpers were not
        started for."""
        params = (self._params or {}).get("annotate", {})
        if dofn.model != params.get("model") or tuple(dofn.components) != tuple(params.get("components", ())):
            return None
        keys = [content_key(r["text"], r.get("title") or None) for r in rows]
        uris = [(r.get("_raw") or {}).get("source_uri") for r in rows]
        results: list = [None] * len(rows)
        waiting: list[tuple[int, _Pulled]] = []
        with self._cond:
            for i, uri in enumerate(uris):
                item = self._pulled.get(uri) if uri else None
                if item is None:
                    continue
                if item.state in ("queued", "sent") and self.helpers:
                    # The Reshuffle before this step mixes the pull order: what this batch needs goes first.
                    if item.state == "queued":
                        self._urgent.append(item)
                    waiting.append((i, item))
                    continue
                if item.state == "done" and item.key == keys[i]:
                    results[i] = item.result
                elif item.state == "queued":
                    item.state = "taken"
                self._claim(uri, item)
            self._cond.notify_all()
        waited = {i for i, _ in waiting}
        here = self._analyse_here(dofn, rows, results, [i for i in range(len(rows))
                                                        if results[i] is None and i not in waited])
        deadline = time.monotonic() + ANNOTATE_RESULT_TIMEOUT_SECONDS
        with self._cond:
            for i, item in waiting:
                # Waiting costs the runner's thread nothing while the helpers have the cores; it stops when no
                # helper is left to take a queued article (their last feeder has given up).
                while ((item.state == "sent" or (item.state == "queued" and self.helpers)) and not self._stopped
                       and time.monotonic() < deadline):
                    self._cond.wait(max(0.0, deadline - time.monotonic()))
                if item.state == "queued":
                    item.state = "taken"
                if item.state == "done" and item.key == keys[i]:
                    results[i] = item.result
                self._claim(uris[i], item)
        here += self._analyse_here(dofn, rows, results, [i for i, _ in waiting if results[i] is None])
        self.analysed_here += here
        self.from_helpers += len(rows) - here
        return results

    @staticmethod
    def _analyse_here(dofn: Any, rows: list[dict[str, Any]], results: list, todo: list[int]) -> int:
        """Fill results[i] for i in todo on this thread; how many."""
        if todo:
            analysed = dofn.analyse([rows[i]["text"] for i in todo], [rows[i].get("title") or None for i in todo])
            for i, result in zip(todo, analysed, strict=True):
                results[i] = result
        return len(todo)
