"""Backfills: re-process an archive of raw articles day by day, each day replacing its partitions whole.

One backfilled day D is one batch run with `--partition_date D`; `python -m pipeline backfill` loops over a
date range, locally or by launching the Flex Template once per day, and the nightly schedule launches the
same run for yesterday. In such a run:

- date placeholders in the input patterns (`{date}` = YYYY-MM-DD, `{yyyy}`, `{mm}`, `{dd}`) become D, so
  `gs://raw/{date}/*.jsonl.gz` reads that day's archive;
- every row of every table is filed under dt=D: the archive's day defines the partition. The partition is
  then exactly "what the archive holds for D", so replacing it is complete and re-running D replaces rather
  than adds. Articles published on another day are counted in the run record (`published_other_day`).
- the day's run replaces, in one commit (pipeline.commit), every table's dt=D partition and the earlier rows
  of the files it reads (wherever the ingest ledger says they went), so a re-run replaces rather than adds
  and a failed run leaves the previous data. A result that looks abnormal (no articles where the day has
  some, or a far higher share of errors) is refused unless --force is given.
- Two runs of the same day must not commit at the same time: the CLI runs days one after another and local
  commits hold a lock on the output root; each Dataflow job of a day has a fixed name (Dataflow refuses a
  second active job of that name), the DAG runs one at a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from pipeline.arguments import LOCAL_RUNNER, parse_run_arguments
from pipeline.days import (  # noqa: F401 - re-exported: the backfill's public helpers
    RELATIVE_DAYS,
    day_pattern,
    day_range,
    has_placeholder,
    parse_day,
    resolve_partition,
)

LOG = logging.getLogger(__name__)

# Dataflow job names: lower-case letters, digits and hyphens, starting with a letter.
JOB_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,1022}[a-z0-9])?$")


# -- days and patterns ------------------------------------------------------------------------------------

def job_name(prefix: str, day: dt.date) -> str:
    name = f"{prefix}-{day:%Y%m%d}"
    if not JOB_NAME.match(name):
        raise ValueError(f"invalid Dataflow job name {name!r}: use lower-case letters, digits and hyphens")
    return name


def _split_extra(extra: Sequence[str]) -> list[tuple[str, str | None]]:
    """['--a', '1', '--b=2', '--flag'] -> [('a', '1'), ('b', '2'), ('flag', None)]."""
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < len(extra):
        arg = extra[i]
        if not arg.startswith("--"):
            raise ValueError(f"unexpected argument {arg!r}")
        name, eq, value = arg[2:].partition("=")
        if not eq and i + 1 < len(extra) and not extra[i + 1].startswith("--"):
            value, eq = extra[i + 1], "="
            i += 1
        out.append((name, value if eq else None))
        i += 1
    return out


def template_parameters(pattern: str, output: str, day: dt.date,
                        extra: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Flex Template parameters of one day, plus the Beam options that go to --additional-pipeline-options.
    The input is the day's own pattern, so the job's parameters show exactly what it reads."""
    from pipeline.template_metadata import parameter_names, validate

    names = parameter_names()
    params = {"input": day_pattern(pattern, day), "output": output, "partition_date": day.isoformat()}
    beam_options = []
    for name, value in _split_extra(extra):
        if name in names:
            params[name] = "true" if value is None else value
        else:
            beam_options.append(f"{name}={'true' if value is None else value}")
    problems = validate(params)
    if problems:
        raise ValueError("; ".join(problems))
    return params, beam_options


def _gcloud_list(values: Sequence[str]) -> str:
    """gcloud's list syntax, switching the delimiter when a value holds a comma (`*.{json,jsonl}`)."""
    text = "".join(values)
    if "," not in text:
        return ",".join(values)
    delimiter = next(d for d in "~|#;@" if d not in text)
    return f"^{delimiter}^" + delimiter.join(values)


