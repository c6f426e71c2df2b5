#!/usr/bin/env bash
# The local stack: a real Kafka and a real Elasticsearch on loopback, no Docker.
#   stack.sh up | down | status | env
# `env` prints the variables the services and tests need.
# KAFKA_NODES=3 ES_NODES=2 stack.sh up: a 3-node KRaft cluster and a 2-node Elasticsearch
# cluster on consecutive ports from KAFKA_PORT / ES_PORT (see kafka.sh, es.sh; decisions D16).
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
    servers=""
    for ((i = 0; i < ${KAFKA_NODES:-1}; i++)); do
      servers+="${servers:+,}127.0.0.1:$((${KAFKA_PORT:-9092} + i))"
    done
    echo "KAFKA_BOOTSTRAP_SERVERS=$servers"
    echo "ELASTICSEARCH_URL=http://127.0.0.1:${ES_PORT:-9200}"
    ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
