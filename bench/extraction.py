#!/usr/bin/env python3
"""Article-body extraction quality of the real pipeline, beside trafilatura's own figure.

    python bench/extraction.py --data ../shared/data/article-extraction --scorer ../shared/eval/extraction.py

Runs, in one invocation:
  (a) trafilatura alone: trafilatura.extract() with its default settings on every page, written as
      {id: {"articleBody": ...}} and scored with the scorer's --pred;
  (b) the pipeline end to end: `python -m pipeline run --input DATA/html/*.html.gz --output TMP`
      (parse, clean, dedup, annotate, Parquet), its `articles` table scored with --pipeline-output.
Prints both score lines (P, R, F1 over word 4-gram shingles, summed over pages), the pages whose
body the pipeline lost (no articles row, or an empty text: target 0, each listed with its errors row's
reason), how many bodies each extractor gave (articles.extractor), and a last line
`extraction F1 pipeline=... trafilatura=... empty_or_missing=N`. The benchmark pages stay where they
are: nothing is copied.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCORE = re.compile(r"P=([\d.]+) R=([\d.]+) F1=([\d.]+)")


def trafilatura_alone(pages: list[Path], out_json: Path) -> None:
    import trafilatura

    preds = {}
    for path in pages:
        html = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        preds[path.name.split(".")[0]] = {"articleBody": trafilatura.extract(html) or ""}
    out_json.write_text(json.dumps(preds), encoding="utf-8")


def lost_pages(out: str, pages: list[Path]) -> tuple[list[str], dict[str, int]]:
    """Pages with no article or an empty body ("<id>: <errors reason>") and the articles per extractor."""
    import pyarrow.dataset as ds

    def table(name: str, columns: list[str]) -> list[dict]:
        path = Path(out, name)
        if not path.is_dir():
            return []
        return ds.dataset(path, format="parquet", partitioning="hive").to_table(columns=columns).to_pylist()

    def page_id(uri: str | None) -> str:
        return os.path.basename(str(uri or "")).split(".")[0]

    articles = table("articles", ["source_uri", "text", "extractor"])
    bodies = {page_id(r["source_uri"]): r["text"] or "" for r in articles}
    reasons = {page_id(r["source_uri"]): f"{r['stage']}: {r['error']}" for r in table("errors", ["source_uri", "stage",
                                                                                                "error"])}
    lost = []
    for path in pages:
        pid = page_id(path.name)
        if not bodies.get(pid, "").strip():
            lost.append(f"{pid}: {reasons.get(pid, 'empty body' if pid in bodies else 'no row (duplicate?)')}")
    extractors: dict[str, int] = {}
    for r in articles:
        extractors[str(r["extractor"])] = extractors.get(str(r["extractor"]), 0) + 1
    return lost, dict(sorted(extractors.items()))


def score(scorer: str, data: str, *args: str) -> str:
    result = subprocess.run([sys.executable, scorer, "--data", data, *args], capture_output=True, text=True)
    if result.returncode not in (0, 1) or not SCORE.search(result.stdout):
        raise SystemExit(f"scorer failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="benchmark folder with html/*.html.gz and ground-truth.json")
    ap.add_argument("--scorer", required=True, help="path of the benchmark's extraction.py scorer")
    ap.add_argument("--output", help="pipeline output folder (default: a temporary folder)")
    ap.add_argument("--show-worst", type=int, default=0, help="list the N worst pages of the pipeline")
    args = ap.parse_args(argv)
    pages = sorted(Path(args.data, "html").glob("*.html*"))
    if not pages:
        raise SystemExit(f"no pages under {args.data}/html")
    import trafilatura

    with tempfile.TemporaryDirectory() as tmp:
        preds = Path(tmp, "trafilatura.json")
        trafilatura_alone(pages, preds)
        alone = score(args.scorer, args.data, "--pred", str(preds))
        out = args.output or os.path.join(tmp, "out")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        run = subprocess.run(
            [sys.executable, "-m", "pipeline", "run", "--input", str(Path(args.data, "html", "*.html*")),
             "--output", out], cwd=ROOT, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"pipeline failed:\n{run.stderr[-3000:]}")
        print(run.stdout.strip().splitlines()[0])
        ours = score(args.scorer, args.data, "--pipeline-output", out, "--show-worst", str(args.show_worst))
        lost, extractors = lost_pages(out, pages)
    print(f"trafilatura {trafilatura.__version__} alone (extract, defaults): {alone.splitlines()[0]}")
    print(f"pipeline (articles table):                   {ours.splitlines()[0]}")
    for line in ours.splitlines()[1:]:
        if not line.startswith("HEADLINE"):
            print(line)
    print(f"pages with an empty or missing body: {len(lost)} of {len(pages)}")
    for line in lost:
        print(f"  {line}")
    print("articles per extractor: " + ", ".join(f"{name}={n}" for name, n in extractors.items()))
    f_ours, f_alone = SCORE.search(ours).group(3), SCORE.search(alone).group(3)
    print(f"extraction F1 pipeline={f_ours} trafilatura={f_alone} empty_or_missing={len(lost)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
