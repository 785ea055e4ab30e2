#!/bin/sh
# docker-compose: once the Temporal server answers, make sure the namespace and the agent's
# custom search attributes (workflows/search_attributes.py) exist. Idempotent.
set -eu
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"

until temporal operator cluster health >/dev/null 2>&1; do
  echo "waiting for Temporal at $TEMPORAL_ADDRESS"; sleep 2
done
temporal operator namespace describe -n "$NAMESPACE" >/dev/null 2>&1 \
  || temporal operator namespace create -n "$NAMESPACE" --retention 30d

existing=$(temporal operator search-attribute list -n "$NAMESPACE")
for attribute in CampaignId:Keyword RecommendationStatus:Keyword RecommendedAction:Keyword \
                 Confidence:Double PacingSeverity:Keyword PacingAction:Keyword; do
  name=${attribute%%:*}
  if echo "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create -n "$NAMESPACE" --name "$name" --type "${attribute#*:}"
  fi
done
echo "namespace $NAMESPACE ready"
