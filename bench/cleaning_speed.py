#!/usr/bin/env python3
"""Throughput of the clean stage on HTML pages, single process: pages per second per core.

    python bench/cleaning_speed.py --pages '../shared/data/article-extraction/html/*.html.gz' --rounds 3

The clean stage is what the pipeline's Parse and Clean steps do to one HTML input: decode, extract
(trafilatura, our candidate choice), clean_text, language, ids. Pages are read and gunzipped first, so
only that work is timed. CPU time of this process is the per-core figure (it does not drop when
other jobs share the machine); wall time is printed beside it. The first page is run once untimed
(imports, lazy caches). Last line: `cleaning pages_per_s_per_core=<n>`.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import gzip
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", required=True, help="glob of .html or .html.gz pages")
    ap.add_argument("--rounds", type=int, default=3, help="passes over the pages (the best is reported)")
    args = ap.parse_args(argv)

    from transforms.article import prepare_article
    from transforms.clean_text import clean_text
    from transforms.html_extract import extract_html
    from transforms.parse import parse_input
    from transforms.records import StageError, utcnow

    paths = sorted(glob.glob(args.pages))
    if not paths:
        raise SystemExit(f"no files match {args.pages}")
    payloads = [gzip.decompress(Path(p).read_bytes()) if p.endswith(".gz") else Path(p).read_bytes() for p in paths]
    mb = sum(map(len, payloads)) / 1e6
    now = utcnow()

    def clean_stage(payload: bytes, source: str) -> None:
        raw = parse_input({"source_uri": source, "payload": payload, "format": "html"})
        with contextlib.suppress(StageError):  # an errors row in the pipeline: still a page handled
            prepare_article(raw, now, "bench")

    clean_stage(payloads[0], paths[0])
    best_cpu = best_wall = float("inf")
    for _ in range(args.rounds):
        cpu, wall = time.process_time(), time.perf_counter()
        for payload, path in zip(payloads, paths, strict=True):
            clean_stage(payload, path)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)

    # Where the time goes, one pass: extraction vs. clean_text (the rest is parse, language, ids).
    htmls = [parse_input({"source_uri": p, "payload": b, "format": "html"})["html"] for p, b in zip(paths, payloads,
                                                                                                   strict=True)]
    t0 = time.process_time()
    pages = [extract_html(h) for h in htmls]
    t1 = time.process_time()
    for page in pages:
        clean_text(page.text, title=page.title)
    t2 = time.process_time()

    n = len(payloads)
    print(f"{n} pages, {mb:.1f} MB of HTML, best of {args.rounds} rounds, one process")
    print(f"  CPU : {best_cpu:.2f} s = {1000 * best_cpu / n:.1f} ms/page = {n / best_cpu:.1f} pages/s per core")
    print(f"  wall: {best_wall:.2f} s = {n / best_wall:.1f} pages/s")
    print(f"  of which extract_html {1000 * (t1 - t0) / n:.1f} ms/page, clean_text {1000 * (t2 - t1) / n:.1f} ms/page")
    print(f"cleaning pages_per_s_per_core={n / best_cpu:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
