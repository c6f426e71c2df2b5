#!/usr/bin/env bash
# The local stack: a real Kafka and a real Elasticsearch on loopback, no Docker.
#   stack.sh up | down | status | env
# `env` prints the variables the services and tests need.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

case "${1:-}" in
  up)
    "$here/kafka.sh" up
    "$here/es.sh" up
    ;;
  down)
    rc=0
    "$here/kafka.sh" down || rc=$?
    "$here/es.sh" down || rc=$?
    exit $rc
    ;;
  status)
    rc=0
    "$here/kafka.sh" status || rc=1
    "$here/es.sh" status || rc=1
    exit $rc
    ;;
  env)
    echo "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:${KAFKA_PORT:-9092}"
    echo "ELASTICSEARCH_URL=http://127.0.0.1:${ES_PORT:-9200}"
    ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
