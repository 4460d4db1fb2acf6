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

fetch_jars() {
  local stamp
  stamp="$(sha256sum "$here/connect/pom.xml" | cut -c1-16)"
  if [[ -f "$libs/.stamp" && "$(cat "$libs/.stamp")" == "$stamp" ]]; then return; fi
  rm -rf "$libs" && mkdir -p "$libs"
  if ! mvn -B -Dstyle.color=never -f "$here/connect/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime >"$libs/../connect-mvn.log" 2>&1; then
    tail -40 "$libs/../connect-mvn.log" >&2
    return 1
  fi
  echo "$stamp" > "$libs/.stamp"
}

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
  cat > "$dir/log4j2.properties" <<'PROPS'
rootLogger.level=WARN
rootLogger.appenderRef.out.ref=out
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.debezium.name=io.debezium
logger.debezium.level=INFO
PROPS
}

running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

wait_ready() {
  local deadline=$((SECONDS + 120))
  while ((SECONDS < deadline)); do
    if ! running; then echo "kafka connect exited; see $log" >&2; tail -30 "$log" >&2; return 1; fi
    if curl -fsS "http://127.0.0.1:$port/connectors" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "kafka connect not ready after 120s; see $log" >&2
  return 1
}

start() {
  if running; then echo "kafka connect already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return; fi
  local t0=$SECONDS
  fetch_jars
  write_config
  nohup java -Xms128m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$libs/*" org.apache.kafka.connect.cli.ConnectDistributed "$dir/worker.properties" >>"$log" 2>&1 &
  echo $! > "$pidfile"
  wait_ready
  echo "kafka connect ready on 127.0.0.1:$port in $((SECONDS - t0))s (pid $(cat "$pidfile"))"
}

stop() {
  if ! running; then rm -f "$pidfile"; echo "kafka connect not running"; return; fi
  local pid; pid="$(cat "$pidfile")"
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "kafka connect stopped"
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
  stop) stop ;;
  # SIGKILL, as a crashed node: for the fault tests.
  kill) if running; then kill -9 "$(cat "$pidfile")"; rm -f "$pidfile"; fi ;;
  status) if running; then echo "running (pid $(cat "$pidfile"))"; else echo "stopped"; exit 1; fi ;;
  register) register ;;
  fetch) fetch_jars ;;
  *) echo "usage: $0 start|stop|kill|status|register|fetch" >&2; exit 2 ;;
esac
