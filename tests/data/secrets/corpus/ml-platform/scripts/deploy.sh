#!/usr/bin/env bash
# Deploy the readmission API to the production cluster.
set -euo pipefail

VERSION="${1:?usage: deploy.sh VERSION}"
REGISTRY=registry.stmarys-readmission.org
NEXUS=https://nexus.stmarys-readmission.org

echo "fetching model bundle ${VERSION}"
curl -fsS -u deploy-bot:PNQ0BnF5Hu278b-SFzoHx74pn "${NEXUS}/repository/models/readmission-xgb-${VERSION}.tar.gz" -o model.tgz

echo "creating GitHub release"
curl -fsS -X POST -H "Authorization: Bearer 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" \
  -H "Accept: application/vnd.github+json" \
  https://api.github.com/repos/stmarys/readmission/releases \
  -d "{\"tag_name\": \"v${VERSION}\"}"

curl -fsS -H "Authorization: Bearer ${API_TOKEN}" "${NEXUS}/service/rest/v1/status"

docker login registry.gitlab.com --username ci-deploy --password=glpat-KtvDjdcOZzo7n_-9M-kp
echo "$DOCKERHUB_TOKEN" | docker login -u stmarysml --password-stdin

helm repo add internal https://charts.stmarys-readmission.org --username ci --password=G7EqVtM80D0pr0n3Yo4oPUA
kubectl -n ml-prod create secret generic readmission-smtp --from-literal=password=a1cZSqN6xIh-G8572v2n \
  --dry-run=client -o yaml | kubectl apply -f -

curl -fsS -H "Authorization: Basic cmVsZWFzZS1ib3Q6dEp4Vlk4WUtPdHVrSWtIWHF6MjVSd25TRkJT" "${NEXUS}/service/rest/v1/assets?repository=models"

helm upgrade --install readmission-api internal/readmission-api --set image.tag="${VERSION}"
