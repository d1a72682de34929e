"""Memory of reading a large .jsonl.gz: the source step streams records, so its peak RSS stays flat.

    python bench/input_memory.py [--gigabytes 2] [--keep /tmp/big.jsonl.gz]

Writes a gzipped JSONL of ordinary articles (the bundled samples, each repeated with a distinct id) of the
given decompressed size, then reads it in a fresh process through the pipeline's reader
(pipeline.sources.read_input, with the default --max_input_bytes and --max_record_bytes) and prints the
records read, the seconds and the peak RSS of that process. The rest of a local run is Beam's in-memory
runner, whose stages hold their outputs; this figure is the reading step's own.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write(path: Path, gigabytes: float) -> tuple[int, int]:
    texts = []
    for sample in sorted((ROOT / "samples" / "txt").glob("*.txt")):
        title, _, body = sample.read_text(encoding="utf-8").partition("\n")
        texts.append((title, body))
    target = int(gigabytes * (1 << 30))
    written = n = 0
    with gzip.open(path, "wb", compresslevel=1) as fh:
        while written < target:
            title, body = texts[n % len(texts)]
            line = json.dumps({"id": f"a{n}", "title": title, "text": body}).encode() + b"\n"
            fh.write(line)
            written += len(line)
            n += 1
    return n, written


def read(path: str) -> None:
    from pipeline.inputs import list_inputs
    from pipeline.sources import read_input

    started = time.perf_counter()
    files, _ = list_inputs([path])
    records = errors = 0
    for raw in read_input(vars(files[0]), max_input_bytes=20_000_000, max_record_bytes=20_000_000):
        records += 1
        errors += bool(raw.get("read_error"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": records, "errors": errors, "seconds": round(time.perf_counter() - started, 1),
                      "peak_rss_mib": round(peak, 1)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gigabytes", type=float, default=2.0, help="Decompressed size of the file to read.")
    parser.add_argument("--keep", help="Write the file here and keep it (default: a temporary file).")
    parser.add_argument("--read", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        read(args.read)
        return 0
    path = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "big.jsonl.gz"
    started = time.perf_counter()
    n, size = write(path, args.gigabytes)
    print(f"wrote {path}: {n} articles, {size / (1 << 30):.2f} GiB decompressed, "
          f"{os.path.getsize(path) / (1 << 20):.0f} MiB gzipped, in {time.perf_counter() - started:.0f} s")
    result = subprocess.run([sys.executable, __file__, "--read", str(path)], capture_output=True, text=True,
                            check=True)
    figures = json.loads(result.stdout)
    print(f"read {figures['records']} records ({figures['errors']} errors) in {figures['seconds']} s; "
          f"peak RSS of the reading process {figures['peak_rss_mib']} MiB")
    if not args.keep:
        path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
