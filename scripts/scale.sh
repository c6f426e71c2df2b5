#!/usr/bin/env bash
# `make scale`: the scale-out case (tests/faults/scale) on a multi-node local stack, writing
# bench/results/scale.md. A 3-node KRaft Kafka and a 2-node Elasticsearch on their own ports and
# stack dir (defaults below, all overridable); a stack this run started is stopped afterwards.
#   make scale SCALE_N=1200 SCALE_RATE=10
set -euo pipefail
cd "$(dirname "$0")/.."
export AKHBAR_STACK_DIR="${AKHBAR_STACK_DIR:-$PWD/.stack-scale}"
export KAFKA_NODES="${KAFKA_NODES:-3}" KAFKA_PORT="${KAFKA_PORT:-39192}" KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-39292}"
export KAFKA_HEAP="${KAFKA_HEAP:-384m}"
export ES_NODES="${ES_NODES:-2}" ES_PORT="${ES_PORT:-39400}" ES_TRANSPORT_PORT="${ES_TRANSPORT_PORT:-39500}" ES_HEAP="${ES_HEAP:-512m}"
export SCALE_N="${SCALE_N:-1200}" SCALE_RATE="${SCALE_RATE:-10}"
started_stack=0
cleanup() {
  if [ "$started_stack" = 1 ]; then
    echo "== stopping the multi-node stack (started by this run)"
    deploy/local/stack.sh down || true
  fi
}
trap cleanup EXIT

stack_s=0
if ! deploy/local/stack.sh status >/dev/null 2>&1; then
  echo "== starting $KAFKA_NODES Kafka nodes and $ES_NODES Elasticsearch nodes in $AKHBAR_STACK_DIR"
  started_stack=1
  t0=$(date +%s)
  deploy/local/stack.sh up
  stack_s=$(( $(date +%s) - t0 ))
fi
set -a; eval "$(deploy/local/stack.sh env)"; set +a
export AKHBAR_SCALE=1 SCALE_REPORT="${SCALE_REPORT:-bench/results/scale.md}"
export SCALE_COMMAND="${SCALE_COMMAND:-make scale SCALE_N=$SCALE_N SCALE_RATE=$SCALE_RATE}"
echo "== scale-out case: N=$SCALE_N against Kafka $KAFKA_BOOTSTRAP_SERVERS, Elasticsearch $ELASTICSEARCH_URL"
started=$(date +%s)
rc=0
.venv/bin/python -m pytest tests/faults/scale -q -rfE -W ignore::ResourceWarning "$@" || rc=$?
case_s=$(( $(date +%s) - started ))
echo "== scale-out case took ${case_s}s; table in $SCALE_REPORT"
if [ -f "$SCALE_REPORT" ]; then
  if [ "$started_stack" = 1 ]; then
    printf '\nDurations: starting the stack %ss, the case (pytest) %ss; stopping the stack follows.\n' "$stack_s" "$case_s" >>"$SCALE_REPORT"
  else
    printf '\nDurations: the case (pytest) %ss, on a stack already running.\n' "$case_s" >>"$SCALE_REPORT"
  fi
fi
exit $rc
