"""`python -m pipeline`: the CLI, then a quick exit.

Everything a run produces (Parquet files, the run record) is written and closed by the time main()
returns. Python's orderly shutdown would then spend ~0.4 s freeing the local runner's buffers object
by object; the process flushes its streams and logs and leaves that to the operating system.
"""

import logging
import os
import sys

from pipeline.cli import main

code = main()
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code or 0)
