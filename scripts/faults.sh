#!/usr/bin/env bash
# `make faults N=2000`: the fault-injection suite (tests/faults) at full size, writing
# bench/results/faults.md. It kills the broker and stops Elasticsearch of the local stack it runs
# against, chosen like deploy/local/*.sh: AKHBAR_STACK_DIR (default .stack), KAFKA_PORT,
# KAFKA_CONTROLLER_PORT, ES_PORT. A stack it started is stopped again afterwards.
#   AKHBAR_STACK_DIR=$PWD/.stack-faults KAFKA_PORT=29092 KAFKA_CONTROLLER_PORT=29093 ES_PORT=29200 make faults N=2000
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-2000}"
shift || true
started_stack=0
cleanup() {
  if [ "$started_stack" = 1 ]; then
    echo "== stopping the local stack (started by this run)"
    deploy/local/stack.sh down || true
  fi
}
trap cleanup EXIT

export AKHBAR_STACK_DIR="${AKHBAR_STACK_DIR:-$PWD/.stack}"
if ! deploy/local/stack.sh status >/dev/null 2>&1; then
  echo "== starting the local stack in $AKHBAR_STACK_DIR"
  started_stack=1
  deploy/local/stack.sh up
fi
set -a; eval "$(deploy/local/stack.sh env)"; set +a
echo "== fault suite: N=$n against Kafka $KAFKA_BOOTSTRAP_SERVERS, Elasticsearch $ELASTICSEARCH_URL ($AKHBAR_STACK_DIR)"
export AKHBAR_FAULTS=1 FAULTS_N="$n" FAULTS_REPORT="${FAULTS_REPORT:-bench/results/faults.md}"
started=$(date +%s)
rc=0
.venv/bin/python -m pytest tests/faults -q -rfE -W ignore::ResourceWarning "$@" || rc=$?
echo "== fault suite took $(( $(date +%s) - started ))s; table in $FAULTS_REPORT"
exit $rc
