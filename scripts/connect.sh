#!/usr/bin/env bash
# Starts and stops a Kafka Connect worker in distributed mode with Debezium's PostgreSQL connector,
# run straight from Maven Central jars (scripts/connect/pom.xml), beside the broker of scripts/kafka.sh.
#   scripts/connect.sh start | stop | kill | status | register | fetch (the jars only)
# register puts the outbox connector's configuration (src/outbox/debezium-connector.ts, from
# DATABASE_URL, KAFKA_TOPIC, CART_EVENTS_TOPIC, EVENT_SOURCE, OUTBOX_SLOT_NAME) over the REST API.
# Env: KAFKA_BROKERS (127.0.0.1:9092), CONNECT_PORT (8083, the REST API), CONNECT_GROUP
# (order-service-connect: the worker group, and the prefix of its internal topics), CONNECT_DIR
# (.kafka/connect under the repo), CONNECT_LIBS (.kafka/connect-libs), CONNECTOR_NAME (order-service-outbox).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
brokers="${KAFKA_BROKERS:-127.0.0.1:9092}"
port="${CONNECT_PORT:-8083}"
group="${CONNECT_GROUP:-order-service-connect}"
dir="${CONNECT_DIR:-$root/.kafka/connect}"
libs="${CONNECT_LIBS:-$root/.kafka/connect-libs}"
connector="${CONNECTOR_NAME:-order-service-outbox}"
pidfile="$dir/connect.pid"
log="$dir/connect.log"
# shellcheck source=scripts/jvm-service.sh
source "$here/jvm-service.sh"

write_config() {
  mkdir -p "$dir"
  cat > "$dir/worker.properties" <<PROPS
bootstrap.servers=$brokers
group.id=$group
listeners=http://127.0.0.1:$port
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$port
config.storage.topic=$group.configs
offset.storage.topic=$group.offsets
status.storage.topic=$group.status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.storage.partitions=1
status.storage.partitions=1
# Debezium's position in the WAL is committed this often; a worker killed in between repeats what
# it had sent since (at least once), never skips it.
offset.flush.interval.ms=1000
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.converters.ByteArrayConverter
topic.creation.enable=true
# Exactly what was produced or nothing: the producer is idempotent and waits for all replicas.
producer.acks=all
producer.enable.idempotence=true
producer.linger.ms=5
PROPS
  write_log4j "$dir/log4j2.properties" "logger.debezium.name=io.debezium" "logger.debezium.level=INFO"
}

answers() { curl -fsS "http://127.0.0.1:$port/connectors"; }

start() {
  if running; then echo "kafka connect already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return; fi
  local t0=$SECONDS
  fetch_jars "$here/connect/pom.xml" "$libs"
  write_config
  launch 128m org.apache.kafka.connect.cli.ConnectDistributed "$dir/worker.properties"
  wait_until "kafka connect" 120 answers
  echo "kafka connect ready on 127.0.0.1:$port in $((SECONDS - t0))s (pid $(cat "$pidfile"))"
}

register() {
  local config
  config="$(cd "$root" && node --import tsx scripts/debezium-config.ts)"
  curl -fsS -X PUT -H 'Content-Type: application/json' --data "$config" \
    "http://127.0.0.1:$port/connectors/$connector/config" >/dev/null
  echo "connector $connector registered"
}

case "${1:-}" in
  start) start ;;
  stop) stop_service "kafka connect" ;;
  # SIGKILL, as a crashed node: for the fault tests.
  kill) if running; then kill -9 "$(cat "$pidfile")"; rm -f "$pidfile"; fi ;;
  status) if running; then echo "running (pid $(cat "$pidfile"))"; else echo "stopped"; exit 1; fi ;;
  register) register ;;
  fetch) fetch_jars "$here/connect/pom.xml" "$libs" ;;
  *) echo "usage: $0 start|stop|kill|status|register|fetch" >&2; exit 2 ;;
esac
