#!/usr/bin/env bash
# A real single-node Kafka (KRaft, combined broker+controller) on loopback, without Docker.
# Classpath from Maven Central (deploy/local/kafka-pom.xml), cached under $AKHBAR_STACK_DIR.
#   kafka.sh up | down | status
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
stack="${AKHBAR_STACK_DIR:-$repo/.stack}"
home="$stack/kafka"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
heap="${KAFKA_HEAP:-512m}"
java_home="${KAFKA_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
java="$java_home/bin/java"
[ -x "$java" ] || java="$(command -v java)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka-pom.xml")"
pidfile="$home/kafka.pid"
log="$home/logs/server.log"

say() { printf '[kafka] %s\n' "$*"; }

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
  mkdir -p "$home/data" "$home/logs"
  cat >"$home/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller_port}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${home}/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=168
PROPS
  cat >"$home/log4j2.properties" <<'PROPS'
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

up() {
  if running && port_open "$port"; then
    say "already running: Kafka $version on 127.0.0.1:$port (pid $(cat "$pidfile"))"
    return 0
  fi
  if port_open "$port"; then
    say "port $port is taken by another process; set KAFKA_PORT or stop it" >&2
    return 1
  fi
  local cp; cp="$(classpath)"
  write_config
  if [ ! -f "$home/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$("$java" -cp "$cp" kafka.tools.StorageTool random-uuid)"
    "$java" -cp "$cp" -Dkafka.logs.dir="$home/logs" -Dlog4j2.configurationFile="$home/log4j2.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$home/server.properties" --ignore-formatted >/dev/null
    say "formatted KRaft storage (cluster $cluster_id)"
  fi
  nohup "$java" "-Xms$heap" "-Xmx$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dkafka.logs.dir="$home/logs" -Dlog4j2.configurationFile="$home/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$home/server.properties" >"$home/logs/stdout.log" 2>&1 &
  echo $! >"$pidfile"
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-120}))
  until port_open "$port" && grep -q "Kafka Server started" "$log" 2>/dev/null; do
    if ! running; then
      say "broker exited during start-up; last log lines:" >&2
      tail -n 40 "$log" "$home/logs/stdout.log" >&2 || true
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      say "broker not ready after ${KAFKA_START_TIMEOUT:-120}s; last log lines:" >&2
      tail -n 40 "$log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  say "up: Kafka $version (KRaft) on 127.0.0.1:$port (pid $(cat "$pidfile"), heap $heap)"
}

down() {
  if ! running; then
    say "not running"
    rm -f "$pidfile"
    return 0
  fi
  local pid; pid="$(cat "$pidfile")"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; say "stopped"; return 0; }
    sleep 0.5
  done
  say "broker did not stop in 30s; killing" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

status() {
  if running && port_open "$port"; then
    say "running: Kafka $version on 127.0.0.1:$port (pid $(cat "$pidfile"))"
  else
    say "not running"
    return 1
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  version) echo "$version" ;;
  *) echo "usage: $0 up|down|status|version" >&2; exit 2 ;;
esac