def flex_template_command(name: str, template: str, region: str, params: dict[str, str],
                          beam_options: Sequence[str] = (), project: str | None = None,
                          service_account: str | None = None) -> list[str]:
    cmd = ["gcloud", "dataflow", "flex-template", "run", name, f"--template-file-gcs-location={template}",
           f"--region={region}"]
    if project:
        cmd.append(f"--project={project}")
    if service_account:
        cmd.append(f"--service-account-email={service_account}")
    cmd.append("--parameters=" + _gcloud_list([f"{k}={v}" for k, v in params.items()]))
    if beam_options:
        cmd.append("--additional-pipeline-options=" + _gcloud_list(list(beam_options)))
    return cmd


def launch_request(name: str, template: str, params: dict[str, str],
                   environment: dict[str, Any] | None = None) -> dict[str, Any]:
    """Body of POST .../v1b3/projects/P/locations/R/flexTemplates:launch (Cloud Scheduler, Workflows)."""
    body: dict[str, Any] = {"jobName": name, "containerSpecGcsPath": template, "parameters": dict(params)}
    if environment:
        body["environment"] = dict(environment)
    return {"launchParameter": body}


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "backfill", help="Re-process archived raw files day by day; each day replaces its dt= partitions.",
        description="For each day from --start to --end: read the --input pattern with the day filled in, run "
                    "the batch pipeline with every row filed under that dt=, and swap each table's dt= partition "
                    "in whole (staged, then swapped), so a re-run replaces rather than adds and a failed day keeps "
                    "its previous data. Other options (--model, --nlp_batch_size, Beam options) pass through.")
    p.add_argument("--start", required=True, help="First day, YYYY-MM-DD (or 'yesterday').")
    p.add_argument("--end", required=True, help="Last day, included, YYYY-MM-DD (or 'yesterday').")
    p.add_argument("--input", required=True, action="append",
                   help="Raw file pattern with {date} (YYYY-MM-DD) or {yyyy}/{mm}/{dd}, e.g. "
                        "'gs://bucket/raw/{date}/*.jsonl.gz' (repeatable when running here).")
    p.add_argument("--output", required=True, help="Output root (local path or gs://), as for `run`.")
    p.add_argument("--runner", default=LOCAL_RUNNER,
                   help="Runner of each day's job when run from here: 'local' (default) or DataflowRunner.")
    p.add_argument("--template", help="gs:// path of the Flex Template spec: launch one Dataflow job per day "
                                      "from it with gcloud instead of building the pipeline here.")
    p.add_argument("--region", help="Dataflow region (template launches and DataflowRunner).")
    p.add_argument("--project", help="Google Cloud project (template launches and DataflowRunner).")
    p.add_argument("--service_account_email", help="Template launches: the workers' service account.")
    p.add_argument("--job_name_prefix", default="news-backfill",
                   help="Template launches: each day's job is PREFIX-YYYYMMDD; Dataflow refuses a second active "
                        "job of one name, so one day is never swapped by two jobs at once.")
    p.add_argument("--force", action="store_true",
                   help="Replace a day even when its new result looks abnormal (no articles where the day has "
                        "some, or a far higher share of errors); without it such a day keeps its data and fails.")
    p.add_argument("--dry_run", action="store_true",
                   help="Print each day's command (and, with --template, its REST launch request) without "
                        "running anything.")
    return p


def run_backfill(args: argparse.Namespace, extra: list[str]) -> int:
    """Run or launch each day; report every failed day and exit non-zero if there is one."""
    try:
        days = day_range(parse_day(args.start), parse_day(args.end))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    missing = [p for p in args.input if not has_placeholder(p)]
    if missing:
        print(f"error: --input {missing[0]!r} has no date placeholder ({{date}}, {{yyyy}}, {{mm}}, {{dd}}): "
              "every day would read the same files", file=sys.stderr)
        return 2
    if args.template:
        return _launch_template_days(args, days, extra)
    from pipeline.preflight import PreflightError, check_model, check_runner

    run_args, _ = parse_run_arguments(["--runner", args.runner, *extra])
    try:  # once for every day: a mistake costs seconds, not a day's NLP work each
        check_runner(run_args.runner)
        check_model(run_args.model)
    except PreflightError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _run_days(args, days, extra)


