"""Backfills on local paths: day expansion, the day's replacement, abnormal days, reruns, failed days, dry runs.

The pipeline really runs (in-process, FnApiRunner) on a tiny archive written here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import shlex
from pathlib import Path

import pytest

from pipeline.backfill import (
    day_pattern,
    day_range,
    job_name,
    parse_day,
    resolve_partition,
)
from pipeline.batch_plan import abnormal_day
from pipeline.cli import main
from pipeline.schemas import TABLES
from pipeline.sinks import read_table
from pipeline.template_metadata import validate
from tests.conftest import run_cli

ONE_PROCESS = "--direct_num_workers=1"  # keeps the tests to one spaCy load per process


def article(aid: str, published: str | None, text: str) -> str:
    row = {"id": aid, "title": f"Story {aid}", "text": text}
    if published:
        row["published_at"] = published
    return json.dumps(row)


ARCHIVE = {
    "2026-11-01": {
        "a.json": article("d1-a", "2026-11-01T08:00:00Z",
                          "The council passed the budget on Monday.\n\n“It was a hard choice,” Mayor Ann Lee said."),
        # Published the evening before, archived on the 1st: filed under the archive's day.
        "b.json": article("d1-b", "2026-10-31T23:30:00Z",
                          "Tom Becker opened the new harbour in Lisbon.\n\nBecker said the work was finished on time."),
    },
    "2026-11-02": {
        "a.json": article("d2-a", "2026-11-02T09:00:00Z",
                          "Rail fares will rise in Ottawa, Grace Mensah announced.\n\n“Nobody likes it,” Mensah said."),
        "bad.json": "{not json",
    },
}


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def snapshot(root: Path) -> dict[str, str]:
    """Every file a reader sees (ROOT/<table>/dt=*/*.parquet) with a hash of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.glob("*/dt=*/*.parquet"))}


def rows_by_day(root: Path, table: str) -> dict[str, list]:
    t = read_table(str(root), table).to_pylist()
    key = "article_id" if table != "errors" else "source_uri"
    out: dict[str, list] = {}
    for r in t:
        out.setdefault(r["dt"], []).append(r[key] if table != "errors" else Path(r[key]).name)
    return {d: sorted(v) for d, v in out.items()}


# -- days and patterns -------------------------------------------------------------------------------------

def test_day_range_is_inclusive_and_ordered():
    days = day_range(dt.date(2026, 10, 30), dt.date(2026, 11, 2))
    assert [d.isoformat() for d in days] == ["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"]
    assert day_range(dt.date(2026, 11, 1), dt.date(2026, 11, 1)) == [dt.date(2026, 11, 1)]
    with pytest.raises(ValueError, match="before"):
        day_range(dt.date(2026, 11, 2), dt.date(2026, 11, 1))


def test_patterns_and_relative_days():
    day = dt.date(2026, 3, 7)
    assert day_pattern("gs://b/raw/{date}/*.json", day) == "gs://b/raw/2026-03-07/*.json"
    assert day_pattern("raw/{yyyy}/{mm}/{dd}/*.{json,jsonl}", day) == "raw/2026/03/07/*.{json,jsonl}"
    assert parse_day("yesterday", today=dt.date(2026, 3, 1)) == dt.date(2026, 2, 28)
    assert parse_day("today", today=dt.date(2026, 3, 1)) == dt.date(2026, 3, 1)
    with pytest.raises(ValueError, match="not a date"):
        parse_day("2026-02-30")
    assert resolve_partition(["a/*.json"], None) == (["a/*.json"], None)
    assert resolve_partition(["raw/{date}/*"], "2026-03-07") == (["raw/2026-03-07/*"], "2026-03-07")
    with pytest.raises(ValueError, match="partition_date"):
        resolve_partition(["raw/{date}/*"], None)


def test_job_names_are_valid_dataflow_names():
    assert job_name("news-backfill", dt.date(2026, 11, 1)) == "news-backfill-20261101"
    with pytest.raises(ValueError):
        job_name("News_Backfill", dt.date(2026, 11, 1))


# -- abnormal days ---------------------------------------------------------------------------------------

def test_an_abnormal_day_is_not_swapped_in():
    assert abnormal_day({"articles": 0, "errors": 3}, {"articles": 40, "errors": 1})
    assert abnormal_day({"articles": 10, "errors": 30}, {"articles": 40, "errors": 1})
    assert abnormal_day({"articles": 38, "errors": 3}, {"articles": 40, "errors": 1}) is None
    assert abnormal_day({"articles": 0, "errors": 0}, {"articles": 0, "errors": 0}) is None  # nothing to keep
    assert abnormal_day({"articles": 5, "errors": 5}, {}) is None  # a first run of the day


# -- real backfills ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    for day, files in ARCHIVE.items():
        (raw / day).mkdir()
        for name, body in files.items():
            (raw / day / name).write_text(body, encoding="utf-8")
    return raw


@pytest.fixture(scope="module")
def first(archive, tmp_path_factory):
    """An output root where a normal run (as the stream would) wrote an old version of 2026-11-01, then a
    backfill of 2026-11-01..2026-11-02."""
    out = tmp_path_factory.mktemp("out")
    stream = tmp_path_factory.mktemp("stream")
    (stream / "old.json").write_text(article("old-1", "2026-11-01T10:00:00Z",
                                             "An old version of a story about Ann Lee in Lisbon."), encoding="utf-8")
    (stream / "other-day.json").write_text(article("old-2", "2026-10-20T10:00:00Z",
                                                   "A story from October about Tom Becker."), encoding="utf-8")
    rc, _, err = cli("run", "--input", str(stream / "*.json"), "--output", str(out), ONE_PROCESS)
    assert rc == 0, err
    before = rows_by_day(out, "articles")
    rc, stdout, err = cli("backfill", "--start", "2026-11-01", "--end", "2026-11-02",
                          "--input", str(archive / "{date}" / "*"), "--output", str(out), ONE_PROCESS)
    assert rc == 0, err
    return out, before, stdout


def test_backfill_files_every_row_under_its_archive_day(first):
    out, before, stdout = first
    assert before == {"2026-10-20": ["old-2"], "2026-11-01": ["old-1"]}
    assert "2 day(s), 2 replaced, 0 failed" in stdout
    assert rows_by_day(out, "articles") == {"2026-10-20": ["old-2"], "2026-11-01": ["d1-a", "d1-b"],
                                            "2026-11-02": ["d2-a"]}
    assert rows_by_day(out, "errors") == {"2026-11-02": ["bad.json"]}
    quotes = rows_by_day(out, "quotes")
    assert "d1-a" in quotes["2026-11-01"] and set(quotes["2026-11-01"]) <= {"d1-a", "d1-b"}
    assert set(quotes["2026-11-02"]) == {"d2-a"}
    people = {r["canonical"] for r in read_table(str(out), "entities").to_pylist() if r["label"] == "PERSON"}
    assert {"Ann Lee", "Tom Becker", "Grace Mensah"} <= people
    assert not list(out.glob("_staging/*")) and not list(out.glob("_commit/*.json"))
    records = [json.loads(p.read_text()) for p in sorted((out / "_runs").glob("*.json"))]
    by_day = {r.get("partition_date"): r for r in records}
    assert by_day["2026-11-01"]["counts"]["published_other_day"] == 1  # d1-b, published 2026-10-31
    assert by_day["2026-11-01"]["swapped"]["articles"] == {"removed": 1, "added": 1}
    assert "1 article(s) published on another day" in stdout


def test_rerun_replaces_instead_of_adding(first, archive):
    out, _, _ = first
    tables = {t: rows_by_day(out, t) for t in TABLES}
    files = snapshot(out)
    rc, stdout, err = cli("backfill", "--start", "2026-11-01", "--end", "2026-11-02",
                          "--input", str(archive / "{date}" / "*"), "--output", str(out), ONE_PROCESS)
    assert rc == 0, err
    assert {t: rows_by_day(out, t) for t in TABLES} == tables
    rerun = snapshot(out)
    assert len(rerun) == len(files) and set(rerun) != set(files)  # same number of files, new names
    assert "dt=2026-11-01 replaced in every table: 3 old file(s) out, 3 new in" in stdout


def test_changed_archive_day_replaces_that_day_only(first, archive, tmp_path):
    out, _, _ = first
    day2 = {k: v for k, v in snapshot(out).items() if "dt=2026-11-02" in k or "dt=2026-10-20" in k}
    changed = tmp_path / "raw"
    (changed / "2026-11-01").mkdir(parents=True)
    (changed / "2026-11-01" / "a.json").write_text(ARCHIVE["2026-11-01"]["a.json"], encoding="utf-8")  # b is gone
    rc, _, err = cli("backfill", "--start", "2026-11-01", "--end", "2026-11-01",
                     "--input", str(changed / "{date}" / "*.json"), "--output", str(out), ONE_PROCESS)
    assert rc == 0, err
    assert rows_by_day(out, "articles")["2026-11-01"] == ["d1-a"]
    assert all(r["article_id"] != "d1-b" for r in read_table(str(out), "entities").to_pylist())
    assert {k: v for k, v in snapshot(out).items() if "dt=2026-11-02" in k or "dt=2026-10-20" in k} == day2
    # Back to the full archive for the tests that follow.
    rc, _, err = cli("backfill", "--start", "2026-11-01", "--end", "2026-11-01",
                     "--input", str(archive / "{date}" / "*"), "--output", str(out), ONE_PROCESS)
    assert rc == 0, err


def test_failed_days_keep_their_data_and_are_reported(first, archive):
    """A model that does not exist is refused before any day runs; a day without files fails on its own; a day
    whose result looks abnormal is not swapped in without --force. Nothing published changes."""
    out, _, _ = first
    files = snapshot(out)
    done = run_cli("backfill", "--start", "2026-11-01", "--end", "2026-11-03", "--input",
                   str(archive / "{date}" / "*"), "--output", str(out), "--model", "no_such_model", ONE_PROCESS)
    assert done.returncode == 2 and "no such spaCy model" in done.stderr and "Traceback" not in done.stderr
    done = run_cli("backfill", "--start", "2026-11-03", "--end", "2026-11-03", "--input",
                   str(archive / "{date}" / "*"), "--output", str(out), ONE_PROCESS)
    assert done.returncode == 1
    assert "1 day(s), 0 replaced, 1 failed" in done.stdout
    assert "2026-11-03 (exit status 2)" in done.stderr and "no files match" in done.stderr
    assert snapshot(out) == files


def test_an_abnormal_result_needs_force(first, archive, tmp_path):
    out, _, _ = first
    files = snapshot(out)
    broken = tmp_path / "broken" / "2026-11-01"
    broken.mkdir(parents=True)
    for name in ("a.json", "b.json"):
        (broken / name).write_text("{truncated", encoding="utf-8")
    args = ["backfill", "--start", "2026-11-01", "--end", "2026-11-01", "--input",
            str(tmp_path / "broken" / "{date}" / "*"), "--output", str(out), ONE_PROCESS]
    done = run_cli(*args)
    assert done.returncode == 1 and "was not replaced: it has no articles where the day has 2" in done.stderr
    assert snapshot(out) == files
    done = run_cli(*args, "--force")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2026-11-01" not in rows_by_day(out, "articles")
    # Back to the full archive for the tests that follow.
    rc, _, err = cli("backfill", "--start", "2026-11-01", "--end", "2026-11-01",
                     "--input", str(archive / "{date}" / "*"), "--output", str(out), ONE_PROCESS)
    assert rc == 0, err


def test_run_needs_a_day_for_a_dated_pattern(archive, tmp_path):
    rc, _, err = cli("run", "--input", str(archive / "{date}" / "*"), "--output", str(tmp_path))
    assert rc == 2 and "give --partition_date" in err
    rc, _, err = cli("backfill", "--start", "2026-11-01", "--end", "2026-11-02",
                     "--input", str(archive / "*" / "*"), "--output", str(tmp_path))
    assert rc == 2 and "no date placeholder" in err


# -- Dataflow: what would be launched ------------------------------------------------------------------------

def test_dry_run_prints_one_flex_template_launch_per_day(tmp_path):
    rc, stdout, err = cli(
        "backfill", "--start", "2026-11-01", "--end", "2026-11-03",
        "--input", "gs://news-raw/archive/{yyyy}/{mm}/{dd}/*.{json,jsonl.gz}", "--output", "gs://news-out/tables",
        "--template", "gs://news-out/templates/news-pipeline.json", "--region", "europe-west1",
        "--project", "news-prod", "--service_account_email", "df@news-prod.iam.gserviceaccount.com",
        "--dry_run", "--model", "en_core_web_md", "--max_num_workers=20")
    assert rc == 0, err
    commands = [shlex.split(line) for line in stdout.splitlines() if line.startswith("gcloud ")]
    requests = [json.loads(line[2:]) for line in stdout.splitlines() if line.startswith("# {")]
    assert len(commands) == len(requests) == 3
    first_cmd = commands[0]
    assert first_cmd[:5] == ["gcloud", "dataflow", "flex-template", "run", "news-backfill-20261101"]
    assert "--template-file-gcs-location=gs://news-out/templates/news-pipeline.json" in first_cmd
    assert "--additional-pipeline-options=max_num_workers=20" in first_cmd
    assert "--service-account-email=df@news-prod.iam.gserviceaccount.com" in first_cmd
    params = next(a for a in first_cmd if a.startswith("--parameters="))
    assert params.startswith("--parameters=^~^")  # the glob's comma forces another list delimiter
    launch = requests[2]["launchParameter"]
    assert launch["jobName"] == "news-backfill-20261103"
    assert launch["parameters"] == {"input": "gs://news-raw/archive/2026/11/03/*.{json,jsonl.gz}",
                                    "output": "gs://news-out/tables", "partition_date": "2026-11-03",
                                    "model": "en_core_web_md"}
    assert validate(launch["parameters"]) == []
    assert launch["environment"] == {"additionalPipelineOptions": ["max_num_workers=20"],
                                     "serviceAccountEmail": "df@news-prod.iam.gserviceaccount.com"}
    assert "3 day(s); dry run, nothing was run or launched" in stdout
    assert not list(tmp_path.iterdir())


def test_dry_run_refuses_what_the_template_would_refuse():
    rc, _, err = cli("backfill", "--start", "2026-11-01", "--end", "2026-11-01", "--input", "/local/{date}/*",
                     "--output", "/local/out", "--template", "gs://b/t.json", "--region", "europe-west1",
                     "--dry_run")
    assert rc == 2 and "input='/local/2026-11-01/*' does not match ^gs://" in err


def test_dry_run_without_template_prints_each_days_run(tmp_path):
    rc, stdout, _ = cli("backfill", "--start", "2026-11-01", "--end", "2026-11-02", "--input", "gs://r/{date}/*",
                        "--output", "gs://o/t", "--runner", "DataflowRunner", "--region", "europe-west1",
                        "--dry_run", "--temp_location=gs://o/tmp")
    assert rc == 0
    lines = [shlex.split(line) for line in stdout.splitlines() if "-m pipeline run" in line]
    assert len(lines) == 2
    assert lines[1][lines[1].index("--partition_date") + 1] == "2026-11-02"
    assert "--runner" in lines[0] and "DataflowRunner" in lines[0] and "--temp_location=gs://o/tmp" in lines[0]
