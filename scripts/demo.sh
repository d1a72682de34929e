#!/usr/bin/env bash
# Set up .venv, run the batch pipeline on the bundled sample articles into ./out, and write ./out/report.html.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-venv.sh runtime
out="${OUTPUT:-out}"
.venv/bin/python -m pipeline run \
  --input 'samples/txt/*.txt' --input 'samples/html/*.html' \
  --input 'samples/json/*.json' --input 'samples/jsonl/*.jsonl*' \
  --output "$out" "$@"
# The report: one self-contained HTML page (open it in any browser, offline).
.venv/bin/python -m pipeline report --tables "$out" --html "$out/report.html"
echo "open $(realpath "$out/report.html")"
