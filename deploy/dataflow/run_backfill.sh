#!/usr/bin/env bash
# Backfill a date range on Dataflow: one Flex Template job per day (news-backfill-YYYYMMDD), each
# replacing that day's dt= partition of every table when it finishes.
#
#   PROJECT=my-project REGION=europe-west1 BUCKET=my-bucket \
#   deploy/dataflow/run_backfill.sh 2026-11-01 2026-11-07 [--dry_run] [--model en_core_web_md ...]
#
# Optional: RAW (default 'gs://$BUCKET/raw/{date}/*'), OUTPUT (default gs://$BUCKET/tables), TEMPLATE,
# SERVICE_ACCOUNT (the workers' account).
# Extra arguments go to `python -m pipeline backfill`: pipeline options become template parameters,
# other Beam options go to --additional-pipeline-options (e.g. --max_num_workers=20).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}" "${BUCKET:?set BUCKET}"
if [ $# -lt 2 ]; then echo "usage: $0 START END [backfill options]" >&2; exit 2; fi
START="$1"; END="$2"; shift 2
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
exec "$PY" -m pipeline backfill --start "$START" --end "$END" \
  --input "${RAW:-gs://$BUCKET/raw/{date}/*}" --output "${OUTPUT:-gs://$BUCKET/tables}" \
  --template "${TEMPLATE:-gs://$BUCKET/templates/news-pipeline.json}" \
  --project "$PROJECT" --region "$REGION" ${SERVICE_ACCOUNT:+--service_account_email "$SERVICE_ACCOUNT"} "$@"
