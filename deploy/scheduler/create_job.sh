#!/usr/bin/env bash
# Cloud Scheduler job that backfills yesterday (UTC) every night through the Flex Template: an HTTP call to
# flexTemplates:launch with the body in launch-body.json. partition_date=yesterday is resolved when the job
# is built, so the body can stay the same every night. The job name is fixed: Dataflow refuses a second
# active job of the same name, so a slow night can never swap a partition at the same time as the next one.
#
#   PROJECT=my-project REGION=europe-west1 BUCKET=my-bucket \
#   SERVICE_ACCOUNT=news-scheduler@my-project.iam.gserviceaccount.com \
#   WORKER_SERVICE_ACCOUNT=news-dataflow@my-project.iam.gserviceaccount.com deploy/scheduler/create_job.sh
#
# Optional: RAW (default 'gs://$BUCKET/raw/{date}/*'), OUTPUT, TEMPLATE, SCHEDULE (default 03:00 UTC),
# SCHEDULER_JOB (default news-backfill-nightly). Re-running the script updates the job.
# SERVICE_ACCOUNT (the caller) needs roles/dataflow.developer and roles/iam.serviceAccountUser on
# WORKER_SERVICE_ACCOUNT (the account the launcher and workers run as).
set -euo pipefail
cd "$(dirname "$0")"
: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}" "${BUCKET:?set BUCKET}" "${SERVICE_ACCOUNT:?set SERVICE_ACCOUNT}"
: "${WORKER_SERVICE_ACCOUNT:?set WORKER_SERVICE_ACCOUNT}"
export WORKER_SERVICE_ACCOUNT
export TEMPLATE="${TEMPLATE:-gs://$BUCKET/templates/news-pipeline.json}"
export RAW="${RAW:-gs://$BUCKET/raw/{date}/*}"
export OUTPUT="${OUTPUT:-gs://$BUCKET/tables}"
BODY="$(mktemp)"
trap 'rm -f "$BODY"' EXIT
python3 -c 'import os, string, sys; sys.stdout.write(string.Template(open("launch-body.json").read()).substitute(os.environ))' >"$BODY"

NAME="${SCHEDULER_JOB:-news-backfill-nightly}"
ACTION=create HEADERS=--headers
if gcloud scheduler jobs describe "$NAME" --project="$PROJECT" --location="$REGION" >/dev/null 2>&1; then
  ACTION=update HEADERS=--update-headers
fi
gcloud scheduler jobs "$ACTION" http "$NAME" --project="$PROJECT" --location="$REGION" \
  --schedule="${SCHEDULE:-0 3 * * *}" --time-zone=Etc/UTC \
  --uri="https://dataflow.googleapis.com/v1b3/projects/$PROJECT/locations/$REGION/flexTemplates:launch" \
  --http-method=POST "$HEADERS=Content-Type=application/json" \
  --message-body-from-file="$BODY" \
  --oauth-service-account-email="$SERVICE_ACCOUNT" \
  --oauth-token-scope=https://www.googleapis.com/auth/cloud-platform \
  --attempt-deadline=180s --max-retry-attempts=3 --min-backoff=10m
