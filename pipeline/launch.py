"""Launching a batch run: list the inputs, decide what to read from the ledger, run, report.

`run_batch` is what `python -m pipeline run --input ...` and each day of `backfill` call. It returns the exit
status: 0 when the run committed and its counts reconcile, 1 when it failed or does not reconcile (nothing of a
failed run is visible), 2 for a usage error found before any work.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
from typing import Any

from pipeline.arguments import LOCAL_RUNNER, default_local_workers, split_components
from pipeline.commit import COMMIT_DIR, discard_stale_staging, hold_staging, join, recover
from pipeline.inputs import list_inputs
from pipeline.preflight import PreflightError, check_output_not_read, check_output_root
from pipeline.run_record import new_run_id, read_record, reconciles, record_path, summary_line

LOG = logging.getLogger("pipeline")


def pipeline_options(beam_args: list[str], runner: str, streaming: bool):
    from apache_beam.options.pipeline_options import PipelineOptions

    if runner == LOCAL_RUNNER:
        # Chosen explicitly: the default DirectRunner would first try to download Prism.
        runner = "BundleBasedDirectRunner" if streaming else "FnApiRunner"
        # One spaCy process per core: the annotate step is CPU-bound. A batch run gets that many worker
        # processes; a stream, whose runner has one thread, that many spaCy processes (local_pubsub.AnnotatePool).
        if not any(a.startswith("--direct_num_workers") for a in beam_args):
            beam_args = [*beam_args, f"--direct_num_workers={default_local_workers()}"]
        # Several batch workers need processes (Beam's default mode would run them all in this one).
        if not streaming and not any(a.startswith("--direct_running_mode") for a in beam_args):
            beam_args = [*beam_args, "--direct_running_mode=multi_processing"]
    return PipelineOptions(beam_args, runner=runner, streaming=streaming, save_main_session=False)


def graph_config(args: argparse.Namespace):
    from pipeline.graph import GraphConfig

    return GraphConfig(model=args.model, components=split_components(args.nlp_components),
                       nlp_batch_size=args.nlp_batch_size, max_input_bytes=args.max_input_bytes,
                       max_nlp_chars=args.max_nlp_chars)


def add_stage_times(seconds: dict[str, float] | None, result: Any) -> dict[str, float] | None:
    """seconds plus the CPU time of the timed stages of one pass, from the pipeline's metrics (None where the
    runner reports none). Summed as the passes end: a run in hundreds of passes keeps no result objects."""
    from pipeline.run_record import stage_seconds

    if seconds is None:
        return None
    try:
        found = stage_seconds(result)
    except Exception:  # noqa: BLE001 - some runners do not report metrics; the run itself succeeded
        return None
    out = dict(seconds)
    for name, value in found.items():
        out[name] = out.get(name, 0.0) + value
    return out


def stage_times(seconds: dict[str, float] | None) -> str:
    if seconds is None:
        return "not reported by this runner"
    return "  ".join(f"{name}={value:.1f}s" for name, value in sorted(seconds.items())) or "none recorded"


def plan_run(args: argparse.Namespace, patterns: list[str], partition_date: str | None, run_id: str):
    """(BatchPlan, note) from the listed files and the ledger; raises PreflightError when nothing matches."""
    from pipeline.batch_plan import BatchPlan
    from pipeline.ledger import read_ledger

    files, unmatched = list_inputs(patterns, follow_symlinks=args.follow_symlinks)
    if unmatched:
        raise PreflightError(f"no files match {', '.join(unmatched)}")
    check_output_not_read(args.output, patterns, [f.uri for f in files])
    ledger = read_ledger(args.output)
    read, replaces, skipped = [], [], 0
    for f in files:
        seen = ledger.get(f.uri)
        if seen is None:  # new (a refused input too: its errors row is written once, not on every rerun)
            read.append(f)
        elif args.reprocess or partition_date or (seen.size, seen.version) != (f.size, f.version):
            read.append(f)  # read again: its earlier rows are replaced by this run's
            replaces.append(f.uri)
        else:
            skipped += 1
    plan = BatchPlan(
        run_id=run_id, output=args.output, files=tuple(vars(f) for f in read), replaces=tuple(replaces),
        owners={uri: ledger[uri].run_id for uri in replaces}, skipped=skipped, partition_date=partition_date,
        force=getattr(args, "force", False),
        follow_symlinks=args.follow_symlinks, max_record_bytes=args.max_record_bytes, inputs=tuple(patterns))
    note = (f"{len(files)} file(s) listed: {len(read)} to read ({len(replaces)} again, replacing their rows), "
            f"{skipped} already ingested")
    return plan, note


def run_batch(args: argparse.Namespace, beam_args: list[str]) -> int:
    from pipeline.days import resolve_partition

    try:
        patterns, partition_date = resolve_partition(args.input, args.partition_date)
        check_output_root(args.output)
        if args.records_per_pass < 1:
            raise ValueError("--records_per_pass must be at least 1")
        run_id = new_run_id(args.run_key or "batch")
        recovered = recover(args.output)
        if recovered:
            print(f"finished the commit of {len(recovered)} earlier run(s) that had stopped half way",
                  file=sys.stderr)
        discard_stale_staging(args.output)
        plan, note = plan_run(args, patterns, partition_date, run_id)
    except (PreflightError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"run {run_id}: {note}", file=sys.stderr, flush=True)
    if not plan.files:
        print(f"run {run_id}: nothing new to ingest (every listed file is in the ledger; --reprocess reads "
              "them again)")
        return 0
    import apache_beam as beam
    from apache_beam.options.pipeline_options import StandardOptions

    from pipeline.batch import build_batch, finish_run, record_base
    from pipeline.passes import plan_passes, read_summaries, summary_path
    from pipeline.preflight_dataflow import refuse_unready_dataflow
    from pipeline.progress import Progress
    from pipeline.watchdog import WorkerWatchdog

    options = pipeline_options(beam_args, args.runner, streaming=False)
    refused = refuse_unready_dataflow(options)  # e.g. no --sdk_container_image: workers could not import us
    if refused:
        return refused
    lock = hold_staging(args.output, run_id)
    started = time.time()
    local = args.runner == LOCAL_RUNNER
    config = graph_config(args)
    passes = [list(plan.files)]
    if local:  # Beam's local runner holds every stage's output in memory: large inputs run in passes
        from pipeline.sources import count_lines

        passes = plan_passes(plan.files, args.records_per_pass,
                             lambda f: count_lines(f, args.follow_symlinks))
        if len(passes) > 1:
            print(f"run {run_id}: {len(passes)} passes of at most {args.records_per_pass} inputs "
                  "(--records_per_pass), one commit at the end", file=sys.stderr, flush=True)
    progress = Progress(args.output, run_id, total_files=sum(map(len, passes))) if local else None
    record = join(args.output, record_path(run_id))
    intent = join(args.output, COMMIT_DIR, f"{run_id}.json")
    seconds: dict[str, float] | None = {}
    try:
        if progress:
            progress.start()
        for k, units in enumerate(passes):
            pass_no = k if len(passes) > 1 else None
            p = beam.Pipeline(options=options)
            build_batch(p, dataclasses.replace(plan, files=tuple(units)), config, args.shards_per_partition,
                        started, pass_no)
            done = record if pass_no is None else summary_path(args.output, run_id, k)
            # Watches from a thread of this process: the local runner's run() blocks until the job ends.
            watchdog = WorkerWatchdog(finished=lambda done=done: os.path.exists(done),
                                      committing=lambda: os.path.exists(intent)) if local else None
            if watchdog:
                watchdog.start()
            try:
                result = p.run()
                if options.view_as(StandardOptions).no_wait_until_finish:  # a Flex Template launch only submits
                    print(f"run {run_id}: submitted; its record will be {record_path(run_id)} under {args.output}")
                    return 0
                result.wait_until_finish()
            finally:
                if watchdog:
                    watchdog.stop()
            seconds = add_stage_times(seconds, result)
        if len(passes) > 1:  # the run's one commit, here: plan.files (all passes) go to the ledger
            staged, counts = read_summaries(args.output, run_id, len(passes))
            finish_run(plan, staged, counts, dict(record_base(plan, config), passes=len(passes)), started)
    except Exception as exc:  # noqa: BLE001 - one line for the user; the traceback at DEBUG
        LOG.debug("run failed", exc_info=True)
        print(f"run {run_id}: FAILED: {_first_line(exc)}; nothing of this run was published", file=sys.stderr)
        return 1
    finally:
        if progress:
            progress.stop()
        if lock is not None:
            os.close(lock)
    return report(args, run_id, seconds, partition_date)


def _first_line(exc: BaseException) -> str:
    """The message that says what went wrong, without a worker's traceback around it."""
    text = str(exc)
    if "CommitError: " in text:  # a refused or failed commit in the job's last step
        return text.split("CommitError: ", 1)[1].splitlines()[0]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:300]


