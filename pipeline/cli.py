"""Command line: `python -m pipeline run ...` (batch or streaming), `backfill`, `publish`, `report`.

This module parses and dispatches; it refuses what it does not understand (argparse style, exit status 2)
before any work starts. The work lives in pipeline.launch (batch), pipeline.streaming, pipeline.backfill,
pipeline.publish and pipeline.report.
"""

from __future__ import annotations

import argparse
import logging
import sys

from pipeline import __version__
from pipeline.arguments import add_run_arguments
from pipeline.preflight import PreflightError, check_model, check_runner, unknown_beam_options

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows every option's default in --help."""


def _common(default: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the subcommand (only the top level sets the default)."""
    parent = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parent.add_argument("--log_level", type=str.upper, choices=LOG_LEVELS,
                        default="WARNING" if default else argparse.SUPPRESS,
                        help="Python log level of the pipeline's own messages.")
    return parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__, formatter_class=_Formatter,
                                     parents=[_common(True)], allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{run,backfill,publish,report}")
    common = _common(False)
    run = sub.add_parser(
        "run", help="Run the pipeline (batch over files, or streaming from Pub/Sub).", parents=[common],
        formatter_class=_Formatter, allow_abbrev=False,
        description="Run the pipeline. Beam options (e.g. --direct_num_workers, --project, --region, "
                    "--temp_location) are accepted too; anything neither knows is refused.")
    add_run_arguments(run)
    from pipeline.backfill import add_parser as add_backfill_parser
    from pipeline.publish import add_parser as add_publish_parser
    from pipeline.report import add_parser as add_report_parser

    for add in (add_backfill_parser, add_publish_parser, add_report_parser):
        p = add(sub)
        if p is not None:
            for action in common._actions:
                p._add_action(action)  # noqa: SLF001 - argparse has no public way to add parents afterwards
            p.formatter_class = _Formatter
    return parser


def _strays(extras: list[str]) -> list[str]:
    """Arguments that cannot be an option's value: no option before them (found without importing Beam)."""
    out = []
    for i, arg in enumerate(extras):
        before = extras[i - 1] if i else ""
        if not arg.startswith("-") and not (before.startswith("--") and "=" not in before):
            out.append(arg)
    return out


def _refuse(parser: argparse.ArgumentParser, extras: list[str], beam_ok: bool) -> None:
    """Exit 2 (argparse style) on a stray positional (say how to quote a glob) or an option nobody knows."""
    stray = _strays(extras)
    unknown = [] if stray else unknown_beam_options(extras) if beam_ok else list(extras)
    options = [a for a in unknown if a.startswith("-")]
    if options:
        parser.error(f"unrecognized option(s): {' '.join(options)} (see --help)")
    stray = stray or [a for a in unknown if not a.startswith("-")]
    if stray:
        hint = ""
        if any("/" in a or "." in a for a in stray):
            hint = ("; an unquoted glob? the shell expanded it into many arguments: quote it, "
                    "e.g. --input 'samples/txt/*.txt'")
        parser.error(f"unexpected argument(s): {' '.join(stray[:3])}{' ...' if len(stray) > 3 else ''}{hint}")


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level, logging.WARNING),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)  # importing Beam already logged a warning, which configured the root logger
    if logging.getLogger().level >= logging.WARNING:
        # Local worker processes relay a harmless WARN about a missing semi_persistent_directory on every run.
        logging.getLogger("apache_beam.runners.portability.local_job_service").setLevel(logging.ERROR)


def _subcommand_first(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """`--output out run --input x` as `run --output out --input x`: a subcommand's options may come before it.

    The subcommand is the first argument that is neither an option nor the value of one (every subcommand's
    options are known here, so `--run_key run` is not mistaken for it); the options before it, except the
    top level's own (--log_level, --version, --help), move after it."""
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse keeps them only here
    takes_value = {s for p in (parser, *commands.values()) for a in p._actions  # noqa: SLF001
                   for s in a.option_strings if a.nargs != 0}
    top_level = {s for a in parser._actions for s in a.option_strings}  # noqa: SLF001
    i, expect_value = 0, False
    while i < len(argv):
        arg = argv[i]
        if expect_value:
            expect_value = False
        elif arg.startswith("-"):
            expect_value = "=" not in arg and arg in takes_value
        elif arg in commands:
            break
        i += 1
    if i == 0 or i >= len(argv):
        return argv
    before, keep, j = argv[:i], [], 0
    moved: list[str] = []
    while j < len(before):
        arg = before[j]
        name = arg.split("=", 1)[0]
        with_value = "=" not in arg and name in takes_value and j + 1 < len(before)
        group = before[j:j + 2] if with_value else [arg]
        (keep if name in top_level else moved).extend(group)
        j += len(group)
    return [*keep, argv[i], *moved, *argv[i + 1:]]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = _subcommand_first(parser, list(sys.argv[1:] if argv is None else argv))
    args, extras = parser.parse_known_args(argv)
    _configure_logging(args.log_level)
    command_parser = parser._subparsers._group_actions[0].choices[args.command]  # noqa: SLF001
    _refuse(command_parser, extras, beam_ok=args.command in ("run", "backfill"))
    try:
        if args.command == "run":
            return _dispatch_run(command_parser, args, extras)
        if args.command == "backfill":
            from pipeline.backfill import run_backfill

            return run_backfill(args, extras)
        if args.command == "publish":
            from pipeline.publish import run_publish

            return run_publish(args)
        from pipeline.report import run_report

        return run_report(args)
    except PreflightError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _dispatch_run(parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]) -> int:
    if not args.output:
        parser.error("the following arguments are required: --output")
    streaming = bool(args.input_subscription or args.input_topic or "--streaming" in extras)
    if not streaming and not args.input:
        parser.error("give --input GLOB (batch), or --input_subscription / --input_topic (streaming)")
    check_runner(args.runner)
    check_model(args.model)
    if streaming:
        from pipeline.launch import run_stream

        return run_stream(args, extras)
    from pipeline.batch_plan import RUN_KEY
    from pipeline.launch import run_batch

    if args.run_key and not RUN_KEY.match(args.run_key):
        parser.error(f"--run_key {args.run_key!r} may only hold letters, digits, '-' and '_'")
    return run_batch(args, extras)


if __name__ == "__main__":
    sys.exit(main())
