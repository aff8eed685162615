#!/bin/sh
# One-shot: wait for the Temporal cluster, create the namespace and priorauth's search attributes.
set -eu
NAMESPACE="${DEFAULT_NAMESPACE:-default}"
attempt=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then
    echo "Temporal did not become healthy in time" >&2
    exit 1
  fi
  sleep 2
done
temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1 \
  || temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE"
for attribute in CaseStatus=Keyword Payer=Keyword NextDueAt=Datetime; do
  name="${attribute%%=*}"
  type="${attribute#*=}"
  temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" \
    --namespace "$NAMESPACE" --name "$name" --type "$type" 2>/dev/null || true
done
echo "namespace $NAMESPACE ready"
