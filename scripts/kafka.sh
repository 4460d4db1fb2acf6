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
# shellcheck source=scripts/jvm-service.sh
source "$here/jvm-service.sh"

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
  write_log4j "$dir/log4j2.properties"
}

java_cmd() {
  java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$libs/*" "$@"
}

# Ready means the broker answers a metadata request on the client port, not just that the port is open.
answers() { java_cmd org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" --list; }

start() {
  if running; then echo "kafka already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return; fi
  local t0=$SECONDS
  fetch_jars "$here/kafka/pom.xml" "$libs"
  write_config
  if [[ ! -f "$data/meta.properties" ]]; then
    java_cmd kafka.tools.StorageTool format --standalone -t "$(java_cmd kafka.tools.StorageTool random-uuid)" \
      -c "$dir/server.properties" >/dev/null
  fi
  launch 256m kafka.Kafka "$dir/server.properties"
  wait_until kafka 90 answers
  echo "kafka ready on 127.0.0.1:$port in $((SECONDS - t0))s (pid $(cat "$pidfile"))"
}

case "${1:-}" in
  start) start ;;
  stop) stop_service kafka ;;
  status) if running; then echo "running (pid $(cat "$pidfile"))"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
