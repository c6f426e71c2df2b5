#!/usr/bin/env bash
# `make bench` (≤ 20 min) / `make bench QUICK=1` (≤ 5 min): every benchmark in one run (bench/run.py)
# → bench/results/README.md, its PNG plots and bench.json.
#
# It runs on a stack of its own, so it never touches a developer's: its own stack dir and a port
# block of its own by default (override any of them; the fault suite and `make scale` use others):
#   BENCH_STACK_DIR=$PWD/.stack-bench  BENCH_KAFKA_PORT=29092  BENCH_KAFKA_CONTROLLER_PORT=29093
#   BENCH_ES_PORT=29200  BENCH_ES_TRANSPORT_PORT=29300
# BENCH_OUT=dir writes the page, plots and bench.json there instead of bench/results.
# The services' health/metrics ports and the offline site take free loopback ports. A stack
# this run started is stopped again afterwards, whatever happens (the services and the site are
# stopped by bench/run.py itself); one found running on those ports is reused and left running.
set -euo pipefail
cd "$(dirname "$0")/.."
export AKHBAR_STACK_DIR="${BENCH_STACK_DIR:-$PWD/.stack-bench}"
export KAFKA_PORT="${BENCH_KAFKA_PORT:-29092}" KAFKA_CONTROLLER_PORT="${BENCH_KAFKA_CONTROLLER_PORT:-29093}"
export ES_PORT="${BENCH_ES_PORT:-29200}" ES_TRANSPORT_PORT="${BENCH_ES_TRANSPORT_PORT:-29300}"
export KAFKA_NODES=1 ES_NODES=1
quick="${QUICK:-}"
started_stack=0
cleanup() {
  if [ "$started_stack" = 1 ]; then
    echo "== stopping the bench stack (started by this run)"
    deploy/local/stack.sh down || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! deploy/local/stack.sh status >/dev/null 2>&1; then
  echo "== starting the bench stack in $AKHBAR_STACK_DIR (Kafka :$KAFKA_PORT, Elasticsearch :$ES_PORT)"
  started_stack=1
  t0=$(date +%s)
  deploy/local/stack.sh up
  echo "== stack up in $(( $(date +%s) - t0 )) s"
fi
set -a; eval "$(deploy/local/stack.sh env)"; set +a
out=(--out "${BENCH_OUT:-bench/results}")
if [ -n "$quick" ] && [ "$quick" != 0 ]; then
  .venv/bin/python -m bench.run --quick --command "make bench QUICK=1" "${out[@]}"
else
  .venv/bin/python -m bench.run --command "make bench" "${out[@]}"
fi
