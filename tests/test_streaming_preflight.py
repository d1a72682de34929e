"""`run --runner DataflowRunner` without the project's container image is refused with one clear line
(pipeline/preflight_dataflow.py), before anything is submitted; local runs and runs naming the image pass."""

import io

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.preflight_dataflow import container_image, dataflow_problems, refuse_unready_dataflow


@pytest.mark.parametrize("runner", ["DataflowRunner", "dataflow", "apache_beam.runners.DataflowRunner"])
def test_dataflow_without_an_image_is_refused_in_one_line(runner):
    options = PipelineOptions(["--project=p", "--region=europe-west1"], runner=runner, streaming=True)
    problems = dataflow_problems(options)
    assert len(problems) == 1 and "\n" not in problems[0]
    assert problems[0].startswith("error: --runner DataflowRunner needs --sdk_container_image=")
    err = io.StringIO()
    assert refuse_unready_dataflow(options, err) == 2
    assert err.getvalue().count("\n") == 1


@pytest.mark.parametrize("flag", ["--sdk_container_image=europe-docker.pkg.dev/p/r/news:1",
                                  "--worker_harness_container_image=europe-docker.pkg.dev/p/r/news:1"])
def test_dataflow_with_the_image_passes(flag):
    options = PipelineOptions([flag], runner="DataflowRunner")
    assert container_image(options) == "europe-docker.pkg.dev/p/r/news:1"
    assert dataflow_problems(options) == [] and refuse_unready_dataflow(options) == 0


@pytest.mark.parametrize("runner", ["BundleBasedDirectRunner", "FnApiRunner", "DirectRunner", None])
def test_local_runners_need_no_image(runner):
    assert dataflow_problems(PipelineOptions([], runner=runner)) == []


def test_the_flex_template_launch_passes():
    """The template's launcher adds the image it runs in, so its jobs are never refused."""
    from pipeline.template_metadata import IMAGE_ENV, launcher_argv

    argv = launcher_argv(["--input_subscription=projects/p/subscriptions/s", "--output=gs://b/out"],
                         env={IMAGE_ENV: "europe-docker.pkg.dev/p/r/news:abc"})
    beam_args = [a for a in argv[1:] if a.startswith(("--runner", "--sdk_container_image"))]
    runner = next(a.split("=", 1)[1] for a in beam_args if a.startswith("--runner"))
    options = PipelineOptions([a for a in beam_args if not a.startswith("--runner")], runner=runner)
    assert dataflow_problems(options) == []


def test_streaming_run_on_dataflow_without_an_image_is_refused_before_submitting(tmp_path):
    from tests.conftest import run_cli

    result = run_cli("run", "--runner", "DataflowRunner", "--input_subscription", "projects/news-p/subscriptions/s",
                     "--output", str(tmp_path / "out"), "--project=news-p", "--region=europe-west1",
                     "--temp_location=gs://b/tmp", timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: --runner DataflowRunner needs --sdk_container_image=")
    assert not (tmp_path / "out").exists()  # refused before anything was built or submitted
