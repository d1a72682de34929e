#!/usr/bin/env bash
# Start the streaming job from the Flex Template, or replace a running one in place (--update).
#
#   PROJECT=my-project REGION=europe-west1 BUCKET=my-bucket \
#   SUBSCRIPTION=projects/my-project/subscriptions/articles-sub deploy/dataflow/run_streaming.sh [--update]
#
# Optional: TEMPLATE, OUTPUT (default gs://$BUCKET/tables), DEAD_LETTER_TOPIC, JOB_NAME (default news-stream),
# MACHINE_TYPE, NUM_WORKERS, MAX_WORKERS, THREADS, SERVICE_ACCOUNT; extra gcloud flags after the script name.
#
# Memory: each worker VM runs one Python SDK process per vCPU and each process loads one spaCy model (shared
# by its threads), so a VM holds vCPUs x model size; THREADS (number_of_worker_harness_threads) bounds how
# many bundles, hence documents, one process works on at once. Streaming Engine moves shuffle and state
# off the VMs. Autoscaling stays between NUM_WORKERS and MAX_WORKERS.
set -euo pipefail
: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}" "${BUCKET:?set BUCKET}" "${SUBSCRIPTION:?set SUBSCRIPTION}"
TEMPLATE="${TEMPLATE:-gs://$BUCKET/templates/news-pipeline.json}"
OUTPUT="${OUTPUT:-gs://$BUCKET/tables}"
PARAMETERS="input_subscription=$SUBSCRIPTION~output=$OUTPUT"
if [ -n "${DEAD_LETTER_TOPIC:-}" ]; then PARAMETERS="$PARAMETERS~dead_letter_topic=$DEAD_LETTER_TOPIC"; fi
ACCOUNT=()
if [ -n "${SERVICE_ACCOUNT:-}" ]; then ACCOUNT=(--service-account-email="$SERVICE_ACCOUNT"); fi

exec gcloud dataflow flex-template run "${JOB_NAME:-news-stream}" \
  --project="$PROJECT" --region="$REGION" \
  --template-file-gcs-location="$TEMPLATE" \
  --parameters="^~^$PARAMETERS" \
  --enable-streaming-engine \
  --worker-machine-type="${MACHINE_TYPE:-n2-standard-2}" \
  --num-workers="${NUM_WORKERS:-1}" --max-workers="${MAX_WORKERS:-10}" \
  --additional-pipeline-options="number_of_worker_harness_threads=${THREADS:-4}" \
  --staging-location="gs://$BUCKET/staging" --temp-location="gs://$BUCKET/tmp" \
  "${ACCOUNT[@]}" "$@"
