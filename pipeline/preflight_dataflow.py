"""Checks a job must pass before it is submitted to Dataflow; each problem is one line a user can act on.

Dataflow workers start from Beam's stock SDK container unless told otherwise. That container has
neither this project's code (pipeline/, transforms/) nor spaCy and its model, so every worker would
fail to unpickle the first step (ModuleNotFoundError: No module named 'transforms') and retry until
the job fails, minutes and a bill later. The project's image (deploy/dataflow/Dockerfile, built by
deploy/dataflow/build.sh) has all of it; the Flex Template launcher passes it as sdk_container_image
(pipeline.template_metadata.launcher_argv). A direct `run --runner DataflowRunner` must name it too,
so it is refused here rather than submitted.
"""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions, WorkerOptions


def is_dataflow(options: PipelineOptions) -> bool:
    runner = options.view_as(StandardOptions).runner
    name = runner if isinstance(runner, str) else type(runner).__name__ if runner is not None else ""
    return "dataflow" in (name or "").lower()


def container_image(options: PipelineOptions) -> str | None:
    """The SDK container image the workers would run (the legacy option name counts too)."""
    worker = options.view_as(WorkerOptions)
    return worker.sdk_container_image or getattr(worker, "worker_harness_container_image", None) or None


def dataflow_problems(options: PipelineOptions) -> list[str]:
    """Why this job must not be submitted to Dataflow as it stands: [] when it may (or is not for Dataflow)."""
    if not is_dataflow(options):
        return []
    problems = []
    if not container_image(options):
        problems.append(
            "error: --runner DataflowRunner needs --sdk_container_image=<the project's image, built by "
            "deploy/dataflow/build.sh>: Beam's default worker image has neither this pipeline's code nor spaCy, "
            "so every worker would fail to start")
    return problems


def refuse_unready_dataflow(options: PipelineOptions, err=None) -> int:
    """Print each problem (one line each) to stderr and return 2, or return 0 when the job may be submitted."""
    import sys

    problems = dataflow_problems(options)
    for line in problems:
        print(line, file=err or sys.stderr)
    return 2 if problems else 0
