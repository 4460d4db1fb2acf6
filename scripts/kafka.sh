#!/usr/bin/env bash
# Starts and stops a single-node Apache Kafka 4.x (KRaft, broker+controller) on 127.0.0.1,
# run straight from its Maven Central jars (no tarball download, no Docker).
#   scripts/kafka.sh start | stop | status
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DIR (.kafka under the repo) for
# data, config and logs, KAFKA_LIBS (.kafka/libs under the repo) for the jar cache, shared by all.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
dir="${KAFKA_DIR:-$root/.kafka}"
libs="${KAFKA_LIBS:-$root/.kafka/libs}"
data="$dir/data"
pidfile="$dir/kafka.pid"
log="$dir/kafka.log"

fetch_jars() {
  # The jar set is keyed by the pom's content, so a version bump downloads again.
  local stamp
  stamp="$(sha256sum "$here/kafka/pom.xml" | cut -c1-16)"
  if [[ -f "$libs/.stamp" && "$(cat "$libs/.stamp")" == "$stamp" ]]; then return; fi
  rm -rf "$libs" && mkdir -p "$libs"
  if ! mvn -B -Dstyle.color=never -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime >"$libs/../mvn.log" 2>&1; then
    tail -40 "$libs/../mvn.log" >&2
    return 1
  fi
  echo "$stamp" > "$libs/.stamp"
}

write_config() {
  mkdir -p "$data"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=3
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  cat > "$dir/log4j2.properties" <<'PROPS'
rootLogger.level=WARN
rootLogger.appenderRef.out.ref=out
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
PROPS
}

running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

java_cmd() {
  java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$libs/*" "$@"
}

# Ready means the broker answers a metadata request on the client port, not just that the port is open.
wait_ready() {
  local deadline=$((SECONDS + 90))
  while ((SECONDS < deadline)); do
    if ! running; then echo "kafka exited; see $log" >&2; tail -30 "$log" >&2; return 1; fi
    if java_cmd org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" --list >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  echo "kafka not ready after 90s; see $log" >&2
  return 1
}

start() {
  if running; then echo "kafka already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return; fi
  local t0=$SECONDS
  fetch_jars
  write_config
  if [[ ! -f "$data/meta.properties" ]]; then
    java_cmd kafka.tools.StorageTool format --standalone -t "$(java_cmd kafka.tools.StorageTool random-uuid)" \
      -c "$dir/server.properties" >/dev/null
  fi
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$dir/server.properties" >"$log" 2>&1 &
  echo $! > "$pidfile"
  wait_ready
  echo "kafka ready on 127.0.0.1:$port in $((SECONDS - t0))s (pid $(cat "$pidfile"))"
}

stop() {
  if ! running; then rm -f "$pidfile"; echo "kafka not running"; return; fi
  local pid; pid="$(cat "$pidfile")"
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "kafka stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running (pid $(cat "$pidfile"))"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
