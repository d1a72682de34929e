"""Command line: `python -m pipeline run ...` (batch or streaming), `publish`, `backfill`."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from pipeline.options import LOCAL_RUNNER, NewsPipelineOptions, default_local_workers, split_components

LOG = logging.getLogger("pipeline")


def _pipeline_options(beam_args: list[str], runner: str, streaming: bool):
    from apache_beam.options.pipeline_options import PipelineOptions

    if runner == LOCAL_RUNNER:
        # Chosen explicitly: the default DirectRunner would first try to download Prism.
        runner = "BundleBasedDirectRunner" if streaming else "FnApiRunner"
        if not streaming and not any(a.startswith("--direct_num_workers") for a in beam_args):
            # One spaCy process per core: the annotate step is CPU-bound.
            beam_args = [*beam_args, f"--direct_num_workers={default_local_workers()}",
                         "--direct_running_mode=multi_processing"]
    return PipelineOptions(beam_args, runner=runner, streaming=streaming, save_main_session=False)


def stage_times(result) -> str:
    """CPU time spent in the timed stages, from the pipeline's metrics (where the runner reports them)."""
    from pipeline.run_record import stage_seconds

    try:
        seconds = stage_seconds(result)
    except Exception:  # noqa: BLE001 - some runners do not report metrics; the run itself succeeded
        return "not reported by this runner"
    return "  ".join(f"{name}={value:.1f}s" for name, value in seconds.items()) or "none recorded"


def run_batch(args: argparse.Namespace, beam_args: list[str]) -> int:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import StandardOptions

    from pipeline.backfill import resolve_partition
    from pipeline.batch import RUN_KEY, build_batch, default_run_key
    from pipeline.graph import GraphConfig
    from pipeline.run_record import RUNS_DIR, new_run_id, read_record, summary_line
    from pipeline.sinks import join
    from pipeline.sources import expand_patterns

    try:
        patterns, partition_date = resolve_partition(args.input, args.partition_date)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    counts = expand_patterns(patterns)
    empty = [p for p, n in counts.items() if n == 0]
    if empty:
        print(f"error: no files match {', '.join(empty)}", file=sys.stderr)
        return 2
    run_key = args.run_key or default_run_key(patterns)
    if not RUN_KEY.match(run_key):
        print(f"error: --run_key {run_key!r} may only hold letters, digits, '-' and '_'", file=sys.stderr)
        return 2
    run_id = new_run_id(run_key)
    config = GraphConfig(model=args.model, components=split_components(args.nlp_components),
                         nlp_batch_size=args.nlp_batch_size, max_input_bytes=args.max_input_bytes,
                         max_nlp_chars=args.max_nlp_chars)
    options = _pipeline_options(beam_args, args.runner, streaming=False)
    started = time.time()
    LOG.info("batch run %s: %d file(s) -> %s", run_id, sum(counts.values()), args.output)
    p = beam.Pipeline(options=options)
    build_batch(p, patterns, args.output, config, run_key, run_id, args.shards_per_partition, started,
                partition_date=partition_date)
    result = p.run()
    if options.view_as(StandardOptions).no_wait_until_finish:  # a Flex Template launch only submits the job
        print(f"run {run_id}: submitted; its record will be {RUNS_DIR}/run-{run_id}.json under {args.output}")
        return 0
    result.wait_until_finish()
    record = read_record(join(args.output, RUNS_DIR, f"run-{run_id}.json"))
    print(f"run {run_id}: {summary_line(record)}")
    if partition_date:
        swapped = record["swapped"]
        print(f"dt={partition_date} replaced in every table: {sum(t['removed'] for t in swapped.values())} old "
              f"file(s) out, {sum(t['added'] for t in swapped.values())} new in; "
              f"{record['counts']['published_other_day']} article(s) published on another day")
    print(f"stage time (summed over workers): {stage_times(result)}")
    print(f"tables under {args.output}: articles/ entities/ quotes/ errors/ (dt= partitions); "
          f"run record {RUNS_DIR}/run-{run_id}.json")
    return 0


def run_stream(args: argparse.Namespace, beam_args: list[str]) -> int:
    """`run --streaming`: Pub/Sub in, windowed Parquet out, until SIGTERM/Ctrl-C (see pipeline/streaming.py)."""
    import hashlib

    from pipeline.batch import RUN_KEY
    from pipeline.graph import GraphConfig
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
    config = GraphConfig(model=args.model, components=split_components(args.nlp_components),
                         nlp_batch_size=args.nlp_batch_size, max_input_bytes=args.max_input_bytes,
                         max_nlp_chars=args.max_nlp_chars)
    beam_args = [a for a in beam_args if a != "--streaming"]
    return run_streaming(_pipeline_options(beam_args, args.runner, streaming=True), settings, config)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="news-pipeline", description=__doc__)
    parser.add_argument("--log_level", default="WARNING", help="Python log level (DEBUG, INFO, WARNING).")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="Run the pipeline (batch over files, or streaming from Pub/Sub).",
        description="Run the pipeline. Options not listed here (e.g. --direct_num_workers, "
                    "--direct_running_mode, --project, --region, --temp_location) pass through to Beam.")
    NewsPipelineOptions._add_argparse_args(run)
    run.add_argument("--runner", default=LOCAL_RUNNER,
                     help="Beam runner. 'local' (default) picks the in-process runner for the mode "
                          "(FnApiRunner for batch, BundleBasedDirectRunner for streaming) and never touches "
                          "the network; DataflowRunner for production.")
    from pipeline.backfill import add_parser as add_backfill_parser

    add_backfill_parser(sub)
    from pipeline.publish import add_parser as add_publish_parser

    add_publish_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, beam_args = parser.parse_known_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper(), logging.WARNING),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)  # importing Beam already logged a warning, which configured the root logger
    if logging.getLogger().level >= logging.WARNING:
        # Local worker processes relay a harmless WARN about a missing semi_persistent_directory on every run.
        logging.getLogger("apache_beam.runners.portability.local_job_service").setLevel(logging.ERROR)
    if args.command == "run":
        if not args.output:
            parser.error("run: --output is required")
        if args.input_subscription or args.input_topic or "--streaming" in beam_args:
            return run_stream(args, beam_args)
        if not args.input:
            parser.error("run: give --input GLOB (batch), or --input_subscription / --input_topic (streaming)")
        return run_batch(args, beam_args)
    if args.command == "publish":
        from pipeline.publish import run_publish

        return run_publish(args)
    if args.command == "backfill":
        from pipeline.backfill import run_backfill

        return run_backfill(args, beam_args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
