#!/usr/bin/env bash
# A real Kafka (KRaft, combined broker+controller) on loopback, without Docker.
# Classpath from Maven Central (deploy/local/kafka-pom.xml), cached under $AKHBAR_STACK_DIR.
#   kafka.sh up | down | status
# KAFKA_NODES=1 (default): one node in $AKHBAR_STACK_DIR/kafka, on KAFKA_PORT / KAFKA_CONTROLLER_PORT.
# KAFKA_NODES=n>1: a cluster of n combined nodes (a quorum of n voters), node i (1..n) in
# $AKHBAR_STACK_DIR/kafka/node-i on KAFKA_PORT+i-1 / KAFKA_CONTROLLER_PORT+i-1, internal topics
# replicated min(n,3) times with min.insync.replicas min(n-1,2) (docs/decisions.md D16).
# `up` starts whichever nodes are not running, so it also restarts a killed one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
stack="${AKHBAR_STACK_DIR:-$repo/.stack}"
home="$stack/kafka"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
heap="${KAFKA_HEAP:-512m}"
nodes="${KAFKA_NODES:-1}"
[[ "$nodes" =~ ^[1-9][0-9]*$ ]] || { echo "[kafka] KAFKA_NODES must be a positive integer, got '$nodes'" >&2; exit 2; }
java_home="${KAFKA_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
java="$java_home/bin/java"
[ -x "$java" ] || java="$(command -v java)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka-pom.xml")"

say() { printf '[kafka] %s\n' "$*"; }

# node <i>: point node_home, port, controller_port, node_id, pidfile and log at node i.
base_port="$port"
base_controller_port="$controller_port"
node() {
  node_id="$1"
  if [ "$nodes" -eq 1 ]; then
    node_home="$home"
  else
    node_home="$home/node-$1"
  fi
  port=$((base_port + $1 - 1))
  controller_port=$((base_controller_port + $1 - 1))
  pidfile="$node_home/kafka.pid"
  log="$node_home/logs/server.log"
}
node 1

voters() {
  local i out=""
  for ((i = 1; i <= nodes; i++)); do
    out+="${out:+,}${i}@127.0.0.1:$((base_controller_port + i - 1))"
  done
  printf '%s' "$out"
}

# Replication of the internal topics: 1 on a single node, at most 3 (min ISR one less, at most 2).
internal_rf=$(( nodes < 3 ? nodes : 3 ))
internal_isr=$(( internal_rf > 1 ? (internal_rf - 1 < 2 ? internal_rf - 1 : 2) : 1 ))

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

classpath() {
  local libs="$home/libs-$version"
  if [ ! -f "$libs/.complete" ]; then
    say "resolving Kafka $version classpath from Maven Central (first run only)" >&2
    rm -rf "$libs"
    mvn -q -B -Dstyle.color=never -f "$here/kafka-pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$libs" -DincludeScope=runtime >&2
    touch "$libs/.complete"
  fi
  printf '%s/*' "$libs"
}

write_config() {
  mkdir -p "$node_home/data" "$node_home/logs"
  cat >"$node_home/server.properties" <<PROPS
process.roles=broker,controller
node.id=${node_id}
controller.quorum.voters=$(voters)
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${node_home}/data
num.partitions=3
offsets.topic.replication.factor=${internal_rf}
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=${internal_rf}
transaction.state.log.min.isr=${internal_isr}
share.coordinator.state.topic.replication.factor=${internal_rf}
share.coordinator.state.topic.min.isr=${internal_isr}
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=168
PROPS
  if [ "$nodes" -gt 1 ]; then
    cat >>"$node_home/server.properties" <<PROPS
# cluster of ${nodes}: topics without their own settings get these
default.replication.factor=${internal_rf}
min.insync.replicas=${internal_isr}
PROPS
  fi
  cat >"$node_home/log4j2.properties" <<'PROPS'
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.org.name = org.apache.kafka
logger.org.level = INFO
PROPS
}

