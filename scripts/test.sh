#!/usr/bin/env bash
# `make test`: pick the services, run the whole suite, leave the machine as it was.
#  1. KAFKA_BOOTSTRAP_SERVERS / ELASTICSEARCH_URL already set → use them;
#  2. else a Docker engine answers → tests/conftest.py starts testcontainers;
#  3. else the local stack (started here, stopped after unless it was already up).
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
started_stack=0

cleanup() {
  if [ "$started_stack" = 1 ]; then
    echo "== stopping the local stack (started by this run)"
    deploy/local/stack.sh down || true
  fi
}
trap cleanup EXIT

if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ] && [ -n "${ELASTICSEARCH_URL:-}" ]; then
  echo "== services from the environment: Kafka $KAFKA_BOOTSTRAP_SERVERS, Elasticsearch $ELASTICSEARCH_URL"
elif [ -z "${AKHBAR_NO_DOCKER:-}" ] && docker info >/dev/null 2>&1; then
  echo "== a Docker engine answers: tests start testcontainers ($(tr '\n' ' ' < deploy/versions.env | sed 's/#[^=]*//g'))"
else
  if deploy/local/stack.sh status >/dev/null 2>&1; then
    echo "== local stack already running; it stays up after the tests"
  else
    echo "== no services given and no Docker engine: starting the local stack"
    started_stack=1
    deploy/local/stack.sh up
  fi
  set -a; eval "$(deploy/local/stack.sh env)"; set +a
fi

"$py" -m pytest "$@"
