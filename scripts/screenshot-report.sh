#!/usr/bin/env bash
# The README's picture of the demo report: a PNG of the top of the page, taken by headless Chromium.
# Usage: scripts/screenshot-report.sh [REPORT.html [OUT.png]]
#   default: out/report.html (made by scripts/demo.sh first when missing) -> docs/report.png
set -euo pipefail
cd "$(dirname "$0")/.."
html="${1:-out/report.html}"
png="${2:-docs/report.png}"
width="${WIDTH:-1280}"
height="${HEIGHT:-1700}"
if [ ! -f "$html" ]; then
  if [ $# -ge 1 ]; then echo "error: no report at $html" >&2; exit 2; fi
  bash scripts/demo.sh
fi
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "error: needs headless Chromium (Debian: apt-get install -y chromium)" >&2
  exit 1
fi
mkdir -p "$(dirname "$png")"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --user-data-dir="$profile" \
  --force-device-scale-factor=1 --window-size="$width,$height" \
  --screenshot="$(realpath "$png")" "file://$(realpath "$html")" >/dev/null 2>&1
[ -s "$png" ] || { echo "error: chromium wrote no screenshot" >&2; exit 1; }
echo "screenshot: $png (${width}x${height})"