# The KRaft cluster id: random for a single node; shared by every node of a cluster.
cluster_id() {
  local cp="$1"
  if [ "$nodes" -eq 1 ]; then
    "$java" -cp "$cp" kafka.tools.StorageTool random-uuid
    return
  fi
  [ -s "$home/cluster.id" ] || "$java" -cp "$cp" kafka.tools.StorageTool random-uuid >"$home/cluster.id"
  cat "$home/cluster.id"
}

# Launch the current node unless it runs; the nodes of a cluster are all launched before any
# is waited for, since none finishes starting without a quorum.
launch() {
  local cp="$1"
  if running && port_open "$port"; then
    say "${who}already running: Kafka $version on 127.0.0.1:$port (pid $(cat "$pidfile"))"
    return 0
  fi
  if port_open "$port"; then
    say "${who}port $port is taken by another process; set KAFKA_PORT or stop it" >&2
    return 1
  fi
  write_config
  if [ ! -f "$node_home/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(cluster_id "$cp")"
    "$java" -cp "$cp" -Dkafka.logs.dir="$node_home/logs" -Dlog4j2.configurationFile="$node_home/log4j2.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$node_home/server.properties" --ignore-formatted >/dev/null
    say "${who}formatted KRaft storage (cluster $cluster_id)"
  fi
  nohup "$java" "-Xms$heap" "-Xmx$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dkafka.logs.dir="$node_home/logs" -Dlog4j2.configurationFile="$node_home/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$node_home/server.properties" >"$node_home/logs/stdout.log" 2>&1 &
  echo $! >"$pidfile"
  launched+=("$node_id")
}

await_started() {
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-120}))
  until port_open "$port" && grep -q "Kafka Server started" "$log" 2>/dev/null; do
    if ! running; then
      say "${who}broker exited during start-up; last log lines:" >&2
      tail -n 40 "$log" "$node_home/logs/stdout.log" >&2 || true
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      say "${who}broker not ready after ${KAFKA_START_TIMEOUT:-120}s; last log lines:" >&2
      tail -n 40 "$log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  say "${who}up: Kafka $version (KRaft) on 127.0.0.1:$port (pid $(cat "$pidfile"), heap $heap)"
}

# each <command>: run it for node 1..n, with $who naming the node in a cluster.
each() {
  local i rc=0
  for ((i = 1; i <= nodes; i++)); do
    node "$i"
    who=""
    [ "$nodes" -eq 1 ] || who="node $i: "
    "$@" || rc=1
  done
  return $rc
}

up() {
  local cp i
  mkdir -p "$home"
  launched=()
  cp="$(classpath)"  # cached after the first run: no Maven
  each launch "$cp" || return 1
  for i in "${launched[@]}"; do
    node "$i"
    who=""
    [ "$nodes" -eq 1 ] || who="node $i: "
    await_started || return 1
  done
}

stop_one() {
  if ! running; then
    say "${who}not running"
    rm -f "$pidfile"
    return 0
  fi
  local pid; pid="$(cat "$pidfile")"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; say "${who}stopped"; return 0; }
    sleep 0.5
  done
  say "${who}broker did not stop in 30s; killing" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# Stop the nodes last to first, so a cluster keeps its quorum while the others shut down cleanly.
# The last node of a cluster has no quorum left for its controlled shutdown: it is killed after 30 s
# (its log is recovered on the next start).
down() {
  local i rc=0
  for ((i = nodes; i >= 1; i--)); do
    node "$i"
    who=""
    [ "$nodes" -eq 1 ] || who="node $i: "
    stop_one || rc=1
  done
  return $rc
}

status_one() {
  if running && port_open "$port"; then
    say "${who}running: Kafka $version on 127.0.0.1:$port (pid $(cat "$pidfile"))"
  else
    say "${who}not running"
    return 1
  fi
}

status() { each status_one; }

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  version) echo "$version" ;;
  *) echo "usage: $0 up|down|status|version" >&2; exit 2 ;;
esac
