"""The Flex Template's interface, derived from NewsPipelineOptions: metadata.json and the launcher's argv.

Every user-facing option becomes one template parameter with its help text and a validation regex, so
the template cannot accept an option the pipeline lacks or miss one it has.

    python -m pipeline.template_metadata          # rewrite deploy/dataflow/metadata.json
    python -m pipeline.template_metadata --check  # exit 1 if the file and the options class disagree
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline.options import NewsPipelineOptions

METADATA_PATH = Path(__file__).resolve().parent.parent / "deploy" / "dataflow" / "metadata.json"
IMAGE_ENV = "NEWS_PIPELINE_IMAGE"  # set in the image at build time: the workers run the launcher's image
REQUIRED = frozenset({"output"})  # both modes need it; the input (files or Pub/Sub) depends on the mode

_LINE = r"^[^\n\r]+$"
# Regexes for options whose values have a known shape; other options get one by type (see _regex).
REGEXES: dict[str, str] = {
    "input": r"^gs://[^\n\r]+$",
    "output": r"^gs://[^\n\r*?\[\]{}]+$",
    "partition_date": r"^([0-9]{4}-[0-9]{2}-[0-9]{2}|yesterday|today)$",
    "model": r"^[A-Za-z0-9_.\-]+$",
    "nlp_components": r"^[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*$",
    "run_key": r"^[A-Za-z0-9_\-]+$",
    "input_subscription": r"^projects/[^/]+/subscriptions/[^/]+$",
    "input_topic": r"^projects/[^/]+/topics/[^/]+$",
    "dead_letter_topic": r"^projects/[^/]+/topics/[^/]+$",
}


def option_actions() -> list[argparse.Action]:
    """The argparse actions of NewsPipelineOptions: the one source of the pipeline's options."""
    parser = argparse.ArgumentParser(add_help=False)
    NewsPipelineOptions._add_argparse_args(parser)
    return [a for a in parser._actions if a.option_strings]


def _is_flag(action: argparse.Action) -> bool:
    return isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction)


def _regex(action: argparse.Action) -> str:
    if action.dest in REGEXES:
        return REGEXES[action.dest]
    if _is_flag(action):
        return r"^(true|false)$"
    if action.choices:
        return "^(" + "|".join(re.escape(str(c)) for c in action.choices) + ")$"
    if action.type is int:
        return r"^[0-9]+$"
    if action.type is float:
        return r"^[0-9]+(\.[0-9]+)?$"
    return _LINE


def _help(action: argparse.Action) -> str:
    text = " ".join((action.help or "").split())
    if _is_flag(action):
        return f"{text} true or false; default false."
    if action.default not in (None, [], ""):
        return f"{text} Default: {action.default}."
    return text


def parameters() -> list[dict[str, Any]]:
    return [
        {
            "name": a.dest,
            "label": a.dest.replace("_", " ").capitalize(),
            "helpText": _help(a),
            "isOptional": a.dest not in REQUIRED,
            "regexes": [_regex(a)],
        }
        for a in option_actions()
    ]


def parameter_names() -> set[str]:
    return {a.dest for a in option_actions()}


def metadata() -> dict[str, Any]:
    return {
        "name": "news-pipeline",
        "description": "News ingestion: Pub/Sub (streaming) or gs:// files (batch, backfill with partition_date) "
                       "to Parquet tables of articles, entities, quotes and errors.",
        "streaming": True,
        "supportsAtLeastOnce": True,
        "supportsExactlyOnce": True,
        "defaultStreamingMode": "EXACTLY_ONCE",
        "parameters": parameters(),
    }


def render() -> str:
    return json.dumps(metadata(), indent=2, ensure_ascii=False) + "\n"


def validate(params: Mapping[str, str]) -> list[str]:
    """What the Dataflow service would refuse: unknown names and values not matching their regex."""
    by_name = {p["name"]: p for p in parameters()}
    problems = []
    for name, value in params.items():
        spec = by_name.get(name)
        if spec is None:
            problems.append(f"{name}: not a template parameter")
        elif not all(re.fullmatch(rx, value) for rx in spec["regexes"]):
            problems.append(f"{name}={value!r} does not match {spec['regexes'][0]}")
    return problems


def launcher_argv(argv: Sequence[str], env: Mapping[str, str] = os.environ) -> list[str]:
    """The Flex Template launcher's arguments as a `run` command line.

    The launcher passes parameters as --name=value: flags arrive as --flag=true/false. The job must not
    be waited for (the launcher only builds and submits it), runs on Dataflow, and its workers use this
    same image unless sdk_container_image says otherwise.
    """
    flags = {a.dest for a in option_actions() if _is_flag(a)}
    out: list[str] = []
    for arg in argv:
        name, eq, value = arg[2:].partition("=") if arg.startswith("--") else ("", "", "")
        if eq and name in flags:
            if value.lower() == "true":
                out.append(f"--{name}")
            continue
        out.append(arg)
    given = {a[2:].partition("=")[0] for a in out if a.startswith("--")}
    if "runner" not in given:
        out.append("--runner=DataflowRunner")
    if env.get(IMAGE_ENV) and "sdk_container_image" not in given:
        out.append(f"--sdk_container_image={env[IMAGE_ENV]}")
    if "no_wait_until_finish" not in given:
        out.append("--no_wait_until_finish")
    return ["run", *out]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="Compare instead of writing; exit 1 on a difference.")
    parser.add_argument("--path", type=Path, default=METADATA_PATH)
    args = parser.parse_args(argv)
    expected = render()
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
        if current != expected:
            print(f"{args.path} is out of date with NewsPipelineOptions: run python -m pipeline.template_metadata",
                  file=sys.stderr)
            return 1
        print(f"{args.path}: {len(parameters())} parameters, in step with NewsPipelineOptions")
        return 0
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(expected, encoding="utf-8")
    print(f"wrote {args.path} ({len(parameters())} parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
