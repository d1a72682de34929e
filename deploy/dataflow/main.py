"""Flex Template entry point (FLEX_TEMPLATE_PYTHON_PY_FILE): the launcher runs it with the job's parameters.

It is `python -m pipeline run` with the launcher's --name=value arguments made into a `run` command line
(see pipeline.template_metadata.launcher_argv): batch, backfill (partition_date) or streaming alike.
"""

import sys

from pipeline.cli import main
from pipeline.template_metadata import launcher_argv

if __name__ == "__main__":
    sys.exit(main(launcher_argv(sys.argv[1:])))
