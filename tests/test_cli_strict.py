"""A command line that cannot silently do the wrong thing: what it does not understand is an exit-2 error,
pre-flight mistakes are one line without a traceback, and a run that does not reconcile fails."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from pipeline import __version__
from pipeline.launch import report
from pipeline.progress import Progress, progress_line
from tests.conftest import SAMPLES, run_cli

ONE = str(SAMPLES / "txt" / "kyiv-security-guarantees.txt")


def refused(result, *needles: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr[-2000:]


def test_an_unquoted_glob_is_refused_with_a_hint(tmp_path):
    files = sorted(str(p) for p in (SAMPLES / "txt").glob("*.txt"))
    result = run_cli("run", "--input", *files, "--output", str(tmp_path / "o"))
    refused(result, "unexpected argument", "quote it")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("option", ["--modle=en_core_web_md", "--modle", "--direct_num_wrkers=2"])
def test_an_option_nobody_knows_is_refused(tmp_path, option):
    result = run_cli("run", "--input", ONE, "--output", str(tmp_path / "o"), option, *(
        ["en_core_web_md"] if "=" not in option else []))
    refused(result, "unrecognized option", option.split("=")[0])


def test_options_work_before_and_after_the_subcommand(tmp_path):
    for args in (["--log_level", "ERROR", "run"], ["run", "--log_level", "ERROR"]):
        result = run_cli(*args, "--input", str(tmp_path / "none-*.txt"), "--output", str(tmp_path / "o"))
        refused(result, "no files match")
    refused(run_cli("--log_level", "LOUD", "run"), "invalid choice")
    # A subcommand's own options may come before it too.
    result = run_cli("--output", str(tmp_path / "o"), "--input", str(tmp_path / "none-*.txt"), "run")
    refused(result, "no files match")
    refused(run_cli("--modle", "x", "run", "--input", ONE, "--output", str(tmp_path / "o")), "unrecognized option")


def test_version_and_help():
    result = run_cli("--version")
    assert result.returncode == 0 and __version__ in result.stdout
    result = run_cli("run", "--help")
    assert result.returncode == 0
    assert "(default: 32)" in result.stdout  # --nlp_batch_size
    assert "--reprocess" in result.stdout and "--follow_symlinks" in result.stdout


@pytest.mark.parametrize("case", ["model", "output_file", "output_unwritable", "runner", "output_in_input"])
def test_preflight_mistakes_are_one_line(tmp_path, case):
    out = tmp_path / "o"
    args = ["run", "--input", ONE, "--output", str(out)]
    if case == "model":
        args += ["--model", "en_core_web_nope"]
        needle = "no such spaCy model"
    elif case == "output_file":
        out.write_text("a file")
        needle = "is not a folder"
    elif case == "output_unwritable":
        if os.geteuid() == 0:
            pytest.skip("root can write anywhere")
        out.mkdir()
        out.chmod(0o500)
        needle = "not writable"
    elif case == "runner":
        args += ["--runner", "DataflowRuner"]
        needle = "not a runner Beam knows"
    else:
        data = tmp_path / "data"
        data.mkdir()
        (data / "a.txt").write_text("t\n\nSome text.", encoding="utf-8")
        args = ["run", "--input", str(data / "**"), "--output", str(data / "out")]
        needle = "inside"
    result = run_cli(*args)
    refused(result, needle)
    assert len([line for line in result.stderr.splitlines() if line.strip()]) <= 3


def test_a_run_that_does_not_reconcile_exits_non_zero(tmp_path, capsys):
    import argparse
    import json

    (tmp_path / "_runs").mkdir()
    record = {"run_id": "r", "counts": {"inputs": 5, "articles": 3, "errors": 1, "duplicates": 0}}
    (tmp_path / "_runs" / "run-r.json").write_text(json.dumps(record))
    args = argparse.Namespace(output=str(tmp_path))
    assert report(args, "r", seconds=None, partition_date=None) == 1
    captured = capsys.readouterr()
    assert "[MISMATCH]" in captured.out and "do not reconcile" in captured.err
    record["counts"]["errors"] = 2
    (tmp_path / "_runs" / "run-r.json").write_text(json.dumps(record))
    assert report(args, "r", seconds=None, partition_date=None) == 0


def test_progress_lines_say_files_articles_rate_and_eta(tmp_path):
    line = progress_line({"read": (120, 3), "annotated": (60, 0)}, total_files=6, elapsed=30.0)
    assert line.startswith("files read 3/6, articles annotated 60 of 120 read, 2.0 articles/s, ETA")
    folder = tmp_path / "_staging" / "run1" / "progress"
    folder.mkdir(parents=True)
    (folder / "read-1-a").write_text("10 2")
    (folder / "read-2-b").write_text("5 1")
    (folder / "annotated-1-a").write_text("7 0")
    stream = io.StringIO()
    progress = Progress(str(tmp_path), "run1", total_files=4, stream=stream)
    import pipeline.progress as module

    old = module.LOG_EVERY
    module.LOG_EVERY = 0.5
    try:
        progress.start()
        import time

        time.sleep(2.5)
        progress.stop()
    finally:
        module.LOG_EVERY = old
    assert re.search(r"\[progress\] files read 3/4, articles annotated 7 of 15 read", stream.getvalue())


def test_a_batch_run_reports_progress_on_stderr(tmp_path):
    result = run_cli("run", "--input", str(SAMPLES / "txt" / "*.txt"), "--output", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "11 file(s) listed: 11 to read" in result.stderr


def test_publish_to_an_unreachable_host_fails_and_says_how_many(tmp_path):
    env_host = os.environ.get("PUBSUB_EMULATOR_HOST")
    os.environ["PUBSUB_EMULATOR_HOST"] = "127.0.0.1:9"  # nothing listens there
    try:
        result = run_cli("publish", "--topic", "projects/p/topics/t", ONE, "--timeout", "3", "--no_progress",
                         timeout=120)
    finally:
        if env_host is None:
            os.environ.pop("PUBSUB_EMULATOR_HOST")
        else:
            os.environ["PUBSUB_EMULATOR_HOST"] = env_host
    assert result.returncode == 1, (result.stdout, result.stderr[-1500:])
    assert "1 of 1 message(s) were not acknowledged" in result.stderr
    assert "published 1" not in result.stdout


def test_local_patterns_reach_the_run_as_absolute_paths(tmp_path):
    result = run_cli("run", "--input", "samples/txt/kyiv-*.txt", "--output", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr[-2000:]
    import json

    (record_path,) = list((tmp_path / "o" / "_runs").glob("*.json"))
    assert json.loads(record_path.read_text())["counts"]["articles"] == 1
    ledger = next((tmp_path / "o" / "_ledger").glob("*.jsonl")).read_text()
    assert json.loads(ledger.splitlines()[0])["uri"] == str(Path(SAMPLES / "txt" / "kyiv-security-guarantees.txt"))
