#!/usr/bin/env bash
# Set up .venv and run the batch pipeline on the bundled sample articles into ./out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-venv.sh runtime
exec .venv/bin/python -m pipeline run \
  --input 'samples/txt/*.txt' --input 'samples/html/*.html' \
  --input 'samples/json/*.json' --input 'samples/jsonl/*.jsonl*' \
  --output "${OUTPUT:-out}" "$@"