def report(args: argparse.Namespace, run_id: str, seconds: dict[str, float] | None, partition_date: str | None
           ) -> int:
    record = read_record(join(args.output, record_path(run_id)))
    print(f"run {run_id}: {summary_line(record)}")
    if partition_date:
        swapped = record["swapped"]
        print(f"dt={partition_date} replaced in every table: {sum(t['removed'] for t in swapped.values())} old "
              f"file(s) out, {sum(t['added'] for t in swapped.values())} new in; "
              f"{record['counts'].get('published_other_day', 0)} article(s) published on another day")
    print(f"stage time (summed over workers): {stage_times(seconds)}")
    print(f"tables under {args.output}: articles/ entities/ quotes/ errors/ (dt= partitions); "
          f"run record {record_path(run_id)}")
    if not reconciles(record["counts"]):
        print(f"error: run {run_id}: counts do not reconcile (inputs != articles + errors + duplicates)",
              file=sys.stderr)
        return 1
    return 0


def run_stream(args: argparse.Namespace, beam_args: list[str]) -> int:
    """`run --streaming`: Pub/Sub in, windowed Parquet out, until SIGTERM/Ctrl-C (see pipeline/streaming.py)."""
    import hashlib

    from pipeline.batch_plan import RUN_KEY
    from pipeline.run_record import new_run_id
    from pipeline.streaming import StreamingSettings, run_streaming

    if args.input:
        print("error: --input reads files (batch); streaming reads --input_subscription or --input_topic",
              file=sys.stderr)
        return 2
    if bool(args.input_subscription) == bool(args.input_topic):
        print("error: streaming needs exactly one of --input_subscription or --input_topic", file=sys.stderr)
        return 2
    from apache_beam.io.gcp.pubsub import parse_subscription, parse_topic

    checks = {"input_subscription": parse_subscription, "input_topic": parse_topic, "dead_letter_topic": parse_topic}
    for name, check in checks.items():
        value = getattr(args, name)
        try:
            if value:
                check(value)  # Beam's own rules (projects/P/subscriptions/S, project names of 6-30 chars...)
        except ValueError as exc:
            print(f"error: --{name}: {exc}", file=sys.stderr)
            return 2
    if args.window_seconds <= 0 or args.allowed_lateness_seconds < 0 or args.dedup_horizon_seconds <= 0:
        print("error: --window_seconds and --dedup_horizon_seconds must be positive, --allowed_lateness_seconds "
              "not negative", file=sys.stderr)
        return 2
    source = args.input_subscription or args.input_topic
    run_key = args.run_key or hashlib.sha256(source.encode()).hexdigest()[:12]
    if not RUN_KEY.match(run_key):
        print(f"error: --run_key {run_key!r} may only hold letters, digits, '-' and '_'", file=sys.stderr)
        return 2
    settings = StreamingSettings(
        output=args.output, run_id=new_run_id(run_key), subscription=args.input_subscription,
        topic=args.input_topic, window_seconds=args.window_seconds,
        allowed_lateness_seconds=args.allowed_lateness_seconds, timestamp_attribute=args.timestamp_attribute,
        dead_letter_topic=args.dead_letter_topic, dedup_horizon_seconds=args.dedup_horizon_seconds)
    config = graph_config(args)
    beam_args = [a for a in beam_args if a != "--streaming"]
    return run_streaming(pipeline_options(beam_args, args.runner, streaming=True), settings, config)