def _run_days(args: argparse.Namespace, days: list[dt.date], extra: list[str]) -> int:
    """Each day is one batch run (pipeline.launch.run_batch), one after another."""
    from pipeline.launch import run_batch

    cloud = [f"--{k}={v}" for k in ("project", "region") if (v := getattr(args, k))]
    failed: list[tuple[dt.date, str]] = []
    for day in days:
        argv = ["run", *[a for p in args.input for a in ("--input", p)], "--output", args.output,
                "--partition_date", day.isoformat(), "--runner", args.runner, *cloud,
                *(["--force"] if args.force else []), *extra]
        if args.dry_run:
            print(shlex.join([sys.executable, "-m", "pipeline", *argv]))
            continue
        print(f"backfill {day}: running", flush=True)
        try:
            day_args, beam_args = parse_run_arguments(argv[1:])
            rc = run_batch(day_args, beam_args)
            reason = f"exit status {rc}"
        except Exception as exc:  # noqa: BLE001 - one failed day must not stop the others
            LOG.exception("backfill of %s failed", day)
            rc, reason = 1, f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"
        if rc:
            failed.append((day, reason))
            print(f"backfill {day}: FAILED ({reason}); dt={day} keeps its previous data", flush=True)
    return _report(days, failed, "replaced", args.dry_run)


def _launch_template_days(args: argparse.Namespace, days: list[dt.date], extra: list[str]) -> int:
    if len(args.input) != 1:
        print("error: a template launch takes exactly one --input pattern", file=sys.stderr)
        return 2
    if not args.region:
        print("error: --template needs --region", file=sys.stderr)
        return 2
    gcloud = shutil.which("gcloud")
    if not args.dry_run and not gcloud:
        print("error: gcloud is not installed (use --dry_run to print the commands)", file=sys.stderr)
        return 2
    failed: list[tuple[dt.date, str]] = []
    for day in days:
        try:
            name = job_name(args.job_name_prefix, day)
            params, beam_options = template_parameters(args.input[0], args.output, day, extra)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        cmd = flex_template_command(name, args.template, args.region, params, beam_options, args.project,
                                    args.service_account_email)
        if args.dry_run:
            print(shlex.join(cmd))
            environment: dict[str, Any] = {"additionalPipelineOptions": beam_options} if beam_options else {}
            if args.service_account_email:
                environment["serviceAccountEmail"] = args.service_account_email
            url = (f"https://dataflow.googleapis.com/v1b3/projects/{args.project or 'PROJECT'}/locations/"
                   f"{args.region}/flexTemplates:launch")
            print(f"# POST {url}\n# {json.dumps(launch_request(name, args.template, params, environment))}")
            continue
        done = subprocess.run([gcloud, *cmd[1:]], check=False)  # noqa: S603 - our own argv, no shell
        if done.returncode:
            failed.append((day, f"gcloud exit status {done.returncode}"))
            print(f"backfill {day}: launch FAILED", flush=True)
        else:
            print(f"backfill {day}: launched Dataflow job {name} (it swaps dt={day} in when it finishes)", flush=True)
    return _report(days, failed, "launched", args.dry_run)


def _report(days: list[dt.date], failed: list[tuple[dt.date, str]], verb: str, dry_run: bool) -> int:
    if dry_run:
        print(f"backfill {days[0]}..{days[-1]}: {len(days)} day(s); dry run, nothing was run or launched")
        return 0
    ok = len(days) - len(failed)
    print(f"backfill {days[0]}..{days[-1]}: {len(days)} day(s), {ok} {verb}, {len(failed)} failed")
    if failed:
        print("failed days (their previous data is unchanged): "
              + ", ".join(f"{d} ({why})" for d, why in failed), file=sys.stderr)
        return 1
    return 0
