"""The pipeline's options as Beam PipelineOptions (what Dataflow and the Flex Template see).

The options themselves are declared in pipeline.arguments (no Beam import there).
"""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.arguments import (  # noqa: F401 - re-exported for callers that read options from here
    LOCAL_RUNNER,
    add_pipeline_arguments,
    add_run_arguments,
    default_local_workers,
    parse_run_arguments,
    split_components,
)


class NewsPipelineOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        add_pipeline_arguments(parser)
